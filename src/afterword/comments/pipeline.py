"""What happens to a comment between the reader's click and the 201.

Validate -> render token -> rate limits -> the moderators' bans and word lists -> spam engine
(honeypot and time-to-submit are evidence it weighs) -> the site's moderation policy ->
durable write (group commit). Both doors that accept comments (the JSON API through
:meth:`CommentService.post`, the no-JavaScript form through :meth:`CommentService.submit`)
run the same steps, so neither can skip one.
Notifications are not sent from here: the moderation dispatcher finds new comments itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, exists, insert, select, text
from sqlalchemy import Engine as SqlEngine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from afterword.comments import store
from afterword.comments.render import clean as _clean
from afterword.comments.render import has_links, render
from afterword.comments.store import Rejected, SiteRow, bad_input
from afterword.comments.tokens import TokenError, Tokens
from afterword.comments.writer import GroupWriter
from afterword.db.models import Comment, CommentLike, Site
from afterword.privacy.ip import anonymize_ip, current_hash_ip, ip_prefix, parse_ip
from afterword.sites import spam_config
from afterword.web.metrics import COMMENTS
from afterword.web.ratelimit import RateLimiter
from afterword.web.warmup import after_first_check

MODERATION_MODES = ("none", "links", "first-comment", "all")
# The checks before the write, for every app in the process. Two threads, not the request
# pool's forty: the checks are CPU under one interpreter lock, and each extra thread taking
# turns for it cost CPU in hand-offs (-7 % CPU per comment, +10 % comments/s against the
# pool at 16 connections); the second keeps one comment's database wait from stalling all.
_CHECKS = ThreadPoolExecutor(2, thread_name_prefix="comment-checks")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")


@dataclass(frozen=True, slots=True)
class Policy:
    """A site's comment rules, read from ``Site.settings`` (unknown or bad values: defaults)."""

    moderation: str = "none"
    require_email: bool = False
    max_depth: int = 4
    edit_window: int = 900
    ip_per_minute: int = 5
    thread_per_minute: int = 30
    likes_per_minute: int = 30

    @classmethod
    def of(cls, site: SiteRow) -> Policy:
        raw = site.settings or {}
        picked: dict[str, Any] = {}
        if raw.get("moderation") in MODERATION_MODES:
            picked["moderation"] = raw["moderation"]
        if isinstance(raw.get("require_email"), bool):
            picked["require_email"] = raw["require_email"]
        for name, low, high in (("max_depth", 1, 10), ("edit_window", 0, 86400),
                                ("ip_per_minute", 1, 1_000_000),
                                ("thread_per_minute", 1, 1_000_000),
                                ("likes_per_minute", 1, 1_000_000)):
            value = raw.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                picked[name] = value
        return cls(**picked)

    def public(self, site: SiteRow) -> dict[str, Any]:
        return {"max_depth": self.max_depth, "require_email": self.require_email,
                "edit_window": self.edit_window, "privacy_url": f"/privacy/{site.id}"}


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who is posting, as the server saw the request."""

    ip: str
    user_agent: str = ""
    referrer: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewComment:
    url: str
    text: str
    title: str = ""
    parent: int | None = None
    author: str = ""
    email: str = ""
    website: str = ""
    honeypot: str | None = None
    token: str = ""
    notify: bool = False


@dataclass(frozen=True, slots=True)
class _Staged:
    """A comment that passed every check, as the row the writer will insert."""

    values: dict[str, Any]
    policy: Policy
    subscribe: str  # the email that asked for replies ("" when none did)

    @property
    def published(self) -> bool:
        return self.values["status"] == "published"


@dataclass(frozen=True, slots=True)
class Posted:
    comment: dict[str, Any]
    status: str          # what the author is told: published or pending
    edit_token: str
    edit_until: str | None


class CommentService:
    """Everything the comment doors share: sessions, tokens, limiter and the spam engine."""

    def __init__(self, engine: SqlEngine, sessions: sessionmaker[Session], secret: bytes,
                 limiter: RateLimiter, spam_engine: Callable[[], Any], *,
                 ip_hash_rotation_days: int = 30) -> None:
        self.sessions = sessions
        self.tokens = Tokens(secret)
        self.limiter = limiter
        # Resolved on first use: the engine loads its model once per worker, when needed.
        self._spam_engine = spam_engine
        self._engine = engine
        self._secret = secret
        # The IP hash's key changes every period so stored hashes stop linking visits.
        self._ip_hash_days = ip_hash_rotation_days
        self._writer = GroupWriter(engine)
        self._lookups = store.PostingLookups()

    # -- posting ---------------------------------------------------------------------------

    def submit(self, site_url: str, visitor: Visitor, new: NewComment) -> Posted:
        """Run the pipeline for a comment to the site registered as ``site_url``, blocking
        until it is committed (the no-JavaScript form, served from a request thread)."""
        staged = self._stage(site_url, visitor, new)
        return self._finish(staged, self._writer.insert(staged.values, staged.published).result())

    async def post(self, site_url: str, visitor: Visitor, new: NewComment) -> Posted:
        """:meth:`submit` for the event loop: the checks run on one of the ``_CHECKS``
        threads, which queues the row for the group commit itself, and the wait for that
        commit holds no thread at all, so one commit carries every comment that arrived
        during the one before. The event loop wakes once, for the answer."""
        staged: list[_Staged] = []
        committed: Future[int] = Future()
        _CHECKS.submit(self._stage_and_queue, site_url, visitor, new, staged, committed)
        comment_id = await asyncio.wrap_future(committed)
        if staged[0].subscribe:  # a write of its own: not on the event loop
            return await run_in_threadpool(self._finish, staged[0], comment_id)
        return self._finish(staged[0], comment_id)

    def _stage_and_queue(self, site_url: str, visitor: Visitor, new: NewComment,
                         staged: list[_Staged], committed: Future[int]) -> None:
        """Stage the comment into ``staged`` and queue it to be committed into ``committed``,
        or settle ``committed`` with the refusal. A request that gave up before is not
        staged; one that gives up before its commit starts is dropped by the writer."""
        if committed.cancelled():
            return
        try:
            staged.append(self._stage(site_url, visitor, new))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting request
            with suppress(InvalidStateError):  # unless it gave up meanwhile
                committed.set_exception(exc)
            return
        self._writer.insert(staged[0].values, staged[0].published, committed)

    def _stage(self, site_url: str, visitor: Visitor, new: NewComment) -> _Staged:
        """Every check up to the row to write: raises :class:`Rejected` on a refusal."""
        # One pooled connection for every read (Core, no ORM session: this runs for every
        # comment), given back before the spam engine and the writer take their own.
        with self._engine.connect() as conn:
            site, url, thread = self._lookups.site_and_thread(conn, site_url, new.url)
            policy = Policy.of(site)
            fields = _clean_fields(new, policy)
            try:
                seconds = self.tokens.seconds_since_render(new.token, site.id)
            except TokenError as exc:
                raise bad_input(f"{exc}; reload the page and try again") from None
            # The address's network (/24 or /48): the unit of the limit and what is stored.
            anonymous = anonymize_ip(visitor.ip)
            self._limit(f"comments:ip:{site.id}:{anonymous or visitor.ip}", policy.ip_per_minute)
            self._limit(f"comments:thread:{site.id}:{url}", policy.thread_per_minute)

            if thread is None:
                thread = self._lookups.created(conn, site.id, url, new.title)
            parent_id, root_id, depth = self._placement(conn, thread.id, new.parent, policy)
            rule = _site_rules(conn, site, thread, {
                **fields, "ip": visitor.ip, "is_reply": parent_id is not None})
            if rule.action == "reject":
                raise Rejected(403, rule.reason or "this comment cannot be posted here")
            known = policy.moderation == "first-comment" and _known_author(
                conn, site.id, fields["email"])

        submission = self._submission(site, visitor, new, fields, url, seconds,
                                      parent_id is not None)
        verdict = self._spam_engine().check(str(site.id), submission, spam_config(site))
        after_first_check()
        html = render(fields["text"])
        status = _decide(policy, verdict, fields["text"], html, rule.action == "hold", known)
        values = dict(
            site_id=site.id, thread_id=thread.id, parent_id=parent_id, root_id=root_id,
            depth=depth, status=status, author=fields["author"], email=fields["email"],
            website=fields["website"], text=fields["text"], html=html,
            ip=anonymous, ip_hash=current_hash_ip(visitor.ip, self._secret, self._ip_hash_days),
            user_agent=visitor.user_agent[:512], spam_probability=verdict.probability,
            spam_reasons=[_reason(r) for r in verdict.reasons],
            spam_submission=_recordable(submission, anonymous), created_at=datetime.now(UTC),
            likes=0,
        )
        return _Staged(values, policy, fields["email"] if new.notify else "")

    def _finish(self, staged: _Staged, comment_id: int) -> Posted:
        """After the commit: count it, record a wish for reply emails, build the answer."""
        COMMENTS.labels(status=staged.values["status"]).inc()
        if staged.subscribe:
            _subscribe_replies(self.sessions, comment_id, staged.subscribe)
        return self._posted(SimpleNamespace(id=comment_id, edited_at=None, **staged.values),
                            staged.policy)

    def _limit(self, key: str, per_minute: int) -> None:
        decision = self.limiter.hit(key, per_minute, 60.0)
        if not decision.allowed:
            raise Rejected(429, "you are commenting too fast; wait a minute and try again",
                           retry_after=decision.reset_after)

    @staticmethod
    def _placement(conn: Connection, thread_id: int, parent: int | None,
                   policy: Policy) -> tuple[int | None, int | None, int]:
        """Parent, root and depth; replies beyond ``max_depth`` attach at the deepest level."""
        if parent is None:
            return None, None, 0
        row = conn.execute(_PARENT, {"id": parent, "thread": thread_id}).first()
        if row is None:
            raise bad_input("the comment you reply to is not in this thread")
        if row.depth + 1 >= policy.max_depth:
            return row.parent_id, row.root_id, row.depth
        return row.id, row.root_id or row.id, row.depth + 1

    def _submission(self, site: SiteRow, visitor: Visitor, new: NewComment, fields: dict[str, str],
                    url: str, seconds: float, is_reply: bool) -> Any:
        from afterword.spam import Submission

        return Submission(
            content=fields["text"], author=fields["author"], author_email=fields["email"],
            author_url=fields["website"], user_ip=visitor.ip, user_agent=visitor.user_agent,
            referrer=visitor.referrer, permalink=url,
            comment_type="reply" if is_reply else "comment",
            comment_date=datetime.now(UTC), blog=site.url,
            blog_lang=tuple((site.settings or {}).get("languages", ()) or ()),
            honeypot_filled=None if new.honeypot is None else bool(new.honeypot.strip()),
            seconds_to_submit=seconds, headers=dict(visitor.headers),
        )

    def _posted(self, comment: Any, policy: Policy) -> Posted:
        until = comment.created_at + timedelta(seconds=policy.edit_window)
        return Posted(
            comment=store.public(comment) | {"text": comment.text},
            status="published" if comment.status == "published" else "pending",
            edit_token=self.tokens.edit_token(comment.id) if policy.edit_window else "",
            edit_until=store.iso(until) if policy.edit_window else None,
        )

    def like(self, comment_id: int, ip: str) -> int:
        """Count a reader's like of a published comment once; returns its likes.

        The reader is known by a keyed hash of their address and the comment (no cookie, and
        nothing that links their likes together), so liking again changes nothing.
        """
        with self._engine.begin() as conn:
            row = conn.execute(_LIKED, {"id": comment_id}).first()
            if row is None:
                raise Rejected(404, "no such comment")
            policy = Policy.of(SiteRow(row.site_id, "", "", row.settings or {}))
            self._limit(f"likes:ip:{row.site_id}:{ip_prefix(ip) or ip}",
                        policy.likes_per_minute)
            reader = hmac.new(self._secret, f"like:{comment_id}:{parse_ip(ip) or ip}".encode(),
                              hashlib.sha256).hexdigest()[:32]
            try:
                with conn.begin_nested():
                    conn.execute(insert(CommentLike).values(comment_id=comment_id,
                                                            reader=reader))
            except IntegrityError:  # this reader's like is already counted
                return row.likes
            return conn.execute(_LIKE, {"id": comment_id}).scalar_one()

    # -- the author's own changes ------------------------------------------------------------

    def _own(self, session: Session, comment_id: int, token: str) -> tuple[Comment, SiteRow, Policy]:
        comment = session.get(Comment, comment_id)
        if comment is None or comment.status == "deleted":
            raise Rejected(404, "no such comment")
        found = session.get(Site, comment.site_id)
        assert found is not None
        site = SiteRow(found.id, found.url, found.name, found.settings or {})
        policy = Policy.of(site)
        try:
            self.tokens.check_edit_token(token, comment.id, policy.edit_window)
        except TokenError as exc:
            raise Rejected(403, f"cannot change this comment: {exc}") from None
        return comment, site, policy

    def edit(self, session: Session, comment_id: int, token: str, text: str) -> Posted:
        comment, site, policy = self._own(session, comment_id, token)
        text = _clean(text).strip()
        if not text:
            raise bad_input("the comment is empty")
        submission = _with_content(comment.spam_submission, text)
        verdict = self._spam_engine().check(str(site.id), submission, spam_config(site), observe=False)
        comment.text, comment.html = text, render(text)
        comment.edited_at = datetime.now(UTC)
        comment.spam_probability = verdict.probability
        comment.spam_reasons = [_reason(r) for r in verdict.reasons]
        comment.spam_submission = _recordable(submission, submission.user_ip)  # recorded anonymised
        if verdict.is_spam:
            store.set_status(session, comment, "spam")
        elif comment.status == "published" and (
                policy.moderation == "all"
                or (policy.moderation == "links" and has_links(text, comment.html))):
            store.set_status(session, comment, "pending")
        session.commit()
        posted = self._posted(comment, policy)
        return Posted(posted.comment, posted.status, token, posted.edit_until)

    def delete(self, session: Session, comment_id: int, token: str) -> None:
        """Erase the author's words; the row stays as a placeholder only if it has replies."""
        comment, _, _ = self._own(session, comment_id, token)
        has_replies = session.scalar(select(exists().where(Comment.parent_id == comment.id)))
        store.set_status(session, comment, "deleted")
        if has_replies:
            for name in ("author", "email", "website", "text", "html", "user_agent"):
                setattr(comment, name, "")
            comment.spam_submission = {}
        else:
            session.delete(comment)
        session.commit()


