"""Disqus XML and Isso's SQLite database, from fixtures written in each real format."""

from __future__ import annotations

import sqlite3

from importers.kit import FIXTURES, SITE, comments, counts, import_file

from afterword.db.models import Site
from afterword.importers import isso, run_import

POST = f"{SITE}/2019/05/sourdough-at-altitude/"


def test_disqus_counts_threads_and_nesting(sessions, site):
    report = import_file(sessions, FIXTURES / "disqus.xml", "disqus")
    assert report.counts == {"imported published": 3, "imported spam": 2,
                             "imported deleted": 1, "skipped: unknown thread": 1}
    got = {c["text"]: c for c in comments(sessions)}
    reply = got["Replying to Joe, who replied to Marta."]   # listed before its parent
    assert reply["parent"] == "Joe" and reply["depth"] == 2
    assert got["Agreed with Marta."]["parent"] == "Marta Kowalska"
    first = got["First! The crumb looks great."]
    assert first["ip"] == "203.0.113.0" and first["email"] == "marta@example.net"
    assert "<strong>" not in first["html"] and "great" in first["html"]  # <b> not allowed
    deleted = got["I deleted this."]
    assert deleted["thread"] == f"{SITE}/2019/06/by-identifier/"  # found by identifier
    assert deleted["status"] == "deleted" and deleted["closed"] is True
    # isSpam wins over isDeleted: spam is spam, and never published
    assert got["casino bonus casino bonus"]["status"] == "spam"
    assert got["Cheap replica watches here"]["status"] == "spam"


def test_disqus_spam_is_not_visible_and_rerun_adds_nothing(sessions, site, client):
    import_file(sessions, FIXTURES / "disqus.xml", "disqus")
    page = client.get("/api/v1/threads", params={"site": SITE, "url": POST}).text
    assert "Marta Kowalska" in page and "watches" not in page and "casino" not in page
    assert counts(sessions)[POST] == 3
    assert import_file(sessions, FIXTURES / "disqus.xml", "disqus").imported == 0
    assert len(comments(sessions)) == 6


def _isso_db(tmp_path):
    path = tmp_path / "comments.db"
    db = sqlite3.connect(path)
    db.executescript((FIXTURES / "isso.sql").read_text())
    db.commit()
    db.close()
    return path


def test_isso_import(sessions, site, tmp_path):
    path = _isso_db(tmp_path)
    with sessions() as session:
        target = session.query(Site).one()
        report = run_import(session, target, "isso", isso.read(path, SITE))
    assert report.counts == {"imported published": 3, "imported pending": 1,
                             "imported deleted": 1}
    got = {c["text"]: c for c in comments(sessions)}
    assert "<em>yeast</em>" in got["Lovely post! Lower the *yeast* by a third."]["html"]
    joe = got["Thanks, that **worked**."]
    assert joe["parent"] == "Marta" and joe["ip"] == "2001:db8:1::"
    assert got["Reply to a deleted comment."]["thread"] == f"{SITE}/about/"
    assert got[""]["status"] == "deleted"
    with sessions() as session:
        target = session.query(Site).one()
        assert run_import(session, target, "isso", isso.read(path, SITE)).imported == 0
