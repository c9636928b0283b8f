"""Helpers for the comment tests: the test site, its policy knob, and a reader's client."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from afterword.db.models import Site

SITE = "https://blog.example"
ARTICLE = SITE + "/2026/ferry"


def configure(sessions, **settings: Any) -> None:
    """Set the site's comment policy (``Site.settings``) the way an admin would."""
    with sessions() as session:
        session.execute(update(Site).where(Site.url == SITE).values(settings=settings))
        session.commit()


@dataclass
class Reader:
    """A reader on one article: loads the thread (getting a render token) and posts."""

    client: TestClient
    url: str = ARTICLE

    def page(self, **params: Any) -> dict[str, Any]:
        r = self.client.get("/api/v1/threads", params={"site": SITE, "url": self.url, **params})
        assert r.status_code == 200, r.text
        return r.json()

    def token(self, seconds_ago: float = 30) -> str:
        """A render token as if the page had been open ``seconds_ago``: people read first.

        (The spam engine rightly suspects a comment sent within seconds of the page load.)
        """
        service = self.client.app.state.comments
        with self.client.app.state.sessions() as session:
            site_id = session.scalar(select(Site.id).where(Site.url == SITE))
        return service.tokens.render_token(site_id, time.time() - seconds_ago)

    def post(self, text: str = "A thoughtful remark about the harbour ferry.", **fields: Any):
        body = {"site": SITE, "url": self.url, "text": text, "author": "Ann",
                "token": self.token(), "honeypot": ""}
        body.update(fields)
        return self.client.post("/api/v1/comments", json=body)

    def posted(self, text: str = "A thoughtful remark about the harbour ferry.",
               **fields: Any) -> dict[str, Any]:
        r = self.post(text, **fields)
        assert r.status_code == 201, r.text
        return r.json()
