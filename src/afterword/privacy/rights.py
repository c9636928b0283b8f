"""A person's rights over what they wrote: export and erasure of everything tied to an email.

The person proves control of the address by following a signed link sent to it (or an
admin acts for them). Erasure follows ``Settings.erasure_mode`` and leaves a log line that
says how much was erased and how, never whose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session, aliased

from afterword.comments import set_status
from afterword.db.models import (
    Comment,
    CommentEdit,
    ErasureLog,
    Outbox,
    ReplySubscription,
    Site,
    SpamCheck,
    Thread,
)
from afterword.errors import AfterwordError
from afterword.privacy.retention import BULK

Action = Literal["export", "erase"]
ACTIONS = ("export", "erase")
LINK_MAX_AGE = 48 * 3600


class LinkError(AfterwordError):
    """A confirmation link that is forged, for another site, or too old."""


@dataclass(frozen=True, slots=True)
class Request:
    site_id: int
    email: str
    action: Action


def _signer(secret: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="afterword-privacy-request")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def sign_request(secret: bytes, site_id: int, email: str, action: Action) -> str:
    return _signer(secret).dumps([site_id, normalise_email(email), action])


def read_request(secret: bytes, token: str, site_id: int,
                 max_age: int = LINK_MAX_AGE) -> Request:
    try:
        got_site, email, action = _signer(secret).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError("this link has expired; ask for a new one") from None
    except (BadSignature, ValueError, TypeError):
        raise LinkError("this link is not valid; ask for a new one") from None
    if got_site != site_id or action not in ACTIONS:
        raise LinkError("this link is not valid for this site")
    return Request(site_id, email, action)


def _comments_of(site_id: int, email: str):
    return select(Comment).where(Comment.site_id == site_id,
                                 func.lower(Comment.email) == normalise_email(email))


def _checks_of(site_id: int, email: str):
    return SpamCheck.site_id == site_id, func.lower(
        SpamCheck.submission["author_email"].as_string()) == normalise_email(email)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def count_comments(session: Session, site_id: int, email: str) -> int:
    return session.scalar(select(func.count()).select_from(
        _comments_of(site_id, email).subquery())) or 0


def export_person(session: Session, site: Site, email: str) -> dict[str, Any]:
    """Everything this site holds that is tied to ``email``, as JSON-ready data."""
    comments = []
    rows = session.execute(
        _comments_of(site.id, email).add_columns(Thread.url, Thread.title)
        .join(Thread, Thread.id == Comment.thread_id).order_by(Comment.id)).all()
    for comment, url, title in rows:
        comments.append({
            "id": comment.id, "thread_url": url, "thread_title": title,
            "parent": comment.parent_id, "status": comment.status,
            "author": comment.author, "email": comment.email, "website": comment.website,
            "text": comment.text, "ip_anonymised": comment.ip,
            "user_agent": comment.user_agent, "created": _iso(comment.created_at),
            "edited": _iso(comment.edited_at), "likes": comment.likes,
        })
    checks = [{"guid": c.guid, "created": _iso(c.created_at), "is_spam": c.is_spam,
               "submission": c.submission}
              for c in session.scalars(select(SpamCheck).where(*_checks_of(site.id, email)))]
    subscriptions = [{"comment": s.comment_id, "created": _iso(s.created_at)}
                     for s in session.scalars(select(ReplySubscription).join(
                         Comment, Comment.id == ReplySubscription.comment_id).where(
                         Comment.site_id == site.id,
                         func.lower(ReplySubscription.email) == normalise_email(email)))]
    return {"site": site.url, "email": normalise_email(email),
            "exported_at": datetime.now(UTC).isoformat(), "comments": comments,
            "spam_checks": checks, "reply_subscriptions": subscriptions}


def erase_person(session: Session, site: Site, email: str, mode: str, via: str) -> ErasureLog:
    """Erase (``delete``) or anonymise (``keep-anonymous``) everything tied to ``email``; commit.

    Anonymised comments keep their words and place in the thread, with no name, address,
    website, IP or request metadata left to tie them to anyone.
    """
    address = normalise_email(email)
    child = aliased(Comment)
    comments = 0
    for comment in session.scalars(_comments_of(site.id, address)).all():
        comments += 1
        comment.author = comment.email = comment.website = ""
        comment.ip = comment.ip_hash = comment.user_agent = ""
        comment.spam_submission = {}
        if mode != "delete":
            continue
        session.execute(delete(CommentEdit).where(CommentEdit.comment_id == comment.id),
                        execution_options=BULK)
        has_replies = session.scalar(select(exists().where(child.parent_id == comment.id)))
        set_status(session, comment, "deleted")
        comment.text = comment.html = ""
        if not has_replies:
            session.delete(comment)
    records = session.execute(delete(SpamCheck).where(*_checks_of(site.id, address)),
                              execution_options=BULK).rowcount
    subscribed = session.scalars(select(ReplySubscription).join(
        Comment, Comment.id == ReplySubscription.comment_id).where(
        Comment.site_id == site.id, func.lower(ReplySubscription.email) == address)).all()
    for row in subscribed:
        session.delete(row)
    records += len(subscribed)
    records += session.execute(delete(Outbox).where(
        Outbox.site_id == site.id,
        func.lower(Outbox.payload["to"].as_string()) == address),
        execution_options=BULK).rowcount
    entry = ErasureLog(site_id=site.id, via=via, mode=mode, comments=comments, records=records)
    session.add(entry)
    session.commit()
    return entry
