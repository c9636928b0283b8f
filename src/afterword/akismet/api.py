"""The Akismet REST API: ``/1.1/*`` and ``/1.2/*`` as Akismet answers them.

Akismet's conventions, followed exactly because clients depend on them: every answer is
HTTP 200 with the verdict in a ``text/plain`` body (JSON for the statistics), problems are
the body ``invalid`` plus an ``X-akismet-debug-help`` header naming them, and that header (or
an ``X-akismet-alert-*`` one) is never sent on a good answer because some clients raise on
sight of it. Only transport-level trouble gets a 4xx: a wrong method (405), a body that is
too large (413, from the middleware) or unreadable (400), and the per-key rate limit (429).
Server-side failure is a 503 with ``X-akismet-error``: the WordPress plugin then holds the
comment for moderation and asks again later, which is what should happen.

The endpoints are plain ASGI apps on Starlette routes placed ahead of every other route, not
FastAPI operations: FastAPI's matching through included routers and its request machinery
cost more than the rest of the transport, and comment-check is measured against a bare
endpoint. They read the body from ``receive`` and send their answer themselves, without
Starlette's ``Request``/``Response`` wrapping (about 7 µs of a check). They are documented
in the OpenAPI schema by ``openapi_paths`` instead.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from afterword.akismet.forms import Fields, parse_form
from afterword.akismet.keys import KeyInfo, blog_matches, key_from_host
from afterword.akismet.service import AkismetService
from afterword.akismet.stats import month_bounds, since_of, totals
from afterword.sites import SiteError
from afterword.web.asgi import Answer, NamedRoute, read_body
from afterword.web.warmup import first_checks_in_turn, warmed_up

__all__ = ["ROUTES", "openapi_paths"]

log = logging.getLogger("afterword.akismet")

#: The Akismet endpoints, in registration order; ``install`` puts them first in the app.
ROUTES: list[Route] = []
_OPERATIONS: dict[str, dict[str, Any]] = {}

THANKS = "Thanks for making the web a better place."
TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
CSV = "text/csv; charset=utf-8"
# Not one of Akismet's account alert codes (those speak of plans and subscriptions): ours
# says "slow down", and the message says so in words for the WordPress dashboard.
RATE_ALERT = "10429"
_ORDERS = ("total", "spam", "ham", "missed_spam", "false_positives")


class Problem(Exception):
    """An Akismet-style refusal: answered ``invalid``, with the reason for a human."""

    def __init__(self, help_text: str) -> None:
        super().__init__(help_text)
        self.help_text = help_text


class Call:
    """What a handler gets of its request: the app's state, the Host header and the fields."""

    __slots__ = ("fields", "host", "state")

    def __init__(self, state: State, host: str, fields: Fields) -> None:
        self.state = state
        self.host = host
        self.fields = fields


def _text(body: str, headers: dict[str, str] | None = None, status: int = 200) -> Answer:
    return Answer(body, TEXT, headers, status)


def _header(value: str) -> str:
    """A header-safe copy: clients' own values end up in messages, and a header is ASCII
    on one line."""
    return " ".join(value.encode("ascii", "backslashreplace").decode("ascii").split())


def _json(data: Any) -> Answer:
    return Answer(json.dumps(data), JSON)


def _first(fields: Fields, *names: str) -> str:
    for name in names:
        value = fields.get(name)
        if isinstance(value, list):
            value = value[0] if value else ""
        if value and value.strip():
            return value.strip()
    return ""


async def _fields(scope: Scope, receive: Receive, content_type: str) -> Fields:
    """Query string and body together; the body wins where both name a field."""
    fields = parse_form(scope.get("query_string", b""))
    if scope["method"] == "POST":
        if content_type.lower().startswith("multipart/form-data"):
            form = await Request(scope, receive).form()
            fields.update({name: value for name, value in form.multi_items()
                           if isinstance(value, str)})
        else:
            fields.update(parse_form(await read_body(receive), content_type))
    return fields


def _service(call: Call) -> AkismetService:
    return call.state.akismet


