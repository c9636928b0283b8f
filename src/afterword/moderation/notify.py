"""Notifications: emails to moderators and commenters, webhooks to a site's systems.

Nothing is sent on the request path. Events become rows in the ``outbox`` table in the same
transaction as the change that caused them; a :class:`Dispatcher` thread per worker delivers
them, retrying with exponential backoff, so an SMTP server that is down or a webhook
receiver that hangs costs a retry later, never a lost notification or a slow page.

New comments are found by scanning (``comment_notices`` marks those already handled), so the
comment pipeline does not have to call in here and a crash between its commit and ours loses
nothing either.
"""

from __future__ import annotations

import email.policy
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from afterword.config import Settings
from afterword.db.models import (
    Comment,
    CommentNotice,
    ModeratorPrefs,
    Outbox,
    ReplySubscription,
    Site,
    Thread,
    User,
    Webhook,
    utcnow,
)
from afterword.errors import AfterwordError
from afterword.moderation.auth import aware
from afterword.periodic import Periodic

log = logging.getLogger("afterword.notify")

EVENTS = ("comment.created", "comment.approved", "comment.spam")
MAX_ATTEMPTS = 12
WEBHOOK_TIMEOUT = 5.0
SCAN_LOOKBACK_IDS = 1000   # comments committed out of id order are still found


