"""Why an article was not indexed: the last refusals per site, for the admin.

A page report or pushed article that is refused answers its sender with a 4xx and a reason;
the site's owner sees the same reasons on /admin/related/skips without reading server logs.
Storage is bounded: the newest ``KEEP`` per site, older rows trimmed on every insert. A
flood of refused reports writes one row per reason per minute per site, not one per request;
reports over the per-address limit are refused before the site is even looked up, so they
are not listed (the per-site limit is).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from afterword.db.models import RelatedSkip

KEEP = 500  # newest skips kept per site
REPEAT_WINDOW = 60.0  # seconds: the same reason for the same site is written once per window


def record_skip(session: Session, site_id: int, source: str, url: str, reason: str) -> bool:
    """Add a skip (not committed) unless this site had the same reason within the window."""
    now = datetime.now(UTC)
    repeated = session.scalar(
        select(RelatedSkip.id).where(RelatedSkip.site_id == site_id,
                                     RelatedSkip.reason == reason[:300],
                                     RelatedSkip.at >= now - timedelta(seconds=REPEAT_WINDOW))
        .limit(1))
    if repeated is not None:
        return False
    session.add(RelatedSkip(site_id=site_id, at=now, source=source, url=url[:2048],
                            reason=reason[:300]))
    session.flush()
    oldest_kept = session.scalar(
        select(RelatedSkip.id).where(RelatedSkip.site_id == site_id)
        .order_by(RelatedSkip.id.desc()).offset(KEEP - 1).limit(1))
    if oldest_kept is not None:
        session.execute(delete(RelatedSkip).where(RelatedSkip.site_id == site_id,
                                                  RelatedSkip.id < oldest_kept))
    return True


def recent_skips(session: Session, site_id: int, limit: int = KEEP) -> list[RelatedSkip]:
    return list(session.scalars(select(RelatedSkip).where(RelatedSkip.site_id == site_id)
                                .order_by(RelatedSkip.id.desc()).limit(limit)))
