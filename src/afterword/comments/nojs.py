"""The thread without JavaScript: ``GET /t`` shows it as plain HTML, ``POST /t`` takes a
regular form and redirects back (Post/Redirect/Get), through the same pipeline as the API."""

from __future__ import annotations

from html import escape
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from afterword.comments.api import ServiceDep, require_site, thread_page, visitor_of
from afterword.comments.pipeline import NewComment
from afterword.comments.store import Rejected
from afterword.web.deps import get_session

router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Comments: {title}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 1.5rem auto;
       padding: 0 1rem; color: #222; background: #fff; }}
@media (prefers-color-scheme: dark) {{ body {{ color: #ddd; background: #181818; }}
  a {{ color: #9cf; }} input, textarea {{ background: #222; color: #ddd; }} }}
ol {{ list-style: none; padding-left: 1.2rem; }} li > article {{ margin: 1rem 0; }}
.meta {{ color: #666; font-size: .9rem; }} .hp {{ display: none; }}
label {{ display: block; margin-top: .6rem; }} input, textarea {{ width: 100%;
  box-sizing: border-box; font: inherit; padding: .3rem; }}
.notice {{ padding: .6rem; border: 1px solid #999; border-radius: 4px; }}
</style></head><body>
<p><a href="{back}">&larr; Back to the article</a></p>
<h1>Comments on {title}</h1>
{notice}
{comments}
{more}
{form}
</body></html>"""


def _comment(c: dict[str, Any], children: dict[int | None, list[dict[str, Any]]],
             reply_link: str) -> str:
    if c["deleted"]:
        body = '<p class="meta">This comment was deleted.</p>'
    else:
        author = escape(c["author"] or "Anonymous")
        if c["website"]:
            author = f'<a href="{escape(c["website"])}" rel="nofollow ugc noopener">{author}</a>'
        body = (f'<p class="meta"><strong>{author}</strong> · <time datetime="{c["created"]}">'
                f'{c["created"][:16].replace("T", " ")}</time> · '
                f'<a href="{escape(reply_link)}&amp;reply={c["id"]}#form">Reply</a></p>'
                f'{c["html"]}')
    kids = "".join(_comment(k, children, reply_link) for k in children.get(c["id"], []))
    nested = f"<ol>{kids}</ol>" if kids else ""
    return f'<li><article id="comment-{c["id"]}">{body}</article>{nested}</li>'


def _render(page: dict[str, Any], site: str, url: str, title: str, notice: str = "",
            reply: int | None = None, values: dict[str, str] | None = None) -> str:
    comments = page["comments"]
    children: dict[int | None, list[dict[str, Any]]] = {}
    ids = {c["id"] for c in comments}
    for c in comments:
        children.setdefault(c["parent"] if c["parent"] in ids else None, []).append(c)
    self_link = "/t?" + urlencode({"site": site, "url": url})
    tree = "".join(_comment(c, children, self_link) for c in children.get(None, []))
    more = (f'<p><a href="{escape(self_link)}&amp;cursor={escape(page["next"])}">'
            "Older comments</a></p>" if page["next"] else "")
    v = values or {}
    closed = page["thread"]["closed"]
    parent = (f'<input type="hidden" name="parent" value="{reply}">'
              f'<p>Replying to <a href="#comment-{reply}">a comment</a>.</p>' if reply else "")
    form = "<p>Comments are closed.</p>" if closed else f"""
<form id="form" method="post" action="/t">
<h2>Leave a Reply</h2>
<input type="hidden" name="site" value="{escape(site)}">
<input type="hidden" name="url" value="{escape(url)}">
<input type="hidden" name="title" value="{escape(title)}">
<input type="hidden" name="token" value="{escape(page["token"])}">
{parent}
<label for="text">Comment (Markdown)</label>
<textarea id="text" name="text" rows="6" required>{escape(v.get("text", ""))}</textarea>
<label for="author">Name</label>
<input id="author" name="author" autocomplete="name" value="{escape(v.get("author", ""))}">
<label for="email">Email{'' if page["config"]["require_email"] else ' (optional)'},
never shown</label>
<input id="email" name="email" type="email" autocomplete="email"
 value="{escape(v.get("email", ""))}"{' required' if page["config"]["require_email"] else ''}>
<label for="website">Website (optional)</label>
<input id="website" name="website" type="url" autocomplete="url"
 value="{escape(v.get("website", ""))}">
<p><input type="checkbox" id="notify" name="notify" value="1" style="width:auto">
<label for="notify" style="display:inline">Email me when someone replies</label></p>
<div class="hp" aria-hidden="true"><label for="hp">Leave this empty</label>
<input id="hp" name="honeypot" tabindex="-1" autocomplete="off"></div>
<p><button type="submit">Post Comment</button></p>
<p class="meta"><a href="{escape(page["config"]["privacy_url"])}">Learn how your comment data
is processed</a></p>
</form>"""
    return _PAGE.format(
        title=escape(title or page["thread"]["title"] or url), back=escape(url),
        notice=notice, comments=f"<ol>{tree}</ol>" if tree else "<p>No comments yet.</p>",
        more=more, form=form)


def _notice(text: str) -> str:
    return f'<p class="notice" role="status">{escape(text)}</p>'


@router.get("/t", response_class=HTMLResponse)
def thread_html(session: SessionDep, comments: ServiceDep,
                site: Annotated[str, Query(max_length=512)],
                url: Annotated[str, Query(max_length=2048)],
                cursor: Annotated[str | None, Query(max_length=200)] = None,
                reply: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                posted: Annotated[str | None, Query(max_length=16)] = None,
                title: Annotated[str, Query(max_length=300)] = "") -> Response:
    try:
        found = require_site(session, site)
        page = thread_page(session, comments, found, url, "oldest", cursor, 50, None)
    except Rejected as exc:
        return HTMLResponse(_notice(exc.message), status_code=exc.status)
    notice = {"published": _notice("Thank you, your comment is published."),
              "pending": _notice("Your comment is awaiting moderation.")}.get(posted or "", "")
    return HTMLResponse(_render(page, site, url, title, notice, reply))


@router.post("/t", response_class=HTMLResponse)
def post_html(request: Request, session: SessionDep, comments: ServiceDep,
              site: Annotated[str, Form(max_length=512)],
              url: Annotated[str, Form(max_length=2048)],
              text: Annotated[str, Form(max_length=10_000)] = "",
              title: Annotated[str, Form(max_length=300)] = "",
              parent: Annotated[int | None, Form(ge=1, le=2**62)] = None,
              author: Annotated[str, Form(max_length=100)] = "",
              email: Annotated[str, Form(max_length=254)] = "",
              website: Annotated[str, Form(max_length=512)] = "",
              honeypot: Annotated[str, Form(max_length=1000)] = "",
              token: Annotated[str, Form(max_length=512)] = "",
              notify: Annotated[bool, Form()] = False) -> Response:
    values = {"text": text, "author": author, "email": email, "website": website}
    try:
        result = comments.submit(site, visitor_of(request.scope), NewComment(
            url=url, text=text, title=title, parent=parent, author=author, email=email,
            website=website, honeypot=honeypot, token=token, notify=notify))
    except Rejected as exc:
        try:
            found = require_site(session, site)
            page = thread_page(session, comments, found, url, "oldest", None, 50, None)
        except Rejected:
            return HTMLResponse(_notice(exc.message), status_code=exc.status)
        return HTMLResponse(_render(page, site, url, title, _notice(exc.message), parent,
                                    values), status_code=exc.status)
    query = urlencode({"site": site, "url": url, "title": title, "posted": result.status})
    anchor = f"#comment-{result.comment['id']}" if result.status == "published" else ""
    return RedirectResponse(f"/t?{query}{anchor}", status_code=303)
