"""The data-processing notice of a site, built from the configuration that is actually in force.

Every number on the page is read from ``Settings`` and every recipient from what is
configured (SMTP, Redis, the site's webhooks), so the page cannot drift from the behaviour.
The operator's own text is shown in its own section, below and apart from the generated
facts, and cannot replace them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterword.config import Settings
from afterword.db.models import Site, Webhook


@dataclass(frozen=True, slots=True)
class Item:
    what: str
    why: str
    kept: str
    #: The ``table.column`` names this line describes; a test checks that every column the
    #: schema marks as personal data is described by some line.
    columns: tuple[str, ...] = ()


#: Personal data that is not about commenters (admin accounts), so not on a commenter's notice.
NOT_ABOUT_COMMENTERS = ("users.email",)


@dataclass(frozen=True, slots=True)
class Notice:
    site_name: str
    site_url: str
    stored: list[Item]
    storage: str
    recipients: list[str]
    erasure: str
    contact: str
    operator_text: list[str]


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


def build_notice(session: Session, settings: Settings, site: Site) -> Notice:
    s = settings
    meta = _days(s.retention_request_metadata_days)
    stored = [
        Item("Your name (as you typed it)", "Shown with your comment.",
             "As long as the comment is kept.", ("comments.author",)),
        Item("Your email address (optional unless the site asks for it)",
             "Never shown publicly. Used to tell you about replies if you ask, to recognise "
             "your earlier approved comments, and to find your data when you ask for it.",
             "As long as the comment is kept (a reply subscription: until you unsubscribe).",
             ("comments.email", "reply_subscriptions.email")),
        Item("Your website (optional)", "Linked from your name.",
             "As long as the comment is kept.", ("comments.website",)),
        Item("The comment's text and its date", "It is what you published.",
             "Published and pending comments: until you, the site or an erasure request "
             f"removes them. Spam: deleted {_days(s.retention_spam_days)} after it was "
             "caught or marked. Deleted comments: removed "
             f"{_days(s.retention_deleted_days)} after their deletion (a placeholder "
             "without your words stays while replies need it).",
             ("comments.text", "comments.html")),
        Item("Earlier versions of a comment a moderator edited",
             "So the edit can be reviewed and undone.", "As long as the comment is kept.",
             ("comment_edits.old_text",)),
        Item("Your IP address, shortened (IPv4 to its /24 network, IPv6 to its /48)",
             "Moderation and spotting floods of comments. The full address is never stored.",
             "As long as the comment is kept.", ("comments.ip",)),
        Item("A keyed hash of your full IP address",
             "Rate limits and spam reputation. The key changes every "
             f"{_days(s.ip_hash_rotation_days)}, and hashes made with an older key are erased, "
             "so old and new hashes cannot be linked.",
             f"At most {_days(s.ip_hash_rotation_days)}.", ("comments.ip_hash",)),
        Item("When you like a comment: a keyed hash of your IP address and that comment",
             "So each reader counts once per comment, without a cookie. It cannot be linked "
             "to your other likes or to your comments.", "As long as the comment is kept.",
             ("comment_likes.reader",)),
        Item("Your browser's user agent and request headers (such as the referring page)",
             "Spam detection (with the rest of what the spam filter saw, kept so a "
             "moderator's correction can teach it).", f"Deleted after {meta}.",
             ("comments.user_agent", "comments.spam_submission")),
        Item("Notification emails sent to you (address and an excerpt)",
             "Delivery and retries.", f"Deleted {meta} after sending.", ("outbox.payload",)),
        Item("Spam-check records (for sites that use the Akismet-compatible API): the "
             "comment, name, email, website and shortened IP sent by the site",
             "Letting the site correct a verdict (spam / not spam) so the filter learns.",
             f"Request metadata removed after {meta}; the record deleted after "
             f"{_days(s.retention_checks_days)}.", ("spam_checks.submission",)),
        Item("A ban a moderator placed on your email address, name or network",
             "Keeping out abuse; a ban is not lifted by an erasure request.",
             "Until the ban expires or a moderator lifts it.", ("mod_rules.value",)),
    ]
    database = "PostgreSQL" if s.database_url.startswith("postgres") else "SQLite"
    storage = (f"Everything is stored by the operator of this service in its own {database} "
               "database. Spam filtering runs on this server with a local model: no comment, "
               "address or IP is sent to a third-party filtering service. No third-party "
               "avatars, fonts, trackers or analytics are loaded by the comment widget.")
    recipients = []
    if s.smtp_host:
        recipients.append(f"Emails to you (reply notifications, confirmation links) are "
                          f"handed to the mail server {s.smtp_host}.")
    if s.redis_url:
        recipients.append(f"Rate-limit counters keyed by hashed addresses are kept in Redis "
                          f"at {_host(s.redis_url)}.")
    hooks = session.scalars(select(Webhook.url).where(Webhook.site_id == site.id)).all()
    for host in sorted({_host(url) for url in hooks}):
        recipients.append(f"New comments (name, website, text, date; no email or IP) are "
                          f"sent to the site's own system at {host}.")
    erasure = ("your comments stay visible with their text, but as \"anonymous\": name, "
               "email, website, IP and request data are removed"
               if s.erasure_mode == "keep-anonymous" else
               "your comments are deleted (a comment with replies leaves an empty placeholder)")
    paragraphs = [p.strip() for p in s.privacy_extra_text.split("\n\n") if p.strip()]
    return Notice(site.name or site.url, site.url, stored, storage, recipients, erasure,
                  s.privacy_contact, paragraphs)
