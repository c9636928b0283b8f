"""Queues, filters, one-by-one and bulk actions, undo, edits and replies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from afterword.db.models import Comment, CommentEdit, ModAction, Outbox, Thread
from afterword.spam import Submission
from afterword.web.deps import spam_engine_for
from moderation.mod_kit import add_comment, status_of


def test_pending_queue_lists_comments_with_spam_reasons(signed_in, sessions, sites):
    client, _ = signed_in
    add_comment(sessions, sites[0], "Waiting for a moderator", probability=0.42)
    add_comment(sessions, sites[0], "Already out", status="published")
    page = client.get("/admin/queue?status=pending").text
    assert "Waiting for a moderator" in page and "Already out" not in page
    assert "42% spam" in page and "a reason" in page
    assert "Already out" in client.get("/admin/queue?status=published").text


def test_filters_narrow_the_queue(signed_in, sessions, sites):
    client, _ = signed_in
    blog, news = sites
    add_comment(sessions, blog, "alpha words", author="Ann", email="ann@a.example",
                ip="198.51.100.0", url="/one")
    add_comment(sessions, blog, "beta words", author="Bob", email="bob@b.example",
                ip="203.0.113.0", url="/two")
    add_comment(sessions, news, "gamma words", author="Cy", email="cy@c.example")

    def shown(query: str) -> set[str]:
        page = client.get(f"/admin/queue?status=pending&{query}").text
        return {w for w in ("alpha", "beta", "gamma") if f"{w} words" in page}

    assert shown("") == {"alpha", "beta", "gamma"}
    assert shown(f"site={news}") == {"gamma"}
    assert shown("author=bo") == {"beta"}
    assert shown("email=ann@") == {"alpha"}
    assert shown("ip=198.51.100.0/24") == {"alpha"}
    assert shown("ip=198.51.100.7") == {"alpha"}
    assert shown("thread=/two") == {"beta"}
    assert shown("q=gamma") == {"gamma"}
    today = datetime.now(UTC).date().isoformat()
    assert shown(f"since={today}") == {"alpha", "beta", "gamma"}
    assert shown("until=2000-01-01") == set()
    assert shown("q=%25") == set()  # a literal percent sign, not a wildcard
    # Garbage in the query string is ignored, not a 500.
    assert client.get("/admin/queue?status=nope&page=-3&since=yesterday&site=x").status_code == 200


def test_spam_queue_sorts_by_probability(signed_in, sessions, sites):
    client, _ = signed_in
    for p in (0.61, 0.99, 0.75):
        add_comment(sessions, sites[0], f"spam text {int(p * 100)}", status="spam",
                    probability=p)
    page = client.get("/admin/queue?status=spam").text
    assert page.index("spam text 99") < page.index("spam text 75") < page.index("spam text 61")
    page = client.get("/admin/queue?status=spam&sort=least-spam").text
    assert page.index("spam text 61") < page.index("spam text 99")


def test_htmx_approve_swaps_the_comment_and_counts_it(signed_in, sessions, sites):
    client, token = signed_in
    cid = add_comment(sessions, sites[0])
    r = client.post(f"/admin/comments/{cid}/approve", data={"csrf": token},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200 and "approved" in r.text and f'id="c-{cid}"' in r.text
    assert status_of(sessions, cid) == "published"
    with sessions() as db:
        assert db.scalar(select(Thread.comment_count)) == 1


def test_marking_spam_teaches_the_sites_model(app, signed_in, sessions, sites):
    client, token = signed_in
    text = "Cheap watches and pills at unbeatable prices, order today friend"
    ids = [add_comment(sessions, sites[0], text, author=f"A{i}", email=f"a{i}@x.example",
                       status="published") for i in range(3)]
    engine = spam_engine_for(app)
    probe = Submission(content=text, author="Z", author_email="z@z.example", user_ip="192.0.2.9")
    before = engine.check(str(sites[0]), probe, observe=False).probability
    for cid in ids:
        client.post(f"/admin/comments/{cid}/spam", data={"csrf": token})
    after = engine.check(str(sites[0]), probe, observe=False).probability
    assert after > before
    # The other site learnt nothing.
    assert engine.check(str(sites[1]), probe, observe=False).probability == before
    with sessions() as db:
        assert db.scalar(select(func.sum(ModAction.missed_spam))) == 3


def test_not_spam_trusts_the_author_next_time(app, signed_in, sessions, sites):
    client, token = signed_in
    cid = add_comment(sessions, sites[0], "Visit my page about gardening", author="Gwen",
                      email="gwen@garden.example", status="spam", probability=0.8)
    client.post(f"/admin/comments/{cid}/ham", data={"csrf": token})
    assert status_of(sessions, cid) == "published"
    verdict = spam_engine_for(app).check(str(sites[0]), Submission(
        content="Another note about roses", author="Gwen", author_email="gwen@garden.example"),
        observe=False)
    assert verdict.trusted and not verdict.is_spam
    with sessions() as db:
        assert db.scalar(select(func.sum(ModAction.false_positives))) == 1


def test_bulk_and_undo(signed_in, sessions, sites):
    client, token = signed_in
    ids = [add_comment(sessions, sites[0], f"comment {i}") for i in range(5)]
    spam = add_comment(sessions, sites[0], "was spam", status="spam")
    r = client.post("/admin/bulk", data={"csrf": token, "action": "delete",
                                         "ids": [str(i) for i in ids[:3]]},
                    follow_redirects=True)
    assert "3 comment(s) deleted" in r.text
    assert [status_of(sessions, i) for i in ids] == ["deleted"] * 3 + ["pending"] * 2
    client.post(f"/admin/comments/{spam}/approve", data={"csrf": token})
    # Undo takes back the last action only (the approval), then the bulk delete.
    r = client.post("/admin/undo", data={"csrf": token}, follow_redirects=True)
    assert "1 comment(s) restored" in r.text and status_of(sessions, spam) == "spam"
    client.post("/admin/undo", data={"csrf": token})
    assert [status_of(sessions, i) for i in ids] == ["pending"] * 5
    r = client.post("/admin/undo", data={"csrf": token})
    assert r.status_code == 400 and "nothing to undo" in r.text


def test_bulk_without_selection_says_so(signed_in):
    client, token = signed_in
    r = client.post("/admin/bulk", data={"csrf": token, "action": "approve"},
                    follow_redirects=True)
    assert "select some comments first" in r.text
    r = client.post("/admin/bulk", data={"csrf": token, "action": "explode", "ids": ["1"]})
    assert r.status_code == 400 and "unknown action" in r.text


@pytest.mark.slow
def test_bulk_on_ten_thousand_comments(signed_in, sessions, sites):
    """All matching comments in one request: batched writes, learning queued, undo works."""
    client, token = signed_in
    first = add_comment(sessions, sites[0], "seed")
    with sessions() as db:
        seed = db.get(Comment, first)
        rows = [{"site_id": seed.site_id, "thread_id": seed.thread_id, "depth": 0,
                 "status": "pending", "author": f"bot{i}", "email": "", "website": "",
                 "text": f"buy now {i}", "html": "", "ip": "", "ip_hash": "", "user_agent": "",
                 "spam_reasons": [], "created_at": datetime.now(UTC), "likes": 0,
                 "spam_submission": {"content": f"buy now {i}"}}
                for i in range(9_999)]
        db.execute(insert(Comment), rows)
        db.commit()
    r = client.post("/admin/bulk", data={"csrf": token, "action": "spam", "all_matching": "1",
                                         "status": "pending"}, follow_redirects=True)
    assert r.status_code == 200 and "10000 comment(s) marked as spam" in r.text
    with sessions() as db:
        assert db.scalar(select(func.count()).where(Comment.status == "spam")) == 10_000
        # Learning went to the outbox in batches, off the request path.
        assert db.scalar(select(func.count()).select_from(Outbox)
                         .where(Outbox.kind == "learn")) == 20
    client.post("/admin/undo", data={"csrf": token})
    with sessions() as db:
        ids = db.scalars(select(Comment.id).where(Comment.status == "pending")).all()
    assert len(ids) == 10_000
    # The same as 10,000 ticked boxes, each its own form field.
    r = client.post("/admin/bulk", data={"csrf": token, "action": "delete",
                                         "ids": [str(i) for i in ids]}, follow_redirects=True)
    assert "10000 comment(s) deleted" in r.text


def test_edit_keeps_history_and_reply_is_published(signed_in, sessions, sites):
    client, token = signed_in
    cid = add_comment(sessions, sites[0], "Original wording with a typo", status="published")
    client.post(f"/admin/comments/{cid}/edit", data={"csrf": token, "text": "Fixed wording"})
    page = client.get(f"/admin/comments/{cid}").text
    assert "Fixed wording" in page and "Original wording with a typo" in page
    with sessions() as db:
        assert db.scalar(select(CommentEdit.old_text)) == "Original wording with a typo"
        assert db.get(Comment, cid).html == "<p>Fixed wording</p>\n"
    client.post(f"/admin/comments/{cid}/reply", data={"csrf": token, "text": "Thanks!"})
    with sessions() as db:
        reply = db.scalar(select(Comment).where(Comment.parent_id == cid))
        assert reply.status == "published" and reply.author == "Blog" and reply.text == "Thanks!"
    r = client.post(f"/admin/comments/{cid}/edit", data={"csrf": token, "text": "  "})
    assert r.status_code == 400 and "empty" in r.text
    assert client.post("/admin/comments/999999/approve",
                       data={"csrf": token}).status_code == 404


def test_lock_thread_closes_it(signed_in, sessions, sites):
    client, token = signed_in
    cid = add_comment(sessions, sites[0])
    with sessions() as db:
        thread_id = db.get(Comment, cid).thread_id
    r = client.post(f"/admin/threads/{thread_id}/lock", data={"csrf": token, "locked": "1"},
                    headers={"Referer": f"http://testserver/admin/comments/{cid}"},
                    follow_redirects=True)
    assert "is locked: no new comments" in r.text and "Unlock the thread" in r.text
    with sessions() as db:
        assert db.get(Thread, thread_id).closed


def test_approving_a_held_comment_gives_its_author_approved_history(app, signed_in, sessions,
                                                                    sites):
    client, token = signed_in
    cid = add_comment(sessions, sites[0], "My first comment here", author="Hal",
                      email="hal@mail.example")
    probe = Submission(content="My second comment", author="Hal",
                       author_email="hal@mail.example")
    engine = spam_engine_for(app)
    assert not engine.check(str(sites[0]), probe, observe=False).trusted
    client.post(f"/admin/comments/{cid}/approve", data={"csrf": token})
    assert engine.check(str(sites[0]), probe, observe=False).trusted


def test_actions_return_to_the_filtered_queue_and_only_to_the_admin(signed_in, sessions,
                                                                    sites):
    client, token = signed_in
    one, two = (add_comment(sessions, sites[0]) for _ in range(2))
    r = client.post(f"/admin/comments/{one}/approve", data={"csrf": token},
                    headers={"Referer": "http://testserver/admin/queue?status=pending&q=x"},
                    follow_redirects=False)
    assert r.headers["location"] == "/admin/queue?status=pending&q=x&done=approve%3A1"
    r = client.post(f"/admin/comments/{two}/approve", data={"csrf": token},
                    headers={"Referer": "https://evil.example/phish"}, follow_redirects=False)
    assert r.headers["location"] == "/admin/queue?done=approve%3A1"
