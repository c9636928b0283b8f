"""Feeds polled over real HTTP from a local server: good, garbage, hanging, too big."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import select

from afterword.db.models import RelatedArticle, RelatedSkip
from afterword.related.feeds import poll_site
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


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/hang":
            time.sleep(3)  # longer than the test client's timeout
        if self.path == "/big":
            self.send_response(200)
            self.end_headers()
            for _ in range(200):  # 6.4 MB, streamed
                self.wfile.write(b"<rss>" + b"x" * 32_000)
            return
        body = {"/rss": RSS, "/atom": ATOM, "/html": "<html><body>hello</body></html>",
                "/lol": BILLION_LAUGHS, "/broken": "<rss><channel><item>"}.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        data = body.encode()
        self.send_response(200)
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


def poll(sessions, feed_urls, **related):
    with sessions() as db, httpx.Client(timeout=0.5) as client:
        site = get_site(db, ORIGIN)
        site.settings = {"related": {"feeds": feed_urls, **related}}
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
