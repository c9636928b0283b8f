"""The real Akismet plugin in a real WordPress, talking to Afterword through the must-use
plugin in ``integrations/wordpress``.

WordPress (Debian package ``wordpress``, which bundles Akismet) is copied into a temporary
folder, installed into a fresh MariaDB database, served by ``php -S``; comments are posted
through ``wp-comments-post.php`` like a browser would, and a moderator's "Spam" click is
made through WordPress's own API. Skips, saying what is missing, without PHP (``php-cli``,
``php-mysql``), WordPress or a reachable MariaDB/MySQL (``AFTERWORD_TEST_MARIADB_URL``,
default ``mysql://root@127.0.0.1:3306/``; each run creates and drops its own database).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from sqlalchemy import select

from afterword.db.models import SpamCheck
from afterword.sites import add_site, create_key
from support import REPO, free_port, live_server

pytestmark = pytest.mark.slow

WORDPRESS = Path(os.environ.get("AFTERWORD_TEST_WORDPRESS", "/usr/share/wordpress"))
HERE = Path(__file__).parent / "wordpress"
MU_PLUGIN = REPO / "integrations" / "wordpress" / "afterword-akismet.php"
# CI names the server as a URL; a developer's local MariaDB (root, no password) otherwise.
_MARIADB = urlsplit(os.environ.get("AFTERWORD_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/"))
DB_HOST = f"{_MARIADB.hostname or '127.0.0.1'}:{_MARIADB.port or 3306}"
DB_USER = unquote(_MARIADB.username or "root")
DB_PASSWORD = unquote(_MARIADB.password or "")


def _php(*args: str, cwd: Path | None = None, timeout: float = 120) -> str:
    result = subprocess.run(["php", *args], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"php {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _sql(statement: str) -> None:
    """Run one statement on the server through PHP's mysqli (no Python driver needed)."""
    host, _, port = DB_HOST.partition(":")
    code = (f"$db = new mysqli({host!r}, {DB_USER!r}, {DB_PASSWORD!r}, '', {int(port or 3306)});"
            f"$db->query({statement!r}) or exit(1);")
    _php("-r", code)


def _requirements() -> None:
    if shutil.which("php") is None:
        pytest.skip("PHP not installed (Debian: apt-get install php-cli php-mysql)")
    if not (WORDPRESS / "wp-comments-post.php").is_file():
        pytest.skip(f"WordPress not found at {WORDPRESS} (Debian: apt-get install wordpress)")
    if not (WORDPRESS / "wp-content/plugins/akismet/akismet.php").is_file():
        pytest.skip(f"the Akismet plugin is not in {WORDPRESS}/wp-content/plugins/akismet")
    modules = subprocess.run(["php", "-m"], capture_output=True, text=True).stdout.lower()
    if "mysqli" not in modules:
        pytest.skip("PHP has no mysqli module (Debian: apt-get install php-mysql)")
    try:
        _sql("SELECT 1")
    except (AssertionError, subprocess.TimeoutExpired) as exc:
        why = next((line.strip() for line in str(exc).splitlines() if "exception" in line.lower()),
                   "no answer")
        pytest.skip(f"no MariaDB/MySQL reachable at {DB_HOST} as {DB_USER} "
                    f"(set AFTERWORD_TEST_MARIADB_URL): {why[:200]}")


@pytest.fixture
def afterword(app):
    with live_server(app) as base:
        yield base


