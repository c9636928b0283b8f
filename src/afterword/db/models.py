"""The schema. Every table Afterword stores lives here; Alembic migrations mirror it.

Times are stored timezone-aware in UTC. Columns holding personal data say so in their
comment, which is what the privacy notice and the retention job are built from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class Site(Base):
    """A website whose comments or Akismet checks Afterword handles."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(512), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Origins whose browsers may call the comment API (CORS); the site's own origin by default.
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Per-site policy knobs (moderation mode, spam threshold, limits); see afterword.sites.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    keys: Mapped[list[ApiKey]] = relationship(back_populates="site")


class ApiKey(Base):
    """An Akismet-style 12-character key bound to one site.

    Only a SHA-256 digest is stored: keys are random and high-entropy, so a slow password hash
    would add nothing but latency to every API call.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(4), comment="last characters, to tell keys apart")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    site: Mapped[Site] = relationship(back_populates="keys")


class User(Base):
    """An admin account (owner or moderator)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(320), default="", comment="personal data")
    password_hash: Mapped[str] = mapped_column(String(200), comment="argon2id")
    role: Mapped[str] = mapped_column(String(16), default="moderator")
    # Site ids a moderator may act on; empty means all sites (owners always see all).
    site_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SpamState(Base):
    """Per-site learned state of the spam engine (model deltas), as opaque blobs."""

    __tablename__ = "spam_state"

    site_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SpamEvent(Base):
    """Behaviour events (velocity per IP prefix / email, text fingerprints) keyed by hashes."""

    __tablename__ = "spam_events"
    # The second index serves the prune that drops events older than the longest window.
    __table_args__ = (
        Index("ix_spam_events_lookup", "site_key", "kind", "key", "ts"),
        Index("ix_spam_events_ts", "ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    ts: Mapped[float] = mapped_column(Float)


class SpamCheck(Base):
    """One answered check (Akismet comment-check), kept so feedback can teach the engine."""

    __tablename__ = "spam_checks"
    # The content lookup (submit-* without a guid) by the key's first 12 hex digits: a
    # record lands at a random place in this index, and short entries make it small.
    __table_args__ = (Index("ix_spam_checks_site_content_prefix", "site_id",
                            text("substr(content_key, 1, 12)")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True)
    # No index of its own: ix_spam_checks_site_content_prefix leads with it.
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    is_spam: Mapped[bool] = mapped_column(Boolean)
    discard: Mapped[bool] = mapped_column(Boolean, default=False)
    probability: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    # The submission as the engine saw it (anonymised IP), so submit-spam/ham can learn from it.
    submission: Mapped[dict[str, Any]] = mapped_column(JSON, comment="personal data")
    # Digest of content + author, to match submit-* calls that send no guid.
    content_key: Mapped[str] = mapped_column(String(64))
    feedback: Mapped[str | None] = mapped_column(String(8), nullable=True)
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Raw request metadata (headers, user agent) is dropped by the retention job after N days.
    metadata_purged: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")


class Thread(Base):
    """One article's comment thread, keyed by the site and the article's normalised URL.

    ``comment_count`` is kept up to date by ``afterword.comments`` (published comments only)
    so the counts for a listing page of 100 links are one indexed lookup, not 100 COUNTs.
    """

    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_site_url", "site_id", "url", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class Comment(Base):
    """A comment, whatever its fate: published, pending, spam or deleted.

    Ids grow with time, so "newest"/"oldest" pages are keyset scans on ``id`` alone; the
    indexes below make the first page of a 100,000-comment thread as cheap as of a small one.
    ``root_id`` (the top-level ancestor) lets one page fetch the replies of its roots.
    """

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_thread_page", "thread_id", "depth", "id"),
        Index("ix_comments_thread_top", "thread_id", "depth", "likes", "id"),
        Index("ix_comments_root", "root_id", "id"),
        Index("ix_comments_site_status", "site_id", "status", "id"),
        Index("ix_comments_parent", "parent_id"),
        Index("ix_comments_site_email", "site_id", "email"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), nullable=True)
    root_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    # published | pending | spam | deleted
    status: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(100), default="", comment="personal data")
    email: Mapped[str] = mapped_column(String(320), default="",
                                       comment="personal data, never shown publicly")
    website: Mapped[str] = mapped_column(String(512), default="", comment="personal data")
    text: Mapped[str] = mapped_column(Text, default="", comment="personal data (Markdown)")
    html: Mapped[str] = mapped_column(Text, default="", comment="personal data (rendered)")
    ip: Mapped[str] = mapped_column(String(64), default="", comment="personal data (anonymised)")
    ip_hash: Mapped[str] = mapped_column(String(64), default="", comment="personal data (keyed)")
    user_agent: Mapped[str] = mapped_column(String(512), default="", comment="personal data")
    spam_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    spam_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # What the spam engine saw (anonymised IP), so a moderator's verdict can teach it.
    spam_submission: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict,
                                                            comment="personal data")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # When the status last changed after posting (None: never): retention of spam and
    # deleted comments counts from here.
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    likes: Mapped[int] = mapped_column(Integer, default=0)


