"""Fixtures shared by every test package: a migrated real database, the app, an HTTP client.

PostgreSQL and Redis tests run when ``AFTERWORD_TEST_POSTGRES_URL`` /
``AFTERWORD_TEST_REDIS_URL`` are set (CI sets both) and skip with that reason otherwise.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from afterword.config import Settings
from afterword.db.migrate import upgrade
from afterword.db.session import create_db_engine, make_session_factory
from afterword.sites import add_site, create_key
from afterword.web.app import create_app
from support import REPO, require_shared, shared_dir  # noqa: F401 - re-exported for tests

@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("AFTERWORD_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("AFTERWORD_TEST_POSTGRES_URL not set: no PostgreSQL to test against")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("AFTERWORD_TEST_REDIS_URL")
    if not url:
        pytest.skip("AFTERWORD_TEST_REDIS_URL not set: no Redis to test against")
    return url


@pytest.fixture
def fresh_postgres(postgres_url: str) -> Iterator[str]:
    """A private schema in the test PostgreSQL database, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'afterword.db'}",
        data_dir=tmp_path,
        secret_key="test-secret-key-0123456789",
        base_url="http://testserver",
        log_format="text",
    )


@pytest.fixture
def db_engine(settings: Settings):
    engine = create_db_engine(settings.database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db_engine):
    return make_session_factory(db_engine)


@pytest.fixture
def app(settings: Settings, db_engine):
    return create_app(settings, db_engine)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def site_key(sessions) -> tuple[str, str]:
    """A registered site ``https://blog.example`` and a live API key for it."""
    with sessions() as session:
        site = add_site(session, "https://blog.example", name="Example blog")
        key = create_key(session, site)
        session.commit()
    return "https://blog.example", key
