"""``afterword export`` then ``afterword import afterword``: nothing lost, field by field."""

from __future__ import annotations

import io
import json

import pytest
from comments.comments_kit import Reader, configure
from importers.kit import FIXTURES, SITE, import_file

from afterword.db.migrate import upgrade
from afterword.db.session import create_db_engine, make_session_factory
from afterword.importers import ImportFileError, native, run_import
from afterword.sites import add_site, get_site


def _export(sessions) -> str:
    out = io.StringIO()
    with sessions() as session:
        native.export_site(session, get_site(session, SITE), out)
    return out.getvalue()


def _import(sessions, data: str):
    with sessions() as session:
        site = get_site(session, SITE) or add_site(session, SITE)
        session.commit()
        return run_import(session, site, "afterword",
                          lambda w: native.read(io.BytesIO(data.encode()), w))


def _comparable(document: str) -> list[dict]:
    """Threads with comments whose ids are replaced by their position (ids are renumbered)."""
    data = json.loads(document)
    threads = []
    for thread in data["threads"]:
        position = {c["id"]: i for i, c in enumerate(thread["comments"])}
        comments = [{**c, "id": position[c["id"]],
                     "parent": position.get(c["parent"]) if c["parent"] else None}
                    for c in thread["comments"]]
        threads.append({**thread, "comments": comments})
    return threads


@pytest.fixture
def populated(sessions, site, client):
    import_file(sessions, FIXTURES / "wordpress.xml", "wordpress")
    import_file(sessions, FIXTURES / "disqus.xml", "disqus")
    configure(sessions, ip_per_minute=1000, thread_per_minute=1000)
    reader = Reader(client)
    root = reader.posted("A *fresh* comment, posted through the API.", email="ann@example.org",
                         website="https://ann.example", headers={"user-agent": "Firefox/140"})
    reader.posted("And a reply to it.", parent=root["comment"]["id"], author="Bo")
    return sessions


def test_round_trip_is_lossless(populated, tmp_path):
    first = _export(populated)
    other = create_db_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    target = make_session_factory(other)
    report = _import(target, first)
    exported = json.loads(first)
    total = sum(len(t["comments"]) for t in exported["threads"])
    assert total >= 18 and report.imported == total
    second = _export(target)
    assert _comparable(second) == _comparable(first)
    # every field of every status travelled, including the ones never shown publicly
    statuses = {c["status"] for t in exported["threads"] for c in t["comments"]}
    assert statuses == {"published", "pending", "spam", "deleted"}
    api = [c for t in exported["threads"] for c in t["comments"] if c["email"] == "ann@example.org"]
    assert api and api[0]["spam_submission"] and api[0]["spam_probability"] is not None
    # and importing the same file again adds nothing
    assert _import(target, first).imported == 0
    other.dispose()


def test_whole_document_json_is_also_read(populated, tmp_path):
    compact = json.dumps(json.loads(_export(populated)))  # one line: not export's layout
    other = create_db_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    target = make_session_factory(other)
    assert _import(target, compact).imported >= 18
    other.dispose()


def test_truncated_export_imports_nothing(populated, tmp_path):
    lines = _export(populated).splitlines(keepends=True)
    other = create_db_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    target = make_session_factory(other)
    with pytest.raises(ImportFileError, match="truncated"):
        _import(target, "".join(lines[:-2]))
    with pytest.raises(ImportFileError, match="not an Afterword export"):
        _import(target, '{"format": "something-else", "threads": []}')
    with target() as session:
        assert session.execute(__import__("sqlalchemy").text(
            "SELECT count(*) FROM comments")).scalar() == 0
    other.dispose()
