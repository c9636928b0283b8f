"""Admin page: why a site's pages were not indexed for related posts."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader

from afterword.db.models import Site
from afterword.moderation import views as moderation
from afterword.related.skips import KEEP, recent_skips

router = APIRouter(prefix="/admin", include_in_schema=False)
# Our page extends the admin's base layout, so both template folders are searched.
TEMPLATES = Jinja2Templates(env=moderation.TEMPLATES.env.overlay(loader=ChoiceLoader([
    FileSystemLoader(Path(__file__).with_name("templates")),
    moderation.TEMPLATES.env.loader])))


@router.get("/related/skips", response_class=HTMLResponse)
def skips_page(request: Request, db: moderation.SessionDep, admin: moderation.AdminDep,
               site: int | None = None) -> HTMLResponse:
    sites = moderation._sites(db, admin)
    chosen: Site | None = next((s for s in sites if s.id == site), sites[0] if sites else None)
    rows = recent_skips(db, chosen.id) if chosen is not None else []
    response = TEMPLATES.TemplateResponse(
        request, "related_skips.html",
        {"admin": admin, "sites": sites, "site": chosen, "skips": rows, "keep": KEEP})
    response.headers["cache-control"] = "no-store"
    return response