class MailError(AfterwordError):
    """The SMTP server could not be used; the message names the step that failed."""


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 6 h: a receiver down for a day is retried ~10 times."""
    return timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 6 * 3600))


# -- signed links --------------------------------------------------------------------------

def _unsubscribe_signer(secret: bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="afterword-unsubscribe")


def unsubscribe_token(secret: bytes, comment_id: int) -> str:
    return _unsubscribe_signer(secret).dumps(comment_id)


def unsubscribe_target(secret: bytes, token: str) -> int | None:
    """The comment whose reply emails ``token`` may stop, or None for a bad token."""
    try:
        comment_id = _unsubscribe_signer(secret).loads(token)
    except BadSignature:
        return None
    return comment_id if isinstance(comment_id, int) else None


def unsubscribe(db: Session, secret: bytes, token: str) -> bool:
    """Stop reply emails for the comment named in ``token``; False for a bad token."""
    comment_id = unsubscribe_target(secret, token)
    if comment_id is None:
        return False
    subscription = db.get(ReplySubscription, comment_id)
    if subscription is not None:
        db.delete(subscription)
        db.commit()
    return True


def subscribe_replies(db: Session, comment_id: int, email: str) -> None:
    """The commenter ticked "email me replies" when posting (call before the commit)."""
    if email and db.get(ReplySubscription, comment_id) is None:
        db.add(ReplySubscription(comment_id=comment_id, email=email))


# -- events into the outbox ------------------------------------------------------------------

def _comment_payload(comment: Comment, thread_url: str) -> dict[str, Any]:
    # What a receiver needs to act; never the commenter's email address or IP.
    return {"id": comment.id, "site_id": comment.site_id, "thread": thread_url,
            "parent_id": comment.parent_id, "status": comment.status, "author": comment.author,
            "website": comment.website, "text": comment.text,
            "spam_probability": comment.spam_probability,
            "created_at": aware(comment.created_at).isoformat()}


def _webhooks(db: Session, site_id: int, event: str) -> list[Webhook]:
    return [h for h in db.scalars(select(Webhook).where(Webhook.site_id == site_id))
            if event in (h.events or ())]


def queue_webhooks(db: Session, comments: Iterable[Comment], event: str) -> None:
    comments = list(comments)
    if not comments:
        return
    hooks = {site_id: _webhooks(db, site_id, event) for site_id in {c.site_id for c in comments}}
    if not any(hooks.values()):
        return
    urls = dict(db.execute(select(Thread.id, Thread.url).where(
        Thread.id.in_({c.thread_id for c in comments}))).all())
    for comment in comments:
        for hook in hooks[comment.site_id]:
            db.add(Outbox(kind="webhook", site_id=comment.site_id, payload={
                "webhook_id": hook.id, "event": event,
                "comment": _comment_payload(comment, urls.get(comment.thread_id, ""))}))


def _claim_notice(db: Session, comment_id: int, event: str) -> bool:
    """Mark (comment, event) as handled; False when another worker already did."""
    try:
        with db.begin_nested():
            db.add(CommentNotice(comment_id=comment_id, event=event))
    except IntegrityError:
        return False
    return True


def _claim_notices(db: Session, comment_ids: list[int], event: str) -> set[int]:
    """:func:`_claim_notice` for many comments: one savepoint and one INSERT in the usual case
    where no other worker claimed any of them; one by one otherwise."""
    if not comment_ids:
        return set()
    try:
        with db.begin_nested():
            db.execute(insert(CommentNotice), [{"comment_id": i, "event": event}
                                               for i in comment_ids])
    except IntegrityError:
        return {i for i in comment_ids if _claim_notice(db, i, event)}
    return set(comment_ids)


def on_published(db: Session, settings: Settings, comments: Iterable[Comment]) -> None:
    """A comment became visible: tell the commenter it answers (once), if they asked."""
    comments = [c for c in comments if c.parent_id is not None and c.status == "published"]
    if not comments:
        return
    subs = dict(db.execute(select(ReplySubscription.comment_id, ReplySubscription.email).where(
        ReplySubscription.comment_id.in_({c.parent_id for c in comments}))).all())
    for comment in comments:
        email = subs.get(comment.parent_id)
        if not email or email.lower() == (comment.email or "").lower():
            continue
        if not _claim_notice(db, comment.id, "reply"):
            continue
        thread_url = db.scalar(select(Thread.url).where(Thread.id == comment.thread_id)) or ""
        link = (f"{settings.base_url.rstrip('/')}/notify/unsubscribe?t="
                f"{unsubscribe_token(settings.secret, comment.parent_id)}")
        _email(db, settings, email, f"{comment.author or 'Someone'} replied to your comment",
               f"{comment.author or 'Someone'} replied to your comment on {thread_url}:\n\n"
               f"{_excerpt(comment.text, 1500)}\n\nRead it: {thread_url}\n\n"
               f"You get this because you asked to be told about replies.\n"
               f"Stop these emails (one click): {link}\n",
               site_id=comment.site_id, unsubscribe=link)


def _email(db: Session, settings: Settings, to: str, subject: str, body: str, *,
           site_id: int | None = None, unsubscribe: str = "") -> None:
    """Queue an email; without an SMTP server configured there is no email to queue."""
    if not settings.smtp_host:
        return
    payload = {"to": to, "subject": subject, "body": body}
    if unsubscribe:
        payload["unsubscribe"] = unsubscribe
    db.add(Outbox(kind="email", site_id=site_id, payload=payload))


def _excerpt(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _moderators(db: Session, site_id: int, mode: str) -> list[User]:
    rows = db.execute(
        select(User, ModeratorPrefs.notify).outerjoin(ModeratorPrefs,
                                                      ModeratorPrefs.user_id == User.id)
        .where(User.email != "")).all()
    return [user for user, notify in rows if (notify or "each") == mode
            and (user.role == "owner" or not user.site_ids or site_id in user.site_ids)]


def scan_new_comments(db: Session, settings: Settings, limit: int = 500) -> int:
    """Queue the notifications of comments not seen yet; returns how many were handled."""
    last = db.scalar(select(func.max(CommentNotice.comment_id))
                     .where(CommentNotice.event == "created"))
    if last is None:  # first run: only recent comments, not a flood of old ones
        start = (db.scalar(select(func.max(Comment.id))) or 0) - SCAN_LOOKBACK_IDS
        since = utcnow() - timedelta(days=1)
    else:
        start, since = last - SCAN_LOOKBACK_IDS, None
    seen = select(CommentNotice.comment_id).where(CommentNotice.event == "created",
                                                  CommentNotice.comment_id > start)
    query = (select(Comment).where(Comment.id > start, Comment.id.not_in(seen))
             .order_by(Comment.id).limit(limit))
    if since is not None:
        query = query.where(Comment.created_at >= since)
    comments = db.scalars(query).all()
    claimed = _claim_notices(db, [c.id for c in comments], "created")
    fresh = [c for c in comments if c.id in claimed and c.status != "deleted"]
    queue_webhooks(db, fresh, "comment.created")
    queue_webhooks(db, [c for c in fresh if c.status == "spam"], "comment.spam")
    for comment in fresh:
        if comment.status == "pending":
            _tell_moderators(db, settings, comment)
    on_published(db, settings, [c for c in fresh if c.status == "published"])
    db.commit()
    return len(claimed)


def _tell_moderators(db: Session, settings: Settings, comment: Comment) -> None:
    site = db.get(Site, comment.site_id)
    thread_url = db.scalar(select(Thread.url).where(Thread.id == comment.thread_id)) or ""
    queue = f"{settings.base_url.rstrip('/')}/admin/queue?status=pending&site={comment.site_id}"
    for user in _moderators(db, comment.site_id, "each"):
        _email(db, settings, user.email,
               f"[{site.name if site else 'Afterword'}] New comment awaiting moderation",
               f"{comment.author or 'Anonymous'} wrote on {thread_url}:\n\n"
               f"{_excerpt(comment.text, 1500)}\n\nModerate: {queue}\n"
               f"(Change how you are told about new comments on your account page.)\n",
               site_id=comment.site_id)


def send_digests(db: Session, settings: Settings) -> int:
    """One email per digest moderator whose interval has passed and who has pending comments."""
    sent = 0
    now = utcnow()
    if not settings.smtp_host:
        return sent
    for prefs, user in db.execute(select(ModeratorPrefs, User).join(
            User, User.id == ModeratorPrefs.user_id)
            .where(ModeratorPrefs.notify == "digest", User.email != "")).all():
        last = aware(prefs.last_digest_at) if prefs.last_digest_at else now - timedelta(days=1)
        if now - last < timedelta(minutes=max(1, prefs.digest_minutes)):
            continue
        query = select(Comment.site_id, Comment.author, Comment.text).where(
            Comment.status == "pending", Comment.created_at > last)
        if user.role != "owner" and user.site_ids:
            query = query.where(Comment.site_id.in_(user.site_ids))
        rows = db.execute(query.order_by(Comment.id).limit(51)).all()
        # Compare-and-set, so two workers never send the same digest.
        claimed = db.execute(update(ModeratorPrefs).where(
            ModeratorPrefs.user_id == prefs.user_id,
            ModeratorPrefs.last_digest_at.is_(None) if prefs.last_digest_at is None
            else ModeratorPrefs.last_digest_at == prefs.last_digest_at,
        ).values(last_digest_at=now)).rowcount
        if not claimed or not rows:
            db.commit()
            continue
        lines = [f"- {r.author or 'Anonymous'}: {_excerpt(' '.join(r.text.split()), 140)}"
                 for r in rows[:50]]
        more = "\n…and more." if len(rows) > 50 else ""
        _email(db, settings, user.email,
               f"{min(len(rows), 50)}{'+' if more else ''} comment(s) awaiting moderation",
               "New comments awaiting moderation:\n\n" + "\n".join(lines) + more +
               f"\n\nModerate: {settings.base_url.rstrip('/')}/admin/queue?status=pending\n")
        db.commit()
        sent += 1
    return sent


# -- delivery --------------------------------------------------------------------------------

def smtp_send(settings: Settings, to: str, subject: str, body: str,
              headers: dict[str, str] | None = None) -> None:
    """Send one email now through the configured server; raises :class:`MailError`."""
    if not settings.smtp_host:
        raise MailError("no SMTP server configured (set smtp_host)")
    # Long List-Unsubscribe URLs must stay one <...> token, not become encoded words.
    message = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    context = ssl.create_default_context()
    step = "connect"
    try:
        if settings.smtp_tls == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                                    timeout=20, context=context)
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20)
        with client:
            if settings.smtp_tls == "starttls":
                step = "STARTTLS"
                client.starttls(context=context)
            if settings.smtp_username:
                step = "login"
                password = settings.smtp_password.get_secret_value() if (
                    settings.smtp_password) else ""
                client.login(settings.smtp_username, password)
            step = "send"
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP {settings.smtp_host}:{settings.smtp_port} failed at {step}: "
                        f"{exc}") from None


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """``X-Afterword-Signature`` value: HMAC-SHA256 of ``"<timestamp>.<body>"``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},sha256={digest.hexdigest()}"


