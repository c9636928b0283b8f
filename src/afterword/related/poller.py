"""The feeds and sitemaps of every site, polled from inside the app on a schedule.

``afterword related poll-feeds`` does one round by hand or from cron; with
``related_poll_minutes`` set (the default), each worker runs a :class:`FeedPoller` and the
lease in :func:`afterword.periodic.run_leased` lets one of them do each round. Sites that list
no feed and no sitemap cause no outbound connection at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from afterword.db.models import Site
from afterword.periodic import Scheduled
from afterword.related.feeds import PollResult, feeds_of, poll_site

JOB = "related-feeds"


def sites_with_feeds(session: Session) -> list[Site]:
    """Every site that lists a feed or a sitemap in its related settings."""
    return [s for s in session.scalars(select(Site).order_by(Site.id))
            if feeds_of(s) or feeds_of(s, "sitemaps")]


def poll_all(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """One round over every site with feeds; returns totals for the job's record."""
    totals: dict[str, Any] = {"sites": 0, "skipped": 0}
    with sessions() as session:
        for site in sites_with_feeds(session):
            result: PollResult = poll_site(session, site)
            totals["sites"] += 1
            totals["skipped"] += len(result.skipped)
            for outcome, count in result.stored.items():
                totals[outcome] = totals.get(outcome, 0) + count
    return totals


class FeedPoller(Scheduled):
    """Every site's feeds and sitemaps, every ``related_poll_minutes``, by one worker."""

    name = "afterword-related-feeds"
    failure = "related-posts feed poll failed; retrying at the next tick"
    job_name = JOB
    minutes_setting = "related_poll_minutes"

    def job(self) -> dict[str, Any]:
        return poll_all(self.sessions)
