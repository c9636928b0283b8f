"""Helpers for the admin tests: accounts, comments in any status, signing in."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy

from fastapi.testclient import TestClient

from afterword.comments import set_status
from afterword.db.models import Comment, Site, Thread
from afterword.moderation.accounts import create_user
from afterword.spam import Submission

PASSWORD = "correct horse battery"


def make_user(sessions, name: str, role: str = "moderator", site_ids=(), email: str = "") -> int:
    with sessions() as db:
        user = create_user(db, name, PASSWORD, role=role, email=email)
        user.site_ids = list(site_ids)
        db.commit()
        return user.id


def add_comment(sessions, site_id: int, text: str = "Nice article, thanks.", *,
                status: str = "pending", author: str = "Reader", email: str = "r@mail.example",
                ip: str = "203.0.113.0", probability: float = 0.1, url: str = "/post",
                parent_id: int | None = None) -> int:
    """A stored comment as the pipeline would leave it (with the submission it scored)."""
    with sessions() as db:
        site = db.get(Site, site_id)
        thread_url = site.url + url
        thread = db.query(Thread).filter_by(site_id=site_id, url=thread_url).first()
        if thread is None:
            thread = Thread(site_id=site_id, url=thread_url, title="A post")
            db.add(thread)
            db.flush()
        depth, root = 0, None
        if parent_id is not None:
            parent = db.get(Comment, parent_id)
            depth, root = parent.depth + 1, parent.root_id or parent.id
        submission = Submission(content=text, author=author, author_email=email, user_ip=ip,
                                permalink=thread_url, blog=site.url)
        comment = Comment(site_id=site_id, thread_id=thread.id, parent_id=parent_id,
                          root_id=root, depth=depth, status="pending", author=author,
                          email=email, text=text, html=f"<p>{text}</p>", ip=ip,
                          spam_probability=probability,
                          spam_reasons=[{"code": "x", "text": "a reason", "weight": 1.0}],
                          spam_submission=submission.to_dict(), created_at=datetime.now(UTC))
        db.add(comment)
        db.flush()
        set_status(db, comment, status)
        db.commit()
        return comment.id


def status_of(sessions, comment_id: int) -> str:
    with sessions() as db:
        return db.get(Comment, comment_id).status


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in and return the session's CSRF token."""
    r = client.post("/admin/login", data={"username": username, "password": password},
                    follow_redirects=True)
    assert r.status_code == 200, r.text
    return csrf_of(r.text)


class Inbox:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str):
        return [m for m in self.messages if m["To"] == address]
