"""Fixtures for the admin: two sites, an owner, a signed-in client."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from afterword.sites import add_site
from moderation.mod_kit import Inbox, make_user, sign_in
from support import free_port


@pytest.fixture
def sites(sessions) -> tuple[int, int]:
    """Two sites: ``blog.example`` and ``news.example``."""
    with sessions() as db:
        a = add_site(db, "https://blog.example", name="Blog")
        b = add_site(db, "https://news.example", name="News")
        db.commit()
        return a.id, b.id


@pytest.fixture
def owner(sessions) -> int:
    return make_user(sessions, "olivia", role="owner", email="olivia@team.example")


@pytest.fixture
def signed_in(client, owner) -> tuple[TestClient, str]:
    return client, sign_in(client, "olivia")


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()
