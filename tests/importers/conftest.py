"""The shared test site (``https://blog.example``) for every test here."""

from __future__ import annotations

import pytest


@pytest.fixture
def site(site_key) -> str:
    return site_key[0]