def _key(call: Call, *names: str) -> str:
    return _first(call.fields, *names) or key_from_host(call.host)


def _site(service: AkismetService, key: str, blog: str | None) -> KeyInfo:
    """The key's site, checked against the ``blog`` the client claims (None: not asked)."""
    if not key:
        raise Problem('Empty "api_key" value: send api_key (or key), or use KEY.your-host')
    info = service.keys.lookup(key)
    if info is None:
        raise Problem("Invalid key: no such API key on this server")
    if info.revoked:
        raise Problem("This API key has been revoked")
    if blog is None:
        return info
    if not blog:
        raise Problem('Missing required field: "blog" (the site\'s front page URL)')
    try:
        same = blog_matches(blog, info.site_url)
    except SiteError:
        raise Problem(f'The "blog" value is not a site URL: {blog[:200]!r}') from None
    if not same:
        raise Problem(f"This key belongs to another site ({info.site_url}), not {blog[:200]}")
    return info


def _refusal(decision: Any, per_minute: int) -> Answer:
    """The 429 for a key over its rate limit, with the alert headers dashboards show."""
    retry = max(1, int(decision.reset_after + 0.999))
    return _text(f"rate limit exceeded: {per_minute} calls a minute for this key\n",
                 {"Retry-After": str(retry),
                  "X-akismet-alert-code": RATE_ALERT,
                  "X-akismet-alert-msg": f"This API key is over its limit of {per_minute} "
                                         f"calls a minute; retry in {retry} s."},
                 status=429)


def _over_limit(call: Call, info: KeyInfo) -> Answer | None:
    """Count the call against the key's rate limit: the 429 when over it, else None."""
    decision = call.state.rate_limiter.hit(info.bucket, info.per_minute, 60.0)
    return None if decision.allowed else _refusal(decision, info.per_minute)


def _commenter_call(call: Call) -> tuple[AkismetService, str, KeyInfo]:
    """What comment-check and submit-* require: a key for the ``blog`` and a ``user_ip``."""
    service = _service(call)
    key = _key(call, "api_key", "key")
    info = _site(service, key, _first(call.fields, "blog"))
    if not _first(call.fields, "user_ip", "REMOTE_ADDR"):
        raise Problem('Missing required field: "user_ip" (the commenter\'s IP address)')
    return service, key, info


Handler = Callable[[Call], Awaitable[Answer]]


class _Endpoint:
    """The ASGI app of one endpoint: wrong methods get a plain 405, refusals become
    Akismet's ``invalid`` answer, and a failure on our side a 503 with ``X-akismet-error``.

    A class rather than a function, so that Starlette's ``Route`` takes it as an ASGI app
    as it is instead of wrapping it in its request/response machinery."""

    def __init__(self, path: str, methods: tuple[str, ...], handler: Handler) -> None:
        self.path = path
        self.methods = methods
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method not in self.methods:
            await _text(f"{method} not allowed here; use {' or '.join(self.methods)}\n",
                        {"Allow": ", ".join(self.methods)}, status=405).send(send)
            return
        host = content_type = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value.decode("latin-1")
        try:
            fields = await _fields(scope, receive, content_type)
        except (ValueError, HTTPException) as exc:  # multipart the parser cannot read
            detail = getattr(exc, "detail", exc)
            await _text(f"unreadable request body: {detail}\n", status=400).send(send)
            return
        except ClientDisconnect:
            return  # nobody is waiting for the answer
        try:
            answer = await self.handler(Call(scope["app"].state, host, fields))
        except Problem as problem:
            answer = _text("invalid", {"X-akismet-debug-help": _header(problem.help_text)})
        except Exception:
            log.exception("Akismet %s failed", self.path)
            answer = _text("error", {"X-akismet-error": "temporary server problem",
                                     "Retry-After": "30"}, status=503)
        await answer.send(send)


