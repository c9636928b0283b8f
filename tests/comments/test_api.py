"""The comment API as a widget (or any client) uses it, against a real SQLite database."""

from __future__ import annotations

import sqlite3
import time
import xml.etree.ElementTree as ET

import pytest
from comments.comments_kit import ARTICLE, SITE, Reader, configure
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from afterword.comments import set_status, store
from afterword.db.models import Comment, Site, Thread


def test_posted_comment_is_shown_rendered_without_personal_data(reader):
    posted = reader.posted("Hello *harbour*", author="Ann", email="ann@example.org",
                           website="ann.example")
    assert posted["status"] == "published"
    page = reader.page()
    [shown] = page["comments"]
    assert shown["id"] == posted["comment"]["id"]
    assert shown["html"] == "<p>Hello <em>harbour</em></p>\n"
    assert shown["author"] == "Ann" and shown["website"] == "https://ann.example"
    assert "ann@example.org" not in reader.client.get(
        "/api/v1/threads", params={"site": SITE, "url": ARTICLE}).text
    assert page["thread"]["count"] == 1


def test_stored_ip_is_anonymised(reader, sessions):
    reader.posted()
    with sessions() as session:
        ip, ip_hash = session.execute(select(Comment.ip, Comment.ip_hash)).one()
    # TestClient connects as "testclient", not an address: nothing identifying is kept.
    assert ip in ("", "0.0.0.0") and len(ip_hash) <= 32


def test_ip_hash_is_keyed_by_the_current_rotation_period(app, site, sessions, settings):
    from fastapi.testclient import TestClient

    from afterword.privacy.ip import current_hash_ip, hash_ip

    with TestClient(app, client=("203.0.113.9", 40000)) as client:
        Reader(client).posted()
    with sessions() as session:
        ip, ip_hash = session.execute(select(Comment.ip, Comment.ip_hash)).one()
    assert ip == "203.0.113.0"
    assert ip_hash == current_hash_ip("203.0.113.9", settings.secret,
                                      settings.ip_hash_rotation_days)
    assert ip_hash != hash_ip("203.0.113.9", settings.secret)  # not the never-rotating key


def test_replies_nest_and_attach_at_the_deepest_allowed_level(reader, sessions):
    configure(sessions, ip_per_minute=10_000, thread_per_minute=10_000, max_depth=3)
    root = reader.posted("root")["comment"]
    one = reader.posted("one", parent=root["id"])["comment"]
    two = reader.posted("two", parent=one["id"])["comment"]
    three = reader.posted("three", parent=two["id"])["comment"]
    assert (one["depth"], two["depth"]) == (1, 2)
    assert three["parent"] == one["id"] and three["depth"] == 2  # sibling of "two"
    shown = {c["id"]: c["parent"] for c in reader.page()["comments"]}
    assert shown == {root["id"]: None, one["id"]: root["id"], two["id"]: one["id"],
                     three["id"]: one["id"]}


def test_parent_must_be_in_the_same_thread(reader, client):
    other = Reader(client, SITE + "/other").posted()["comment"]
    r = reader.post(parent=other["id"])
    assert r.status_code == 400 and "not in this thread" in r.json()["detail"]


@pytest.mark.parametrize("url, status", [
    ("https://elsewhere.example/post", 400),
    ("javascript:alert(1)", 400),
    ("not a url", 400),
])
def test_url_must_belong_to_the_site(reader, url, status):
    r = reader.post(url=url)
    assert r.status_code == status


def test_unknown_site_is_404(client, site):
    r = client.get("/api/v1/threads", params={"site": "https://nobody.example", "url": ARTICLE})
    assert r.status_code == 404 and r.json() == {"detail": "unknown site"}


@pytest.mark.parametrize("token", ["", "forged.token.value"])
def test_render_token_is_required(reader, token):
    r = reader.post(token=token)
    assert r.status_code == 400 and "reload the page" in r.json()["detail"]


def test_rate_limit_per_ip_prefix(reader, sessions):
    configure(sessions, ip_per_minute=2)
    assert reader.post().status_code == 201
    assert reader.post().status_code == 201
    r = reader.post()
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_rate_limit_per_thread(reader, sessions):
    configure(sessions, ip_per_minute=100, thread_per_minute=1)
    assert reader.post().status_code == 201
    assert reader.post().status_code == 429
    assert Reader(reader.client, SITE + "/another").post().status_code == 201


