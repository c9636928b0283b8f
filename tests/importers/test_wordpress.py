"""WordPress (WXR) import: the fixture is a real WXR 1.2 file with WordPress's known quirks."""

from __future__ import annotations

from importers.kit import FIXTURES, SITE, comments, counts, import_file

WXR = FIXTURES / "wordpress.xml"
POST = f"{SITE}/2019/05/sourdough-at-altitude/"


def test_counts_by_outcome_and_named_rejects(sessions, site):
    report = import_file(sessions, WXR, "wordpress")
    assert report.counts == {
        "imported published": 6, "imported published pingback": 1, "imported pending": 1,
        "imported spam": 1, "imported deleted": 1, "orphan replies made top-level": 1,
        "skipped: future date": 1, "skipped: url not on this site": 1}
    assert any(r.startswith("line 144 (wp:comment 201): date in the future")
               for r in report.rejects)
    assert any(r.startswith("line 181 (wp:comment 301)") for r in report.rejects)


def test_fields_threading_and_status(sessions, site):
    import_file(sessions, WXR, "wordpress")
    got = {c["author"]: c for c in comments(sessions)}
    marta = got["Marta Kowalska"]
    assert marta["email"] == "marta@example.net"
    assert marta["website"] == "https://marta.example.net"
    assert marta["ip"] == "203.0.113.0"           # anonymised on the way in
    assert marta["ip_hash"] == ""
    assert marta["created"].replace(tzinfo=None).isoformat() == "2019-05-02T08:15:00"  # GMT
    assert marta["thread"] == POST and marta["title"] == "Sourdough at altitude – part 1"
    assert "<em>yeast</em>" in marta["html"] and marta["html"].count("<p>") == 2
    joe = got["Joé Bloggs"]                         # &eacute; outside CDATA, repaired
    assert joe["parent"] == "Marta Kowalska" and joe["depth"] == 1
    assert joe["ip"] == "2001:db8:1::"
    assert "Thanks Marta — that worked & the crumb" in joe["text"]
    assert got["cheap pills"]["status"] == "spam"
    assert got["Pending Person"]["status"] == "pending"
    assert got["Pending Person"]["created"].year == 2019   # 0000-00-00 GMT: local date used
    assert got["Regretful"]["status"] == "deleted"
    assert got["Another Blog"]["type"] == "pingback"
    assert got["Lost Reply"]["parent"] is None and got["Lost Reply"]["status"] == "published"
    assert got["No Id"]["status"] == "published"
    assert got["Elsewhere"]["parent"] == "Parent Later"   # reply listed before its parent
    assert got["No Id"]["closed"] is True


def test_spam_is_never_visible(sessions, site, client):
    import_file(sessions, WXR, "wordpress")
    page = client.get("/api/v1/threads", params={"site": SITE, "url": POST}).text
    assert "Marta Kowalska" in page
    assert "cheap pills" not in page and "pills.example" not in page
    assert "Pending Person" not in page
    # 4 published comments on the post: Marta, Joe, the pingback, the orphan reply
    assert counts(sessions)[POST] == 4


def test_second_run_adds_nothing(sessions, site):
    import_file(sessions, WXR, "wordpress")
    before = comments(sessions)
    again = import_file(sessions, WXR, "wordpress")
    assert again.counts["already imported"] == 10
    assert again.imported == 0
    assert comments(sessions) == before


def test_skip_pings(sessions, site):
    report = import_file(sessions, WXR, "wordpress", skip=("pingback", "trackback"))
    assert report.counts["skipped: pingback"] == 1
    assert all(c["type"] == "comment" for c in comments(sessions))