def _endpoint(path: str, methods: tuple[str, ...], answers: str,
              fields: tuple[tuple[str, str], ...],
              limited: bool = False) -> Callable[[Handler], Handler]:
    """Register ``handler`` for ``path`` (see ``_Endpoint``). ``answers`` (a media type),
    ``fields`` (name, meaning) and ``limited`` (counted against the key's rate limit)
    document it in OpenAPI."""

    def register(handler: Handler) -> Handler:
        # No methods on the route: every method reaches the endpoint, whose 405 is plain text.
        ROUTES.append(NamedRoute(path, _Endpoint(path, methods, handler),
                                 name=handler.__name__, include_in_schema=False))
        _OPERATIONS[path] = {
            method.lower(): _operation(handler, method, len(methods) > 1, answers, fields,
                                       limited)
            for method in methods
        }
        return handler

    return register


def _operation(handler: Handler, method: str, several: bool, answers: str,
               fields: tuple[tuple[str, str], ...], limited: bool) -> dict[str, Any]:
    """The OpenAPI operation: one per method, each with its own operationId."""
    doc = (handler.__doc__ or "").strip()
    properties = {name: {"type": "string", "description": meaning} for name, meaning in fields}
    operation: dict[str, Any] = {
        "tags": ["akismet"],
        "summary": doc.splitlines()[0],
        "description": doc + "\n\nThe key may also be the first label of the Host header "
                             "(`KEY.rest.example.org`). Problems are answered `invalid` with "
                             "an `X-akismet-debug-help` header.",
        "operationId": f"akismet_{handler.__name__}" + (f"_{method.lower()}" if several else ""),
        "responses": {
            "200": {"description": "Akismet's answer", "content": {answers: {"schema": {
                "type": "object" if answers == JSON_ANSWER else "string"}}}},
            "405": {"description": "Wrong method"},
        },
    }
    if limited:
        operation["responses"]["429"] = {
            "description": "The key is over its rate limit (`X-akismet-alert-*` headers)"}
    if method == "GET":
        operation["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in properties.items()
        ]
    else:
        operation["requestBody"] = {"content": {"application/x-www-form-urlencoded": {
            "schema": {"type": "object", "properties": properties,
                       "additionalProperties": {"type": "string"}}}}}
    return operation


def openapi_paths() -> dict[str, dict[str, Any]]:
    """The Akismet endpoints as OpenAPI path items, for the app's schema."""
    return {path: dict(operations) for path, operations in _OPERATIONS.items()}


POST = ("POST",)
GET_OR_POST = ("GET", "POST")
TEXT_ANSWER = "text/plain"
JSON_ANSWER = "application/json"

KEY = (("api_key", "The API key (also accepted as `key`)"),)
BLOG = (("blog", "The site's front page URL, as registered with the key"),)
COMMENT = (*KEY, *BLOG,
           ("user_ip", "The commenter's IP address"),
           ("user_agent", "The commenter's browser User-Agent"),
           ("referrer", "The Referer header the commenter's browser sent"),
           ("permalink", "URL of the page commented on"),
           ("comment_type", "comment, reply, forum-post, contact-form, signup, message, ..."),
           ("comment_author", "The name given"),
           ("comment_author_email", "The e-mail address given"),
           ("comment_author_url", "The website given"),
           ("comment_content", "The text"),
           ("blog_lang", "The site's language(s), e.g. en_US"),
           ("blog_charset", "The charset of this request, e.g. UTF-8"),
           ("is_test", "1: answer, but neither count nor learn"))
SINCE = (*KEY, ("from", "all, N-days, N-months, YYYY-MM or a date (default: all)"))


@_endpoint("/1.1/verify-key", POST, TEXT_ANSWER, (*KEY, *BLOG))
async def verify_key(call: Call) -> Answer:
    """Whether a key is valid for the site in ``blog``: ``valid`` or ``invalid``."""
    key = _key(call, "key", "api_key")
    _site(_service(call), key, _first(call.fields, "blog"))
    return _text("valid")


