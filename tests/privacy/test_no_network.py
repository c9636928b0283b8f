"""Afterword's main flows with every outbound connection refused: nothing reaches out unless an
operator configured it (SMTP, webhooks). Loopback stays open for the test's own server."""

from __future__ import annotations

import io
import ipaddress
import socket
import time

import httpx
import pytest
from importers.kit import FIXTURES
from support import live_server

from afterword.db.models import Site
from afterword.importers import native, run_import, wordpress
from afterword.privacy.retention import run_retention

SITE = "https://blog.example"
ARTICLE = f"{SITE}/2026/ferry"


def _loopback(host: str) -> bool:
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_outbound(monkeypatch) -> list[str]:
    """Refuse (and record) every connection or name lookup to a non-loopback address."""
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(str(address[0])):
            attempts.append(str(address[0]))
            raise ConnectionRefusedError(f"outbound connection to {address[0]} forbidden")

    def connect(sock, address):
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _loopback(host if isinstance(host, str) else host.decode()):
            attempts.append(str(host))
            raise socket.gaierror(f"name lookup of {host} forbidden")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


def test_the_guard_itself_refuses(no_outbound):
    with pytest.raises(OSError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with pytest.raises(OSError):
        socket.create_connection(("example.org", 80), timeout=1)
    assert no_outbound == ["example.org"] or "192.0.2.1" in no_outbound


def test_main_flows_make_no_outbound_connection(no_outbound, app, sessions, site_key, settings):
    site_url, key = site_key
    with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        # a reader loads a thread and posts a comment (spam engine, model load included)
        page = http.get("/api/v1/threads", params={"site": SITE, "url": ARTICLE}).json()
        with sessions() as session:
            site_id = session.query(Site.id).scalar()
        token = app.state.comments.tokens.render_token(site_id, time.time() - 30)
        posted = http.post("/api/v1/comments", json={
            "site": SITE, "url": ARTICLE, "text": "A remark about the ferry timetable.",
            "author": "Ann", "email": "ann@example.org", "token": token, "honeypot": ""})
        assert posted.status_code == 201, posted.text
        assert page["config"]["privacy_url"]
        # an Akismet client checks a comment
        check = http.post("/1.1/comment-check", data={
            "api_key": key, "blog": site_url, "user_ip": "203.0.113.9",
            "comment_content": "Buy cheap pills now http://pills.example"})
        assert check.status_code == 200 and check.text in ("true", "false")
        # the privacy page
        assert http.get(page["config"]["privacy_url"]).status_code == 200
    # an import, an export and the retention job
    with sessions() as session, (FIXTURES / "wordpress.xml").open("rb") as stream:
        site = session.get(Site, site_id)
        assert run_import(session, site, "wordpress",
                          lambda w: wordpress.read(stream, w)).imported == 10
        native.export_site(session, site, io.StringIO())
        run_retention(session, settings)
    assert no_outbound == []
