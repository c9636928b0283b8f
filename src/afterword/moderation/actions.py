"""What a moderator's click does: status changes, teaching the spam engine, undo, edits.

Every action runs in batches of :data:`BATCH` comments, each batch its own transaction, so a
bulk action on 10,000 comments never holds the database for long and a failure halfway
leaves every finished batch recorded (and undoable). Marking spam / not spam goes through
``Engine.learn``, the same feedback path as the Akismet API's submit calls: for a few
comments at once, before the answer; for more, through the outbox, off the request path.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterword.comments import set_status
from afterword.comments.pipeline import Policy
from afterword.comments.render import render
from afterword.db.models import Comment, CommentEdit, ModAction, Outbox, Site, Thread
from afterword.moderation import notify
from afterword.moderation.auth import Admin
from afterword.sites import spam_config

log = logging.getLogger("afterword.moderation")

# action -> the status it gives
ACTIONS = {"approve": "published", "spam": "spam", "ham": "published", "delete": "deleted"}
LABELS = {"approve": "approved", "spam": "marked as spam", "ham": "marked as not spam",
          "delete": "deleted", "undo": "restored"}
BATCH = 500
LEARN_INLINE = 50


class ActionError(Exception):
    """An action refused, with a message for the moderator (and an HTTP status)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(slots=True)
class Outcome:
    done: int = 0
    refused: int = 0
    batch: str = ""
    learn: list[tuple[int, str]] = field(default_factory=list)


def _teaches(action: str, previous: str) -> str | None:
    """What a moderator's action tells the engine: "spam", "ham" (learn it, and the author
    is approved), "approved" (the author is approved; the text teaches nothing: the engine
    did not call it spam) or None."""
    if action == "spam" and previous != "spam":
        return "spam"
    if action == "ham" or (action == "approve" and previous == "spam"):
        return "ham"
    if action == "approve" and previous != "published":
        return "approved"
    return None


UNDO = {"spam": "ham", "ham": "spam"}  # what undoing a lesson teaches; approval stays


def apply(db: Session, admin: Admin, ids: Sequence[int], action: str, *, settings,
          learner: Callable[[Session, dict[str, Any]], None]) -> Outcome:
    """Apply ``action`` to the comments ``ids`` the moderator may act on.

    Comments of sites the moderator may not moderate are counted in ``refused`` and left
    untouched; raises :class:`ActionError` when every one of them was refused.
    """
    if action not in ACTIONS:
        raise ActionError(f"unknown action {action!r}")
    status = ACTIONS[action]
    outcome = Outcome(batch=secrets.token_hex(8))
    unique = list(dict.fromkeys(int(i) for i in ids))
    for start in range(0, len(unique), BATCH):
        chunk = unique[start:start + BATCH]
        comments = db.scalars(select(Comment).where(Comment.id.in_(chunk))).all()
        outcome.refused += len(chunk) - len(comments)
        by_site: dict[int, list[tuple[Comment, str]]] = {}
        for comment in comments:
            if not admin.can(comment.site_id):
                outcome.refused += 1
                continue
            by_site.setdefault(comment.site_id, []).append((comment, comment.status))
        for site_id, items in by_site.items():
            record = ModAction(batch=outcome.batch, user_id=admin.id, site_id=site_id,
                               action=action, count=len(items), undo=[], false_positives=0,
                               missed_spam=0)
            changed: list[Comment] = []
            for comment, previous in items:
                label = _teaches(action, previous)
                if label is not None:
                    outcome.learn.append((comment.id, label))
                record.false_positives += previous == "spam" and status == "published"
                record.missed_spam += previous in ("published", "pending") and status == "spam"
                record.undo.append([comment.id, previous])
                if previous != status:
                    set_status(db, comment, status)
                    changed.append(comment)
            db.add(record)
            _events(db, settings, changed, status)
            outcome.done += len(items)
        db.commit()
    if not outcome.done and unique:
        raise ActionError("you may not moderate these comments (another site's, or gone)", 403)
    _learn(db, outcome.learn, admin.username, learner)
    return outcome


def _events(db: Session, settings, changed: list[Comment], status: str) -> None:
    if status == "published":
        notify.queue_webhooks(db, changed, "comment.approved")
        notify.on_published(db, settings, changed)
    elif status == "spam":
        notify.queue_webhooks(db, changed, "comment.spam")


def _learn(db: Session, labels: list[tuple[int, str]], reporter: str,
           learner: Callable[[Session, dict[str, Any]], None]) -> None:
    """Teach the engine now for a handful, or queue it (durably) for a bulk action."""
    if not labels:
        return
    if len(labels) <= LEARN_INLINE:
        try:
            learner(db, {"labels": labels, "reporter": reporter})
            return
        except Exception:  # noqa: BLE001 - the statuses are saved: learn later, not never
            log.exception("learning from a moderator action failed; queued for a retry")
            db.rollback()
    for start in range(0, len(labels), BATCH):
        db.add(Outbox(kind="learn", payload={"labels": labels[start:start + BATCH],
                                             "reporter": reporter}))
    db.commit()


