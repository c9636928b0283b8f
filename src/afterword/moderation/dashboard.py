"""The dashboard's figures, and its chart drawn as inline SVG on the server.

The engine's error rates come from moderator corrections only: a comment the engine put in
spam that a moderator approved is a measured false positive; one it let through that a
moderator marked spam is measured missed spam. Comments nobody looked at count as neither.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterword.db.models import Comment, ModAction, Outbox, Thread
from afterword.moderation.auth import Admin
from afterword.moderation.rules import domains_in


@dataclass(frozen=True, slots=True)
class Stats:
    days: list[tuple[date, int, int]]        # day, comments (not spam), spam
    total: int
    spam: int
    approve_rate: float | None               # approved / moderator decisions
    false_positives: int
    missed_spam: int
    engine_flagged: int
    busiest: list[tuple[str, int]]
    spam_domains: list[tuple[str, int]]
    failed_notifications: int


def _scoped(query, admin: Admin, site: int | None, column):
    if site is not None:
        query = query.where(column == site)
    if not admin.all_sites:
        query = query.where(column.in_(admin.site_ids))
    return query


def stats(db: Session, admin: Admin, site: int | None, days: int = 30) -> Stats:
    today = datetime.now(UTC).date()
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), UTC)
    # SQLite keeps times as ISO text: its first ten characters are the day, far cheaper
    # than date() on every row.
    day = (func.substr(Comment.created_at, 1, 10) if db.get_bind().dialect.name == "sqlite"
           else func.date(Comment.created_at))
    per_day = db.execute(_scoped(
        select(day, Comment.status, func.count()).where(Comment.created_at >= start)
        .group_by(day, Comment.status), admin, site, Comment.site_id)).all()
    ham: Counter[str] = Counter()
    spam: Counter[str] = Counter()
    for when, status, count in per_day:
        (spam if status == "spam" else ham)[str(when)[:10]] += count
    series = [(d, ham[d.isoformat()], spam[d.isoformat()])
              for d in (today - timedelta(days=i) for i in range(days - 1, -1, -1))]

    decided = db.execute(_scoped(
        select(ModAction.action, func.sum(ModAction.count), func.sum(ModAction.false_positives),
               func.sum(ModAction.missed_spam))
        .where(ModAction.created_at >= start, ModAction.undone_at.is_(None))
        .group_by(ModAction.action), admin, site, ModAction.site_id)).all()
    by_action = {a: (int(c or 0), int(fp or 0), int(ms or 0)) for a, c, fp, ms in decided}
    approved = by_action.get("approve", (0, 0, 0))[0] + by_action.get("ham", (0, 0, 0))[0]
    judged = approved + by_action.get("spam", (0, 0, 0))[0] + by_action.get("delete", (0, 0, 0))[0]
    false_positives = sum(v[1] for v in by_action.values())
    missed = sum(v[2] for v in by_action.values())

    top = db.execute(_scoped(
        select(Comment.thread_id, func.count().label("n"))
        .where(Comment.created_at >= start, Comment.status == "published")
        .group_by(Comment.thread_id).order_by(func.count().desc()).limit(8),
        admin, site, Comment.site_id)).all()
    urls = dict(db.execute(select(Thread.id, Thread.url).where(
        Thread.id.in_([t for t, _ in top]))).all())
    domains: Counter[str] = Counter()
    for text, website in db.execute(_scoped(
            select(Comment.text, Comment.website).where(Comment.created_at >= start,
                                                        Comment.status == "spam")
            .order_by(Comment.id.desc()).limit(5000), admin, site, Comment.site_id)):
        domains.update(set(domains_in(f"{text} {website}")))
    failed = db.scalar(_scoped(select(func.count()).select_from(Outbox)
                               .where(Outbox.status == "failed"), admin, site,
                               Outbox.site_id)) or 0
    spam_total = sum(s for _, _, s in series)
    return Stats(
        days=series, total=sum(h for _, h, _ in series) + spam_total, spam=spam_total,
        approve_rate=approved / judged if judged else None,
        false_positives=false_positives, missed_spam=missed,
        engine_flagged=spam_total + false_positives,
        busiest=[(urls.get(t, "?"), n) for t, n in top], spam_domains=domains.most_common(8),
        failed_notifications=failed,
    )


CACHE_SECONDS = 60.0


def cached_stats(state: Any, db: Session, admin: Admin, site: int | None) -> Stats:
    """:func:`stats`, reused for a minute per scope: on a busy site the figures scan a
    month of comments, and a dashboard reloaded by five moderators need not do it five times.
    Per process; each worker keeps its own."""
    cache = getattr(state, "dashboard_cache", None)
    if cache is None:
        cache = state.dashboard_cache = {}
    key = (None if admin.all_sites else admin.site_ids, site)
    now = time.monotonic()
    hit = cache.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    figures = stats(db, admin, site)
    if len(cache) > 256:
        cache.clear()
    cache[key] = (now, figures)
    return figures


def chart(days: list[tuple[date, int, int]], width: int = 720, height: int = 180) -> str:
    """Stacked bars per day (comments, spam on top) as an accessible inline SVG."""
    top = max((h + s for _, h, s in days), default=0) or 1
    pad, base = 28, height - 20
    step = (width - pad) / max(1, len(days))
    bar = max(2.0, step * 0.7)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Comments and spam per day, last {len(days)} days">',
             f'<text x="0" y="12" class="axis">{top}</text>',
             f'<line x1="{pad}" y1="{base}" x2="{width}" y2="{base}" class="axis-line"/>']
    for i, (day, ham, spam) in enumerate(days):
        x = pad + i * step
        h_ham = (base - 16) * ham / top
        h_spam = (base - 16) * spam / top
        label = escape(f"{day.isoformat()}: {ham} comments, {spam} spam")
        parts.append(f'<g><title>{label}</title>'
                     f'<rect x="{x:.1f}" y="{base - h_ham:.1f}" width="{bar:.1f}" '
                     f'height="{h_ham:.1f}" class="ham"/>'
                     f'<rect x="{x:.1f}" y="{base - h_ham - h_spam:.1f}" width="{bar:.1f}" '
                     f'height="{h_spam:.1f}" class="spam"/></g>')
        if (len(days) - 1 - i) % 7 == 0:  # today, and every week back from it
            parts.append(f'<text x="{x:.1f}" y="{height - 4}" class="axis">'
                         f'{day.strftime("%d %b")}</text>')
    parts.append("</svg>")
    return "".join(parts)