def test_spam_is_stored_as_spam_but_its_author_only_hears_pending(reader, sessions):
    # A domain the site denies is a hard rule of the engine: spam whatever the text model says.
    configure(sessions, ip_per_minute=100, spam={"deny_domains": ["pills.example"]})
    posted = reader.posted("Cheap meds at https://pills.example/buy")
    assert posted["status"] == "pending"
    page = reader.page()
    assert page["comments"] == [] and page["thread"]["count"] == 0
    with sessions() as session:
        comment = session.get(Comment, posted["comment"]["id"])
        assert comment.status == "spam" and comment.spam_probability is not None


def test_honeypot_and_timing_reach_the_engine(reader, sessions):
    """The widget's hidden field and the render token's age are evidence the engine weighs."""
    fresh = reader.page(limit=1)["token"]
    posted = reader.posted("Nice post", honeypot="http://spam.example", token=fresh)
    with sessions() as session:
        codes = [r["code"] for r in session.get(Comment, posted["comment"]["id"]).spam_reasons]
    assert "honeypot" in codes and "too_fast" in codes


def test_moderator_word_lists_and_bans_apply(reader, sessions):
    from afterword.moderation.rules import add_rule

    with sessions() as session:
        add_rule(session, 1, "word_reject", "casino")
        add_rule(session, 1, "word_hold", "refund")
        add_rule(session, 1, "email", "banned@example.org")
        session.commit()
    r = reader.post("Best casino bonus")
    assert r.status_code == 403 and r.json()["detail"]
    assert reader.posted("I want a refund for my ticket")["status"] == "pending"
    assert reader.post(email="banned@example.org").status_code == 403
    assert reader.posted("An ordinary remark")["status"] == "published"


def test_moderation_all_holds_every_comment(reader, sessions):
    configure(sessions, ip_per_minute=100, moderation="all")
    assert reader.posted()["status"] == "pending"
    page = reader.page()
    assert page["comments"] == [] and page["thread"]["count"] == 0


def test_moderation_links_holds_only_comments_with_links(reader, sessions):
    configure(sessions, ip_per_minute=100, moderation="links")
    assert reader.posted("no links here")["status"] == "published"
    assert reader.posted("see [this](https://x.example)")["status"] == "pending"


def test_moderation_first_comment_trusts_approved_authors(reader, sessions):
    configure(sessions, ip_per_minute=100, moderation="first-comment")
    first = reader.posted(email="new@example.org")
    assert first["status"] == "pending"
    with sessions() as session:  # a moderator approves it
        set_status(session, session.get(Comment, first["comment"]["id"]), "published")
        session.commit()
    assert reader.posted(email="new@example.org")["status"] == "published"
    assert reader.posted(email="other@example.org")["status"] == "pending"
    assert reader.page()["thread"]["count"] == 2


def test_require_email(reader, sessions):
    configure(sessions, ip_per_minute=100, require_email=True)
    assert reader.post(email="").status_code == 400
    assert reader.post(email="a@example.org").status_code == 201


def test_site_and_thread_changes_apply_to_the_next_comment(reader, sessions):
    """Posting keeps what it read of a site and a thread for a few seconds, but a change
    saved through the app (an admin's site settings, a moderator closing a thread) is seen
    by the very next comment."""
    assert reader.posted()["status"] == "published"
    with sessions() as session:  # as the admin's site page saves it
        site = session.scalar(select(Site).where(Site.url == SITE))
        site.settings = {**site.settings, "moderation": "all"}
        session.commit()
    assert reader.posted()["status"] == "pending"
    with sessions() as session:  # as a moderator locks the thread
        session.scalar(select(Thread)).closed = True
        session.commit()
    r = reader.post()
    assert r.status_code == 403 and "closed" in r.json()["detail"]


