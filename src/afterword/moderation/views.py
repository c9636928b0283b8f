"""The admin pages under ``/admin/``: server-rendered, htmx for in-place actions.

Every page works without JavaScript (forms post and redirect back); with it, htmx swaps the
acted-on comment out of the list and ``admin.js`` adds keyboard shortcuts. Every POST needs
the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterword.comments.pipeline import MODERATION_MODES
from afterword.db.models import ModeratorPrefs, ModRule, Site, Thread, User, Webhook
from afterword.moderation import actions, auth, dashboard, notify, queues, rules
from afterword.moderation.accounts import AccountError, set_password, verify_password
from afterword.moderation.actions import ActionError
from afterword.moderation.auth import Admin, AuthError, CsrfError
from afterword.web.deps import get_session

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
router = APIRouter(prefix="/admin", include_in_schema=False)
public = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]
BULK_MAX = 10_000  # ids one bulk form may list; "all matching" has no limit


class LoginRequired(Exception):
    """Raised by :func:`admin_of`; answered with a redirect to the sign-in page."""


def admin_of(request: Request, db: SessionDep) -> Admin:
    admin = auth.current_admin(db, request)
    if admin is None:
        raise LoginRequired
    return admin


AdminDep = Annotated[Admin, Depends(admin_of)]


async def form_of(request: Request, admin: AdminDep) -> dict[str, Any]:
    """The posted form, after its CSRF token was checked against the session."""
    auth.check_origin(request)
    # A bulk action may name 10,000 comments, each its own `ids` field.
    form = await request.form(max_fields=BULK_MAX + 100)
    token = request.headers.get("x-csrf-token") or str(form.get("csrf", ""))
    auth.check_csrf(admin, token)
    return {"_list": form, **{k: form.get(k) for k in form}}


FormDep = Annotated[dict[str, Any], Depends(form_of)]


def render(request: Request, name: str, admin: Admin | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, name, {"admin": admin, **context},
                                          status_code=status)
    # Commenters' addresses and IPs: never kept in a shared or back-button cache.
    response.headers["cache-control"] = "no-store"
    return response


def _sites(db: Session, admin: Admin) -> list[Site]:
    query = select(Site).order_by(Site.name)
    if not admin.all_sites:
        query = query.where(Site.id.in_(admin.site_ids))
    return list(db.scalars(query))


def _site_for(db: Session, admin: Admin, site_id: int) -> Site:
    site = db.get(Site, site_id)
    if site is None or not admin.can(site_id):
        raise ActionError("you do not moderate this site", 403)
    return site


def _back(request: Request, default: str, **params: Any) -> RedirectResponse:
    """Redirect to the admin page the form was on (its filters kept), with the outcome."""
    referer = urlsplit(request.headers.get("referer") or "")
    # Only ever back to one of our own admin pages, whatever the Referer says.
    if referer.path.startswith("/admin/"):
        base, query = referer.path, referer.query
    else:
        base, _, query = default.partition("?")
    kept = [p for p in query.split("&") if p and not p.startswith(("done=", "error="))]
    kept += [urlencode({k: v}) for k, v in params.items()]
    return RedirectResponse(base + ("?" + "&".join(kept) if kept else ""), status_code=303)


# -- access ------------------------------------------------------------------------------------

@router.get("/login")
def login_page(request: Request, db: SessionDep) -> Response:
    if auth.current_admin(db, request) is not None:
        return RedirectResponse("/admin/", status_code=303)
    return render(request, "login.html", None)


@router.post("/login")
async def login(request: Request, db: SessionDep) -> Response:
    auth.check_origin(request)
    form = await request.form()
    try:
        cookie = auth.login(db, request, str(form.get("username", "")),
                            str(form.get("password", "")))
    except AuthError as exc:
        return render(request, "login.html", None, 401, error=str(exc),
                      username=str(form.get("username", ""))[:100])
    response = RedirectResponse("/admin/queue", status_code=303)
    auth.set_cookie(response, request, cookie)
    return response


@router.post("/logout")
def logout(admin: AdminDep, form: FormDep, db: SessionDep) -> Response:
    auth.logout(db, admin)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


@router.get("/account")
def account_page(request: Request, admin: AdminDep, db: SessionDep) -> Response:
    prefs = db.get(ModeratorPrefs, admin.id) or ModeratorPrefs(notify="each", digest_minutes=60)
    return render(request, "account.html", admin, prefs=prefs,
                  done=request.query_params.get("done"))


@router.post("/account/password")
def change_password(request: Request, admin: AdminDep, form: FormDep,
                    db: SessionDep) -> Response:
    user = db.get(User, admin.id)
    assert user is not None
    error = None
    if not verify_password(user, str(form.get("current", ""))):
        error = "the current password is wrong"
    elif form.get("new") != form.get("confirm"):
        error = "the two new passwords differ"
    else:
        try:
            set_password(db, user.username, str(form.get("new", "")))
        except AccountError as exc:
            error = str(exc)
    if error:
        prefs = db.get(ModeratorPrefs, admin.id) or ModeratorPrefs(notify="each",
                                                                   digest_minutes=60)
        return render(request, "account.html", admin, 400, error=error, prefs=prefs)
    auth.end_other_sessions(db, admin)
    db.commit()
    return RedirectResponse("/admin/account?done=password", status_code=303)


@router.post("/account/notifications")
def change_notifications(admin: AdminDep, form: FormDep, db: SessionDep) -> Response:
    prefs = db.get(ModeratorPrefs, admin.id)
    if prefs is None:
        prefs = ModeratorPrefs(user_id=admin.id)
        db.add(prefs)
    prefs.notify = form.get("notify") if form.get("notify") in ("each", "digest", "off") else "each"
    minutes = str(form.get("digest_minutes", ""))
    prefs.digest_minutes = max(5, min(int(minutes), 7 * 24 * 60)) if minutes.isdigit() else 60
    db.commit()
    return RedirectResponse("/admin/account?done=notifications", status_code=303)


@router.get("/team")
def team_page(request: Request, admin: AdminDep, db: SessionDep) -> Response:
    if admin.role != "owner":
        raise ActionError("only owners manage the team", 403)
    users = list(db.scalars(select(User).order_by(User.username)))
    return render(request, "team.html", admin, users=users, sites=_sites(db, admin),
                  done=request.query_params.get("done"))


@router.post("/team/{user_id}")
def save_member(user_id: int, admin: AdminDep, form: FormDep, db: SessionDep) -> Response:
    """An owner sets a moderator's email and the sites they may moderate (none: all)."""
    if admin.role != "owner":
        raise ActionError("only owners manage the team", 403)
    user = db.get(User, user_id)
    if user is None:
        raise ActionError("no such account", 404)
    known = set(db.scalars(select(Site.id)))
    user.site_ids = sorted({int(v) for v in form["_list"].getlist("sites")
                            if str(v).isdigit() and int(v) in known})
    user.email = str(form.get("email", "")).strip()[:320]
    db.commit()
    return RedirectResponse("/admin/team?done=saved", status_code=303)


