"""The comment API (JSON under ``/api/v1``), documented in ``/openapi.json``.

Handlers are thin: they translate HTTP to :class:`CommentService` calls and back. Every
refusal is a :class:`Rejected` turned into ``{"detail": ...}`` with its status, so bad input
never ends as a 500.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from afterword.comments import store
from afterword.comments.pipeline import CommentService, NewComment, Policy, Visitor
from afterword.comments.render import render
from afterword.comments.store import Rejected, SiteRow
from afterword.web.asgi import Answer, NamedRoute, read_body
from afterword.web.deps import get_session

router = APIRouter(prefix="/api/v1", tags=["comments"])

MAX_ID = 2**62
SiteParam = Annotated[str, Query(max_length=512, description="The site's URL (data-site).")]
UrlParam = Annotated[str, Query(max_length=2048, description="The article's canonical URL.")]


class CommentOut(BaseModel):
    id: int
    parent: int | None
    depth: int
    author: str
    website: str
    html: str = Field(description="Rendered, sanitised HTML of the comment.")
    created: str
    edited: str | None
    likes: int
    deleted: bool = Field(description="A deleted comment kept as a placeholder for its replies.")


class ThreadInfo(BaseModel):
    url: str
    title: str
    count: int = Field(description="Published comments in the thread.")
    closed: bool


class WidgetConfig(BaseModel):
    max_depth: int
    require_email: bool
    edit_window: int = Field(description="Seconds an author may edit or delete their comment.")
    privacy_url: str


class ThreadPage(BaseModel):
    thread: ThreadInfo
    comments: list[CommentOut] = Field(description="Roots of this page and their replies.")
    more_replies: list[int] = Field(description="Roots with more replies than shown.")
    next: str | None = Field(description="Cursor of the next page, null on the last.")
    token: str = Field(description="Render token to send back with a new comment.")
    config: WidgetConfig


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    site: str = Field(max_length=512)
    url: str = Field(max_length=2048)
    title: str = Field("", max_length=300)
    parent: int | None = Field(None, ge=1, le=MAX_ID)
    author: str = Field("", max_length=100)
    email: str = Field("", max_length=254)
    website: str = Field("", max_length=512)
    text: str = Field(min_length=1, max_length=10_000)
    honeypot: str | None = Field(None, max_length=1000,
                                 description="Hidden field; people leave it empty.")
    token: str = Field("", max_length=512, description="Render token from GET /threads.")
    notify: bool = Field(False, description="Email the author replies to this comment "
                                            "(needs an email; sent only once a reply is published).")


class PostedOut(BaseModel):
    comment: CommentOut
    status: Literal["published", "pending"]
    edit_token: str
    edit_until: str | None


class EditIn(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)


class CountsIn(BaseModel):
    site: str = Field(max_length=512)
    urls: list[Annotated[str, Field(max_length=2048)]] = Field(max_length=500)


class PreviewIn(BaseModel):
    text: str = Field(max_length=10_000)


class PreviewOut(BaseModel):
    html: str


class Problem(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 403, 404, 429)}
SessionDep = Annotated[Session, Depends(get_session)]


async def service(request: Request) -> CommentService:
    # async: a plain function dependency would cost each request a trip to the threadpool.
    return request.app.state.comments


ServiceDep = Annotated[CommentService, Depends(service)]


def rejected(exc: Rejected) -> Answer:
    headers = {"retry-after": str(int(exc.retry_after) + 1)} if exc.retry_after else None
    return _json({"detail": exc.message}, exc.status, headers)


def require_site(session: Session, url: str) -> SiteRow:
    site = store.find_site(session, url)
    if site is None:
        raise Rejected(404, "unknown site")
    return site


def visitor_of(scope: Scope) -> Visitor:
    """The poster as the server saw them, read from the ASGI scope (no ``Request`` built)."""
    headers: dict[str, str] = {}
    user_agent = referrer = None
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if name in _PRIVATE_HEADERS:
            continue
        headers[name] = value  # a repeated header keeps its last value
        if name == "user-agent" and user_agent is None:  # the first one, as headers.get()
            user_agent = value
        elif name == "referer" and referrer is None:
            referrer = value
    client = scope.get("client")
    return Visitor(ip=client[0] if client else "", user_agent=user_agent or "",
                   referrer=referrer or "", headers=headers)


_PRIVATE_HEADERS = frozenset({"cookie", "authorization"})


def thread_page(session: Session, comments: CommentService, site: SiteRow, url: str,
                sort: store.Sort, cursor: str | None, limit: int, root: int | None,
                ) -> dict[str, Any]:
    """The JSON body of a thread page; also what the no-JavaScript page renders."""
    canonical = store.thread_url(site.url, url)
    if cursor:  # refuse a bad cursor even where there is nothing to page through
        store.decode_cursor("oldest" if root else sort, cursor)
    thread = store.find_thread(session, site.id, canonical)
    rows: list[Any] = []
    more: set[int] = set()
    next_cursor = None
    if thread and root:
        rows, next_cursor = store.replies_page(session, thread.id, root, cursor, limit)
    elif thread:
        roots, next_cursor = store.roots_page(session, thread.id, sort, cursor, limit)
        children, more = store.replies(session, [r.id for r in roots], per_root=limit)
        rows = roots + children
    return {
        "thread": {"url": canonical, "title": thread.title if thread else "",
                   "count": thread.comment_count if thread else 0,
                   "closed": thread.closed if thread else False},
        "comments": [store.public(r) for r in rows],
        "more_replies": sorted(more),
        "next": next_cursor,
        "token": comments.tokens.render_token(site.id),
        "config": Policy.of(site).public(site),
    }


@router.get("/threads", response_model=ThreadPage, responses=ERRORS,
            summary="A page of a thread's comments")
def get_thread(session: SessionDep, comments: ServiceDep, site: SiteParam, url: UrlParam,
               sort: store.Sort = "newest",
               cursor: Annotated[str | None, Query(max_length=200)] = None,
               limit: Annotated[int, Query(ge=1, le=100)] = 20,
               root: Annotated[int | None, Query(ge=1, le=MAX_ID,
                                                 description="Only this root's replies.")] = None,
               ) -> Response:
    """Top-level comments in ``sort`` order with their replies (``limit`` per root), or with
    ``root`` the next replies of one comment. Pass ``next`` back as ``cursor`` for more."""
    try:
        body = thread_page(session, comments, require_site(session, site), url, sort, cursor,
                           limit, root)
    except Rejected as exc:
        return rejected(exc)
    return JSONResponse(body, headers={"cache-control": "no-store"})


# Documents the operation and its models; requests are served by ``POST_ROUTE`` below.
@router.post("/comments", status_code=201, response_model=PostedOut, responses=ERRORS,
             summary="Post a comment")
async def post_comment(body: CommentIn, request: Request, comments: ServiceDep) -> Response:
    """Checked by the spam engine and the site's moderation policy, then stored durably. A
    held comment answers ``pending``: only its author sees it until a moderator approves."""
    return await _post(comments, body, visitor_of(request.scope))


async def _post(comments: CommentService, body: CommentIn, visitor: Visitor) -> Answer:
    try:
        posted = await comments.post(body.site, visitor, NewComment(
            url=body.url, text=body.text, title=body.title, parent=body.parent,
            author=body.author, email=body.email, website=body.website,
            honeypot=body.honeypot, token=body.token, notify=body.notify))
    except Rejected as exc:
        return rejected(exc)
    return _json({"comment": posted.comment, "status": posted.status,
                  "edit_token": posted.edit_token, "edit_until": posted.edit_until}, 201)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    """JSON encoded as ``JSONResponse`` encodes it, without its checks and copies."""
    body = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Answer(body, "application/json", headers, status)


def _comment_in(raw: bytes) -> CommentIn:
    """The body as FastAPI would read it for ``post_comment``: the same 422 errors (raised for
    the app's handler) and the same 400 for a body that is not text."""
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",),
                                       "msg": "Field required", "input": None}])
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", exc.pos),
                                       "msg": "JSON decode error", "input": {},
                                       "ctx": {"error": exc.msg}}]) from None
    try:
        return CommentIn.model_validate(data, from_attributes=True)  # as FastAPI validates
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])}
             for error in exc.errors(include_url=False)]) from None


