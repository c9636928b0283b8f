"""A commenter erases their data in Chromium, from the link in a real email (aiosmtpd)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from moderation.mod_kit import Inbox
from privacy.kit import ARTICLE, SITE, add_comment
from support import free_port, live_server

from afterword.config import Settings
from afterword.db.migrate import upgrade
from afterword.db.session import create_db_engine, make_session_factory
from afterword.sites import add_site
from afterword.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def _wait_for_mail(inbox: Inbox, address: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if inbox.to(address):
            return inbox.to(address)[0]
        time.sleep(0.1)
    raise AssertionError(f"no email to {address} within {timeout} s")


def test_erasure_from_the_emailed_link(tmp_path, inbox):
    if not CHROMIUM.exists():
        pytest.skip("Chromium not found at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'afterword.db'}", data_dir=tmp_path,
                        secret_key="browser-test-secret-0123", log_format="text",
                        base_url=f"http://127.0.0.1:{port}", smtp_host="127.0.0.1",
                        smtp_port=inbox.port, smtp_tls="none")
    engine = create_db_engine(settings.database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as db:
        site_id = add_site(db, SITE, name="Field Notes").id
        db.commit()
    add_comment(sessions, email="ann@example.org", text="My words about the ferry.")
    add_comment(sessions, email="bo@example.org", author="Bo", text="Bo's words.")
    app = create_app(settings, engine)
    app.state.dispatcher.interval = 0.2

    with live_server(app, port) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        page.goto(f"{base}/privacy/{site_id}")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "How your comment data is processed")
        page.get_by_label("Your email address").fill("ann@example.org")
        page.get_by_label("Erase my data").check()
        page.get_by_role("button", name="Send me a confirmation link").click()
        expect(page.get_by_role("status")).to_contain_text("we have sent a confirmation link")

        mail = _wait_for_mail(inbox, "ann@example.org")
        link = re.search(r"http://\S+/confirm\?token=\S+", mail.get_content()).group(0)
        page.goto(link)
        expect(page.get_by_text("1 comment tied to ann@example.org")).to_be_visible()
        page.get_by_role("button", name="Erase my data").click()
        expect(page.get_by_role("status")).to_contain_text("1 comment anonymised")

        thread = httpx.get(f"{base}/api/v1/threads", params={"site": SITE, "url": ARTICLE}).json()
        shown = {c["html"]: c["author"] for c in thread["comments"]}
        assert shown == {"<p>My words about the ferry.</p>": "", "<p>Bo's words.</p>": "Bo"}

        # the link cannot be replayed into anything more: there is nothing left to erase
        page.goto(link)
        expect(page.get_by_text("0 comments tied to ann@example.org")).to_be_visible()
        browser.close()
    engine.dispose()
