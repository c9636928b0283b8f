"""related.js in real Chromium: the list, the "Also read" link, and the page report."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from support import free_port, live_server

from afterword.db.models import RelatedArticle
from afterword.sites import add_site, create_key

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
BEER = "hops malt brewing lager ale yeast fermentation pint brewery stout".split()

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE = """<!doctype html><html><head><title>Brewing a stout</title>
<link rel="canonical" href="{url}"><meta property="article:tag" content="beer">
<meta property="og:title" content="Brewing &lt;b&gt;a stout&lt;/b&gt;"></head><body>
<article><header><h1>Brewing a stout</h1><p class="byline">By Ann Brewer</p></header>
<p><time datetime="2026-11-20">20 November 2026</time></p>
<p>Malt and hops.</p><figure><p>A stout</p></figure><p>Yeast and fermentation.</p>
<p>Pour a pint.</p></article>
<div id="afterword" data-site="{site}" data-related="3" data-also-read-after="2"></div>
<script src="{api}/{script}"></script></body></html>"""


# A site may load related.js alone, or only the comment widget, which brings related.js.
@pytest.mark.parametrize("script", ["related.js", "embed.js"])
def test_list_and_also_read_link_render_and_the_page_is_reported(app, sessions, script):
    if not CHROMIUM.exists():
        pytest.skip("Chromium not found at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # The page is served from the API's own address (Chromium refuses a public origin
    # calling a loopback one), so that address is the site.
    port = free_port()
    SITE = f"http://127.0.0.1:{port}"
    with sessions() as s:
        key = create_key(s, add_site(s, SITE))
        s.commit()
    with live_server(app, port) as api:
        with httpx.Client(base_url=api) as http:
            for i in range(5):
                words = BEER[i:] + BEER[:i]
                http.post("/api/v1/articles", headers={"authorization": f"Bearer {key}"},
                          json={"url": f"{SITE}/beer/{i}", "title": f"Beer {words[0]}",
                                "text": " ".join(words) * 3}).raise_for_status()
        url = f"{SITE}/stout/"
        html = PAGE.format(url=url, site=SITE, api=api, script=script)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page()
            page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
            # The first visit reports the page; the second finds it indexed and related.
            page.goto(url)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                with sessions() as s:
                    row = s.scalar(select(RelatedArticle).where(RelatedArticle.url == url))
                if row is not None:
                    break
                time.sleep(0.1)
            assert row is not None, "related.js did not report the page"
            assert row.title == "Brewing a stout" and row.tags == ["beer"]
            assert "Yeast and fermentation" in row.body
            time.sleep(0.6)  # the worker catches up with reported pages within 0.5 s
            page.goto(url)
            items = page.locator("nav.aw-related li a")
            items.first.wait_for(timeout=5000)
            assert items.count() == 3
            assert all(h.startswith(f"{SITE}/beer/") for h in
                       items.evaluate_all("els => els.map(e => e.href)"))
            assert page.get_by_role("navigation", name="Related posts").is_visible()
            also = page.locator("article p.aw-also-read")
            assert also.inner_text().startswith("Also read:")
            # After the second paragraph of the story itself: the byline, the date line
            # and the caption are not counted.
            assert also.evaluate("p => p.previousElementSibling.textContent") == (
                "Yeast and fermentation.")
            browser.close()