class _PostComment:
    """``post_comment`` as a plain ASGI app (see ``afterword.web.asgi``): a comment's own
    checks cost little more than FastAPI's request machinery did. A class, so that the route
    takes it as an ASGI app as it is."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            raw = await read_body(receive)
        except ClientDisconnect:
            return  # nobody is waiting for the answer
        try:
            body = _comment_in(raw)
        except UnicodeDecodeError:
            answer = _json({"detail": "There was an error parsing the body"}, 400)
        else:
            answer = await _post(scope["app"].state.comments, body, visitor_of(scope))
        await answer.send(send)


#: Put ahead of every other route by ``install``: matched before FastAPI's own routes.
POST_ROUTE = NamedRoute("/api/v1/comments", _PostComment(), methods=["POST"],
                        include_in_schema=False)


EditToken = Annotated[str, Header(alias="authorization", max_length=600,
                                  description="Bearer EDIT_TOKEN")]


def _bearer(value: str) -> str:
    return value.removeprefix("Bearer ").strip()


@router.patch("/comments/{comment_id}", response_model=PostedOut, responses=ERRORS,
              summary="Edit your comment")
def edit_comment(comment_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: EditIn,
                 session: SessionDep, comments: ServiceDep, authorization: EditToken) -> Response:
    """Within the edit window, with the edit token the comment was posted with."""
    try:
        posted = comments.edit(session, comment_id, _bearer(authorization), body.text)
    except Rejected as exc:
        return rejected(exc)
    return JSONResponse({"comment": posted.comment, "status": posted.status,
                         "edit_token": posted.edit_token, "edit_until": posted.edit_until})


@router.delete("/comments/{comment_id}", status_code=204, responses=ERRORS,
               summary="Delete your comment")
def delete_comment(comment_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep,
                   comments: ServiceDep, authorization: EditToken) -> Response:
    try:
        comments.delete(session, comment_id, _bearer(authorization))
    except Rejected as exc:
        return rejected(exc)
    return Response(status_code=204)


class LikesOut(BaseModel):
    likes: int = Field(description="The comment's likes, this reader's included.")


@router.post("/comments/{comment_id}/like", response_model=LikesOut, responses=ERRORS,
             summary="Like a comment")
def like_comment(comment_id: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request,
                 comments: ServiceDep) -> Response:
    """One like per reader and published comment, without a cookie: the reader is known by a
    keyed hash of their address and the comment. Liking again changes nothing."""
    try:
        likes = comments.like(comment_id, visitor_of(request.scope).ip)
    except Rejected as exc:
        return rejected(exc)
    return JSONResponse({"likes": likes})


@router.post("/counts", response_model=dict[str, int], responses=ERRORS,
             summary="Comment counts for many URLs")
def post_counts(body: CountsIn, session: SessionDep) -> Response:
    """Published comments per URL, keyed by the URLs as sent; URLs of other sites count 0."""
    try:
        site = require_site(session, body.site)
    except Rejected as exc:
        return rejected(exc)
    canonical = {}
    for url in body.urls:
        try:
            canonical[url] = store.thread_url(site.url, url)
        except Rejected:
            canonical[url] = ""
    return JSONResponse(store.counts(session, site.id, canonical))


@router.post("/preview", response_model=PreviewOut, summary="Render Markdown as it would show")
def preview(body: PreviewIn) -> Response:
    return JSONResponse({"html": render(body.text)})
