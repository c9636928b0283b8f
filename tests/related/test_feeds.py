"""Feeds polled over real HTTP from a local server: good, garbage, hanging, too big."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
from sqlalchemy import select

from afterword.db.models import MaintenanceRun, RelatedArticle, RelatedSkip
from afterword.related.feeds import poll_site
from afterword.related.store import ArticleIn, upsert_article
from afterword.sites import get_site

ORIGIN = "https://blog.example"
RSS = f"""<?xml version="1.0"?><rss version="2.0"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Blog</title>
<item><title>Brewing a &lt;b&gt;stout&lt;/b&gt;</title><link>{ORIGIN}/stout/</link>
<pubDate>Tue, 10 Nov 2026 08:00:00 +0000</pubDate><category>beer</category>
<description>Malt and hops.</description>
<content:encoded><![CDATA[<p>Roast the malt, add hops, pitch the yeast.</p>]]></content:encoded></item>
<item><title>Sponsored: a mug</title><link>{ORIGIN}/mug/</link><category>sponsored</category>
<description>Buy it.</description></item>
</channel></rss>"""
ATOM = f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Blog</title><entry><title>Rocket launch</title>
<link rel="alternate" href="{ORIGIN}/rocket/"/><updated>2026-11-12T09:00:00Z</updated>
<category term="space"/><summary>The rocket reached orbit.</summary></entry></feed>"""
BILLION_LAUGHS = """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><rss><channel><item><title>&lol2;</title></item>
</channel></rss>"""


ARTICLE_PAGE = """<!doctype html><html><head><title>Brewing a stout</title>
<meta property="article:tag" content="beer"><meta name="description" content="Malt.">
<meta property="article:modified_time" content="2026-11-10T08:00:00Z"></head><body>
<nav>Home · About</nav><article><h1>Brewing a stout</h1><p>Roast the malt.</p>
<script>var x = "not text";</script><p>Pitch the yeast.</p></article></body></html>"""
NO_ARTICLE = "<!doctype html><html><head><title>Archive</title></head><body>list</body></html>"


class Handler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []  # paths asked for, in order (tests that count clear it first)

    def do_GET(self):
        Handler.hits.append(self.path)
        if self.path == "/sitemap.xml":
            base = f"http://{self.headers['host']}"
            urls = "".join(f"<url><loc>{base}{p}</loc><lastmod>2026-11-10</lastmod></url>"
                           for p in ("/p/stout", "/p/archive", "/p/gone"))
            body = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                    f'sitemap/0.9">{urls}<url><loc>https://elsewhere.example/x</loc></url>'
                    "</urlset>")
            return self.reply(200, body)
        if self.path == "/p/gone":
            return self.reply(410, "gone")
        if self.path == "/hang":
            time.sleep(3)  # longer than the test client's timeout
        if self.path == "/big":
            self.send_response(200)
            self.end_headers()
            for _ in range(200):  # 6.4 MB, streamed
                self.wfile.write(b"<rss>" + b"x" * 32_000)
            return
        body = {"/rss": RSS, "/atom": ATOM, "/html": "<html><body>hello</body></html>",
                "/lol": BILLION_LAUGHS, "/broken": "<rss><channel><item>",
                "/p/stout": ARTICLE_PAGE, "/p/archive": NO_ARTICLE}.get(self.path)
        self.reply(404, "not found") if body is None else self.reply(200, body)

    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def feed_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def poll(sessions, feed_urls, origins=(), **related):
    with sessions() as db, httpx.Client(timeout=0.5) as client:
        site = get_site(db, ORIGIN)
        site.settings = {"related": {"feeds": feed_urls, **related}}
        site.allowed_origins = [ORIGIN, *origins]
        db.commit()
        return poll_site(db, site, client)


def test_rss_and_atom_items_are_indexed_and_exclusions_apply(sessions, site_key, feed_server):
    result = poll(sessions, [f"{feed_server}/rss", f"{feed_server}/atom"],
                  exclude_tags=["sponsored"])
    assert result.skipped == []
    with sessions() as db:
        rows = {r.url: r for r in db.scalars(select(RelatedArticle))}
    stout = rows[f"{ORIGIN}/stout/"]
    assert stout.title == "Brewing a stout" and stout.tags == ["beer"]
    assert "pitch the yeast" in stout.body and stout.source == "feed"
    assert stout.published_at.year == 2026
    assert rows[f"{ORIGIN}/rocket/"].tags == ["space"]
    assert rows[f"{ORIGIN}/mug/"].status == "excluded"