def test_a_site_changed_by_another_process_applies_within_the_cache_time(
        reader, settings, monkeypatch):
    """Another worker or the CLI (here: plain SQL) changes the site: this worker sees it once
    its copy is older than ``CACHE_SECONDS``."""
    monkeypatch.setattr(store, "CACHE_SECONDS", 0.2)
    assert reader.posted()["status"] == "published"
    with sqlite3.connect(settings.database_url.removeprefix("sqlite:///")) as db:
        db.execute("UPDATE sites SET settings = json_set(settings, '$.moderation', 'all')")
    time.sleep(0.3)
    assert reader.posted()["status"] == "pending"


def test_edit_with_token_within_window(reader):
    posted = reader.posted("first words")
    auth = {"authorization": "Bearer " + posted["edit_token"]}
    r = reader.client.patch(f"/api/v1/comments/{posted['comment']['id']}",
                            json={"text": "better **words**"}, headers=auth)
    assert r.status_code == 200
    [shown] = reader.page()["comments"]
    assert shown["html"] == "<p>better <strong>words</strong></p>\n" and shown["edited"]


def test_nobody_else_can_edit_or_delete(reader):
    mine = reader.posted("mine")
    theirs = reader.posted("theirs")
    path = f"/api/v1/comments/{theirs['comment']['id']}"
    for headers in ({"authorization": "Bearer " + mine["edit_token"]},
                    {"authorization": "Bearer garbage"}, {}):
        assert reader.client.patch(path, json={"text": "x"}, headers=headers).status_code in (
            403, 422)
        assert reader.client.delete(path, headers=headers).status_code in (403, 422)
    assert [c["html"] for c in reader.page()["comments"]] == ["<p>theirs</p>\n", "<p>mine</p>\n"]


def test_edit_window_closes(reader, sessions):
    configure(sessions, ip_per_minute=100, edit_window=1)
    posted = reader.posted()
    time.sleep(2.1)
    r = reader.client.delete(f"/api/v1/comments/{posted['comment']['id']}",
                             headers={"authorization": "Bearer " + posted["edit_token"]})
    assert r.status_code == 403 and "edit window" in r.json()["detail"]


def test_delete_without_replies_removes_the_comment(reader, sessions):
    posted = reader.posted(email="gone@example.org")
    r = reader.client.delete(f"/api/v1/comments/{posted['comment']['id']}",
                             headers={"authorization": "Bearer " + posted["edit_token"]})
    assert r.status_code == 204
    page = reader.page()
    assert page["comments"] == [] and page["thread"]["count"] == 0
    with sessions() as session:
        assert session.scalar(select(Comment).where(Comment.email == "gone@example.org")) is None


def test_delete_with_replies_leaves_an_anonymous_placeholder(reader):
    root = reader.posted("root words", author="Root")
    reply = reader.posted("reply", parent=root["comment"]["id"])
    reader.client.delete(f"/api/v1/comments/{root['comment']['id']}",
                         headers={"authorization": "Bearer " + root["edit_token"]})
    shown = reader.page()["comments"]
    assert [c["id"] for c in shown] == [root["comment"]["id"], reply["comment"]["id"]]
    assert shown[0]["deleted"] and shown[0]["author"] == "" and shown[0]["html"] == ""


def test_keyset_pages_cover_the_thread_once_in_order(reader, sessions):
    # 25 comments in a second from one address is a flood; this reader is one the site trusts.
    configure(sessions, ip_per_minute=100, spam={"allow_emails": ["regular@example.org"]})
    ids = [reader.posted(f"comment {i}", email="regular@example.org")["comment"]["id"]
           for i in range(25)]
    for sort, expected in (("newest", ids[::-1]), ("oldest", ids)):
        seen, cursor = [], None
        while True:
            page = reader.page(sort=sort, limit=10, **({"cursor": cursor} if cursor else {}))
            seen += [c["id"] for c in page["comments"]]
            cursor = page["next"]
            if not cursor:
                break
        assert seen == expected


def test_top_sort_orders_by_likes(reader, sessions):
    ids = [reader.posted(f"c{i}")["comment"]["id"] for i in range(5)]
    with sessions() as session:
        for likes, cid in zip((3, 9, 0, 9, 1), ids):
            session.execute(update(Comment).where(Comment.id == cid).values(likes=likes))
        session.commit()
    first = reader.page(sort="top", limit=2)
    second = reader.page(sort="top", limit=3, cursor=first["next"])
    order = [c["id"] for c in first["comments"] + second["comments"]]
    assert order == [ids[3], ids[1], ids[0], ids[4], ids[2]]


