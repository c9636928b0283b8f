"""Atom feeds: a thread's latest comments and a site's latest comments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from xml.sax.saxutils import escape, quoteattr

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterword.comments import store
from afterword.comments.store import Rejected
from afterword.db.models import Comment, Thread
from afterword.web.deps import get_session

router = APIRouter(prefix="/api/v1/feeds", tags=["comments"])
ENTRIES = 50
ATOM = "application/atom+xml; charset=utf-8"
_FEED_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/atom+xml": {}}, "description": "An Atom 1.0 feed."},
    404: {"description": "Unknown site."}, 400: {"description": "URL not of this site."}}
SessionDep = Annotated[Session, Depends(get_session)]


def _latest(session: Session, site_id: int, thread_id: int | None) -> list[Any]:
    query = (select(Comment.id, Comment.author, Comment.html, Comment.created_at,
                    Comment.edited_at, Thread.url, Thread.title)
             .join(Thread, Thread.id == Comment.thread_id)
             .where(Comment.site_id == site_id, Comment.status == "published"))
    if thread_id is not None:
        query = query.where(Comment.thread_id == thread_id)
    return list(session.execute(query.order_by(Comment.id.desc()).limit(ENTRIES)))


def atom(feed_id: str, title: str, link: str, rows: list[Any]) -> str:
    updated = max((r.edited_at or r.created_at for r in rows), default=None)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<id>{escape(feed_id)}</id><title>{escape(title)}</title>",
        f"<link rel=\"alternate\" href={quoteattr(link)}/>",
        f"<updated>{store.iso(updated) or store.iso(datetime.now(UTC))}</updated>",
    ]
    for r in rows:
        permalink = f"{r.url}#comment-{r.id}"
        parts.append(
            f"<entry><id>{escape(permalink)}</id>"
            f"<title>{escape((r.author or 'Anonymous') + ' on ' + (r.title or r.url))}</title>"
            f"<link rel=\"alternate\" href={quoteattr(permalink)}/>"
            f"<author><name>{escape(r.author or 'Anonymous')}</name></author>"
            f"<published>{store.iso(r.created_at)}</published>"
            f"<updated>{store.iso(r.edited_at or r.created_at)}</updated>"
            f"<content type=\"html\">{escape(r.html)}</content></entry>")
    parts.append("</feed>\n")
    return "\n".join(parts)


def _site(session: Session, site: str):
    found = store.find_site(session, site)
    if found is None:
        raise Rejected(404, "unknown site")
    return found


@router.get("/thread", responses=_FEED_RESPONSE, response_class=Response,
            summary="Atom feed of a thread's latest comments")
def thread_feed(session: SessionDep, site: Annotated[str, Query(max_length=512)],
                url: Annotated[str, Query(max_length=2048)]) -> Response:
    try:
        found = _site(session, site)
        canonical = store.thread_url(found.url, url)
    except Rejected as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    thread = store.find_thread(session, found.id, canonical)
    rows = _latest(session, found.id, thread.id) if thread else []
    title = f"Comments on {thread.title or canonical}" if thread else f"Comments on {canonical}"
    return Response(atom(f"{canonical}#comments", title, canonical, rows), media_type=ATOM)


@router.get("/site", responses=_FEED_RESPONSE, response_class=Response,
            summary="Atom feed of a site's latest comments")
def site_feed(session: SessionDep, site: Annotated[str, Query(max_length=512)]) -> Response:
    try:
        found = _site(session, site)
    except Rejected as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    rows = _latest(session, found.id, None)
    return Response(atom(f"{found.url}/#comments", f"Latest comments on {found.name}",
                         found.url, rows), media_type=ATOM)