@pytest.fixture
def wordpress(tmp_path, afterword, sessions):
    """A running WordPress whose Akismet plugin uses a key Afterword issued for it."""
    _requirements()
    port = free_port()
    home = f"http://127.0.0.1:{port}"
    with sessions() as session:
        site = add_site(session, home, name="WordPress test")
        site.settings = {"spam": {"deny_domains": ["pills.example"]}}  # to see a discard
        key = create_key(session, site)
        session.commit()

    root = tmp_path / "wordpress"
    shutil.copytree(WORDPRESS, root, symlinks=False,
                    ignore=lambda folder, names: [n for n in names if n in (".htaccess",)])
    (root / "wp-config.php").unlink(missing_ok=True)
    mu = root / "wp-content" / "mu-plugins"
    mu.mkdir(parents=True)
    shutil.copy(MU_PLUGIN, mu / MU_PLUGIN.name)
    shutil.copy(HERE / "test-helpers.php", mu / "test-helpers.php")
    for script in ("install.php", "setup.php", "comments.php", "moderate.php", "probe.php"):
        shutil.copy(HERE / script, root / script)

    database = f"afterword_wp_{uuid.uuid4().hex[:10]}"
    _sql(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
    (root / "wp-config.php").write_text(f"""<?php
define( 'DB_NAME', '{database}' );
define( 'DB_USER', '{DB_USER}' );
define( 'DB_PASSWORD', '{DB_PASSWORD}' );
define( 'DB_HOST', '{DB_HOST}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
$table_prefix = 'wp_';
define( 'WP_HOME', '{home}' );
define( 'WP_SITEURL', '{home}' );
define( 'WPCOM_API_KEY', '{key}' );
define( 'AFTERWORD_AKISMET_URL', '{afterword}' );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_ACCESSIBLE_HOSTS', '127.0.0.1' );
$_SERVER['HTTP_HOST'] = $_SERVER['HTTP_HOST'] ?? '127.0.0.1:{port}';
if ( ! defined( 'ABSPATH' ) ) {{
\tdefine( 'ABSPATH', __DIR__ . '/' );
}}
require_once ABSPATH . 'wp-settings.php';
""")
    server = None
    try:
        _php("install.php", home, "admin@blog.example", cwd=root)
        setup = json.loads(_php("setup.php", cwd=root).strip().splitlines()[-1])
        server = subprocess.Popen(["php", "-S", f"127.0.0.1:{port}", "-t", str(root)],
                                  cwd=root, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(home + "/wp-login.php", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield {"home": home, "root": root, "key": key, "setup": setup, "afterword": afterword}
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        _sql(f"DROP DATABASE IF EXISTS `{database}`")


def _post_comment(home: str, author: str, text: str) -> httpx.Response:
    """What a reader's browser sends, including the Akismet plugin's hidden fields."""
    return httpx.post(f"{home}/wp-comments-post.php", timeout=60, data={
        "comment_post_ID": "1", "comment_parent": "0", "author": author,
        "email": f"{author.lower().replace(' ', '.')}@mail.example", "url": "",
        "comment": text, "ak_js": str(int(time.time() * 1000) - 40_000),
        "ak_hp_textarea": "",
    }, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0",
                "Referer": f"{home}/?p=1"})


def _wp_comments(root: Path) -> dict[str, dict]:
    rows = json.loads(_php("comments.php", cwd=root).strip().splitlines()[-1])
    return {row["content"]: row for row in rows}


def test_akismet_plugin_works_against_afterword(wordpress, app, sessions):
    assert wordpress["setup"] == {"akismet_active": True, "verify_key": "valid",
                                  "key_status": "valid"}
    home, root = wordpress["home"], wordpress["root"]
    ham = "Thank you for this post, the photos of the harbour at dawn are lovely."
    spam = "Great article! Visit my site for the best deals."
    rescued = "I wonder whether the bridge will reopen before the summer festival."
    blatant = "Cheap pills, no prescription: https://pills.example/order"

    for author, text in (("Jane Reader", ham), ("akismet-guaranteed-spam", spam),
                         ("Tom Walker", rescued), ("Rx Shop", blatant)):
        response = _post_comment(home, author, text)
        assert response.status_code in (302, 303), response.text[:500]

    wp = _wp_comments(root)
    assert (wp[ham]["approved"], wp[ham]["akismet"]) == ("1", "false")
    assert (wp[spam]["approved"], wp[spam]["akismet"]) == ("spam", "true")
    assert blatant not in wp  # X-akismet-pro-tip: discard, and the site lets Akismet discard

    app.state.akismet.writer.flush()
    with sessions() as session:
        records = {c.submission["content"]: c for c in session.scalars(select(SpamCheck))}
    assert set(records) == {ham, spam, rescued, blatant}
    assert records[spam].is_spam and not records[ham].is_spam
    assert records[blatant].discard and not records[spam].discard
    checked = records[ham].submission
    assert checked["author"] == "Jane Reader"
    assert checked["honeypot_filled"] is False  # the plugin's hidden field, forwarded as POST_
    assert checked["seconds_to_submit"] is not None  # its ak_js timestamp
    assert checked["headers"]["user-agent"].startswith("Mozilla/5.0")
    assert checked["user_ip"] == "127.0.0.0"  # anonymised before it was stored

    # A moderator marks a published comment as spam, and a spam one as not spam.
    assert _php("moderate.php", "spam", str(wp[rescued]["id"]), cwd=root).strip() == "ok"
    assert _php("moderate.php", "unspam", str(wp[spam]["id"]), cwd=root).strip() == "ok"
    with sessions() as session:
        feedback = dict(session.execute(select(SpamCheck.guid, SpamCheck.feedback)).all())
    assert feedback[records[rescued].guid] == "spam"
    assert feedback[records[spam].guid] == "ham"
    assert feedback[records[ham].guid] is None

    stats = httpx.post(f"{wordpress['afterword']}/1.1/get-stats",
                       data={"key": wordpress["key"], "blog": home, "from": "all"}).json()
    assert stats == {"spam": 2, "ham": 2, "missed_spam": 1, "false_positives": 1,
                     "accuracy": 50.0}



def test_must_use_plugin_takes_over_akismet_hosts_only(wordpress):
    probe = json.loads(_php("probe.php", cwd=wordpress["root"]).strip().splitlines()[-1])
    assert probe == {"rest": True, "key_host": True, "lookalike": False, "suffix": False,
                     "other": False}
