"""Submission.from_fields: every Akismet field a real client sends, parsed leniently."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afterword.spam import Submission

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC).timestamp()

# What the WordPress plugin sends for one comment (trimmed to the interesting fields).
WORDPRESS = {
    "blog": "https://blog.example",
    "user_ip": "203.0.113.9",
    "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0",
    "referrer": "https://blog.example/hello-world/",
    "permalink": "https://blog.example/hello-world/",
    "comment_type": "Comment",
    "comment_author": "  Ann Example ",
    "comment_author_email": "ann@example.org",
    "comment_author_url": "https://ann.example",
    "comment_content": "First line\nSecond line",
    "comment_date_gmt": "2026-11-24T11:59:30Z",
    "comment_post_modified_gmt": "2026-11-01 08:00:00",
    "blog_lang": "en_US, fr-CA,,",
    "blog_charset": "UTF-8",
    "user_role": "Subscriber, editor",
    "is_test": "true",
    "honeypot_field_name": "hp_website",
    "hp_website": "",
    "POST_ak_hp_textarea": "",
    "POST_ak_js": str(int((NOW - 45) * 1000)),
    "HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.5",
    "HTTP_COOKIE": "wordpress_logged_in=secret",
    "HTTP_X_FORWARDED_FOR": "203.0.113.9",
    "REMOTE_ADDR": "10.0.0.1",
    "comment_context[1]": "ferries",
    "comment_context[0]": "travel",
    "akismet_comment_nonce": "passed",
    "recheck_reason": "retry",
}


def test_wordpress_fields_are_typed_and_normalised() -> None:
    sub = Submission.from_fields(WORDPRESS, now=NOW)
    assert sub.author == "Ann Example"
    assert sub.content == "First line\nSecond line"
    assert sub.user_ip == "203.0.113.9"
    assert sub.comment_type == "comment"
    assert sub.comment_date == datetime(2026, 11, 24, 11, 59, 30, tzinfo=UTC)
    assert sub.post_modified == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert sub.blog_lang == ("en_us", "fr_ca")
    assert sub.user_role == ("subscriber", "editor")
    assert sub.is_test is True
    assert sub.honeypot_filled is False
    # ak_js is a JavaScript millisecond timestamp taken when the page was shown.
    assert sub.seconds_to_submit == pytest.approx(15.0)
    assert sub.context == ("travel", "ferries")
    assert sub.headers["accept-language"] == "en-US,en;q=0.5"
    assert sub.headers["x-forwarded-for"] == "203.0.113.9"


def test_credentials_never_enter_a_submission() -> None:
    sub = Submission.from_fields({**WORDPRESS, "HTTP_AUTHORIZATION": "Basic abc"}, now=NOW)
    assert "cookie" not in sub.headers and "authorization" not in sub.headers
    assert "secret" not in json.dumps(sub.to_dict())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("True", True),
        ("0", False),
        ("false", False),
        ("False", False),
        ("", False),
        ("maybe", False),
    ],
)
def test_booleans_in_every_client_spelling(raw: str, expected: bool) -> None:
    assert Submission.from_fields({"is_test": raw}).is_test is expected


def test_honeypots_both_conventions() -> None:
    named = {"honeypot_field_name": "hp", "hp": "http://spam.example"}
    assert Submission.from_fields(named).honeypot_filled is True
    assert Submission.from_fields({"honeypot_field_name": "hp", "POST_hp": "x"}).honeypot_filled
    assert Submission.from_fields({"POST_ak_hp_textarea": "buy"}).honeypot_filled is True
    assert Submission.from_fields({"POST_ak_hp_textarea": ""}).honeypot_filled is False
    assert Submission.from_fields({"comment_content": "hi"}).honeypot_filled is None


def test_fallbacks_for_address_agent_and_referrer() -> None:
    sub = Submission.from_fields(
        {
            "user_ip": "not an ip",
            "REMOTE_ADDR": "2001:DB8::1",
            "HTTP_USER_AGENT": "UA/1",
            "HTTP_REFERER": "https://r.example",
        }
    )
    assert (sub.user_ip, sub.user_agent, sub.referrer) == (
        "2001:db8::1",
        "UA/1",
        "https://r.example",
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"comment_date_gmt": "9999-99-99"},
        {"comment_date_gmt": "1e300"},
        {"comment_date_gmt": "5000-01-01T00:00:00"},
        {"comment_date_gmt": "-99999999999"},
        {"comment_post_modified_gmt": "yesterday"},
        {"POST_ak_js": "not a number"},
        {"POST_ak_js": "1"},  # old plugins: a flag, not a time
        {"POST_ak_js": "nan"},
        {"POST_ak_js": str(int((NOW + 3600) * 1000))},  # an hour in the future
        {"user_ip": "999.1.1.1"},
        {"blog_lang": "'; DROP TABLE--"},
    ],
)
def test_absurd_values_are_dropped_not_raised(fields: dict[str, str]) -> None:
    sub = Submission.from_fields(fields, now=NOW)
    assert sub.comment_date is None and sub.post_modified is None
    assert sub.seconds_to_submit is None
    assert sub.user_ip == "" and sub.blog_lang == ()


def test_repeated_fields_and_odd_types() -> None:
    sub = Submission.from_fields(
        {
            "comment_content": ["first", "second"],
            "comment_author": 42,
            "user_ip": None,
            "comment_context": ["a", "b"],
            "comment_context[]": "c",
            7: "x",
        }
    )
    assert (sub.content, sub.author, sub.user_ip) == ("first", "42", "")
    assert set(sub.context) == {"a", "b", "c"}


def test_invalid_utf8_becomes_replacement_characters() -> None:
    raw = b"caf\xe9 \xff ok".decode("utf-8", "surrogateescape")
    sub = Submission.from_fields({"comment_content": raw, "comment_author": raw})
    assert sub.content == "caf\ufffd \ufffd ok"
    sub.content.encode("utf-8")  # storable


def test_round_trip_through_json() -> None:
    sub = Submission.from_fields(WORDPRESS, now=NOW)
    again = Submission.from_dict(json.loads(json.dumps(sub.to_dict())))
    assert again == sub


@pytest.mark.parametrize(
    "data", [None, [], "text", {"comment_date": 5, "headers": [1], "is_test": "yes"}]
)
def test_from_dict_is_lenient(data: object) -> None:
    sub = Submission.from_dict(data)  # type: ignore[arg-type]
    assert sub.comment_date is None and sub.is_test is False


_field_names = st.one_of(
    st.sampled_from(sorted(WORDPRESS) + ["comment_context[99]", "comment_context[x]", "HTTP_"]),
    st.text(max_size=20),
)
_values = st.one_of(
    st.text(),
    st.lists(st.text(), max_size=3),
    st.integers(),
    st.floats(),
    st.none(),
    st.binary(max_size=20),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_field_names, _values, max_size=12))
def test_any_fields_parse_and_round_trip(fields: dict) -> None:
    sub = Submission.from_fields(fields, now=NOW)
    data = json.loads(json.dumps(sub.to_dict()))
    assert Submission.from_dict(data) == sub
