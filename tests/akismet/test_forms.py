"""Form decoding on its own: what reaches the engine from odd bodies."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from hypothesis import given
from hypothesis import strategies as st

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


# Bytes where the decoding has choices to make, mixed with any bytes at all.
_TRICKY = st.one_of(st.binary(max_size=40), st.lists(st.sampled_from(
    [b"%", b"\\", b"+", b"a", b"4", b"1", b"n", b"x", b"%41", b"%zz", b"%E9", b"%c3%a9",
     b"\xc3\xa9", b"%5C", b"%2"]), max_size=12).map(b"".join))


@given(st.lists(st.tuples(_TRICKY.filter(lambda name: name != b"blog_charset"), _TRICKY),
                max_size=6),
       st.sampled_from(["utf-8", "latin-1", "shift_jis"]))
def test_values_decode_as_urllib_does_whatever_the_bytes(pairs, charset):
    """Escapes, lone or broken ``%``, backslashes, ``+`` and raw bytes: every value comes out
    as urllib's percent-decoding in the declared charset would give it (no ``blog_charset``
    field here: it would override the declared one)."""
    body = b"&".join(name.replace(b"&", b"") + b"=" + value.replace(b"&", b"")
                     for name, value in pairs)
    expected: dict = {}
    for part in body.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        name = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
        value = unquote_to_bytes(value.replace(b"+", b" ")).decode(charset, "replace")
        previous = expected.get(name)
        expected[name] = value if previous is None else (
            [*previous, value] if isinstance(previous, list) else [previous, value])
    assert parse_form(body, f"application/x-www-form-urlencoded; charset={charset}") == expected