def _clean_fields(new: NewComment, policy: Policy) -> dict[str, str]:
    text = _clean(new.text).strip()
    author = " ".join(_clean(new.author).split())
    email = _clean(new.email).strip()
    website = _clean(new.website).strip()
    if not text:
        raise bad_input("the comment is empty")
    if email and not _EMAIL.match(email):
        raise bad_input("the email address does not look valid")
    if policy.require_email and not email:
        raise bad_input("this site asks for an email address")
    if website:
        if "://" not in website:
            website = "https://" + website
        if not website.lower().startswith(("http://", "https://")) or any(
                c.isspace() for c in website):
            raise bad_input("the website must be an http(s) address")
    return {"text": text, "author": author, "email": email, "website": website}


def _decide(policy: Policy, verdict: Any, text: str, html: str, held: bool,
            known: bool) -> str:
    """The stored status. Spam is stored as spam, but its author is only told "pending".

    ``held``: a moderator's word list or ban said "hold for review"; ``known``: the email
    has an earlier published comment on the site (the ``first-comment`` mode).
    """
    if verdict.is_spam:
        return "spam"
    if held:
        return "pending"
    if verdict.trusted or policy.moderation == "none":
        return "published"
    if policy.moderation == "all":
        return "pending"
    if policy.moderation == "links":
        return "pending" if has_links(text, html) else "published"
    return "published" if known else "pending"