@_endpoint("/1.1/comment-check", POST, TEXT_ANSWER, COMMENT, limited=True)
async def comment_check(call: Call) -> Answer:
    """Is this spam? ``true`` / ``false``, with ``X-akismet-guid`` and the discard tip."""
    service, _, info = _commenter_call(call)
    # On the event loop, not in a worker thread: the check is short and CPU-bound, so a
    # thread would not finish it sooner (one GIL), only add a hop and let 64 concurrent
    # checks interleave and all finish late. Requests queue in the loop instead, in order.
    refused = _over_limit(call, info)
    if refused is not None:
        return refused
    if warmed_up():
        checked = service.check(info, call.fields)
    else:  # the first check loads the engine: a second or more the loop must not stand still
        checked = await run_in_threadpool(first_checks_in_turn,
                                          lambda: service.check(info, call.fields))
    headers = {"X-akismet-guid": checked.guid}
    if checked.verdict.discard:
        headers["X-akismet-pro-tip"] = "discard"
    return _text("true" if checked.verdict.is_spam else "false", headers)


async def _report(call: Call, is_spam: bool) -> Answer:
    service, key, info = _commenter_call(call)
    reporter = f"akismet:{key[-4:]}:{_first(call.fields, 'reporter')[:100]}"

    def limited_report() -> Answer:
        # In a worker thread: a report may wait for another worker's unwritten check.
        refused = _over_limit(call, info)
        if refused is not None:
            return refused
        service.report(info, call.fields, is_spam, reporter)
        return _text(THANKS)

    return await run_in_threadpool(limited_report)


@_endpoint("/1.1/submit-spam", POST, TEXT_ANSWER,
           (*COMMENT, ("guid", "X-akismet-guid of the check, when known")), limited=True)
async def submit_spam(call: Call) -> Answer:
    """Report spam that was missed; the site's model learns from it at once."""
    return await _report(call, True)


@_endpoint("/1.1/submit-ham", POST, TEXT_ANSWER,
           (*COMMENT, ("guid", "X-akismet-guid of the check, when known")), limited=True)
async def submit_ham(call: Call) -> Answer:
    """Report a comment wrongly called spam; the site's model learns from it at once."""
    return await _report(call, False)


def _stats(service: AkismetService, info: KeyInfo, since_value: str) -> dict[str, Any]:
    try:
        since = since_of(since_value)
    except ValueError:
        raise Problem(f'"from" must be all, N-days, N-months, YYYY-MM or a date; '
                      f"got {since_value[:50]!r}") from None
    service.writer.flush()
    with service.sessions() as session:
        return totals(session, info.site_id, since).to_dict()


@_endpoint("/1.1/get-stats", POST, JSON_ANSWER, (*SINCE, *BLOG))
async def get_stats(call: Call) -> Answer:
    """The site's spam, ham, missed spam, false positives and accuracy (JSON)."""
    service = _service(call)
    info = _site(service, _key(call, "key", "api_key"), _first(call.fields, "blog"))
    since = _first(call.fields, "from")
    return _json(await run_in_threadpool(_stats, service, info, since))


@_endpoint("/1.2/get-key-stats", POST, JSON_ANSWER, SINCE)
async def get_key_stats(call: Call) -> Answer:
    """The same figures for the key's site; ``blog`` is optional here."""
    service = _service(call)
    info = _site(service, _key(call, "key", "api_key"), None)
    since = _first(call.fields, "from")
    return _json(await run_in_threadpool(_stats, service, info, since))


def _month(fields: Fields) -> tuple[str, Any, Any]:
    month = _first(fields, "month")
    try:
        start, end = month_bounds(month)
    except ValueError:
        raise Problem(f'"month" must be YYYY-MM, got {month[:50]!r}') from None
    return start.strftime("%Y-%m"), start, end


def _bounded_int(fields: Fields, name: str, default: int, low: int, high: int) -> int:
    raw = _first(fields, name)
    if not raw:
        return default
    if not raw.isdigit():
        raise Problem(f'"{name}" must be a whole number, got {raw[:50]!r}')
    return max(low, min(high, int(raw)))


