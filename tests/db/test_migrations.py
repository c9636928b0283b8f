"""The same migrations build the schema on SQLite and PostgreSQL, and match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from afterword.db.migrate import current_revision, upgrade
from afterword.db.models import Base
from afterword.db.session import create_db_engine


def _assert_schema_matches_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_sqlite_migrations_apply_and_match_models(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)
    upgrade(engine)  # a second start is a no-op
    assert current_revision(engine) is not None
    assert {"sites", "api_keys", "users", "spam_checks"} <= set(inspect(engine).get_table_names())
    _assert_schema_matches_models(engine)


def test_sqlite_runs_in_wal_with_full_sync(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_postgres_migrations_apply_and_match_models(fresh_postgres):
    engine = create_db_engine(fresh_postgres)
    upgrade(engine)
    assert "sites" in inspect(engine).get_table_names()
    _assert_schema_matches_models(engine)
    engine.dispose()
