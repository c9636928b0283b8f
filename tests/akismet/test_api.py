"""The Akismet endpoints as clients see them: bodies, headers, status codes, side effects."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import func, select

from afterword.db.models import SpamCheck
from afterword.sites import require_site, revoke_key

THANKS = "Thanks for making the web a better place."
HAM_TEXT = "Thanks for the write-up, the part about pruning roses in March helped me a lot."


def check(client, key, blog="https://blog.example", **extra):
    data = {"api_key": key, "blog": blog, "user_ip": "203.0.113.9",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
            "comment_type": "comment", "comment_author": "Ann",
            "comment_content": HAM_TEXT, **extra}
    return client.post("/1.1/comment-check", data={k: v for k, v in data.items()
                                                   if v is not None})


def assert_invalid(response, *words):
    assert response.status_code == 200
    assert response.text == "invalid"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    help_text = response.headers["x-akismet-debug-help"].lower()
    for word in words:
        assert word in help_text


def assert_clean(response):
    """A good answer carries none of the headers that make some clients raise."""
    for name in ("x-akismet-debug-help", "x-akismet-alert-code", "x-akismet-error"):
        assert name not in response.headers


# -- verify-key ------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["key", "api_key"])
def test_verify_key_accepts_both_field_names(client, site_key, field):
    blog, key = site_key
    response = client.post("/1.1/verify-key", data={field: key, "blog": blog})
    assert (response.status_code, response.text) == (200, "valid")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert_clean(response)


def test_verify_key_tolerates_scheme_www_and_trailing_slash(client, site_key):
    _, key = site_key
    for blog in ("http://blog.example/", "https://www.blog.example", "https://blog.example/news"):
        assert client.post("/1.1/verify-key", data={"key": key, "blog": blog}).text == "valid"


def test_verify_key_refuses_wrong_revoked_and_foreign_keys(client, site_key, other_key, sessions):
    blog, key = site_key
    assert_invalid(client.post("/1.1/verify-key", data={"key": "abcdefghijkm", "blog": blog}),
                   "invalid key")
    assert_invalid(client.post("/1.1/verify-key", data={"key": "short", "blog": blog}))
    assert_invalid(client.post("/1.1/verify-key", data={"blog": blog}), "api_key")
    assert_invalid(client.post("/1.1/verify-key", data={"key": key}), "blog")
    assert_invalid(client.post("/1.1/verify-key", data={"key": key, "blog": "ftp://blog.example"}),
                   "not a site url")
    odd = client.post("/1.1/verify-key", data={"key": key, "blog": "https://ブログ.example\r\nX: y"})
    assert_invalid(odd, "not a site url")
    assert "x" not in odd.headers  # the client's text cannot add headers
    assert_invalid(client.post("/1.1/verify-key", data={"key": other_key[1], "blog": blog}),
                   "another site")

    _, fresh_key = other_key
    with sessions() as session:
        revoke_key(session, require_site(session, other_key[0]), fresh_key[-4:])
        session.commit()
    time.sleep(5.1)  # the key cache's lifetime: a revocation reaches every worker this fast
    assert_invalid(client.post("/1.1/verify-key", data={"key": fresh_key, "blog": other_key[0]}),
                   "revoked")


# -- comment-check --------------------------------------------------------------------------

def test_comment_check_answers_ham_with_a_guid_and_records_it(client, site_key, checks):
    _, key = site_key
    response = check(client, key)
    assert (response.status_code, response.text) == (200, "false")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert_clean(response)
    guid = response.headers["x-akismet-guid"]
    [record] = checks()
    assert record.guid == guid
    assert record.is_spam is False and record.is_test is False
    assert record.submission["content"] == HAM_TEXT
    # Only the anonymised network is kept, as for comments.
    assert record.submission["user_ip"] == "203.0.113.0"
    assert record.reasons and {"code", "text", "weight"} <= set(record.reasons[0])


def test_every_check_gets_its_own_guid(client, site_key, checks):
    _, key = site_key
    guids = {check(client, key).headers["x-akismet-guid"] for _ in range(5)}
    assert len(guids) == 5
    assert {c.guid for c in checks()} == guids


def test_test_values_behave_as_documented(client, site_key):
    _, key = site_key
    spam = check(client, key, comment_author="akismet-guaranteed-spam")
    assert spam.text == "true"
    assert "x-akismet-pro-tip" not in spam.headers  # a test value is spam, not blatant spam
    by_email = check(client, key, comment_author="Bob",
                     comment_author_email="akismet-guaranteed-spam@example.com")
    assert by_email.text == "true"
    admin = check(client, key, user_role="administrator",
                  comment_content="buy cheap pills http://bit.ly/a http://bit.ly/b http://bit.ly/c")
    assert admin.text == "false"


def test_blatant_spam_carries_the_discard_tip(client, site_key, site_settings):
    blog, key = site_key
    site_settings(blog, {"spam": {"deny_domains": ["pills.example"]}})
    response = check(client, key, comment_content="Cheap meds at https://pills.example/buy now")
    assert response.text == "true"
    assert response.headers["x-akismet-pro-tip"] == "discard"
    assert_clean(response)


def test_key_in_the_host_name_works_like_the_field(client, site_key):
    blog, key = site_key
    data = {"blog": blog, "user_ip": "203.0.113.9", "comment_content": HAM_TEXT}
    response = client.post("/1.1/comment-check", data=data,
                           headers={"Host": f"{key}.rest.example.org"})
    assert response.text == "false" and "x-akismet-guid" in response.headers
    verify = client.post("/1.1/verify-key", data={"blog": blog},
                         headers={"Host": f"{key}.rest.example.org:8443"})
    assert verify.text == "valid"
    wrong = client.post("/1.1/verify-key", data={"blog": blog},
                        headers={"Host": "abcdefghijkm.rest.example.org"})
    assert_invalid(wrong, "invalid key")


def test_comment_check_refuses_missing_fields_and_foreign_keys(client, site_key, other_key):
    _, key = site_key
    assert_invalid(check(client, key, user_ip=None), "user_ip")
    assert_invalid(check(client, key, blog=None), "blog")
    assert_invalid(check(client, other_key[1]), "another site")
    assert_invalid(check(client, "wrongwrong12"), "invalid key")
    assert_invalid(check(client, None), "api_key")


# -- submit-spam / submit-ham, statistics ---------------------------------------------------

def report(client, key, endpoint, blog="https://blog.example", **extra):
    data = {"api_key": key, "blog": blog, "user_ip": "203.0.113.9", "comment_author": "Ann",
            "comment_content": HAM_TEXT, **extra}
    return client.post(f"/1.1/{endpoint}", data=data)


def stats(client, key, blog="https://blog.example", since="all"):
    response = client.post("/1.1/get-stats", data={"key": key, "blog": blog, "from": since})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_reports_find_their_check_and_make_real_statistics(client, site_key, checks):
    _, key = site_key
    ham_guid = check(client, key).headers["x-akismet-guid"]
    spam_text = "akismet test spam that a moderator will rescue"
    check(client, key, comment_author="akismet-guaranteed-spam", comment_content=spam_text)
    check(client, key, comment_author="Carl", comment_content="Lovely photos of the lake.")
    assert stats(client, key) == {"spam": 1, "ham": 2, "missed_spam": 0,
                                  "false_positives": 0, "accuracy": 100.0}

    # By guid: the first ham was spam after all.
    response = report(client, key, "submit-spam", guid=ham_guid)
    assert (response.status_code, response.text) == (200, THANKS)
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    # Without a guid: found by author and text.
    assert report(client, key, "submit-ham", comment_author="akismet-guaranteed-spam",
                  comment_content=spam_text).text == THANKS

    by_guid = {c.guid: c for c in checks()}
    assert by_guid[ham_guid].feedback == "spam"
    assert [c.feedback for c in checks()] == ["spam", "ham", None]
    assert stats(client, key) == {"spam": 1, "ham": 2, "missed_spam": 1,
                                  "false_positives": 1, "accuracy": 33.33}
    assert stats(client, key, since="6-months")["missed_spam"] == 1
    assert stats(client, key, since="2999-01")["ham"] == 0


def test_submit_spam_teaches_the_engine(client, site_key, checks):
    _, key = site_key
    text = "Visit my page about discount watches and designer bags, great deals every day"
    before = check(client, key, comment_author="Dee", comment_content=text)
    for _ in range(3):
        assert report(client, key, "submit-spam", guid=before.headers["x-akismet-guid"],
                      comment_author="Dee", comment_content=text).text == THANKS
    check(client, key, comment_author="Dee", comment_content=text)
    first, second = checks()
    assert second.probability > first.probability


def test_is_test_is_answered_but_neither_counted_nor_learned(client, site_key, checks):
    _, key = site_key
    text = "Cheap replica watches, visit my shop for the best prices on all brands"
    for flag in ("1", "true", "True"):
        response = check(client, key, is_test=flag, comment_content=text)
        assert response.text in ("true", "false") and "x-akismet-guid" in response.headers
    guid = check(client, key, is_test="1", comment_content=text).headers["x-akismet-guid"]
    assert report(client, key, "submit-spam", guid=guid, is_test="1").text == THANKS
    assert report(client, key, "submit-spam", guid=guid).text == THANKS
    assert stats(client, key) == {"spam": 0, "ham": 0, "missed_spam": 0,
                                  "false_positives": 0, "accuracy": 100.0}
    probabilities = {round(c.probability, 9) for c in checks()}
    assert len(probabilities) == 1  # nothing was learned between the checks
    check(client, key, is_test="0", comment_content=text)
    assert sum(stats(client, key).values()) > 100  # now one real check: ham or spam + 100 %


def test_submit_refuses_bad_keys_like_comment_check(client, site_key):
    _, key = site_key
    assert_invalid(report(client, "wrongwrong12", "submit-spam"), "invalid key")
    assert_invalid(report(client, key, "submit-ham", user_ip=""), "user_ip")


def test_key_sites_and_usage_limit(client, site_key):
    _, key = site_key
    check(client, key)
    check(client, key, comment_author="akismet-guaranteed-spam")
    month = datetime.now(UTC).strftime("%Y-%m")
    response = client.get("/1.2/key-sites", params={"api_key": key})
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        month: [{"site": "blog.example", "api_calls": "2", "spam": "1", "ham": "1",
                 "missed_spam": "0", "false_positives": "0", "is_revoked": False}],
        "limit": 500, "offset": 0, "total": 1,
    }
    csv_text = client.get("/1.2/key-sites", params={"api_key": key, "format": "csv"}).text
    assert csv_text.splitlines() == [
        f"Active sites for {key} during {month} (limit: 500, offset: 0, total: 1).",
        "Site,Total API Calls,Spam,Ham,Missed Spam,False Positives,Is Revoked",
        "blog.example,2,1,1,0,0,false",
    ]
    assert client.get("/1.2/key-sites", params={"api_key": key, "month": "2001-01"}).json()[
        "2001-01"][0]["api_calls"] == "0"
    assert_invalid(client.get("/1.2/key-sites", params={"api_key": key, "month": "May"}),
                   "month")
    usage = client.get("/1.2/usage-limit", params={"api_key": key})
    assert usage.json() == {"limit": "none", "usage": 2, "percentage": "0.00",
                            "throttled": False}
    assert client.post("/1.2/usage-limit", data={"api_key": key}).json()["usage"] == 2
    assert_invalid(client.get("/1.2/usage-limit"), "api_key")


def test_get_key_stats_needs_only_the_key(client, site_key):
    _, key = site_key
    check(client, key)
    response = client.post("/1.2/get-key-stats", data={"key": key})
    assert json.loads(response.text)["ham"] == 1


# -- rate limit -----------------------------------------------------------------------------

def test_per_key_rate_limit_answers_429_with_alert_headers(client, site_key, other_key,
                                                          site_settings):
    blog, key = site_key
    site_settings(blog, {"akismet": {"per_minute": 3}})
    assert [check(client, key).status_code for _ in range(3)] == [200, 200, 200]
    limited = check(client, key)
    assert limited.status_code == 429
    assert limited.headers["x-akismet-alert-code"] == "10429"
    assert "3 calls a minute" in limited.headers["x-akismet-alert-msg"]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert check(client, other_key[1], blog=other_key[0]).status_code == 200


# -- bad input: never a 500 ----------------------------------------------------------------

def test_wrong_method_is_a_plain_405(client):
    for path in ("/1.1/comment-check", "/1.1/verify-key", "/1.1/submit-spam"):
        response = client.get(path)
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert client.delete("/1.2/key-sites").headers["allow"] == "GET, POST"


def test_ten_megabyte_body_is_refused_before_parsing(client, site_key):
    _, key = site_key
    body = f"api_key={key}&blog=https://blog.example&user_ip=1.2.3.4&comment_content=".encode()
    response = client.post("/1.1/comment-check", content=body + b"a" * 10_000_000,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def raw(client, body: bytes, content_type="application/x-www-form-urlencoded"):
    return client.post("/1.1/comment-check", content=body, headers={"content-type": content_type})


def test_malformed_encoding_is_answered(client, site_key, checks):
    _, key = site_key
    base = f"api_key={key}&blog=https%3A%2F%2Fblog.example&user_ip=203.0.113.9".encode()
    for junk in (b"&comment_content=100%zz off %", b"&comment_content=\xff\xfe\x00bad",
                 b"&&&=&==&comment_author", b"&comment_content=%E2%82"):
        response = raw(client, base + junk)
        assert response.status_code == 200 and response.text in ("true", "false")
    assert checks()[0].submission["content"] == "100%zz off %"
    assert "\ufffd" in checks()[1].submission["content"]
    assert raw(client, b"").text == "invalid"
    assert raw(client, b"\x00\x01\x02").text == "invalid"
    broken = raw(client, b"--x\r\nnot multipart", "multipart/form-data; boundary=zzz")
    assert broken.status_code in (200, 400)


def test_blog_charset_decodes_the_body(client, site_key, checks):
    _, key = site_key
    base = f"api_key={key}&blog=https%3A%2F%2Fblog.example&user_ip=203.0.113.9".encode()
    latin = base + b"&blog_charset=ISO-8859-1&comment_content=caf%E9 cr%E8me"
    assert raw(client, latin).status_code == 200
    sjis = base + b"&comment_content=" + "日本語".encode("shift_jis")
    assert raw(client, sjis, "application/x-www-form-urlencoded; charset=Shift_JIS").status_code == 200
    for charset in (b"rot13", b"no-such-charset", b"%FF%FE", b"idna", b"utf-16"):
        response = raw(client, base + b"&blog_charset=" + charset + b"&comment_content=%FF%FEhi")
        assert response.status_code == 200 and response.text in ("true", "false")
    contents = [c.submission["content"] for c in checks()]
    assert contents[:2] == ["café crème", "日本語"]


def test_php_style_arrays_and_wordpress_fields_are_accepted(client, site_key, checks):
    _, key = site_key
    body = (f"api_key={key}&blog=https%3A%2F%2Fblog.example&user_ip=203.0.113.9"
            "&comment_content=Nice%20post&comment_context%5B0%5D=gardening"
            "&comment_context%5B1%5D=roses&POST_ak_hp_textarea=&POST_ak_js=1700000000000"
            "&HTTP_ACCEPT_LANGUAGE=en-GB&REMOTE_ADDR=203.0.113.9&REQUEST_URI=%2Fwp-comments-post.php"
            "&akismet_comment_nonce=passed&callback=https%3A%2F%2Fblog.example%2Fcb"
            "&recheck_reason=edit&blog_lang=en_gb%2C%20fr_ca&user_role=subscriber").encode()
    response = raw(client, body)
    assert response.status_code == 200 and response.text in ("true", "false")
    recorded = checks()[0].submission
    assert recorded["context"] == ["gardening", "roses"]
    assert recorded["honeypot_filled"] is False
    assert recorded["headers"]["accept-language"] == "en-GB"
    assert recorded["blog_lang"] == ["en_gb", "fr_ca"]


def test_stats_refuse_bad_intervals_politely(client, site_key):
    blog, key = site_key
    response = client.post("/1.1/get-stats", data={"key": key, "blog": blog, "from": "yesterday"})
    assert_invalid(response, "from")
    assert_invalid(client.get("/1.2/key-sites", params={"api_key": key, "limit": "-1"}), "limit")


# -- the wordpress plugin's extra calls --------------------------------------------------------

def test_wordpress_account_calls_are_answered(client, site_key):
    blog, key = site_key
    sub = client.post("/1.1/get-subscription", data={"key": key, "blog": blog})
    assert sub.json()["status"] == "active"
    assert client.post("/1.1/deactivate", data={"key": key, "blog": blog}).text == "deactivated"


# -- write-behind records --------------------------------------------------------------------

def test_records_reach_the_database_within_a_second_without_any_reader(client, site_key,
                                                                      sessions):
    _, key = site_key
    for _ in range(3):
        check(client, key)
    deadline = time.monotonic() + 1.0
    count = 0
    while time.monotonic() < deadline and count < 3:
        with sessions() as session:
            count = session.scalar(select(func.count()).select_from(SpamCheck))
        time.sleep(0.05)
    assert count == 3


def test_shutdown_flushes_waiting_records(app, site_key, sessions):
    from fastapi.testclient import TestClient

    _, key = site_key
    app.state.akismet.writer.interval = 3600  # only the shutdown may write them
    with TestClient(app) as client:
        for _ in range(4):
            assert check(client, key).status_code == 200
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(SpamCheck)) == 4


# -- failures on our side, and anything a client may send -------------------------------------

def test_engine_failure_is_a_503_the_wordpress_plugin_understands(client, app, site_key):
    _, key = site_key

    class Broken:
        def check(self, *args, **kwargs):
            raise RuntimeError("model file unreadable")

    app.state.spam_engine = Broken()
    response = check(client, key)
    assert response.status_code == 503
    assert response.headers["x-akismet-error"]
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "model file" not in response.text  # no internals to the client


_FIELD_NAMES = st.sampled_from([
    "api_key", "key", "blog", "user_ip", "comment_content", "comment_author", "blog_charset",
    "comment_context[0]", "comment_context[]", "guid", "is_test", "user_role", "from", "month",
    "limit", "format", "POST_ak_js", "HTTP_ACCEPT", "comment_date_gmt", "honeypot_field_name",
])


@examples(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/1.1/comment-check", "/1.1/verify-key", "/1.1/submit-spam",
                             "/1.1/submit-ham", "/1.1/get-stats", "/1.2/key-sites",
                             "/1.2/usage-limit", "/1.2/get-key-stats"]),
       pairs=st.lists(st.tuples(_FIELD_NAMES, st.text(max_size=40)), max_size=8),
       junk=st.binary(max_size=60), use_key=st.booleans())
def test_no_input_makes_a_server_error(client, site_key, path, pairs, junk, use_key):
    blog, key = site_key
    body = urlencode(([("api_key", key), ("blog", blog)] if use_key else []) + pairs).encode()
    response = client.post(path, content=body + b"&" + junk,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code in (200, 429)
    assert response.headers["content-type"].split(";")[0] in (
        "text/plain", "application/json", "text/csv")


def test_a_report_finds_a_check_another_worker_still_holds(settings, db_engine, site_key,
                                                          sessions):
    from fastapi.testclient import TestClient

    from afterword.web.app import create_app

    _, key = site_key
    with TestClient(create_app(settings, db_engine)) as first, \
            TestClient(create_app(settings, db_engine)) as second:
        guid = check(first, key).headers["x-akismet-guid"]  # its record waits in `first`
        assert report(second, key, "submit-spam", guid=guid).text == THANKS
    with sessions() as session:
        assert session.scalar(select(SpamCheck.feedback).where(SpamCheck.guid == guid)) == "spam"


# -- the API as described to tools -----------------------------------------------------------

def test_openapi_lists_each_endpoint_once_per_method_with_its_fields(client):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns on duplicate operation ids
        schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/1.1/comment-check"]) == {"post"}
    assert set(paths["/1.2/key-sites"]) == {"get", "post"}
    check_op = paths["/1.1/comment-check"]["post"]
    form = check_op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"blog", "user_ip", "comment_content"} <= set(form["properties"])
    assert "text/plain" in check_op["responses"]["200"]["content"]
    assert "429" in check_op["responses"]
    ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_metrics_count_akismet_calls_by_route(client, site_key):
    _, key = site_key
    line = ('afterword_http_requests_total{method="POST",route="/1.1/comment-check",'
            'status="200"} ')

    def counted() -> float:  # the counters are per process, shared with earlier tests
        found = [row for row in client.get("/metrics").text.splitlines() if row.startswith(line)]
        return float(found[0].removeprefix(line)) if found else 0.0

    before = counted()
    check(client, key)
    assert counted() == before + 1