def test_bad_feeds_are_skips_with_reasons_and_do_not_stop_the_others(
        sessions, site_key, feed_server):
    bad = ["/hang", "/big", "/html", "/lol", "/broken", "/missing"]
    started = time.monotonic()
    result = poll(sessions, [feed_server + p for p in bad] + [f"{feed_server}/atom"])
    assert time.monotonic() - started < 10  # the hanging feed cost one timeout, not forever
    reasons = dict(s.split(": ", 1) for s in (r.replace(feed_server, "") for r in result.skipped))
    assert "did not answer" in reasons["/hang"]
    assert "larger than" in reasons["/big"]
    assert "not an RSS or Atom feed" in reasons["/html"]
    assert "DTD" in reasons["/lol"]
    assert "not well-formed" in reasons["/broken"]
    assert "HTTP 404" in reasons["/missing"]
    with sessions() as db:
        assert db.scalar(select(RelatedArticle.url)) == f"{ORIGIN}/rocket/"
        assert len(db.scalars(select(RelatedSkip)).all()) == len(bad)



def test_sitemap_pages_are_fetched_read_like_related_js_and_410_removes(
        sessions, site_key, feed_server):
    gone = f"{feed_server}/p/gone"
    with sessions() as db:
        upsert_article(db, get_site(db, ORIGIN), ArticleIn(url=gone, title="Old news",
                                                           body="old"), source="api")
        db.commit()
    result = poll(sessions, [], origins=[feed_server], sitemaps=[f"{feed_server}/sitemap.xml"])
    assert result.stored == {"indexed": 1, "removed": 1, "skipped": 1, "not on the site": 1}
    with sessions() as db:
        rows = {r.url: r for r in db.scalars(select(RelatedArticle))}
        reasons = [s.reason for s in db.scalars(select(RelatedSkip))]
    page = rows[f"{feed_server}/p/stout"]
    assert page.title == "Brewing a stout" and page.tags == ["beer"]
    assert "Pitch the yeast" in page.body and "not text" not in page.body
    assert "Home" not in page.body  # outside <article>
    assert rows[gone].status == "removed"
    assert reasons == ["the page has no <article> element"]
    # A second poll fetches nothing that has not changed since.
    again = poll(sessions, [], origins=[feed_server], sitemaps=[f"{feed_server}/sitemap.xml"])
    assert again.stored["unchanged"] == 1 and again.stored["removed earlier"] == 1


def test_poll_feeds_on_the_command_line(tmp_path, feed_server):
    from related.test_cli import run

    from afterword.db.session import create_db_engine, make_session_factory

    assert run(tmp_path, "sites", "add", ORIGIN).returncode == 0
    engine = create_db_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with make_session_factory(engine)() as db:
        get_site(db, ORIGIN).settings = {"related": {"feeds": [f"{feed_server}/atom",
                                                               f"{feed_server}/html"]}}
        db.commit()
    engine.dispose()
    out = run(tmp_path, "related", "poll-feeds")
    assert out.returncode == 0, out.stderr
    assert f"{ORIGIN}: indexed 1" in out.stdout
    assert "skipped" in out.stdout and "not an RSS or Atom feed" in out.stdout


def test_the_app_polls_feeds_itself_one_worker_per_round(sessions, settings, site_key,
                                                        feed_server):
    """Two workers' pollers on one database: the feed is fetched once per interval."""
    from afterword.related.poller import FeedPoller

    with sessions() as db:
        get_site(db, ORIGIN).settings = {"related": {"feeds": [f"{feed_server}/atom"]}}
        db.commit()
    settings = settings.model_copy(update={"related_poll_minutes": 60})
    Handler.hits.clear()
    workers = [FeedPoller(sessions, settings, tick=0.05) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with sessions() as db:
                if db.scalar(select(RelatedArticle.url)):
                    break
            time.sleep(0.05)
        time.sleep(0.3)  # several more ticks of both workers: none is due again
    finally:
        for worker in workers:
            worker.stop()
    with sessions() as db:
        assert db.scalars(select(RelatedArticle.url)).all() == [f"{ORIGIN}/rocket/"]
    assert Handler.hits == ["/atom"]  # one round for both workers
    with sessions() as db:
        run = db.get(MaintenanceRun, "related-feeds")
        assert run.last_result["sites"] == 1 and run.last_result["indexed"] == 1
        assert run.lease_until is None


def test_no_poller_thread_when_polling_is_off(sessions, settings):
    from afterword.related.poller import FeedPoller

    poller = FeedPoller(sessions, settings.model_copy(update={"related_poll_minutes": 0}))
    poller.start()
    assert poller._thread is None
    poller.stop()
