"""The same import, export, retention and erasure on PostgreSQL (JSON paths, bulk statements)."""

from __future__ import annotations

import io
import json

import pytest
from importers.kit import FIXTURES, SITE, comments

from afterword.config import Settings
from afterword.db.migrate import upgrade
from afterword.db.session import create_db_engine, make_session_factory
from afterword.importers import native, run_import, wordpress
from afterword.privacy.retention import run_retention
from afterword.privacy.rights import erase_person, export_person
from afterword.sites import add_site

pytestmark = pytest.mark.postgres


def test_import_export_retention_erasure_on_postgres(fresh_postgres, tmp_path):
    engine = create_db_engine(fresh_postgres)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        site = add_site(session, SITE)
        session.commit()
        with (FIXTURES / "wordpress.xml").open("rb") as stream:
            report = run_import(session, site, "wordpress", lambda w: wordpress.read(stream, w))
        assert report.imported == 10
        with (FIXTURES / "wordpress.xml").open("rb") as stream:
            assert run_import(session, site, "wordpress",
                              lambda w: wordpress.read(stream, w)).imported == 0
        out = io.StringIO()
        native.export_site(session, site, out)
        assert sum(len(t["comments"]) for t in json.loads(out.getvalue())["threads"]) == 10
        settings = Settings(database_url=fresh_postgres, data_dir=tmp_path, secret_key="k" * 20)
        removed = run_retention(session, settings)
        assert removed["spam"] == 1 and removed["deleted"] == 1   # years old
        assert export_person(session, site, "MARTA@example.net")["comments"]
        entry = erase_person(session, site, "marta@example.net", "keep-anonymous", via="admin")
        assert entry.comments == 1
    assert "marta@example.net" not in {c["email"] for c in comments(sessions)}
    engine.dispose()
