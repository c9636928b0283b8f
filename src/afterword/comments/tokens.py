"""Signed tokens: the render token (proof of a page load) and the edit token.

Both are stateless (itsdangerous, keyed by ``Settings.secret``), so any worker can check a
token another worker issued and nothing needs storing or expiring in the database.
"""

from __future__ import annotations

import time

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

# A page may stay open for days before someone answers; beyond a week it is not a visit.
RENDER_MAX_AGE = 7 * 86400


class TokenError(ValueError):
    """A token that is missing, forged, for something else, or too old."""


class Tokens:
    def __init__(self, secret: bytes) -> None:
        self._render = URLSafeTimedSerializer(secret, salt="afterword.comments.render")
        self._edit = URLSafeTimedSerializer(secret, salt="afterword.comments.edit")

    def render_token(self, site_id: int, now: float | None = None) -> str:
        """Issued with every thread page; carries the time the page was rendered (ms)."""
        return self._render.dumps({"s": site_id, "t": round((now or time.time()) * 1000)})

    def seconds_since_render(self, token: str, site_id: int, now: float | None = None) -> float:
        """Time from page render to submit, if ``token`` is a live render token for the site."""
        data = _load(self._render, token, RENDER_MAX_AGE, "the page is too old: reload it")
        if not isinstance(data, dict) or data.get("s") != site_id or not isinstance(
                data.get("t"), int):
            raise TokenError("render token is for another site")
        return max(0.0, (now or time.time()) - data["t"] / 1000)

    def edit_token(self, comment_id: int) -> str:
        return self._edit.dumps({"c": comment_id})

    def check_edit_token(self, token: str, comment_id: int, max_age: int) -> None:
        data = _load(self._edit, token, max_age, "the edit window has closed")
        if not isinstance(data, dict) or data.get("c") != comment_id:
            raise TokenError("edit token is for another comment")


def _load(serializer: URLSafeTimedSerializer, token: str, max_age: int, expired: str) -> object:
    if not token:
        raise TokenError("token missing")
    try:
        return serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError(expired) from None
    except BadData:
        raise TokenError("invalid token") from None
