"""Statistics from the check records: what get-stats, key-sites and usage-limit report.

Words as the Akismet plugin shows them: *spam* checks answered ``true``, *ham* answered
``false``, *missed spam* a ``false`` later reported with submit-spam, *false positives* a
``true`` later reported with submit-ham; *accuracy* the share of answers nobody corrected.
Test checks (``is_test``) are left out of every figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterword.db.models import SpamCheck

__all__ = ["Totals", "month_bounds", "since_of", "totals"]

_MONTH = re.compile(r"(\d{4})-(\d{2})\Z")
_RELATIVE = re.compile(r"(\d{1,4})-(days?|weeks?|months?|years?)\Z")
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


@dataclass(frozen=True, slots=True)
class Totals:
    spam: int = 0
    ham: int = 0
    missed_spam: int = 0
    false_positives: int = 0

    @property
    def calls(self) -> int:
        return self.spam + self.ham

    @property
    def accuracy(self) -> float:
        """Percent of answers left uncorrected; 100 when there were none to get wrong."""
        if not self.calls:
            return 100.0
        return round(100.0 * (self.calls - self.missed_spam - self.false_positives)
                     / self.calls, 2)

    def to_dict(self) -> dict[str, int | float]:
        return {"spam": self.spam, "ham": self.ham, "missed_spam": self.missed_spam,
                "false_positives": self.false_positives, "accuracy": self.accuracy}


def totals(session: Session, site_id: int, since: datetime | None = None,
           until: datetime | None = None) -> Totals:
    """Counts for one site in ``[since, until)`` (open ends: all of time)."""
    query = (
        select(SpamCheck.is_spam, SpamCheck.feedback, func.count())
        .where(SpamCheck.site_id == site_id, SpamCheck.is_test.is_(False))
        .group_by(SpamCheck.is_spam, SpamCheck.feedback)
    )
    if since is not None:
        query = query.where(SpamCheck.created_at >= since)
    if until is not None:
        query = query.where(SpamCheck.created_at < until)
    spam = ham = missed = false_positives = 0
    for is_spam, feedback, count in session.execute(query):
        if is_spam:
            spam += count
            false_positives += count if feedback == "ham" else 0
        else:
            ham += count
            missed += count if feedback == "spam" else 0
    return Totals(spam, ham, missed, false_positives)


def since_of(value: str, now: datetime | None = None) -> datetime | None:
    """The start of a ``from`` interval: ``all`` (or empty), ``6-months``, ``60-days``,
    ``YYYY-MM`` or an ISO date. Raises ValueError on anything else."""
    now = now or datetime.now(UTC)
    value = value.strip().lower()
    if value in ("", "all"):
        return None
    relative = _RELATIVE.match(value)
    if relative:
        unit = relative.group(2).rstrip("s")
        return now - timedelta(days=int(relative.group(1)) * _UNIT_DAYS[unit])
    if _MONTH.match(value):
        return month_bounds(value)[0]
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def month_bounds(month: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """``YYYY-MM`` (empty: this month) -> its first instant and the next month's. ValueError
    on a malformed month."""
    if not month:
        now = now or datetime.now(UTC)
        year, number = now.year, now.month
    else:
        match = _MONTH.match(month.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"month must be YYYY-MM, got {month!r}")
        year, number = int(match.group(1)), int(match.group(2))
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end
