"""Real clients against a real server: the ``akismet`` package from PyPI (sync and async),
pointed at Afterword by an httpx transport that rewrites the URL, and raw HTTP/1.1 in the
legacy style that puts the key in the Host name (``KEY.rest.example.org``)."""

from __future__ import annotations

import asyncio
import http.client
from urllib.parse import urlencode, urlsplit

import akismet
import httpx
import pytest
from sqlalchemy import select

from afterword.db.models import SpamCheck
from support import live_server

HAM = "Thanks for the write-up, the part about pruning roses in March helped me a lot."


def _rewrite(request: httpx.Request, base: str) -> None:
    """Send a request meant for rest.akismet.com to ``base`` instead; Host stays as sent."""
    target = urlsplit(base)
    request.url = request.url.copy_with(scheme=target.scheme, host=target.hostname,
                                        port=target.port)


class ToAfterword(httpx.HTTPTransport):
    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _rewrite(request, self.base)
        return super().handle_request(request)


class AsyncToAfterword(httpx.AsyncHTTPTransport):
    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _rewrite(request, self.base)
        return await super().handle_async_request(request)


@pytest.fixture
def server(app):
    with live_server(app) as base:
        yield base


def sync_client(base: str, key: str, url: str = "https://blog.example") -> akismet.SyncClient:
    http = httpx.Client(transport=ToAfterword(base), timeout=10,
                        headers={"User-Agent": akismet.USER_AGENT})
    return akismet.SyncClient.validated_client(akismet.Config(key=key, url=url), http_client=http)


def test_sync_client_full_round(server, site_key, site_settings, checks):
    blog, key = site_key
    site_settings(blog, {"spam": {"deny_domains": ["pills.example"]}})
    with sync_client(server, key) as client:
        assert client.verify_key() is True
        assert client.comment_check("203.0.113.9", comment_content=HAM, comment_author="Ann",
                                    comment_type="comment") == akismet.CheckResponse.HAM
        assert client.comment_check(
            "203.0.113.9", comment_author="akismet-guaranteed-spam",
            comment_content="hello") == akismet.CheckResponse.SPAM
        assert client.comment_check(
            "203.0.113.9", comment_content="cheap meds https://pills.example/x",
            comment_author="Rx") == akismet.CheckResponse.DISCARD
        assert client.comment_check("203.0.113.9", comment_content=HAM, user_role="administrator",
                                    is_test=True) == akismet.CheckResponse.HAM
        assert client.submit_spam("203.0.113.9", comment_content=HAM, comment_author="Ann")
        assert client.submit_ham("203.0.113.9", comment_author="akismet-guaranteed-spam",
                                 comment_content="hello")
        # akismet 25.10.1's key_sites() sends no api_key at all, so Akismet itself answers
        # "invalid" and the client raises; Afterword cannot guess the key either.
        with pytest.raises(akismet.APIKeyError):
            client.key_sites()
        assert client.usage_limit()["usage"] == 3
        assert client.verify_key("abcdefghijkm", "https://blog.example") is False
    recorded = checks()
    assert [c.is_test for c in recorded] == [False, False, False, True]
    assert [c.feedback for c in recorded] == ["spam", "ham", None, None]


def test_sync_client_reports_a_bad_key_as_a_key_error(server, site_key, other_key):
    _, key = site_key
    with pytest.raises(akismet.APIKeyError):
        sync_client(server, "abcdefghijkm")
    with pytest.raises(akismet.APIKeyError):  # a key for another site
        sync_client(server, other_key[1])
    http = httpx.Client(transport=ToAfterword(server), timeout=10)
    unchecked = akismet.SyncClient(akismet.Config(key="abcdefghijkm", url="https://blog.example"),
                                   http_client=http)
    with pytest.raises(akismet.APIKeyError):
        unchecked.comment_check("203.0.113.9", comment_content=HAM)


def test_async_client_full_round(server, site_key, checks):
    _, key = site_key

    async def run() -> None:
        http = httpx.AsyncClient(transport=AsyncToAfterword(server), timeout=10)
        config = akismet.Config(key=key, url="https://blog.example")
        async with await akismet.AsyncClient.validated_client(config, http_client=http) as client:
            assert await client.verify_key() is True
            results = await asyncio.gather(*(
                client.comment_check("203.0.113.9", comment_content=f"{HAM} #{i}",
                                     comment_author="Ann") for i in range(8)))
            assert set(results) == {akismet.CheckResponse.HAM}
            assert await client.comment_check(
                "203.0.113.9", comment_author="akismet-guaranteed-spam") == akismet.CheckResponse.SPAM
            assert await client.submit_spam("203.0.113.9", comment_content=f"{HAM} #3",
                                            comment_author="Ann")
            assert (await client.usage_limit())["usage"] == 9

    asyncio.run(run())
    assert sum(c.feedback == "spam" for c in checks()) == 1


def _raw_post(base: str, host: str, path: str, fields: dict[str, str]) -> http.client.HTTPResponse:
    target = urlsplit(base)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    body = urlencode(fields)
    conn.request("POST", path, body=body, headers={
        "Host": host, "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "WordPress/6.1 | Akismet/5.0.2"})
    response = conn.getresponse()
    response.body = response.read().decode()
    conn.close()
    return response


def test_legacy_subdomain_style(server, site_key, sessions):
    blog, key = site_key
    host = f"{key}.rest.example.org"
    verify = _raw_post(server, host, "/1.1/verify-key", {"blog": blog})
    assert (verify.status, verify.body) == (200, "valid")
    check = _raw_post(server, host, "/1.1/comment-check",
                      {"blog": blog, "user_ip": "203.0.113.9", "comment_content": HAM})
    assert (check.status, check.body) == (200, "false")
    assert check.getheader("Content-Type") == "text/plain; charset=utf-8"
    guid = check.getheader("X-akismet-guid")
    spam = _raw_post(server, host, "/1.1/submit-spam",
                     {"blog": blog, "user_ip": "203.0.113.9", "guid": guid})
    assert (spam.status, spam.body) == (200, "Thanks for making the web a better place.")
    wrong = _raw_post(server, "abcdefghijkm.rest.example.org", "/1.1/comment-check",
                      {"blog": blog, "user_ip": "203.0.113.9"})
    assert (wrong.status, wrong.body) == (200, "invalid")
    assert wrong.getheader("X-akismet-debug-help")
    bare = _raw_post(server, "rest.example.org", "/1.1/comment-check",
                     {"blog": blog, "user_ip": "203.0.113.9"})
    assert bare.body == "invalid" and "api_key" in bare.getheader("X-akismet-debug-help")
    with sessions() as session:
        assert session.scalar(select(SpamCheck.feedback).where(SpamCheck.guid == guid)) == "spam"
