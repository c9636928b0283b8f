"""Fixtures for the comment tests: a registered site and a reader on one of its articles."""

from __future__ import annotations

import pytest

from afterword.sites import add_site
from comments.comments_kit import SITE, Reader, configure


@pytest.fixture
def site(sessions) -> str:
    with sessions() as session:
        add_site(session, SITE, name="Example blog")
        session.commit()
    # Tests post many comments from one address; the limit itself has its own test.
    configure(sessions, ip_per_minute=10_000, thread_per_minute=10_000)
    return SITE


@pytest.fixture
def reader(client, site) -> Reader:
    return Reader(client)
