"""Pages at ``/privacy/{site}``: the notice, and the export / erasure requests it offers.

Following the emailed link only shows a confirmation page; the action happens on its POST,
so a mail scanner that fetches links erases nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from afterword.config import Settings
from afterword.db.models import Outbox, Site
from afterword.privacy.ip import ip_prefix
from afterword.privacy.notice import build_notice
from afterword.privacy.rights import (
    ACTIONS,
    LinkError,
    count_comments,
    erase_person,
    export_person,
    read_request,
    sign_request,
)
from afterword.web.deps import get_session, get_settings

router = APIRouter(tags=["privacy"])
TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _page(request: Request, name: str, site: Site, status: int = 200, **context) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, name, {"site_id": site.id, "site_name": site.name or site.url, **context},
        status_code=status, headers={"cache-control": "no-store"})


def _message(request: Request, site: Site, heading: str, message: str,
             status: int = 200) -> HTMLResponse:
    return _page(request, "message.html", site, status, heading=heading, message=message)


def _site(session: Session, site_id: int) -> Site | None:
    return session.get(Site, site_id) if 0 < site_id < 2**31 else None


def _not_found() -> Response:
    return Response("no such site\n", status_code=404, media_type="text/plain")


@router.get("/privacy/{site_id}", response_class=HTMLResponse,
            summary="How this site's comment data is processed")
def notice(site_id: int, request: Request, session: SessionDep,
           settings: SettingsDep) -> Response:
    site = _site(session, site_id)
    if site is None:
        return _not_found()
    return _page(request, "notice.html", site, notice=build_notice(session, settings, site))


@router.post("/privacy/{site_id}/request", response_class=HTMLResponse,
             summary="Email a signed export or erasure link to an address")
def ask(site_id: int, request: Request, session: SessionDep, settings: SettingsDep,
        email: Annotated[str, Form(max_length=320)] = "",
        action: Annotated[str, Form(max_length=16)] = "export") -> Response:
    site = _site(session, site_id)
    if site is None:
        return _not_found()
    email = email.strip()
    if not _EMAIL.match(email) or action not in ACTIONS:
        return _message(request, site, "Check the form",
                        "Enter the email address you commented with and choose an action.", 400)
    if not settings.smtp_host:
        return _message(request, site, "Email is not set up",
                        "This server cannot send email, so it cannot confirm your address. "
                        + (f"Contact the operator: {settings.privacy_contact}."
                           if settings.privacy_contact else "Contact the site's operator."), 503)
    limiter = request.app.state.rate_limiter
    client = request.client.host if request.client else ""
    for key in (f"privacy:ip:{ip_prefix(client) or client}", f"privacy:email:{email.lower()}"):
        if not limiter.hit(key, 5, 3600.0).allowed:
            return _message(request, site, "Too many requests",
                            "Too many requests for now; try again in an hour.", 429)
    # The same answer whether or not the address has comments here: the page must not tell
    # a stranger who commented. Only addresses with data get an email.
    if count_comments(session, site.id, email):
        token = sign_request(settings.secret, site.id, email, action)  # type: ignore[arg-type]
        link = f"{settings.base_url.rstrip('/')}/privacy/{site.id}/confirm?token={token}"
        what = "a copy of your data" if action == "export" else "erasure of your data"
        session.add(Outbox(kind="email", site_id=site.id, payload={
            "to": email,
            "subject": f"Confirm your request about your comments on {site.name or site.url}",
            "body": (f"Someone (hopefully you) asked for {what} on {site.url}.\n\n"
                     f"To confirm, open this link within 48 hours:\n{link}\n\n"
                     "If it was not you, ignore this email: nothing happens without the link.\n"),
        }))
        session.commit()
    return _message(request, site, "Check your inbox",
                    f"If comments on this site are tied to {email}, we have sent a "
                    "confirmation link to that address. It is valid for 48 hours.")


@router.get("/privacy/{site_id}/confirm", response_class=HTMLResponse,
            summary="Show what a confirmation link will do")
def confirm_page(site_id: int, request: Request, session: SessionDep, settings: SettingsDep,
                 token: str = "") -> Response:
    site = _site(session, site_id)
    if site is None:
        return _not_found()
    try:
        asked = read_request(settings.secret, token, site.id)
    except LinkError as exc:
        return _message(request, site, "Link not valid", str(exc), 400)
    notice_ = build_notice(session, settings, site)
    return _page(request, "confirm.html", site, action=asked.action, email=asked.email,
                 token=token, count=count_comments(session, site.id, asked.email),
                 erasure=notice_.erasure)


@router.post("/privacy/{site_id}/confirm", summary="Carry out a confirmed export or erasure")
def confirm(site_id: int, request: Request, session: SessionDep, settings: SettingsDep,
            token: Annotated[str, Form(max_length=2000)] = "") -> Response:
    site = _site(session, site_id)
    if site is None:
        return _not_found()
    try:
        asked = read_request(settings.secret, token, site.id)
    except LinkError as exc:
        return _message(request, site, "Link not valid", str(exc), 400)
    if asked.action == "export":
        body = json.dumps(export_person(session, site, asked.email), indent=2,
                          ensure_ascii=False)
        return Response(body, media_type="application/json", headers={
            "content-disposition": 'attachment; filename="my-comments.json"',
            "cache-control": "no-store"})
    entry = erase_person(session, site, asked.email, settings.erasure_mode, via="link")
    done = "anonymised" if entry.mode == "keep-anonymous" else "deleted"
    return _message(request, site, "Your data was erased",
                    f"{entry.comments} comment{'' if entry.comments == 1 else 's'} {done}, "
                    f"{entry.records} other record{'' if entry.records == 1 else 's'} removed.")