def _like(app, comment_id: int, ip: str = "203.0.113.7"):
    """A like from a reader at ``ip``, over a connection from that address."""
    with TestClient(app, client=(ip, 40000)) as c:
        return c.post(f"/api/v1/comments/{comment_id}/like")


def test_one_like_per_reader_without_cookies(app, reader):
    cid = reader.posted()["comment"]["id"]
    r = _like(app, cid)
    assert r.status_code == 200 and r.json() == {"likes": 1} and "set-cookie" not in r.headers
    assert _like(app, cid).json() == {"likes": 1}  # again: still one
    assert _like(app, cid, "198.51.100.20").json() == {"likes": 2}
    assert reader.page()["comments"][0]["likes"] == 2


def test_likes_are_per_comment_and_only_for_published_ones(app, reader, sessions):
    first, second = (reader.posted()["comment"]["id"] for _ in range(2))
    assert _like(app, first).json() == {"likes": 1}
    assert _like(app, second).json() == {"likes": 1}  # the same reader, another comment
    configure(sessions, moderation="all", ip_per_minute=100)
    held = reader.posted()["comment"]["id"]
    assert _like(app, held).status_code == 404
    assert _like(app, 987654).status_code == 404


def test_likes_are_rate_limited_per_network(app, reader, sessions):
    ids = [reader.posted()["comment"]["id"] for _ in range(3)]
    configure(sessions, likes_per_minute=2, ip_per_minute=100)
    assert [_like(app, cid, f"203.0.113.{n}").status_code for n, cid in enumerate(ids)] == [
        200, 200, 429]
    assert _like(app, ids[2], "192.0.2.1").status_code == 200  # another network


def test_cursor_of_another_sort_is_refused(reader):
    for i in range(3):
        reader.posted(f"c{i}")
    cursor = reader.page(limit=1)["next"]
    r = reader.client.get("/api/v1/threads", params={"site": SITE, "url": ARTICLE,
                                                     "sort": "top", "cursor": cursor})
    assert r.status_code == 400


def test_many_replies_are_paged_per_root(reader):
    root = reader.posted("root")["comment"]["id"]
    replies = [reader.posted(f"r{i}", parent=root)["comment"]["id"] for i in range(7)]
    page = reader.page(limit=3)
    assert page["more_replies"] == [root]
    assert [c["id"] for c in page["comments"]] == [root] + replies[:3]
    rest = reader.page(root=root, limit=10, cursor=None)
    assert [c["id"] for c in rest["comments"]] == replies


def test_counts_for_many_urls(client, site):
    Reader(client, SITE + "/a").posted()
    Reader(client, SITE + "/a").posted()
    Reader(client, SITE + "/b").posted()
    urls = [SITE + "/a", "HTTPS://BLOG.EXAMPLE/b#comments", SITE + "/none",
            "https://other.example/a"]
    r = client.post("/api/v1/counts", json={"site": SITE, "urls": urls})
    assert r.json() == dict(zip(urls, (2, 1, 0, 0)))


def test_preview_renders_like_the_published_comment(client):
    r = client.post("/api/v1/preview", json={"text": "*hi* <script>alert(1)</script>"})
    assert r.json() == {"html": "<p><em>hi</em> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"}


def test_atom_feeds_list_published_comments_only(reader, sessions, client):
    reader.posted("visible one", author="Vee")
    configure(sessions, ip_per_minute=100, moderation="all")
    reader.posted("held back")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for path, params in (("thread", {"site": SITE, "url": ARTICLE}), ("site", {"site": SITE})):
        r = client.get(f"/api/v1/feeds/{path}", params=params)
        assert r.headers["content-type"].startswith("application/atom+xml")
        feed = ET.fromstring(r.content)
        contents = [e.findtext("a:content", namespaces=ns) for e in feed.findall("a:entry", ns)]
        assert contents == ["<p>visible one</p>\n"]