# -- dashboard and queues ------------------------------------------------------------------------

@router.get("/")
def home(request: Request, admin: AdminDep, db: SessionDep) -> Response:
    site = request.query_params.get("site", "")
    site_id = int(site) if site.isdigit() else None
    figures = dashboard.cached_stats(request.app.state, db, admin, site_id)
    return render(request, "dashboard.html", admin, stats=figures, site=site_id,
                  sites=_sites(db, admin), chart=dashboard.chart(figures.days),
                  counts=queues.counts(db, admin, site_id))


@router.get("/queue")
def queue(request: Request, admin: AdminDep, db: SessionDep) -> Response:
    f = queues.Filters.parse(request.query_params)
    rows, total = queues.page(db, admin, f)
    context = dict(rows=rows, total=total, f=f, sites=_sites(db, admin),
                   counts=queues.counts(db, admin, f.site), statuses=queues.STATUSES,
                   sorts=queues.SORTS, page_size=queues.PAGE,
                   done=request.query_params.get("done", ""),
                   error=request.query_params.get("error", ""), labels=actions.LABELS)
    return render(request, "queue.html", admin, **context)


def _learner(request: Request):
    from afterword.web.deps import spam_engine_for

    return actions.make_learner(lambda: spam_engine_for(request.app))


@router.post("/comments/{comment_id}/{action}")
def act(request: Request, comment_id: int, action: str, admin: AdminDep, form: FormDep,
        db: SessionDep) -> Response:
    settings = request.app.state.settings
    if action == "edit":
        actions.edit(db, admin, comment_id, str(form.get("text", "")))
        return _back(request, "/admin/queue", done="edit:1")
    if action == "reply":
        actions.reply_as_site(db, admin, comment_id, str(form.get("text", "")),
                              settings=settings)
        return _back(request, "/admin/queue", done="reply:1")
    actions.moderated_comment(db, admin, comment_id)  # a clear 404/403 before anything else
    outcome = actions.apply(db, admin, [comment_id], action, settings=settings,
                            learner=_learner(request))
    if request.headers.get("hx-request"):
        return render(request, "_done.html", admin, action=action, count=outcome.done,
                      labels=actions.LABELS, comment_id=comment_id)
    return _back(request, "/admin/queue", done=f"{action}:{outcome.done}")


