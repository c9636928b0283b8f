"""The command line as an operator uses it: the real ``afterword`` executable in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from support import free_port

AFTERWORD = [sys.executable, "-m", "afterword"]


def run(*args: str, cwd: Path, env: dict | None = None, timeout: float = 60):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERWORD_")}
    full_env.update(env or {})
    return subprocess.run([*AFTERWORD, *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def assert_one_line_error(result, fragment: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr


def test_help_lists_every_command(tmp_path):
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "config", "db", "sites", "keys", "users", "spam", "import",
                    "export", "privacy", "maintenance", "related", "mail"):
        assert command in result.stdout


def test_sites_and_keys_round_trip(tmp_path):
    assert run("sites", "add", "https://news.example/", "--name", "News", cwd=tmp_path).returncode == 0
    key = run("keys", "create", "--site", "news.example", cwd=tmp_path).stdout.strip()
    assert len(key) == 12 and key.isalnum() and key.islower()
    listing = run("keys", "list", "--site", "https://news.example", cwd=tmp_path).stdout
    assert key[-4:] in listing and "live" in listing
    assert key not in listing  # only the hint is ever shown again
    assert run("keys", "revoke", "--site", "https://news.example", key[-4:], cwd=tmp_path).returncode == 0
    assert "revoked" in run("keys", "list", "--site", "https://news.example", cwd=tmp_path).stdout
    duplicate = run("sites", "add", "https://NEWS.example", cwd=tmp_path)
    assert_one_line_error(duplicate, "site already exists: https://news.example")


def test_key_for_unknown_site(tmp_path):
    assert_one_line_error(run("keys", "create", "--site", "https://nowhere.example", cwd=tmp_path),
                          "no such site")


def test_unknown_flag_is_a_usage_error(tmp_path):
    result = run("serve", "--bogus", cwd=tmp_path)
    assert result.returncode == 2
    assert "No such option: --bogus" in result.stderr


def test_unreachable_database(tmp_path):
    result = run("db", "upgrade", cwd=tmp_path,
                 env={"AFTERWORD_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert_one_line_error(result, "cannot reach the database")


def test_invalid_setting_names_the_key(tmp_path):
    result = run("config", "show", cwd=tmp_path, env={"AFTERWORD_WORKERS": "many"})
    assert_one_line_error(result, "invalid setting workers (AFTERWORD_WORKERS)")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere: no read-only directory")
def test_read_only_data_directory(tmp_path):
    data = tmp_path / "ro"
    data.mkdir()
    data.chmod(0o500)
    result = run("db", "upgrade", cwd=tmp_path,
                 env={"AFTERWORD_DATABASE_URL": f"sqlite:///{data}/sub/a.db"})
    assert_one_line_error(result, "cannot create database folder")


def test_unwritable_database_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run("db", "upgrade", cwd=tmp_path,
                 env={"AFTERWORD_DATABASE_URL": f"sqlite:///{blocker}/a.db"})
    assert_one_line_error(result, "cannot create database folder")


def test_config_show_masks_secrets(tmp_path):
    result = run("config", "show", cwd=tmp_path, env={"AFTERWORD_SECRET_KEY": "top-secret-value"})
    assert result.returncode == 0
    assert "top-secret-value" not in result.stdout and "********" in result.stdout


def test_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), cwd=tmp_path)
    assert_one_line_error(result, f"port {port} on 127.0.0.1 is already in use")


def test_serve_demo_prints_admin_password_once_and_is_healthy(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERWORD_")}
    env["AFTERWORD_BASE_URL"] = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([*AFTERWORD, "serve", "--demo", "--port", str(port)], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                health = httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert health.json()["status"] == "ok"
        page = httpx.get(f"{base}/articles/library-seed-bank")
        assert page.status_code == 200
        assert "The library that lends seeds" in page.text
        assert '<script src="/embed.js"' in page.text
        related = httpx.get(f"{base}/api/v1/related", params={
            "site": base, "url": f"{base}/articles/library-seed-bank"}).json()["related"]
        # Indexed at start: the follow-up story is related before anyone has visited a page.
        assert f"{base}/articles/seed-swap-day" in [r["url"] for r in related]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "Created admin account 'admin' with password:" in out
    with socket.socket() as taken:  # the second start stops at the busy port, after seeding
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        again = run("serve", "--demo", "--port", str(taken.getsockname()[1]), cwd=tmp_path,
                    env={"AFTERWORD_BASE_URL": f"http://127.0.0.1:{port}"})
    assert "already in use" in again.stderr
    assert "Created admin account" not in again.stdout  # only on the first start
