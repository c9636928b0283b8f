"""HTTP doors of related posts: the list, the push API, page reports, and related.js.

Page reports come from readers' browsers, so they are trusted for nothing but relatedness:
only from the site's allowed origins, for URLs on those origins, rate-limited per address
and per site, size-bounded, and reduced to plain text (any HTML in a title is dropped, not
rendered). Every refusal is a 4xx with a one-line reason, never a 500.
"""

from __future__ import annotations

import html
from datetime import datetime
from importlib.resources import files
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import nh3
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from afterword.related.admin import router as admin_router
from afterword.related.skips import record_skip
from afterword.related.store import (
    ArticleIn,
    ArticleRefused,
    RelatedService,
    set_status,
    upsert_article,
)
from afterword.sites import SiteError, get_site, lookup_key, origin_of
from afterword.web.deps import get_session

router = APIRouter(tags=["related"])
router.include_router(admin_router)
SessionDep = Annotated[Session, Depends(get_session)]

REPORTS_PER_IP = (20, 60.0)  # per minute from one address
REPORTS_PER_SITE = (600, 3600.0)  # new or changed pages per hour for one site


def service(request: Request) -> RelatedService:
    svc = getattr(request.app.state, "related_service", None)
    if svc is None:
        svc = request.app.state.related_service = RelatedService(request.app.state.sessions)
    return svc


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def clean_text(value: str, limit: int) -> str:
    """Plain text from whatever arrived: tags removed, entities decoded, space collapsed."""
    text = html.unescape(nh3.clean(value[: limit * 4], tags=set()))
    return " ".join(text.split())[:limit]


def canonical_url(url: str) -> str | None:
    """``url`` without fragment and with a lower-case host; None if it is not http(s)."""
    try:  # urlsplit and .port raise ValueError on "http://[" or port 99999
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2048:
        return None
    netloc = parts.hostname.lower() + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


class ArticlePayload(BaseModel):
    url: str = Field(max_length=2048)
    title: str = Field("", max_length=2000)
    description: str = Field("", max_length=5000)
    text: str = Field("", max_length=500_000)
    tags: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list,
                                                               max_length=100)
    image: str = Field("", max_length=2048)
    published_at: datetime | None = None
    modified_at: datetime | None = None


class PageReport(ArticlePayload):
    site: str = Field(max_length=512)


def _article(payload: ArticlePayload, url: str) -> ArticleIn:
    image = payload.image if canonical_url(payload.image) else ""
    return ArticleIn(url=url, title=clean_text(payload.title, 300),
                     description=clean_text(payload.description, 1000),
                     body=clean_text(payload.text, 60_000),
                     tags=[t for t in (clean_text(t, 100) for t in payload.tags) if t],
                     image=image, published_at=payload.published_at,
                     modified_at=payload.modified_at)


@router.get("/api/v1/related", summary="Articles related to one article of a site")
def related(request: Request, session: SessionDep, site: str, url: str,
            limit: Annotated[int, Query(ge=1, le=20)] = 5) -> JSONResponse:
    try:
        found = get_site(session, site)
    except (SiteError, ValueError) as exc:  # ValueError: a port like :99999
        return _error(400, str(exc))
    page = canonical_url(url)
    if found is None:
        return _error(404, "unknown site")
    if page is None:
        return _error(400, "url must be an http(s) URL")
    items = service(request).related(found.id, page, limit)
    return JSONResponse({"url": page, "related": [
        {"url": r.url, "title": r.title, "image": r.image or None, "score": r.score,
         "published_at": r.published_at.isoformat() if r.published_at else None}
        for r in items]}, headers={"cache-control": "public, max-age=60"})


def _skip(session: Session, site_id: int, source: str, url: str, status: int,
          reason: str) -> JSONResponse:
    """Refuse an article of a known site, and list the reason on the admin's skips page."""
    if record_skip(session, site_id, source, url, reason):
        session.commit()
    return _error(status, reason)