def test_openapi_documents_the_comment_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/threads", "/api/v1/comments", "/api/v1/comments/{comment_id}",
                 "/api/v1/comments/{comment_id}/like", "/api/v1/counts", "/api/v1/preview", "/api/v1/feeds/thread",
                 "/api/v1/feeds/site"):
        assert path in paths
    assert {"patch", "delete"} <= set(paths["/api/v1/comments/{comment_id}"])
    assert paths["/api/v1/comments"]["post"]["requestBody"]


BAD_BODIES = [
    b"not json", b"[]", b"{}", b'{"site": 1, "url": [], "text": {}}',
    b'{"site": "https://blog.example", "url": "https://blog.example/x", "text": "\\u0000\\ud800"}',
    b'{"site": "https://blog.example", "url": "https://blog.example/x", "text": "a", "parent": 99999999999999999999999}',
    b'{"site": "https://blog.example", "url": "https://blog.example/x", "text": "a", "parent": -1}',
    b'{"site": "https://blog.example", "url": "https://blog.example:99999/x", "text": "a"}',
    b'{"site": "https://blog.example", "url": "https://[::1/x", "text": "a"}',
    b'{"site": "%%%", "url": "https://blog.example/x", "text": "a"}',
    b'{"site": "https://blog.example", "url": "https://blog.example/x", "text": "' + b"x" * 20_000 + b'"}',
    b"", b'{"site": "https://blog.example", "url": "https://blog.example/x", "text": "\xff"}',
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_posts_get_a_clear_4xx(client, site, body):
    r = client.post("/api/v1/comments", content=body,
                    headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500 and "detail" in r.json()


@pytest.mark.parametrize("params", [
    {"sort": "random"}, {"limit": 0}, {"limit": 10_000}, {"cursor": "%%%"},
    {"cursor": "dC4xMg"}, {"root": -5}, {"url": "ftp://blog.example/x"},
])
def test_bad_thread_queries_get_a_clear_4xx(client, site, params):
    r = client.get("/api/v1/threads", params={"site": SITE, "url": ARTICLE, **params})
    assert 400 <= r.status_code < 500 and "detail" in r.json()


def test_nul_bytes_are_dropped(reader):
    # PostgreSQL refuses NUL in text; lone surrogates are refused earlier (BAD_BODIES).
    posted = reader.posted("null\x00byte")
    assert posted["comment"]["html"] == "<p>nullbyte</p>\n"


def test_the_same_flow_on_postgres(fresh_postgres, settings):
    from afterword.db.migrate import upgrade
    from afterword.db.session import create_db_engine, make_session_factory
    from afterword.sites import add_site
    from afterword.web.app import create_app

    engine = create_db_engine(fresh_postgres)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        add_site(session, SITE)
        session.commit()
    configure(sessions, ip_per_minute=100)
    with TestClient(create_app(settings, engine)) as client:
        reader = Reader(client)
        root = reader.posted("on postgres \x00")["comment"]["id"]
        reply = reader.posted("reply", parent=root)
        page = reader.page()
        assert [c["id"] for c in page["comments"]] == [root, reply["comment"]["id"]]
        r = client.delete(f"/api/v1/comments/{reply['comment']['id']}",
                          headers={"authorization": "Bearer " + reply["edit_token"]})
        assert r.status_code == 204
        assert client.post("/api/v1/counts", json={"site": SITE, "urls": [ARTICLE]}).json() == {
            ARTICLE: 1}
        for _ in range(2):
            assert client.post(f"/api/v1/comments/{root}/like").json() == {"likes": 1}
    engine.dispose()


def test_reply_notification_wish_is_recorded(reader, sessions):
    from afterword.db.models import ReplySubscription

    wants = reader.posted(email="ann@example.org", notify=True)["comment"]["id"]
    reader.posted(email="bob@example.org", notify=False)
    reader.posted(notify=True)  # no email: nothing to record
    with sessions() as session:
        subs = session.execute(select(ReplySubscription.comment_id,
                                      ReplySubscription.email)).all()
    assert subs == [(wants, "ann@example.org")]


def test_posted_comments_are_counted_under_their_route(reader):
    reader.posted()
    metrics = reader.client.get("/metrics").text
    assert ('afterword_http_requests_total{method="POST",route="/api/v1/comments",status="201"}'
            in metrics)
    assert "afterword_comment_commit_rows_count" in metrics
