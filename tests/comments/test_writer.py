"""Group commit: rows that arrive during a commit share the next one, and every queued
comment is committed (or refused on its own) before its caller hears back."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert, select

from afterword.comments.writer import GroupWriter
from afterword.db.models import Comment, Site, Thread


@pytest.fixture
def thread_id(sessions) -> int:
    with sessions() as session:
        site = session.execute(insert(Site).values(url="https://w.example", name="w",
                                                   allowed_origins=[], settings={}))
        site_id = site.inserted_primary_key[0]
        thread = session.execute(insert(Thread).values(site_id=site_id, url="https://w.example/a",
                                                       title="a", comment_count=0))
        session.commit()
        return thread.inserted_primary_key[0]


def _row(thread: int, text: str, status: str = "published") -> dict:
    return {"site_id": 1, "thread_id": thread, "parent_id": None, "root_id": None,
                 "depth": 0, "status": status, "author": "", "email": "", "website": "",
                 "text": text, "html": f"<p>{text}</p>\n", "ip": "", "ip_hash": "",
                 "user_agent": "", "spam_probability": 0.1, "spam_reasons": [],
                 "spam_submission": {}, "created_at": datetime.now(UTC), "likes": 0}


def test_rows_queued_during_a_commit_share_the_next_one(db_engine, sessions, thread_id):
    commits: list[int] = []
    event.listen(db_engine, "commit", lambda conn: commits.append(1))
    writer = GroupWriter(db_engine)
    blocker = db_engine.raw_connection()
    blocker.execute("BEGIN IMMEDIATE")  # the first commit waits on this write lock
    first = writer.insert(_row(thread_id, "first"), published=True)
    later = [writer.insert(_row(thread_id, f"later {i}"), published=i % 2 == 0)
             for i in range(9)]
    threading.Timer(0.3, blocker.rollback).start()
    ids = [first.result(timeout=30)] + [f.result(timeout=30) for f in later]
    blocker.close()
    assert len(set(ids)) == 10
    # "first" alone (if the writer took it before the others queued), then the nine that
    # queued behind it: never a commit each.
    assert len(commits) <= 2
    with sessions() as session:
        stored = session.scalars(select(Comment.text).order_by(Comment.id)).all()
        count = session.scalar(select(Thread.comment_count).where(Thread.id == thread_id))
    assert stored == ["first"] + [f"later {i}" for i in range(9)]
    assert count == 1 + 5  # only published rows count on the thread


def test_a_bad_row_is_refused_alone(db_engine, sessions, thread_id):
    writer = GroupWriter(db_engine)
    blocker = db_engine.raw_connection()
    blocker.execute("BEGIN IMMEDIATE")  # so that all three land in one batch
    warm = writer.insert(_row(thread_id, "warm"), published=True)
    good = writer.insert(_row(thread_id, "good"), published=True)
    bad = writer.insert(_row(thread_id + 999, "no such thread"), published=True)
    also = writer.insert(_row(thread_id, "also good"), published=True)
    threading.Timer(0.3, blocker.rollback).start()
    warm.result(timeout=30)
    assert good.result(timeout=30) and also.result(timeout=30)
    with pytest.raises(Exception, match="FOREIGN KEY"):
        bad.result(timeout=30)
    blocker.close()
    with sessions() as session:
        assert session.scalars(select(Comment.text).order_by(Comment.id)).all() == [
            "warm", "good", "also good"]
        assert session.scalar(select(Thread.comment_count)) == 3


def test_a_row_given_up_before_its_commit_is_dropped_and_the_writer_goes_on(
        db_engine, sessions, thread_id):
    writer = GroupWriter(db_engine)
    blocker = db_engine.raw_connection()
    blocker.execute("BEGIN IMMEDIATE")
    first = writer.insert(_row(thread_id, "first"), published=True)
    abandoned = writer.insert(_row(thread_id, "abandoned"), published=True)
    abandoned.cancel()  # what a cancelled request's await does to it
    threading.Timer(0.3, blocker.rollback).start()
    first.result(timeout=30)
    blocker.close()
    assert writer.insert(_row(thread_id, "after"), published=True).result(timeout=30)
    with sessions() as session:
        texts = session.scalars(select(Comment.text).order_by(Comment.id)).all()
    assert "after" in texts and len(texts) == 2 + ("abandoned" in texts)
