"""Form decoding on its own: what reaches the engine from odd bodies."""

from __future__ import annotations

from afterword.akismet.forms import charset_of, parse_form
from afterword.akismet.keys import blog_matches, key_from_host


def test_repeated_fields_keep_every_value_in_order():
    fields = parse_form(b"comment_context=a&x=1&comment_context=b&comment_context%5B%5D=c")
    assert fields["comment_context"] == ["a", "b"]
    assert fields["comment_context[]"] == "c"
    assert fields["x"] == "1"


def test_plus_means_space_and_names_are_decoded():
    assert parse_form(b"comment_content=two+words%21&a%5B0%5D=z") == {
        "comment_content": "two words!", "a[0]": "z"}


def test_charset_choice():
    assert charset_of("UTF-8") == "utf-8"
    assert charset_of("ISO-8859-1") == "iso8859-1"
    assert charset_of("shift_jis") == "shift_jis"
    for unusable in ("utf-16", "utf-32", "rot13", "zlib", "utf-7", "nonsense", ""):
        assert charset_of(unusable) == "utf-8"


def test_content_type_charset_applies_when_the_body_names_none():
    body = "comment_content=".encode() + "né".encode("latin-1")
    assert parse_form(body, "application/x-www-form-urlencoded; charset=ISO-8859-1") == {
        "comment_content": "né"}
    assert parse_form(body)["comment_content"] == "n\ufffd"


def test_key_in_host():
    assert key_from_host("abcdefghijkm.rest.akismet.com") == "abcdefghijkm"
    assert key_from_host("ABCDEFGHIJKM.rest.example.org:8443") == "abcdefghijkm"
    for host in ("rest.akismet.com", "127.0.0.1:8000", "abcdefghijkm.com", "",
                 "abc-efghijkm.rest.example.org", "[::1]:8000"):
        assert key_from_host(host) == ""


def test_blog_matching():
    site = "https://blog.example"
    for blog in ("https://blog.example", "http://blog.example/", "https://www.blog.example",
                 "blog.example/2026/post", "HTTPS://BLOG.EXAMPLE"):
        assert blog_matches(blog, site)
    for blog in ("https://blog.example.evil", "https://evil.example/blog.example",
                 "https://blog.examplex"):
        assert not blog_matches(blog, site)
    assert blog_matches("https://example.org/blog/x", "https://example.org/blog")
    assert not blog_matches("https://example.org/blogger", "https://example.org/blog")
