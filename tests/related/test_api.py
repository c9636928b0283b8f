"""The HTTP doors, through the real app and a real SQLite database."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from afterword.db.models import RelatedArticle, Site
from afterword.related.store import RelatedService

ORIGIN = "https://blog.example"
BEER = "hops malt brewing lager ale yeast fermentation pint brewery stout"
SPACE = "rocket orbit nasa launch satellite astronaut moon mars shuttle telescope"


def push(client, key, url, title, text, **extra):
    return client.post("/api/v1/articles", json={"url": url, "title": title, "text": text,
                                                 **extra},
                       headers={"authorization": f"Bearer {key}"})


@pytest.fixture
def seeded(client, site_key):
    _, key = site_key
    for i in range(6):
        words = BEER.split()
        assert push(client, key, f"{ORIGIN}/beer/{i}", f"Beer {words[i]}",
                    " ".join(words[i:] + words[:i]) * 3).status_code == 201
        words = SPACE.split()
        assert push(client, key, f"{ORIGIN}/space/{i}", f"Space {words[i]}",
                    " ".join(words[i:] + words[:i]) * 3).status_code == 201
    return key


def related(client, url, limit=3):
    r = client.get("/api/v1/related", params={"site": ORIGIN, "url": url, "limit": limit})
    assert r.status_code == 200, r.text
    return r.json()["related"]


def test_pushed_articles_relate_by_topic(client, seeded):
    items = related(client, f"{ORIGIN}/beer/2")
    assert len(items) == 3
    assert all("/beer/" in i["url"] and i["url"] != f"{ORIGIN}/beer/2" for i in items)
    assert items[0]["title"].startswith("Beer")


def test_push_needs_a_valid_key(client, seeded):
    r = push(client, "wrongwrongwr", f"{ORIGIN}/x", "t", "text")
    assert r.status_code == 401
    assert push(client, "", f"{ORIGIN}/x", "t", "text").status_code == 401


def test_new_article_appears_and_removal_hides_it(client, seeded):
    assert push(client, seeded, f"{ORIGIN}/beer/new", "Stout and ale",
                BEER + " stout ale").status_code == 201
    urls = {i["url"] for i in related(client, f"{ORIGIN}/beer/1", limit=10)}
    assert f"{ORIGIN}/beer/new" in urls
    r = client.delete("/api/v1/articles", params={"url": f"{ORIGIN}/beer/new"},
                      headers={"authorization": f"Bearer {seeded}"})
    assert r.status_code == 200
    urls = {i["url"] for i in related(client, f"{ORIGIN}/beer/1", limit=10)}
    assert f"{ORIGIN}/beer/new" not in urls


def test_unknown_site_and_bad_url_are_clear_errors(client, seeded):
    r = client.get("/api/v1/related", params={"site": "https://nope.example", "url": "x"})
    assert r.status_code == 404
    r = client.get("/api/v1/related", params={"site": ORIGIN, "url": "javascript:alert(1)"})
    assert r.status_code == 400
    r = client.get("/api/v1/related", params={"site": "https://b.example:99999", "url": "x"})
    assert r.status_code == 400
    for bad in ("http://[", "https://blog.example:99999/x", "x" * 5000):
        r = client.get("/api/v1/related", params={"site": ORIGIN, "url": bad})
        assert r.status_code == 400
    assert related(client, f"{ORIGIN}/never-seen") == []


def report(client, origin=ORIGIN, **fields):
    body = {"site": ORIGIN, "url": f"{ORIGIN}/p", "title": "A page", "text": BEER}
    body.update(fields)
    return client.post("/api/v1/related/report", json=body, headers={"origin": origin})


def test_page_report_only_from_the_sites_origins(client, site_key):
    assert report(client, origin="https://evil.example").status_code == 403
    assert report(client, url="https://evil.example/p").status_code == 403
    assert report(client).status_code == 202


def test_page_report_strips_hostile_html_and_bounds_size(client, sessions, site_key):
    r = report(client, title='<img src=x onerror=alert(1)>Hi <script>alert(2)</script>there',
               text="<p>" + "ω " * 100_000 + "</p>")
    assert r.status_code == 202
    with sessions() as s:
        row = s.scalar(select(RelatedArticle))
        assert "<" not in row.title and "alert" not in row.title
        assert row.title.startswith("Hi")
        assert len(row.body) <= 60_000
    too_big = report(client, url=f"{ORIGIN}/big", text="x" * 2_000_000)
    assert too_big.status_code in (413, 422)


def test_page_without_article_text_or_title_is_skipped_with_a_reason(client, site_key):
    r = report(client, title="", text="")
    assert r.status_code == 422
    assert "nothing to index" in r.json()["error"]


def test_a_flood_of_reports_from_one_address_is_cut_off(client, site_key):
    codes = [report(client, url=f"{ORIGIN}/f{i}").status_code for i in range(40)]
    assert codes[:20] == [202] * 20
    assert set(codes[20:]) == {429}


def test_a_page_seen_again_is_not_reindexed_unless_modified(client, site_key):
    assert report(client, modified_at="2026-01-01T00:00:00Z").json()["status"] == "indexed"
    assert report(client, modified_at="2026-01-01T00:00:00Z").json()["status"] == "unchanged"
    assert report(client, modified_at="2026-02-01T00:00:00Z").json()["status"] == "indexed"


def test_exclusions_by_tag_and_url(client, sessions, site_key):
    with sessions() as s:
        site = s.scalar(select(Site))
        site.settings = {"related": {"exclude_tags": ["sponsored"],
                                     "exclude_urls": [f"{ORIGIN}/private/*"]}}
        s.commit()
    assert report(client, url=f"{ORIGIN}/ad", tags=["Sponsored"]).json()["status"] == "excluded"
    assert report(client, url=f"{ORIGIN}/private/x").json()["status"] == "excluded"
    assert report(client, url=f"{ORIGIN}/ok").json()["status"] == "indexed"


def test_a_second_worker_sees_new_articles_within_two_seconds(app, client, seeded, sessions):
    other = RelatedService(sessions)  # another worker: its own memory, the same database
    assert other.related(1, f"{ORIGIN}/space/1", 3)
    assert push(client, seeded, f"{ORIGIN}/space/new", "Moon rocket",
                SPACE + " moon rocket").status_code == 201
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if f"{ORIGIN}/space/new" in {r.url for r in other.related(1, f"{ORIGIN}/space/1", 10)}:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the other worker did not see the new article within 2 s")


def test_related_js_is_served(client):
    r = client.get("/related.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "Related posts" in r.text


def test_a_large_sites_first_build_does_not_hold_up_requests(seeded, sessions, monkeypatch):
    from afterword.related import store

    monkeypatch.setattr(store, "INLINE_BUILD", 5)  # the seeded site's 12 count as large
    release = threading.Event()
    rebuild = store.RelatedIndex.rebuild

    def slow_rebuild(self, docs):
        release.wait(10)  # a build that lasts until the test lets it finish
        rebuild(self, docs)

    monkeypatch.setattr(store.RelatedIndex, "rebuild", slow_rebuild)
    worker = RelatedService(sessions)  # a restarted worker
    assert worker.related(1, f"{ORIGIN}/space/1", 3) == []  # answered during the build
    release.set()
    deadline = time.monotonic() + 10
    while not (hits := worker.related(1, f"{ORIGIN}/space/1", 3)):
        assert time.monotonic() < deadline, "the background build never came in"
        time.sleep(0.05)
    assert all("/space/" in h.url for h in hits)