def _post_webhook(hook: Webhook, row_id: int, event: str, comment: dict[str, Any]) -> None:
    body = json.dumps({"event": event, "delivery": row_id, "comment": comment},
                      separators=(",", ":")).encode()
    request = urllib.request.Request(hook.url, data=body, method="POST", headers={
        "content-type": "application/json", "user-agent": "Afterword-Webhook/1",
        "x-afterword-event": event, "x-afterword-delivery": str(row_id),
        "x-afterword-signature": sign_webhook(hook.secret, int(time.time()), body)})
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as answer:
            answer.read(1024)
    except urllib.error.HTTPError as exc:
        raise MailError(f"receiver answered HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise MailError(f"receiver unreachable: {exc}") from None


class Dispatcher(Periodic):
    """Delivers the outbox: one loop thread, emails in order, webhooks on a small pool.

    Each row is claimed by moving its lease forward with a conditional UPDATE, so several
    workers (or machines) can run dispatchers on one database without sending twice.
    """

    name = "afterword-dispatcher"
    failure = "notification round failed; retrying next round"

    def __init__(self, sessions: sessionmaker[Session], settings: Settings,
                 interval: float = 2.0, learn=None) -> None:
        super().__init__(interval)
        self.sessions = sessions
        self.settings = settings
        self.learn = learn
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="afterword-webhook")

    def stop(self) -> None:
        super().stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def run_once(self, wait_webhooks: bool = False) -> None:
        with self.sessions() as db:
            scan_new_comments(db, self.settings)
            send_digests(db, self.settings)
        futures = []
        for row_id, kind in self._claim_due():
            if self.stopping:  # shutting down: the claim lapses and a later round sends
                break
            if kind == "webhook":
                futures.append(self._pool.submit(self._deliver, row_id))
            else:
                self._deliver(row_id)
        if wait_webhooks:
            for future in futures:
                future.result()

    def _claim_due(self, limit: int = 50) -> list[tuple[int, str]]:
        now = utcnow()
        claimed = []
        with self.sessions() as db:
            due = db.execute(select(Outbox.id, Outbox.kind).where(
                Outbox.status == "queued", Outbox.next_attempt_at <= now,
                or_(Outbox.lease_until.is_(None), Outbox.lease_until < now))
                .order_by(Outbox.id).limit(limit)).all()
            for row_id, kind in due:
                got = db.execute(update(Outbox).where(
                    Outbox.id == row_id, Outbox.status == "queued",
                    or_(Outbox.lease_until.is_(None), Outbox.lease_until < now))
                    .values(lease_until=now + timedelta(seconds=120))).rowcount
                if got:
                    claimed.append((row_id, kind))
            db.commit()
        return claimed

    def _deliver(self, row_id: int) -> None:
        with self.sessions() as db:
            row = db.get(Outbox, row_id)
            if row is None or row.status != "queued":
                return
            try:
                self._send(db, row)
            except Exception as exc:  # noqa: BLE001 - any failure is a retry, recorded
                row.attempts += 1
                row.last_error = str(exc)[:1000]
                row.lease_until = None
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                    log.error("giving up on %s %s after %d attempts: %s", row.kind, row.id,
                              row.attempts, exc)
                else:
                    row.next_attempt_at = utcnow() + backoff(row.attempts)
                    log.warning("%s %s failed (attempt %d), retrying: %s", row.kind, row.id,
                                row.attempts, exc)
            else:
                row.status, row.sent_at, row.lease_until = "sent", utcnow(), None
                row.attempts += 1
            db.commit()

    def _send(self, db: Session, row: Outbox) -> None:
        payload = row.payload
        if row.kind == "email":
            headers = {}
            if payload.get("unsubscribe"):
                headers = {"List-Unsubscribe": f"<{payload['unsubscribe']}>",
                           "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
            smtp_send(self.settings, payload["to"], payload["subject"], payload["body"], headers)
        elif row.kind == "webhook":
            hook = db.get(Webhook, payload["webhook_id"])
            if hook is None:  # the webhook was removed meanwhile: nothing to deliver
                return
            _post_webhook(hook, row.id, payload["event"], payload["comment"])
        elif row.kind == "learn":
            if self.learn is None:
                raise RuntimeError("no spam engine to learn with")
            self.learn(db, payload)
        else:
            raise RuntimeError(f"unknown outbox kind {row.kind!r}")
