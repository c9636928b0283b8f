"""The comments migration on SQLite and PostgreSQL, and the query plans paging relies on."""

from __future__ import annotations

from alembic import command
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from afterword.comments.store import roots_page
from afterword.db.migrate import alembic_config, upgrade
from afterword.db.session import create_db_engine


def _round_trip(url: str) -> None:
    engine = create_db_engine(url)
    upgrade(engine, "0002_comments")
    assert {"threads", "comments"} <= set(inspect(engine).get_table_names())
    upgrade(engine)  # whatever came after applies on top
    command.downgrade(alembic_config(engine), "0001_foundation")
    assert "comments" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "comments" in inspect(engine).get_table_names()
    engine.dispose()


def test_migration_round_trip_sqlite(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'm.db'}")


def test_migration_round_trip_postgres(fresh_postgres):
    _round_trip(fresh_postgres)


def test_first_page_is_an_index_range_scan(db_engine):
    """No sort of the whole thread: the plan walks the index in order and stops at LIMIT."""
    captured: list[tuple[str, tuple]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(db_engine, "before_cursor_execute", capture)
    with Session(db_engine) as session:
        for sort in ("newest", "oldest", "top"):
            roots_page(session, 1, sort, None, 20)
    event.remove(db_engine, "before_cursor_execute", capture)
    raw = db_engine.raw_connection()
    try:
        for statement, parameters in captured:
            plan = " ".join(str(row[-1]) for row in raw.cursor().execute(
                "EXPLAIN QUERY PLAN " + statement, parameters))
            assert "INDEX ix_comments_thread_" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
    finally:
        raw.close()
