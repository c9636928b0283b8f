"""``/admin/privacy``: an owner or moderator exports or erases a person's data for them.

Uses the admin's sign-in, CSRF check and page layout (``afterword.moderation.views``), and
the same functions as the emailed link, so both doors erase the same things.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterword.db.models import ErasureLog, Site
from afterword.moderation.auth import Admin
from afterword.moderation.views import AdminDep, FormDep, SessionDep
from afterword.privacy.rights import erase_person, export_person

router = APIRouter(prefix="/admin", include_in_schema=False)
_HERE = Path(__file__).parent
# The admin's own templates first, so ``base.html`` is the admin layout.
TEMPLATES = Jinja2Templates(directory=[_HERE.parent / "moderation" / "templates",
                                       _HERE / "templates" / "admin"])


def _sites(db: Session, admin: Admin) -> list[Site]:
    return [s for s in db.scalars(select(Site).order_by(Site.name)) if admin.can(s.id)]


def _page(request: Request, db: Session, admin: Admin, status: int = 200, **context) -> Response:
    log = db.scalars(select(ErasureLog).order_by(ErasureLog.id.desc()).limit(20)).all()
    return TEMPLATES.TemplateResponse(request, "privacy.html", {
        "admin": admin, "sites": _sites(db, admin), "log": log,
        "mode": request.app.state.settings.erasure_mode, **context}, status_code=status)


@router.get("/privacy")
def privacy_page(request: Request, admin: AdminDep, db: SessionDep) -> Response:
    return _page(request, db, admin)


@router.post("/privacy")
def privacy_action(request: Request, admin: AdminDep, form: FormDep, db: SessionDep) -> Response:
    email = str(form.get("email") or "").strip()
    try:
        site = db.get(Site, int(str(form.get("site_id") or "0")))
    except ValueError:
        site = None
    if site is None or not admin.can(site.id):
        return _page(request, db, admin, 403, error="you do not moderate this site")
    if "@" not in email:
        return _page(request, db, admin, 400, error="enter an email address")
    if form.get("action") == "erase":
        entry = erase_person(db, site, email, request.app.state.settings.erasure_mode,
                             via="admin")
        return _page(request, db, admin, result=f"{entry.comments} comment(s) {entry.mode}, "
                     f"{entry.records} other record(s) removed.")
    body = json.dumps(export_person(db, site, email), indent=2, ensure_ascii=False)
    return Response(body, media_type="application/json", headers={
        "content-disposition": 'attachment; filename="comments-export.json"',
        "cache-control": "no-store"})
