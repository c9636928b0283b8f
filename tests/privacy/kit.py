"""Helpers for the privacy tests: comments and check records written as the app writes them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from afterword.db.models import Comment, Site, SpamCheck, Thread

SITE = "https://blog.example"
ARTICLE = f"{SITE}/2026/ferry"


def site_id(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(Site.id).where(Site.url == SITE))


def add_comment(sessions, *, days_ago: float = 0, status: str = "published",
                email: str = "ann@example.org", author: str = "Ann", parent: int | None = None,
                text: str = "A remark about the ferry.", user_agent: str = "Firefox/140") -> int:
    with sessions() as session:
        sid = session.scalar(select(Site.id).where(Site.url == SITE))
        thread = session.scalar(select(Thread).where(Thread.url == ARTICLE))
        if thread is None:
            thread = Thread(site_id=sid, url=ARTICLE, title="Ferry")
            session.add(thread)
            session.flush()
        created = datetime.now(UTC) - timedelta(days=days_ago)
        comment = Comment(
            site_id=sid, thread_id=thread.id, parent_id=parent, root_id=parent,
            depth=1 if parent else 0, status=status, author=author, email=email,
            website="https://ann.example", text=text, html=f"<p>{text}</p>", ip="203.0.113.0",
            ip_hash="ab" * 16, user_agent=user_agent, created_at=created,
            spam_submission={"content": text, "author_email": email, "user_agent": user_agent,
                             "referrer": "https://news.example/", "headers": {"dnt": "1"}})
        session.add(comment)
        if status == "published":
            thread.comment_count += 1
        session.commit()
        return comment.id


def add_check(sessions, *, days_ago: float, email: str = "ann@example.org") -> str:
    guid = str(uuid.uuid4())
    with sessions() as session:
        session.add(SpamCheck(
            guid=guid, site_id=session.scalar(select(Site.id).where(Site.url == SITE)),
            created_at=datetime.now(UTC) - timedelta(days=days_ago), is_spam=False,
            probability=0.1, submission={"content": "hi", "author_email": email,
                                         "user_agent": "curl/8", "headers": {"x-a": "b"}},
            content_key=guid.replace("-", "")))
        session.commit()
    return guid