def _key_site(session: Session, authorization: str | None, x_api_key: str | None):
    key = (x_api_key or "").strip()
    if not key and authorization and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    found = lookup_key(session, key) if key else None
    if found is None or found.revoked:
        return None
    return get_site(session, found.site_url)


@router.post("/api/v1/articles", summary="Add or update an article (API key)")
def push_article(request: Request, session: SessionDep, payload: ArticlePayload,
                 authorization: Annotated[str | None, Header()] = None,
                 x_api_key: Annotated[str | None, Header()] = None) -> JSONResponse:
    site = _key_site(session, authorization, x_api_key)
    if site is None:
        return _error(401, "a valid API key is required (Authorization: Bearer KEY)")
    url = canonical_url(payload.url)
    if url is None:
        return _error(400, "url must be an http(s) URL")
    try:
        outcome = upsert_article(session, site, _article(payload, url), source="api")
    except ArticleRefused as exc:
        session.rollback()
        return _skip(session, site.id, "api", url, 409, str(exc))
    session.commit()
    service(request).refresh(site.id, force=True)
    return JSONResponse({"url": url, "status": outcome}, status_code=201)


@router.delete("/api/v1/articles", summary="Remove an article (gone or unpublished)")
def remove_article(request: Request, session: SessionDep, url: str,
                   authorization: Annotated[str | None, Header()] = None,
                   x_api_key: Annotated[str | None, Header()] = None) -> JSONResponse:
    site = _key_site(session, authorization, x_api_key)
    if site is None:
        return _error(401, "a valid API key is required (Authorization: Bearer KEY)")
    page = canonical_url(url)
    if page is None or not set_status(session, site, page, "removed"):
        return _error(404, "no such article")
    session.commit()
    service(request).refresh(site.id, force=True)
    return JSONResponse({"url": page, "status": "removed"})


@router.post("/api/v1/related/report", summary="Page report from related.js (browser)")
def report_page(request: Request, session: SessionDep, payload: PageReport,
                origin: Annotated[str | None, Header()] = None) -> JSONResponse:
    limiter = request.app.state.rate_limiter
    ip = request.client.host if request.client else ""
    if not limiter.hit(f"related-report:ip:{ip}", *REPORTS_PER_IP).allowed:
        return _error(429, "too many page reports from this address")
    try:
        site = get_site(session, payload.site)
    except (SiteError, ValueError) as exc:  # ValueError: a port like :99999
        return _error(400, str(exc))
    if site is None:
        return _error(404, "unknown site")
    url = canonical_url(payload.url)
    allowed = set(site.allowed_origins or ())
    page = (url or payload.url)[:2048]
    if not origin or origin not in allowed:
        return _skip(session, site.id, "page", page, 403,
                     "page reports are accepted only from the site's own origins")
    if url is None or origin_of(url) not in allowed:
        return _skip(session, site.id, "page", page, 403,
                     "the reported URL is not on the site's origins")
    if not limiter.hit(f"related-report:site:{site.id}", *REPORTS_PER_SITE).allowed:
        return _skip(session, site.id, "page", page, 429, "too many page reports for this site")
    article = _article(payload, url)
    if not (article.title or article.body):
        return _skip(session, site.id, "page", page, 422,
                     "nothing to index: the page has no title and no article text")
    try:
        outcome = upsert_article(session, site, article, source="page")
    except ArticleRefused as exc:
        session.rollback()
        return _skip(session, site.id, "page", page, 409, str(exc))
    session.commit()
    return JSONResponse({"url": url, "status": outcome}, status_code=202)


@router.get("/related.js", include_in_schema=False)
def related_js() -> Response:
    body = files("afterword.static").joinpath("related.js").read_bytes()
    return Response(body, media_type="text/javascript; charset=utf-8",
                    headers={"cache-control": "public, max-age=3600"})