@router.get("/comments/{comment_id}")
def comment_page(request: Request, comment_id: int, admin: AdminDep,
                 db: SessionDep) -> Response:
    comment = actions.moderated_comment(db, admin, comment_id)
    return render(request, "comment.html", admin, c=comment,
                  edits=actions.history(db, comment_id),
                  thread=db.get(Thread, comment.thread_id),
                  domains=rules.domains_in(f"{comment.text} {comment.website}"))


@router.post("/bulk")
def bulk(request: Request, admin: AdminDep, form: FormDep, db: SessionDep) -> Response:
    action = str(form.get("action", ""))
    if form.get("all_matching") == "1":
        f = queues.Filters.parse(form)
        ids = list(db.scalars(queues.matching(admin, f)))
    else:
        ids = [int(v) for v in form["_list"].getlist("ids") if str(v).isdigit()]
    if not ids:
        return _back(request, "/admin/queue", error="select some comments first")
    outcome = actions.apply(db, admin, ids, action, settings=request.app.state.settings,
                            learner=_learner(request))
    return _back(request, "/admin/queue", done=f"{action}:{outcome.done}")


@router.post("/undo")
def undo(request: Request, admin: AdminDep, form: FormDep, db: SessionDep) -> Response:
    outcome = actions.undo_last(db, admin, settings=request.app.state.settings,
                                learner=_learner(request))
    return _back(request, "/admin/queue", done=f"undo:{outcome.done}")


@router.post("/threads/{thread_id}/lock")
def lock(request: Request, thread_id: int, admin: AdminDep, form: FormDep,
         db: SessionDep) -> Response:
    actions.lock_thread(db, admin, thread_id, form.get("locked") == "1")
    return _back(request, "/admin/queue", done=f"lock:{1 if form.get('locked') == '1' else 0}")


# -- bans and lists ------------------------------------------------------------------------------

@router.get("/rules")
def rules_page(request: Request, admin: AdminDep, db: SessionDep) -> Response:
    sites = _sites(db, admin)
    query = select(ModRule).order_by(ModRule.kind, ModRule.value)
    if not admin.all_sites:
        query = query.where(ModRule.site_id.in_(admin.site_ids))
    prefill = {k: request.query_params.get(k, "")[:320] for k in ("kind", "value", "site")}
    return render(request, "rules.html", admin, rules=list(db.scalars(query)), sites=sites,
                  kinds=rules.KINDS, now=datetime.now(UTC), prefill=prefill,
                  site_names={s.id: s.name for s in sites},
                  done=request.query_params.get("done"),
                  error=request.query_params.get("error"))


@router.post("/rules")
def add_rule(request: Request, admin: AdminDep, form: FormDep, db: SessionDep) -> Response:
    site = str(form.get("site", ""))
    site_id = int(site) if site.isdigit() else None
    if site_id is None and not admin.all_sites:
        return _back(request, "/admin/rules", error="choose one of your sites")
    if site_id is not None:
        _site_for(db, admin, site_id)
    days = str(form.get("days", ""))
    try:
        rules.add_rule(db, site_id, str(form.get("kind", "")), str(form.get("value", "")),
                       note=str(form.get("note", "")),
                       days=int(days) if days.isdigit() and int(days) > 0 else None,
                       created_by=admin.username)
    except rules.RuleError as exc:
        return RedirectResponse("/admin/rules?" + urlencode({"error": str(exc)}), 303)
    db.commit()
    return RedirectResponse("/admin/rules?done=added", status_code=303)


@router.post("/rules/{rule_id}/delete")
def delete_rule(rule_id: int, admin: AdminDep, form: FormDep, db: SessionDep) -> Response:
    rule = db.get(ModRule, rule_id)
    if rule is None:
        raise ActionError("no such rule", 404)
    if rule.site_id is None and not admin.all_sites or (
            rule.site_id is not None and not admin.can(rule.site_id)):
        raise ActionError("this rule belongs to a site you do not moderate", 403)
    db.delete(rule)
    db.commit()
    return RedirectResponse("/admin/rules?done=removed", status_code=303)


