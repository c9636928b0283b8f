"""The retention job: personal data is kept exactly as long as the privacy page says.

``run_retention`` is one transaction over every rule below; ``afterword maintenance`` runs it
by hand and :class:`Maintainer` runs it inside the app. Several workers (or machines) may
each run a ``Maintainer``: a lease row in ``maintenance_runs`` lets one of them do a round
per interval, and the others skip it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from afterword.config import Settings
from afterword.db.models import Comment, MaintenanceRun, Outbox, SpamCheck
from afterword.periodic import Scheduled
from afterword.privacy.ip import epoch_start

log = logging.getLogger("afterword.retention")
#: Bulk statements need not update objects loaded in the session (none are used after).
BULK = {"synchronize_session": False}

JOB = "retention"
#: Request metadata inside a stored spam submission, dropped with the user agent column.
METADATA_KEYS = ("user_agent", "referrer", "headers")
#: When a comment became spam or deleted: its status change, or its posting if born so.
_status_since = func.coalesce(Comment.status_at, Comment.created_at)


def strip_metadata(submission: dict[str, Any] | None) -> dict[str, Any]:
    """A recorded submission without the request's metadata (what learning still needs stays)."""
    return {k: v for k, v in (submission or {}).items() if k not in METADATA_KEYS}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run_retention(session: Session, settings: Settings,
                  now: datetime | None = None) -> dict[str, int]:
    """Apply every retention rule once and commit; returns what each rule removed."""
    now = now or datetime.now(UTC)
    days = timedelta(days=1)
    meta_cutoff = now - settings.retention_request_metadata_days * days
    result = {"request_metadata": 0, "check_metadata": 0, "spam": 0, "deleted": 0,
              "checks": 0, "ip_hashes": 0, "notifications": 0}

    # Comments: the user agent column and the metadata in the recorded submission. Rows
    # without a user agent are only looked at in the last period before the cutoff, which
    # any job run at least once per period covers, so a run never rescans the whole table.
    window = meta_cutoff - settings.retention_request_metadata_days * days
    for comment in session.scalars(select(Comment).where(
            Comment.created_at < meta_cutoff,
            or_(Comment.user_agent != "", Comment.created_at >= window))
            .execution_options(yield_per=500)):
        stripped = strip_metadata(comment.spam_submission)
        if comment.user_agent or stripped != (comment.spam_submission or {}):
            comment.user_agent = ""
            comment.spam_submission = stripped
            result["request_metadata"] += 1
    session.flush()

    for check in session.scalars(select(SpamCheck).where(
            SpamCheck.created_at < meta_cutoff, SpamCheck.metadata_purged.is_(False))
            .execution_options(yield_per=500)):
        check.submission = strip_metadata(check.submission)
        check.metadata_purged = True
        result["check_metadata"] += 1
    session.flush()

    result["spam"] = session.execute(delete(Comment).where(
        Comment.status == "spam",
        _status_since < now - settings.retention_spam_days * days),
        execution_options=BULK).rowcount
    # A deleted comment that still has replies stays as their placeholder (its words are
    # already gone); the others go.
    child = aliased(Comment)
    result["deleted"] = session.execute(delete(Comment).where(
        Comment.status == "deleted",
        _status_since < now - settings.retention_deleted_days * days,
        ~exists().where(child.parent_id == Comment.id)),
        execution_options=BULK).rowcount
    result["checks"] = session.execute(delete(SpamCheck).where(
        SpamCheck.created_at < now - settings.retention_checks_days * days),
        execution_options=BULK).rowcount
    # Hashes made under an earlier key period could be linked to each other: erase them.
    result["ip_hashes"] = session.execute(update(Comment).where(
        Comment.ip_hash != "",
        Comment.created_at < epoch_start(now, settings.ip_hash_rotation_days))
        .values(ip_hash=""),
        execution_options=BULK).rowcount
    # Delivered or abandoned notifications hold addresses and excerpts.
    result["notifications"] = session.execute(delete(Outbox).where(
        Outbox.status.in_(("sent", "failed")), Outbox.created_at < meta_cutoff),
        execution_options=BULK).rowcount
    session.commit()
    return result


def last_run(session: Session) -> tuple[datetime | None, dict[str, int]]:
    row = session.get(MaintenanceRun, JOB)
    if row is None or row.last_run_at is None:
        return None, {}
    return _aware(row.last_run_at), dict(row.last_result or {})


class Maintainer(Scheduled):
    """The retention job in the app: every ``maintenance_interval_minutes``, one worker."""

    name = "afterword-retention"
    failure = "retention job failed; retrying at the next tick"
    job_name = JOB
    minutes_setting = "maintenance_interval_minutes"

    def job(self) -> dict[str, int]:
        with self.sessions() as session:
            return run_retention(session, self.settings)
