"""A moderator's morning in real Chromium, against a real server, SMTP server and database.

Signs in, clears the pending queue with the keyboard, marks a false positive as not spam and
sees the author's next comment (posted through the real comment API) published at once,
bans a spammer's link domain, and receives the email about a new pending comment.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from afterword.config import Settings
from afterword.db.migrate import upgrade
from afterword.db.models import Site
from afterword.db.session import create_db_engine, make_session_factory
from afterword.moderation.rules import evaluate
from afterword.sites import add_site
from afterword.web.app import create_app
from moderation.mod_kit import PASSWORD, add_comment, make_user, status_of
from support import live_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SITE = "https://blog.example"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def world(tmp_path, smtp):
    if not CHROMIUM.exists():
        pytest.skip("Chromium not found at /usr/bin/chromium (apt-get install chromium)")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'afterword.db'}", data_dir=tmp_path,
                        secret_key="browser-test-secret-0123", log_format="text",
                        smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none")
    engine = create_db_engine(settings.database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as db:
        site = add_site(db, SITE, name="Blog")
        site.settings = {"moderation": "all"}
        db.commit()
        site_id = site.id
    make_user(sessions, "mia", email="mia@team.example", site_ids=[site_id])
    app = create_app(settings, engine)
    app.state.dispatcher.interval = 0.2
    yield app, sessions, site_id
    engine.dispose()


def _post(base: str, text: str, author: str, email: str) -> dict:
    """A reader posting through the comment API, the way embed.js does."""
    url = f"{SITE}/post"
    with httpx.Client(base_url=base) as http:
        token = http.get("/api/v1/threads", params={"site": SITE, "url": url}).json()["token"]
        time.sleep(2.5)  # a person takes a moment to write
        r = http.post("/api/v1/comments", json={"site": SITE, "url": url, "text": text,
                                                "author": author, "email": email,
                                                "token": token, "honeypot": ""})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_moderators_morning(world, smtp):
    from playwright.sync_api import expect, sync_playwright

    app, sessions, site_id = world
    queue = [add_comment(sessions, site_id, f"Queued remark number {i}") for i in range(3)]
    false_positive = add_comment(
        sessions, site_id, "Here are the photos of my garden roses I promised", author="Gwen",
        email="gwen@garden.example", status="spam", probability=0.81)
    add_comment(sessions, site_id, "Cheap pills at http://pills.example/buy now", author="Bot",
                email="bot@pills.example", status="spam", probability=0.97)

    with live_server(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 400, "height": 800})  # a phone
        page.goto(f"{base}/admin/login")
        page.get_by_label("Username").fill("mia")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/admin/queue")

        # Clear the pending queue with the keyboard: newest first, so a, s, d hit 2, 1, 0.
        cards = page.locator("#queue article.comment")
        expect(cards).to_have_count(3)
        expect(cards.first).to_have_class("comment current")
        page.keyboard.press("j")
        expect(cards.nth(1)).to_have_class("comment current")
        page.keyboard.press("k")
        for left, key in ((2, "a"), (1, "s"), (0, "d")):
            page.keyboard.press(key)
            expect(cards).to_have_count(left)
        expect(page.get_by_text("Queue cleared.")).to_be_visible()
        assert [status_of(sessions, c) for c in queue] == ["deleted", "spam", "published"]

        # The spam queue, most likely spam first: move to Gwen's comment, say "not spam".
        page.goto(f"{base}/admin/queue?status=spam")
        expect(cards.first).to_contain_text("pills.example")
        expect(cards.nth(1)).to_contain_text("garden roses")
        page.keyboard.press("j")
        page.keyboard.press("n")
        expect(page.locator("#queue")).not_to_contain_text("garden roses")
        assert status_of(sessions, false_positive) == "published"

        # Gwen's next, similar comment passes at once, in a site that holds everything.
        posted = _post(base, "And here are the tulips, as promised", "Gwen",
                       "gwen@garden.example")
        assert posted["status"] == "published"
        page.goto(f"{base}/admin/queue?status=published")
        expect(page.locator("#queue")).to_contain_text("tulips, as promised")

        # Ban the spammer's link domain from its comment's page.
        page.goto(f"{base}/admin/queue?status=spam")
        page.locator("article", has_text="pills.example").get_by_role(
            "link", name="Edit · reply · ban").click()
        page.get_by_role("link", name="Ban link domain pills.example").click()
        page.get_by_label("Note").fill("pill spam wave")
        page.get_by_role("button", name="Add").click()
        expect(page.get_by_role("status")).to_contain_text("Rule added")
        expect(page.locator("table.rules")).to_contain_text("pill spam wave")
        with sessions() as db:
            assert evaluate(db, site_id, {"text": "see https://www.pills.example"}
                            ).action == "reject"
            assert db.get(Site, site_id).settings["moderation"] == "all"

        # A newcomer's comment waits for review, and Mia gets the email.
        _post(base, "First time here: is the ferry running on Sundays?", "Nel",
              "nel@mail.example")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any(
                "ferry running on Sundays" in m.get_content()
                for m in smtp.to("mia@team.example")):
            time.sleep(0.2)
        mail = [m for m in smtp.to("mia@team.example")
                if "ferry running on Sundays" in m.get_content()]
        assert len(mail) == 1 and "awaiting moderation" in mail[0]["Subject"]
        browser.close()