def make_learner(engine_of: Callable[[], Any]) -> Callable[[Session, dict[str, Any]], None]:
    """The function that replays stored submissions into ``Engine.learn`` (and trust)."""

    def learn(db: Session, payload: dict[str, Any]) -> None:
        from afterword.spam import Submission

        labels = {int(i): str(s) for i, s in payload["labels"]}
        engine = engine_of()
        configs: dict[int, Any] = {}  # each site's spam settings, as its checks read them
        for comment_id, site_id, recorded in db.execute(
                select(Comment.id, Comment.site_id, Comment.spam_submission)
                .where(Comment.id.in_(labels))).all():
            if not recorded:  # erased or imported without one: nothing to learn from
                continue
            submission = Submission.from_dict(recorded)
            label = labels[comment_id]
            if label in ("spam", "ham"):
                if site_id not in configs:
                    configs[site_id] = spam_config(db.get(Site, site_id))
                engine.learn(str(site_id), submission, label == "spam",
                             reporter=payload.get("reporter", ""), config=configs[site_id])
            if label in ("ham", "approved"):
                engine.note_approved(str(site_id), submission)

    return learn


def undo_last(db: Session, admin: Admin, *, settings,
              learner: Callable[[Session, dict[str, Any]], None]) -> Outcome:
    """Put back the statuses of this moderator's last action that is not undone yet.

    What the engine learnt is countered by teaching the opposite label for the same comments.
    """
    last = db.scalar(select(ModAction.batch).where(ModAction.user_id == admin.id,
                                                   ModAction.undone_at.is_(None),
                                                   ModAction.action != "undo")
                     .order_by(ModAction.id.desc()).limit(1))
    if last is None:
        raise ActionError("nothing to undo")
    outcome = Outcome(batch=last)
    now = datetime.now(UTC)
    for record in db.scalars(select(ModAction).where(ModAction.batch == last)).all():
        if not admin.can(record.site_id):
            continue
        previous = {int(i): s for i, s in record.undo}
        for start in range(0, len(record.undo), BATCH):
            ids = [i for i, _ in record.undo[start:start + BATCH]]
            for comment in db.scalars(select(Comment).where(Comment.id.in_(ids))).all():
                label = UNDO.get(_teaches(record.action, previous[comment.id]) or "")
                if label is not None:
                    outcome.learn.append((comment.id, label))
                set_status(db, comment, previous[comment.id])
                outcome.done += 1
            db.flush()
        record.undone_at = now
        db.commit()
    _learn(db, outcome.learn, admin.username, learner)
    return outcome


def moderated_comment(db: Session, admin: Admin, comment_id: int) -> Comment:
    comment = db.get(Comment, comment_id)
    if comment is None:
        raise ActionError("no such comment", 404)
    if not admin.can(comment.site_id):
        raise ActionError("this comment belongs to a site you do not moderate", 403)
    return comment


def edit(db: Session, admin: Admin, comment_id: int, text: str) -> Comment:
    """Replace a comment's text, keeping the old one in its edit history."""
    comment = moderated_comment(db, admin, comment_id)
    text = text.replace("\x00", "").strip()
    if not text:
        raise ActionError("the text is empty")
    if text != comment.text:
        db.add(CommentEdit(comment_id=comment.id, editor=admin.username, old_text=comment.text))
        comment.text, comment.html = text, render(text)
        comment.edited_at = datetime.now(UTC)
    db.commit()
    return comment


def history(db: Session, comment_id: int) -> list[CommentEdit]:
    return list(db.scalars(select(CommentEdit).where(CommentEdit.comment_id == comment_id)
                           .order_by(CommentEdit.id.desc())))


def reply_as_site(db: Session, admin: Admin, comment_id: int, text: str, *,
                  settings) -> Comment:
    """Publish a reply signed with the site's name (approving the parent if needed)."""
    parent = moderated_comment(db, admin, comment_id)
    text = text.replace("\x00", "").strip()
    if not text:
        raise ActionError("the reply is empty")
    if parent.status != "published":
        set_status(db, parent, "published")
    site = db.get(Site, parent.site_id)
    assert site is not None
    depth, parent_id = parent.depth + 1, parent.id
    if depth >= Policy.of(site).max_depth:  # as deep as the site allows: reply alongside
        depth, parent_id = parent.depth, parent.parent_id
    reply = Comment(site_id=parent.site_id, thread_id=parent.thread_id, parent_id=parent_id,
                    root_id=parent.root_id or parent.id if parent_id else None, depth=depth,
                    status="pending", author=site.name, website=site.url, text=text,
                    html=render(text), email=admin.email, created_at=datetime.now(UTC),
                    spam_reasons=[], spam_submission={})
    db.add(reply)
    db.flush()
    set_status(db, reply, "published")
    db.commit()
    return reply


def lock_thread(db: Session, admin: Admin, thread_id: int, locked: bool) -> Thread:
    thread = db.get(Thread, thread_id)
    if thread is None:
        raise ActionError("no such thread", 404)
    if not admin.can(thread.site_id):
        raise ActionError("this thread belongs to a site you do not moderate", 403)
    thread.closed = locked
    db.commit()
    return thread