# -- per-site settings ---------------------------------------------------------------------------

@router.get("/sites/{site_id}")
def site_page(request: Request, site_id: int, admin: AdminDep, db: SessionDep) -> Response:
    site = _site_for(db, admin, site_id)
    hooks = list(db.scalars(select(Webhook).where(Webhook.site_id == site_id)))
    return render(request, "site.html", admin, site=site, s=site.settings or {}, hooks=hooks,
                  modes=MODERATION_MODES, events=notify.EVENTS,
                  done=request.query_params.get("done"))


@router.post("/sites/{site_id}")
def save_site(site_id: int, admin: AdminDep, form: FormDep, db: SessionDep) -> Response:
    site = _site_for(db, admin, site_id)
    settings = dict(site.settings or {})
    if form.get("moderation") in MODERATION_MODES:
        settings["moderation"] = form["moderation"]
    settings["auto_approve_authors"] = form.get("auto_approve_authors") == "1"
    for name, (low, high) in rules.LIMITS.items():
        raw = str(form.get(name, "")).strip()
        if raw.isdigit() and low <= int(raw) <= high:
            settings[name] = int(raw)
        elif raw == "":
            settings.pop(name, None)
    site.settings = settings
    db.commit()
    return RedirectResponse(f"/admin/sites/{site_id}?done=saved", status_code=303)


@router.post("/sites/{site_id}/webhooks")
def add_webhook(site_id: int, admin: AdminDep, form: FormDep, db: SessionDep) -> Response:
    import secrets

    _site_for(db, admin, site_id)
    url = str(form.get("url", "")).strip()
    if not url.startswith(("http://", "https://")) or len(url) > 2048:
        raise ActionError("the webhook URL must start with http:// or https://")
    events = [e for e in form["_list"].getlist("events") if e in notify.EVENTS]
    db.add(Webhook(site_id=site_id, url=url, events=events or list(notify.EVENTS),
                   secret=str(form.get("secret", "")).strip()[:100] or secrets.token_hex(20)))
    db.commit()
    return RedirectResponse(f"/admin/sites/{site_id}?done=webhook", status_code=303)


@router.post("/sites/{site_id}/webhooks/{hook_id}/delete")
def delete_webhook(site_id: int, hook_id: int, admin: AdminDep, form: FormDep,
                   db: SessionDep) -> Response:
    _site_for(db, admin, site_id)
    hook = db.get(Webhook, hook_id)
    if hook is not None and hook.site_id == site_id:
        db.delete(hook)
        db.commit()
    return RedirectResponse(f"/admin/sites/{site_id}?done=webhook-removed", status_code=303)


# -- public: one-click unsubscribe -----------------------------------------------------------------

@public.get("/notify/unsubscribe")
def unsubscribe_page(request: Request, t: str = "") -> Response:
    """Ask before acting: mail scanners and link previews open every link in an email, and
    a GET that unsubscribed would silently stop the reader's reply notifications."""
    ok = notify.unsubscribe_target(request.app.state.settings.secret, t[:500]) is not None
    return render(request, "unsubscribed.html", None, 200 if ok else 400, ok=ok, confirm=True,
                  token=t[:500])


@public.post("/notify/unsubscribe")
def unsubscribe(request: Request, db: SessionDep, t: str = "") -> Response:
    """The button on that page, and RFC 8058 one-click from the mail client
    (``List-Unsubscribe-Post``): the signed token in the link is the whole authority."""
    ok = notify.unsubscribe(db, request.app.state.settings.secret, t[:500])
    return render(request, "unsubscribed.html", None, 200 if ok else 400, ok=ok, confirm=False)


def error_page(request: Request, status: int, message: str) -> Response:
    if request.headers.get("hx-request"):
        return HTMLResponse(f'<p class="flash error" role="alert">{escape(message)}</p>',
                            status_code=status, headers={"HX-Retarget": "#flash",
                                                         "HX-Reswap": "innerHTML"})
    return render(request, "error.html", None, status, message=message)


def handlers() -> dict[type[Exception], Any]:
    """Exception handlers the app installs: clear pages instead of tracebacks."""

    def login_required(request: Request, _exc: Exception) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/admin/login"})
        return RedirectResponse("/admin/login", status_code=303)

    def csrf(request: Request, exc: Exception) -> Response:
        return error_page(request, 403, str(exc))

    def action(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ActionError)
        return error_page(request, exc.status, exc.message)

    return {LoginRequired: login_required, CsrfError: csrf, ActionError: action}