class CommentLike(Base):
    """One reader's like of one comment. The reader is a keyed hash of their address and the
    comment together, so a like cannot be linked to the reader's other likes or comments."""

    __tablename__ = "comment_likes"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    reader: Mapped[str] = mapped_column(String(64), primary_key=True,
                                        comment="personal data (keyed)")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Moderation queues read comments by status across sites, newest first or most likely spam
# first; the comment pages' own indexes all lead with the thread or the site.
Index("ix_comments_status_id", Comment.status, Comment.id)
Index("ix_comments_status_spam", Comment.status, Comment.spam_probability)


class ModRule(Base):
    """A ban or list entry: ip, prefix, email, author, domain, word_hold or word_reject.

    ``site_id`` NULL means every site (only owners create those). Expired rows are ignored,
    not deleted, so the list shows what was banned and when it lapsed.
    """

    __tablename__ = "mod_rules"
    __table_args__ = (Index("ix_mod_rules_site_kind", "site_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320), comment="personal data (may be an address)")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ModAction(Base):
    """One moderator action on one site's comments, with what is needed to undo it.

    A bulk action over several sites writes one row per site sharing ``batch``. ``undo`` holds
    ``[[comment_id, previous_status], ...]``. The two counters feed the dashboard's measured
    false positives / missed spam.
    """

    __tablename__ = "mod_actions"
    __table_args__ = (Index("ix_mod_actions_user_batch", "user_id", "batch"),
                      Index("ix_mod_actions_site_time", "site_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer, default=0)
    false_positives: Mapped[int] = mapped_column(Integer, default=0)
    missed_spam: Mapped[int] = mapped_column(Integer, default=0)
    undo: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CommentEdit(Base):
    """The text a comment had before a moderator edited it."""

    __tablename__ = "comment_edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    editor: Mapped[str] = mapped_column(String(100), default="")
    old_text: Mapped[str] = mapped_column(Text, comment="personal data")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Outbox(Base):
    """A notification waiting to go out (email or webhook), so a dead receiver loses nothing.

    ``lease_until`` lets several workers share the queue: a worker claims a row by moving its
    lease forward, and a crashed worker's claim simply lapses.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, comment="personal data (addresses)")
    status: Mapped[str] = mapped_column(String(8), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Webhook(Base):
    """A receiver of a site's comment events, signed with its own secret (HMAC-SHA256)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReplySubscription(Base):
    """A commenter asked (when posting) to be told by email about approved replies."""

    __tablename__ = "reply_subscriptions"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), comment="personal data")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CommentNotice(Base):
    """Marks a comment (or a comment's approval) whose notifications were queued, once."""

    __tablename__ = "comment_notices"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    event: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModeratorPrefs(Base):
    """How a moderator wants to hear about pending comments: each, digest or off."""

    __tablename__ = "moderator_prefs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    notify: Mapped[str] = mapped_column(String(8), default="each")
    digest_minutes: Mapped[int] = mapped_column(Integer, default=60)
    last_digest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)


class AdminSession(Base):
    """A signed-in browser. Server-side, so logout and a password change end it for good."""

    __tablename__ = "admin_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """Failed sign-ins per account: enough of them lock the account for a while."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ImportKey(Base):
    """Which comment an imported record became, so running an import twice adds nothing twice.

    The key outlives the comment (``SET NULL``): spam the retention job removed stays
    "already imported" instead of coming back on the next run.
    """

    __tablename__ = "import_keys"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"),
                                         primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ErasureLog(Base):
    """That an erasure happened, how and how much: never whose (no address, no names)."""

    __tablename__ = "erasure_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), nullable=True)
    via: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    comments: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MaintenanceRun(Base):
    """A scheduled job's lease and last result (retention, related feeds), so one worker among
    many runs each round (afterword.periodic.run_leased)."""

    __tablename__ = "maintenance_runs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RelatedArticle(Base):
    """One article of a site, as the related-posts index knows it (afterword.related).

    ``seq`` grows with every change of the site's articles (see ``RelatedState``), so each
    worker's in-memory index catches up by reading only rows with a larger ``seq``.
    Removed or excluded articles keep their row (with ``status``) so a re-report of a
    removed page does not bring it back.
    """

    __tablename__ = "related_articles"
    __table_args__ = (
        Index("ix_related_articles_site_url", "site_id", "url", unique=True),
        Index("ix_related_articles_site_seq", "site_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(String(1000), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    image: Mapped[str] = mapped_column(String(2048), default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # indexed | removed | excluded
    status: Mapped[str] = mapped_column(String(16), default="indexed")
    source: Mapped[str] = mapped_column(String(16), default="api")  # api | page | wxr
    seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RelatedSkip(Base):
    """One refused article (page report, push or import) of a site, with the reason."""

    __tablename__ = "related_skips"
    __table_args__ = (Index("ix_related_skips_site_id", "site_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(16))  # page | api | feed | wxr
    url: Mapped[str] = mapped_column(String(2048), default="")
    reason: Mapped[str] = mapped_column(String(300))


class RelatedState(Base):
    """Per-site change counter of the related index: the last ``seq`` handed out."""

    __tablename__ = "related_state"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"),
                                         primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
