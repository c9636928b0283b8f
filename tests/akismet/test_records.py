"""Check records: what the writer queues comes back out, on SQLite and PostgreSQL; guids.

It writes its own multi-row INSERT statements rather than a Core insert, so these tests read
the rows back through the ORM: every value, the columns a record does not name at their
model defaults, and a batch larger than one statement in check order.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from afterword.akismet.records import RecordWriter
from afterword.akismet.service import new_guid
from afterword.db.migrate import upgrade
from afterword.db.models import SpamCheck
from afterword.db.session import create_db_engine, make_session_factory
from afterword.sites import add_site

START = datetime(2026, 11, 24, 21, 30, 5, 123456, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'records.db'}"
    else:
        url = request.getfixturevalue("fresh_postgres")
    engine = create_db_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        site_id = add_site(session, "https://blog.example").id
        session.commit()
    yield engine, sessions, site_id
    engine.dispose()


def record(site_id: int, i: int) -> dict:
    return {
        "guid": f"00000000-0000-4000-8000-{i:012d}",
        "site_id": site_id,
        "created_at": START + timedelta(seconds=i),
        "is_spam": i % 2 == 1,
        "discard": i % 3 == 0,
        "probability": i / 10_000,
        "reasons": [{"signal": "link_count", "weight": 0.5, "detail": f"{i} links"}],
        "is_test": False,
        "submission": {"content": f"Grüße, comment {i} \u2014 \"quoted\"", "user_ip": "198.51.0.0",
                       "blog_lang": ["en_us"], "comment_date": None},
        "content_key": f"{i:064x}",
    }


def test_every_record_comes_back_as_queued(database):
    engine, sessions, site_id = database
    writer = RecordWriter(engine, interval=3600)
    total = 1_234  # more than one INSERT statement's worth
    for i in range(total):
        writer.add(record(site_id, i))
    assert writer.flush() == total
    with sessions() as session:
        rows = list(session.scalars(select(SpamCheck).order_by(SpamCheck.id)))
    assert [row.guid for row in rows] == [record(site_id, i)["guid"] for i in range(total)]
    last = rows[-1]
    expected = record(site_id, total - 1)
    assert last.created_at.replace(tzinfo=UTC) == expected["created_at"]
    assert (last.is_spam, last.discard, last.probability) == (
        expected["is_spam"], expected["discard"], expected["probability"])
    assert last.reasons == expected["reasons"]
    assert last.submission == expected["submission"]
    assert last.content_key == expected["content_key"]
    # The columns a record leaves out read as a freshly checked comment's.
    assert (last.feedback, last.feedback_at, last.metadata_purged, last.note) == (
        None, None, False, "")


def test_records_wait_for_a_database_that_comes_back(database):
    engine, sessions, site_id = database
    writer = RecordWriter(engine, interval=3600)
    for i in range(3):
        writer.add(record(site_id, i))
    with engine.begin() as conn:  # the table out of reach, as during a failed-over database
        conn.exec_driver_sql("ALTER TABLE spam_checks RENAME TO spam_checks_away")
    with pytest.raises(Exception):  # noqa: B017 - whichever error the driver raises
        writer.flush()
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE spam_checks_away RENAME TO spam_checks")
    writer.add(record(site_id, 3))
    assert writer.flush() == 4
    with sessions() as session:
        guids = list(session.scalars(select(SpamCheck.guid).order_by(SpamCheck.id)))
    assert guids == [record(site_id, i)["guid"] for i in range(4)]


def test_guids_are_unique_uuids_in_the_order_checks_were_made():
    earlier = [new_guid() for _ in range(1000)]
    time.sleep(0.002)  # the next millisecond
    later = new_guid()
    assert len(set(earlier)) == 1000
    assert all(uuid.UUID(guid).version == 7 for guid in [*earlier, later])
    assert later > max(earlier)


def test_a_report_without_guid_finds_its_check_through_the_content_index(tmp_path):
    """WordPress reports spam without a guid: the lookup by author and text must be an index
    search, not a scan of every check the site ever had (SQLite folds a compared column into
    an index expression unless told otherwise, and then scans)."""
    from afterword.akismet.service import _find_check
    from afterword.spam import Submission

    engine = create_db_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    statements: list[tuple[str, object]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def remember(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append((statement, parameters))

    with sessions() as session:
        _find_check(session, 1, "", Submission(author="Ann", content="Hello"))
        statement, parameters = statements[-1]
        plan = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                                    parameters).fetchall()
    assert [row[-1] for row in plan] == [
        "SEARCH spam_checks USING INDEX ix_spam_checks_site_content_prefix "
        "(site_id=? AND <expr>=?)"]