_PARENT = text("SELECT id, parent_id, root_id, depth FROM comments "
               "WHERE id = :id AND thread_id = :thread AND status = 'published'")
_LIKED = text("SELECT comments.site_id, comments.likes, sites.settings FROM comments "
               "JOIN sites ON sites.id = comments.site_id "
               "WHERE comments.id = :id AND comments.status = 'published'").columns(
    Comment.site_id, Comment.likes, Site.settings)
_LIKE = text("UPDATE comments SET likes = likes + 1 WHERE id = :id RETURNING likes")
_KNOWN = text("SELECT 1 FROM comments WHERE site_id = :site AND email = :email "
              "AND status = 'published' LIMIT 1")


def _known_author(conn: Connection, site_id: int, email: str) -> bool:
    if not email:
        return False
    return conn.execute(_KNOWN, {"site": site_id, "email": email}).first() is not None


def _subscribe_replies(sessions: sessionmaker[Session], comment_id: int, email: str) -> None:
    """Record the author's wish to hear of replies (sent by afterword.moderation.notify)."""
    from afterword.moderation.notify import subscribe_replies

    with sessions() as session:
        subscribe_replies(session, comment_id, email)
        session.commit()


def _site_rules(conn: Connection, site: SiteRow, thread: Any, comment: dict[str, Any]) -> Any:
    """The moderators' bans, word lists and thread rules (afterword.moderation.rules)."""
    # Imported here: moderation builds on this module (Policy), not the other way round.
    from afterword.moderation.rules import check

    return check(conn, site.id, site.settings, thread, comment)


def _reason(reason: Any) -> dict[str, Any]:
    return {"code": reason.code, "text": reason.text, "weight": reason.weight}


def _recordable(submission: Any, anonymous_ip: str) -> dict[str, Any]:
    """The submission as stored with the comment: anonymised IP, so learning can replay it."""
    data = submission.to_dict()
    data["user_ip"] = anonymous_ip
    return data


def _with_content(recorded: dict[str, Any], text: str) -> Any:
    from afterword.spam import Submission

    return Submission.from_dict({**recorded, "content": text})
