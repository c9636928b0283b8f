"""Fixtures for the Akismet API tests: a second site with its own key, settings helpers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from afterword.db.models import Site, SpamCheck
from afterword.sites import add_site, create_key


@pytest.fixture
def other_key(sessions) -> tuple[str, str]:
    """A second site ``https://other.example`` and its key."""
    with sessions() as session:
        site = add_site(session, "https://other.example")
        key = create_key(session, site)
        session.commit()
    return "https://other.example", key


@pytest.fixture
def site_settings(sessions):
    """``site_settings(url, {...})`` replaces a site's settings (before the first call)."""

    def apply(url: str, settings: dict) -> None:
        with sessions() as session:
            site = session.scalar(select(Site).where(Site.url == url))
            site.settings = settings
            session.commit()

    return apply


@pytest.fixture
def checks(sessions, app):
    """``checks()`` -> every check record, oldest first, after flushing waiting ones."""

    def read() -> list[SpamCheck]:
        app.state.akismet.writer.flush()
        with sessions() as session:
            return list(session.scalars(select(SpamCheck).order_by(SpamCheck.id)))

    return read
