"""The moderation queues: one query builder for every status, filter and sort."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from afterword.db.models import Comment, Thread
from afterword.moderation.auth import Admin
from afterword.privacy.ip import anonymize_ip, parse_ip

STATUSES = {"pending": "Pending", "spam": "Spam", "published": "Approved", "deleted": "Deleted"}
SORTS = {"newest": "Newest first", "oldest": "Oldest first",
         "spam": "Most likely spam first", "least-spam": "Least likely spam first"}
PAGE = 50


@dataclass(frozen=True, slots=True)
class Filters:
    """The queue's query string, validated: unknown or malformed values are ignored."""

    status: str = "pending"
    site: int | None = None
    thread: str = ""
    author: str = ""
    email: str = ""
    ip: str = ""
    since: date | None = None
    until: date | None = None
    q: str = ""
    sort: str = "newest"
    page: int = 1

    @classmethod
    def parse(cls, params: Any) -> Filters:
        raw = {f.name: str(params.get(f.name, "") or "").strip()[:200] for f in fields(cls)}
        return cls(
            status=raw["status"] if raw["status"] in STATUSES else "pending",
            site=int(raw["site"]) if raw["site"].isdigit() else None,
            thread=raw["thread"], author=raw["author"], email=raw["email"], ip=raw["ip"],
            since=_date(raw["since"]), until=_date(raw["until"]), q=raw["q"],
            sort=raw["sort"] if raw["sort"] in SORTS else (
                "spam" if raw["status"] == "spam" else "newest"),
            page=max(1, min(int(raw["page"]), 10_000)) if raw["page"].isdigit() else 1,
        )

    def query_string(self, **change: Any) -> str:
        from urllib.parse import urlencode

        values = {f.name: getattr(self, f.name) for f in fields(self)} | change
        return urlencode({k: v for k, v in values.items()
                          if v not in (None, "") and not (k == "page" and v == 1)})


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching(admin: Admin, f: Filters) -> Select:
    """``SELECT comments.id`` of everything the filters match, within the moderator's sites."""
    query = select(Comment.id).where(Comment.status == f.status)
    if f.site is not None:
        query = query.where(Comment.site_id == f.site)
    if not admin.all_sites:
        query = query.where(Comment.site_id.in_(admin.site_ids))
    if f.thread.isdigit():
        query = query.where(Comment.thread_id == int(f.thread))
    elif f.thread:
        query = query.join(Thread, Thread.id == Comment.thread_id).where(
            Thread.url.ilike(_like(f.thread), escape="\\"))
    if f.author:
        query = query.where(Comment.author.ilike(_like(f.author), escape="\\"))
    if f.email:
        query = query.where(Comment.email.ilike(_like(f.email), escape="\\"))
    if f.ip:
        query = query.where(_ip_filter(f.ip))
    if f.since:
        query = query.where(Comment.created_at >= datetime.combine(f.since, time(), UTC))
    if f.until:
        query = query.where(Comment.created_at < datetime.combine(
            f.until + timedelta(days=1), time(), UTC))
    if f.q:
        query = query.where(Comment.text.ilike(_like(f.q), escape="\\"))
    return query


def _ip_filter(value: str) -> Any:
    """Stored IPs are prefixes (``203.0.113.0``): match an address, a CIDR or typed digits."""
    if parse_ip(value) is not None:
        return Comment.ip == anonymize_ip(value)
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return Comment.ip.startswith(value, autoescape=True)
    if network.version == 4 and network.prefixlen <= 24:
        octets = str(network.network_address).split(".")[: network.prefixlen // 8]
        return Comment.ip.startswith(".".join(octets) + "." if octets else "", autoescape=True)
    return Comment.ip == anonymize_ip(str(network.network_address))


def page(db: Session, admin: Admin, f: Filters) -> tuple[list[Any], int]:
    """One page of the queue (comments with their thread URL) and the number matched."""
    ids = matching(admin, f)
    total = db.scalar(select(func.count()).select_from(ids.subquery())) or 0
    order = {
        "newest": [Comment.id.desc()],
        "oldest": [Comment.id.asc()],
        # Comments without a probability (imported) sort as the least likely spam.
        "spam": [Comment.spam_probability.desc().nulls_last(), Comment.id.desc()],
        "least-spam": [Comment.spam_probability.asc().nulls_first(), Comment.id.desc()],
    }[f.sort]
    rows = db.execute(
        select(Comment, Thread.url, Thread.title, Thread.closed)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.id.in_(ids.order_by(*order).offset((f.page - 1) * PAGE).limit(PAGE)))
        .order_by(*order)
    ).all()
    return rows, total


def counts(db: Session, admin: Admin, site: int | None) -> dict[str, int]:
    """Comments per status for the tabs."""
    query = select(Comment.status, func.count()).group_by(Comment.status)
    if site is not None:
        query = query.where(Comment.site_id == site)
    if not admin.all_sites:
        query = query.where(Comment.site_id.in_(admin.site_ids))
    found = dict(db.execute(query).all())
    return {status: found.get(status, 0) for status in STATUSES}