def _key_sites(service: AkismetService, key: str, info: KeyInfo, fields: Fields) -> Answer:
    label, start, end = _month(fields)
    fmt = (_first(fields, "format") or "json").lower()
    if fmt not in ("json", "csv"):
        raise Problem(f'"format" must be json or csv, got {fmt[:20]!r}')
    order = _first(fields, "order") or "total"
    if order not in _ORDERS:
        raise Problem(f'"order" must be one of {", ".join(_ORDERS)}, got {order[:30]!r}')
    limit = _bounded_int(fields, "limit", 500, 0, 500)
    offset = _bounded_int(fields, "offset", 0, 0, 1_000_000)
    service.writer.flush()
    with service.sessions() as session:
        counts = totals(session, info.site_id, start, end)
    site = info.site_url.split("://", 1)[-1]
    wanted = _first(fields, "filter")
    rows = [] if wanted and wanted.lower() not in info.site_url else [{
        "site": site, "api_calls": str(counts.calls), "spam": str(counts.spam),
        "ham": str(counts.ham), "missed_spam": str(counts.missed_spam),
        "false_positives": str(counts.false_positives), "is_revoked": info.revoked,
    }]
    total, rows = len(rows), rows[offset:offset + limit]
    if fmt == "json":
        return _json({label: rows, "limit": limit, "offset": offset, "total": total})
    out = io.StringIO()
    out.write(f"Active sites for {key} during {label} "
              f"(limit: {limit}, offset: {offset}, total: {total}).\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Site", "Total API Calls", "Spam", "Ham", "Missed Spam",
                     "False Positives", "Is Revoked"])
    for row in rows:
        writer.writerow([row["site"], row["api_calls"], row["spam"], row["ham"],
                         row["missed_spam"], row["false_positives"],
                         "true" if row["is_revoked"] else "false"])
    return Answer(out.getvalue(), CSV)


@_endpoint("/1.2/key-sites", GET_OR_POST, JSON_ANSWER,
           (*KEY, ("month", "YYYY-MM (default: this month)"),
            ("format", "json or csv"), ("order", "total, spam, ham, missed_spam or false_positives"),
            ("limit", "At most this many rows (500)"), ("offset", "Rows to skip"),
            ("filter", "Only sites whose URL contains this")))
async def key_sites(call: Call) -> Answer:
    """Per-site usage of the key for a month: api_calls, spam, ham, missed spam, false positives."""
    service = _service(call)
    key = _key(call, "api_key", "key")
    info = _site(service, key, None)
    return await run_in_threadpool(_key_sites, service, key, info, call.fields)


def _usage(service: AkismetService, info: KeyInfo) -> dict[str, Any]:
    _, start, end = _month({})
    service.writer.flush()
    with service.sessions() as session:
        used = totals(session, info.site_id, start, end).calls
    return {"limit": "none", "usage": used, "percentage": "0.00", "throttled": False}


@_endpoint("/1.2/usage-limit", GET_OR_POST, JSON_ANSWER, KEY)
async def usage_limit(call: Call) -> Answer:
    """This month's usage: Afterword sets no monthly limit, so ``limit`` is ``none``."""
    service = _service(call)
    info = _site(service, _key(call, "api_key", "key"), None)
    return _json(await run_in_threadpool(_usage, service, info))


@_endpoint("/1.1/get-subscription", POST, JSON_ANSWER, (*KEY, *BLOG))
async def get_subscription(call: Call) -> Answer:
    """The account as the WordPress plugin's settings page asks for it (always active)."""
    info = _site(_service(call), _key(call, "key", "api_key"), _first(call.fields, "blog"))
    return _json({"status": "active", "account_name": info.site_name,
                  "account_type": "self-hosted", "limit_reached": False})


@_endpoint("/1.1/deactivate", POST, TEXT_ANSWER, (*KEY, *BLOG))
async def deactivate(call: Call) -> Answer:
    """The WordPress plugin says goodbye when its key is removed; nothing to undo here."""
    _site(_service(call), _key(call, "key", "api_key"), _first(call.fields, "blog"))
    return _text("deactivated")
