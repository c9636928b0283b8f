"""Export and erasure of everything tied to an email: the signed link, both modes, the log."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from privacy.kit import add_check, add_comment, site_id
from sqlalchemy import inspect, select

from afterword.db.models import Comment, ErasureLog, Outbox, SpamCheck, Thread
from afterword.privacy.rights import LinkError, read_request, sign_request
from afterword.web.app import create_app

EMAIL = "ann@example.org"


@pytest.fixture
def mail_client(settings, db_engine):
    """The app with an SMTP server configured (nothing is sent: the outbox is inspected)."""
    app = create_app(settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": 2,
                                                 "smtp_tls": "none"}), db_engine)
    app.state.dispatcher.start = lambda: None   # keep the queued email for the test to read
    with TestClient(app) as client:
        yield client


def _link(sessions) -> str:
    with sessions() as session:
        body = session.scalars(select(Outbox.payload)).one()["body"]
    return re.search(r"http://testserver(/privacy/\S+)", body).group(1)


def test_signed_link_is_bound_to_site_and_time(settings):
    token = sign_request(settings.secret, 3, " Ann@Example.org ", "erase")
    asked = read_request(settings.secret, token, 3)
    assert (asked.email, asked.action) == (EMAIL, "erase")
    with pytest.raises(LinkError, match="not valid for this site"):
        read_request(settings.secret, token, 4)
    with pytest.raises(LinkError, match="not valid"):
        read_request(settings.secret, token[:-2] + "xx", 3)
    with pytest.raises(LinkError, match="not valid"):
        read_request(b"another secret", token, 3)
    with pytest.raises(LinkError, match="expired"):
        read_request(settings.secret, token, 3, max_age=-1)


def test_erasure_by_emailed_link_keeps_text_anonymously(mail_client, sessions, site):
    mine = add_comment(sessions, email=EMAIL)
    other = add_comment(sessions, email="bo@example.org", author="Bo")
    add_check(sessions, days_ago=1, email=EMAIL)
    sid = site_id(sessions)
    r = mail_client.post(f"/privacy/{sid}/request", data={"email": "ANN@example.org",
                                                          "action": "erase"})
    assert r.status_code == 200 and "Check your inbox" in r.text
    link = _link(sessions)
    page = mail_client.get(link)          # following the link shows, does not act
    assert "1 comment tied to ann@example.org" in page.text
    with sessions() as session:
        assert session.get(Comment, mine).author == "Ann"
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    done = mail_client.post(f"/privacy/{sid}/confirm", data={"token": token})
    assert "1 comment anonymised" in done.text
    with sessions() as session:
        c = session.get(Comment, mine)
        assert (c.author, c.email, c.website, c.ip, c.ip_hash, c.user_agent) == ("",) * 6
        assert c.text == "A remark about the ferry." and c.status == "published"
        assert c.spam_submission == {}
        assert session.get(Comment, other).author == "Bo"
        assert session.scalar(select(SpamCheck.id)) is None
        entry = session.scalars(select(ErasureLog)).one()
        logged = [str(getattr(entry, a.key)) for a in inspect(ErasureLog).column_attrs]
        assert (entry.via, entry.mode, entry.comments) == ("link", "keep-anonymous", 1)
        assert not any("ann" in value.lower() for value in logged)
    # the widget shows the words without a name
    page = mail_client.get("/api/v1/threads", params={"site": "https://blog.example",
                                                       "url": "https://blog.example/2026/ferry"})
    authors = [c["author"] for c in page.json()["comments"]]
    assert "" in authors and "Ann" not in authors


def test_delete_mode_and_thread_count(settings, sessions, site):
    from afterword.privacy.rights import erase_person
    from afterword.sites import get_site

    with_reply = add_comment(sessions, email=EMAIL)
    add_comment(sessions, parent=with_reply, email="bo@example.org", author="Bo")
    alone = add_comment(sessions, email=EMAIL)
    with sessions() as session:
        entry = erase_person(session, get_site(session, "https://blog.example"), EMAIL,
                             "delete", via="admin")
        assert entry.comments == 2
    with sessions() as session:
        placeholder = session.get(Comment, with_reply)
        assert placeholder.status == "deleted" and placeholder.text == "" == placeholder.html
        assert session.get(Comment, alone) is None
        assert session.scalar(select(Thread.comment_count)) == 1   # Bo's reply only


def test_export_by_link_is_json_of_everything_tied_to_the_address(mail_client, sessions, site):
    add_comment(sessions, email=EMAIL, text="First words.")
    add_comment(sessions, email="bo@example.org", author="Bo", text="Not Ann's.")
    add_check(sessions, days_ago=1, email=EMAIL)
    sid = site_id(sessions)
    mail_client.post(f"/privacy/{sid}/request", data={"email": EMAIL, "action": "export"})
    token = _link(sessions).split("token=", 1)[1]
    r = mail_client.post(f"/privacy/{sid}/confirm", data={"token": token})
    assert r.headers["content-type"].startswith("application/json")
    assert "attachment" in r.headers["content-disposition"]
    data = r.json()
    assert [c["text"] for c in data["comments"]] == ["First words."]
    assert data["comments"][0]["thread_url"] == "https://blog.example/2026/ferry"
    assert len(data["spam_checks"]) == 1


def test_requests_never_reveal_who_commented(mail_client, sessions, site):
    add_comment(sessions, email=EMAIL)
    sid = site_id(sessions)
    known = mail_client.post(f"/privacy/{sid}/request", data={"email": EMAIL, "action": "erase"})
    unknown = mail_client.post(f"/privacy/{sid}/request",
                               data={"email": "nobody@example.org", "action": "erase"})
    assert known.text.replace(EMAIL, "X") == unknown.text.replace("nobody@example.org", "X")
    with sessions() as session:
        assert [p["to"] for p in session.scalars(select(Outbox.payload))] == [EMAIL]


def test_bad_requests_are_answered_not_500(client, mail_client, sessions, site):
    sid = site_id(sessions)
    assert client.post(f"/privacy/{sid}/request",
                       data={"email": EMAIL, "action": "erase"}).status_code == 503  # no SMTP
    assert mail_client.post(f"/privacy/{sid}/request",
                            data={"email": "not-an-address"}).status_code == 400
    assert mail_client.post(f"/privacy/{sid}/request",
                            data={"email": EMAIL, "action": "drop-tables"}).status_code == 400
    assert mail_client.get(f"/privacy/{sid}/confirm", params={"token": "junk"}).status_code == 400
    assert mail_client.post(f"/privacy/{sid}/confirm", data={"token": "x" * 3000}).status_code \
        in (400, 422)
    assert mail_client.post("/privacy/999/confirm", data={"token": "x"}).status_code == 404


def test_admin_page_exports_and_erases_for_own_sites_only(client, sessions, site):
    from moderation.mod_kit import make_user, sign_in

    from afterword.sites import add_site

    mine = add_comment(sessions, email=EMAIL)
    sid = site_id(sessions)
    with sessions() as session:
        other_site = add_site(session, "https://news.example").id
        session.commit()
    make_user(sessions, "mia", site_ids=[sid])
    assert client.get("/admin/privacy", follow_redirects=False).status_code in (302, 303)
    csrf = sign_in(client, "mia")
    assert 'href="/admin/privacy"' in client.get("/admin/").text  # reachable from the menu
    page = client.get("/admin/privacy").text
    assert "blog.example" in page and "news.example" not in page
    exported = client.post("/admin/privacy", data={"csrf": csrf, "site_id": sid,
                                                   "email": EMAIL, "action": "export"})
    assert exported.json()["comments"][0]["email"] == EMAIL
    refused = client.post("/admin/privacy", data={"csrf": csrf, "site_id": other_site,
                                                  "email": EMAIL, "action": "erase"})
    assert refused.status_code == 403
    assert client.post("/admin/privacy", data={"site_id": sid, "email": EMAIL,
                                               "action": "erase"}).status_code >= 400  # no CSRF
    with sessions() as session:
        assert session.get(Comment, mine).email == EMAIL
    done = client.post("/admin/privacy", data={"csrf": csrf, "site_id": sid, "email": EMAIL,
                                               "action": "erase"})
    assert "1 comment(s) keep-anonymous" in done.text and "admin" in done.text
    with sessions() as session:
        assert session.get(Comment, mine).email == ""
