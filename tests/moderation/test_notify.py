"""Notifications through a real SMTP server (aiosmtpd) and a real HTTP webhook receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from afterword.config import Settings
from afterword.db.models import ModeratorPrefs, Outbox, ReplySubscription, Webhook
from afterword.moderation import notify
from afterword.moderation.notify import Dispatcher, subscribe_replies
from moderation.mod_kit import add_comment, make_user
from support import free_port


@pytest.fixture
def settings(tmp_path, smtp) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'afterword.db'}", data_dir=tmp_path,
                    secret_key="test-secret-key-0123456789", base_url="http://testserver",
                    log_format="text", smtp_host="127.0.0.1", smtp_port=smtp.port,
                    smtp_tls="none", mail_from="comments@blog.example")


@pytest.fixture
def dispatcher(sessions, settings) -> Dispatcher:
    return Dispatcher(sessions, settings)


class Receiver:
    """A webhook receiver on a real socket; with ``hang`` it takes each request and answers
    only once ``release`` is set (or never, within the test)."""

    def __init__(self, hang: bool = False) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()},
                                          body))
                if hang:
                    receiver.release.wait(30)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _outbox(sessions, kind: str | None = None) -> list[Outbox]:
    with sessions() as db:
        query = select(Outbox).order_by(Outbox.id)
        if kind:
            query = query.where(Outbox.kind == kind)
        return list(db.scalars(query))


def test_moderators_get_an_email_for_each_pending_comment(sessions, sites, dispatcher, smtp):
    blog, news = sites
    make_user(sessions, "ann", email="ann@team.example", site_ids=[blog])
    make_user(sessions, "ned", email="ned@team.example", site_ids=[news])
    make_user(sessions, "quiet", email="quiet@team.example")
    with sessions() as db:
        db.add(ModeratorPrefs(user_id=3, notify="off", digest_minutes=60))
        db.commit()
    add_comment(sessions, blog, "Please look at this", author="Pat")
    add_comment(sessions, blog, "Published straight away", status="published")
    dispatcher.run_once()
    (mail,) = smtp.to("ann@team.example")
    assert "awaiting moderation" in mail["Subject"] and "Please look at this" in mail.get_content()
    assert "/admin/queue?status=pending" in mail.get_content()
    assert not smtp.to("ned@team.example") and not smtp.to("quiet@team.example")
    dispatcher.run_once()  # nothing is sent twice
    assert len(smtp.to("ann@team.example")) == 1


def test_a_comment_another_worker_already_announced_is_not_announced_again(
        sessions, sites, dispatcher, smtp):
    """Workers claim new comments in one INSERT; when another worker got to one of them
    first, this one still announces the rest, and that one only once."""
    blog, _ = sites
    make_user(sessions, "ann", email="ann@team.example", site_ids=[blog])
    first, second, third = (add_comment(sessions, blog, f"Question {n}") for n in (1, 2, 3))
    with sessions() as db:
        assert notify._claim_notice(db, second, "created")  # the other worker's claim
        db.commit()
    dispatcher.run_once()
    mails = smtp.to("ann@team.example")
    assert sorted(m.get_content().split("Question ")[1][0] for m in mails) == ["1", "3"]
    dispatcher.run_once()
    assert len(smtp.to("ann@team.example")) == 2


def test_digest_batches_pending_comments(sessions, sites, dispatcher, smtp):
    make_user(sessions, "dee", email="dee@team.example")
    with sessions() as db:
        db.add(ModeratorPrefs(user_id=1, notify="digest", digest_minutes=30,
                              last_digest_at=datetime.now(UTC) - timedelta(hours=1)))
        db.commit()
    for i in range(3):
        add_comment(sessions, sites[0], f"pending number {i}")
    dispatcher.run_once()
    dispatcher.run_once()
    (mail,) = smtp.to("dee@team.example")
    assert "3 comment(s)" in mail["Subject"]
    assert all(f"pending number {i}" in mail.get_content() for i in range(3))


def test_failed_smtp_server_loses_nothing(sessions, sites, settings, smtp):
    make_user(sessions, "ann", email="ann@team.example")
    add_comment(sessions, sites[0], "held comment")
    dead_port = free_port()  # nothing listens here
    broken = Dispatcher(sessions, settings.model_copy(update={"smtp_port": dead_port}))
    broken.run_once()
    (row,) = _outbox(sessions, "email")
    assert row.status == "queued" and row.attempts == 1 and "failed at connect" in row.last_error
    assert row.next_attempt_at.replace(tzinfo=UTC) > datetime.now(UTC)
    # Later (the backoff has passed) the real server is back: the email goes out.
    with sessions() as db:
        db.get(Outbox, row.id).next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
        db.commit()
    Dispatcher(sessions, settings).run_once()
    assert _outbox(sessions, "email")[0].status == "sent"
    assert len(smtp.to("ann@team.example")) == 1


def test_backoff_grows_and_is_capped():
    delays = [notify.backoff(n).total_seconds() for n in range(1, 15)]
    assert delays[:3] == [30, 60, 120] and delays == sorted(delays)
    assert delays[-1] == 6 * 3600


def test_reply_email_only_after_approval_with_one_click_unsubscribe(
        client, signed_in, sessions, sites, smtp, dispatcher):
    client, token = signed_in
    client.app.state.dispatcher.stop()  # this test runs the rounds itself
    parent = add_comment(sessions, sites[0], "My question", email="asker@mail.example",
                         status="published")
    with sessions() as db:
        subscribe_replies(db, parent, "asker@mail.example")
        db.commit()
    reply = add_comment(sessions, sites[0], "Here is an answer", author="Helper",
                        email="helper@mail.example", parent_id=parent)
    dispatcher.run_once()
    assert not smtp.to("asker@mail.example")  # pending: not yet
    client.post(f"/admin/comments/{reply}/approve", data={"csrf": token})
    dispatcher.run_once()
    (mail,) = smtp.to("asker@mail.example")
    assert "Helper replied" in mail["Subject"] and "Here is an answer" in mail.get_content()
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip("<>")
    target = urlsplit(link).path + "?" + urlsplit(link).query
    # Opening the link (a mail scanner does) only asks; nothing changes yet.
    page = client.get(target)
    assert page.status_code == 200 and "Stop reply emails?" in page.text
    with sessions() as db:
        assert db.get(ReplySubscription, parent) is not None
    # The mail client's one-click POST (RFC 8058) does it, without a session or CSRF token.
    done = client.post(target, content="List-Unsubscribe=One-Click",
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and "Unsubscribed" in done.text
    with sessions() as db:
        assert db.get(ReplySubscription, parent) is None
    second = add_comment(sessions, sites[0], "Another answer", parent_id=parent)
    client.post(f"/admin/comments/{second}/approve", data={"csrf": token})
    dispatcher.run_once()
    assert len(smtp.to("asker@mail.example")) == 1
    forged = "/notify/unsubscribe?t=" + link.split("t=")[1][:-3] + "abc"
    assert client.get(forged).status_code == 400 and "damaged" in client.get(forged).text
    assert client.post(forged).status_code == 400


def _add_hook(sessions, site_id, url, events=notify.EVENTS) -> str:
    with sessions() as db:
        db.add(Webhook(site_id=site_id, url=url, secret="s3cret", events=list(events)))
        db.commit()
    return "s3cret"


def test_webhooks_are_signed_and_cover_the_comment_lifecycle(
        client, signed_in, sessions, sites, receiver, dispatcher):
    client, token = signed_in
    client.app.state.dispatcher.stop()  # this test runs the rounds itself
    secret = _add_hook(sessions, sites[0], receiver.url)
    cid = add_comment(sessions, sites[0], "Hook me", email="private@mail.example")
    spam = add_comment(sessions, sites[0], "Buy stuff", status="spam")
    dispatcher.run_once(wait_webhooks=True)
    client.post(f"/admin/comments/{cid}/approve", data={"csrf": token})
    dispatcher.run_once(wait_webhooks=True)
    events = [(h["x-afterword-event"], json.loads(b)["comment"]["id"])
              for h, b in receiver.requests]
    assert sorted(events) == sorted([("comment.created", cid), ("comment.created", spam),
                                     ("comment.spam", spam), ("comment.approved", cid)])
    for headers, body in receiver.requests:
        stamp, signature = (p.split("=", 1)[1] for p in headers["x-afterword-signature"].split(","))
        expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
        assert hmac.compare_digest(signature, expected.hexdigest())
        assert b"private@mail.example" not in body  # no email addresses leave the server


def _wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_hanging_receiver_blocks_nothing(monkeypatch, sessions, sites, dispatcher, smtp):
    """While a receiver sits on a delivery, the round ends and the email goes out."""
    monkeypatch.setattr(notify, "WEBHOOK_TIMEOUT", 20.0)
    hanging = Receiver(hang=True)
    try:
        _add_hook(sessions, sites[0], hanging.url)
        make_user(sessions, "ann", email="ann@team.example")
        add_comment(sessions, sites[0], "while the hook hangs")
        dispatcher.run_once()
        # The receiver has not answered (it cannot before `release`), yet the email is out.
        assert len(smtp.to("ann@team.example")) == 1
        assert _outbox(sessions, "webhook")[0].attempts == 0
        hanging.release.set()
        _wait_for(lambda: _outbox(sessions, "webhook")[0].status == "sent")
        assert _outbox(sessions, "webhook")[0].status == "sent"
    finally:
        hanging.close()


def test_receiver_that_never_answers_times_out_and_is_retried(monkeypatch, sessions, sites,
                                                              dispatcher):
    monkeypatch.setattr(notify, "WEBHOOK_TIMEOUT", 0.5)
    hanging = Receiver(hang=True)
    try:
        _add_hook(sessions, sites[0], hanging.url)
        add_comment(sessions, sites[0])
        dispatcher.run_once(wait_webhooks=True)
        (row,) = _outbox(sessions, "webhook")
        assert row.status == "queued" and row.attempts == 1 and "timed out" in row.last_error
        assert row.next_attempt_at.replace(tzinfo=UTC) > datetime.now(UTC)
    finally:
        hanging.close()


def test_unreachable_receiver_is_retried_later(sessions, sites, dispatcher):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _add_hook(sessions, sites[0], f"http://127.0.0.1:{port}/gone", events=["comment.created"])
    add_comment(sessions, sites[0])
    dispatcher.run_once(wait_webhooks=True)
    (row,) = _outbox(sessions, "webhook")
    assert row.status == "queued" and row.attempts == 1 and "unreachable" in row.last_error


def test_mail_test_command(smtp, tmp_path):
    from typer.testing import CliRunner

    from afterword.cli import app

    env = {"AFTERWORD_SMTP_HOST": "127.0.0.1", "AFTERWORD_SMTP_PORT": str(smtp.port),
           "AFTERWORD_SMTP_TLS": "none", "AFTERWORD_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["mail", "test", "me@team.example"], env=env)
    assert result.exit_code == 0, result.output
    assert smtp.to("me@team.example")[0]["Subject"] == "Afterword test email"


def test_queued_learning_is_delivered_by_the_dispatcher(client, signed_in, sessions, sites):
    from afterword.spam import Submission
    from afterword.web.deps import spam_engine_for

    client, token = signed_in
    text = "Limited offer on replica handbags, click the link for the discount"
    ids = [add_comment(sessions, sites[0], text, author=f"B{i}", email=f"b{i}@x.example")
           for i in range(60)]
    engine = spam_engine_for(client.app)
    probe = Submission(content=text, author="Q", author_email="q@q.example")
    before = engine.check(str(sites[0]), probe, observe=False).probability
    client.post("/admin/bulk", data={"csrf": token, "action": "spam",
                                     "ids": [str(i) for i in ids]})
    (job,) = _outbox(sessions, "learn")
    client.app.state.dispatcher.run_once()  # or its own round, whichever claims it first
    _wait_for(lambda: _outbox(sessions, "learn")[0].status == "sent")
    assert _outbox(sessions, "learn")[0].status == "sent"
    assert engine.check(str(sites[0]), probe, observe=False).probability > before
    assert job.payload["reporter"] == "olivia"


def test_without_smtp_server_no_email_is_queued(sessions, sites, settings):
    make_user(sessions, "ann", email="ann@team.example")
    add_comment(sessions, sites[0])
    Dispatcher(sessions, settings.model_copy(update={"smtp_host": None})).run_once()
    assert _outbox(sessions, "email") == []


def test_webhooks_and_notification_choice_are_managed_in_the_admin(signed_in, sessions, sites):
    client, token = signed_in
    blog = sites[0]
    r = client.post(f"/admin/sites/{blog}/webhooks", data={
        "csrf": token, "url": "https://hooks.example/in", "events": ["comment.spam", "bogus"]},
        follow_redirects=True)
    assert "https://hooks.example/in" in r.text
    with sessions() as db:
        hook = db.scalar(select(Webhook))
        assert hook.events == ["comment.spam"] and len(hook.secret) == 40
    r = client.post(f"/admin/sites/{blog}/webhooks", data={"csrf": token, "url": "ftp://x"})
    assert r.status_code == 400 and "must start with http" in r.text
    client.post(f"/admin/sites/{blog}/webhooks/{hook.id}/delete", data={"csrf": token})
    with sessions() as db:
        assert db.scalar(select(Webhook)) is None
    client.post("/admin/account/notifications", data={"csrf": token, "notify": "digest",
                                                      "digest_minutes": "15"})
    with sessions() as db:
        prefs = db.scalar(select(ModeratorPrefs))
        assert (prefs.notify, prefs.digest_minutes) == ("digest", 15)
