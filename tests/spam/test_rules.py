"""The non-text evidence: each rule fires on what it names, in words, and only then."""

from __future__ import annotations

from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spam.engine_kit import BROWSER, comment

from afterword.spam import SiteConfig, Submission
from afterword.spam.signals import (
    _EXTRACT,
    analyse,
    is_disposable_email_domain,
    is_shortener,
    registrable_domain,
    rule_reasons,
)


def codes(sub: Submission, config: SiteConfig | None = None) -> dict[str, str]:
    config = config or SiteConfig()
    return {r.code: r.text for r in rule_reasons(sub, analyse(sub), config)}


def test_a_plain_browser_comment_fires_nothing() -> None:
    assert codes(comment("Thanks, the tomato tips worked on my balcony.")) == {}


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("shop.example.co.uk", "example.co.uk"),
        ("a.b.example.com", "example.com"),
        ("someone.blogspot.com", "someone.blogspot.com"),
        ("localhost", "localhost"),
        ("203.0.113.5", "203.0.113.5"),
    ],
)
def test_registrable_domains_from_the_bundled_suffix_list(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain
    # Offline by construction: no list URL to fetch.
    assert tuple(_EXTRACT.suffix_list_urls) == ()


def test_shipped_lists_come_with_their_licenses() -> None:
    data = resources.files("afterword.spam").joinpath("data")
    for name in ("url-shorteners", "disposable-email-domains"):
        assert data.joinpath(f"{name}.txt").is_file()
        assert data.joinpath(f"{name}.LICENSE").read_text("utf-8").strip()
    assert is_shortener("bit.ly") and is_shortener("www.bit.ly") and not is_shortener("example.com")
    assert is_disposable_email_domain("mailinator.com")


def test_links_and_shorteners_are_counted_in_words() -> None:
    text = "see http://bit.ly/a and https://tinyurl.com/b and http://bit.ly/c now"
    found = codes(comment(text))
    assert found["shortener_links"] == "3 links to a known shortener"
    assert found["links"] == "3 links in the text"


def test_allowed_domains_are_not_counted_as_links() -> None:
    text = "docs at https://docs.example.org/a and https://docs.example.org/b"
    assert "links" in codes(comment(text))
    assert "links" not in codes(comment(text), SiteConfig(allow_domains={"example.org"}))


def test_author_fields() -> None:
    found = codes(comment("hello there", author="www.cheap-pills.example"))
    assert "author_name_url" in found
    found = codes(comment("hello there", author="Cheap Loans Online"))
    assert found["author_name_keywords"].startswith("the author name looks like keywords")
    assert "email_disposable" in codes(comment("hello", author_email="x@mailinator.com"))
    assert "email_invalid" in codes(comment("hello", author_email="not-an-address"))
    promoted = comment("visit https://deals.shop.com/x", author_url="https://www.shop.com")
    assert "author_url_promoted" in codes(promoted)


def test_client_signals() -> None:
    assert "script_user_agent" in codes(comment("hi", user_agent="python-requests/2.31"))
    assert "no_user_agent" in codes(comment("hi", user_agent=""))
    assert "old_browser" in codes(comment("hi", user_agent="Mozilla/4.0 (compatible; MSIE 6.0)"))
    assert "no_referrer" in codes(comment("hi", referrer=""))
    headers = {"accept": "*/*", "host": "blog.example", "user-agent": BROWSER}
    assert "no_accept_language" in codes(comment("hi", headers=headers))
    assert "honeypot" in codes(comment("hi", honeypot_filled=True))
    assert "honeypot" not in codes(comment("hi", honeypot_filled=False))


def test_timing() -> None:
    assert codes(comment("hi", seconds_to_submit=0.8))["too_fast"].startswith("sent 0.8 s")
    assert "too_fast" not in codes(comment("hi", seconds_to_submit=40.0))
    essay = "word " * 100
    assert codes(comment(essay, seconds_to_submit=6.0))["typed_too_fast"] == (
        "499 characters typed in 6 s"
    )


def test_script_not_used_by_the_site() -> None:
    russian = "Это очень интересная статья, спасибо автору за подробный рассказ о городе"
    found = codes(comment(russian), SiteConfig(languages=("en",)))
    assert found["foreign_script"] == "written in Cyrillic script; this site writes in en"
    assert "foreign_script" not in codes(comment(russian), SiteConfig(languages=("en", "ru")))
    # The site's language can also come from the client (blog_lang).
    assert "foreign_script" in codes(comment(russian, blog_lang=("th",)))
    # A language the engine cannot place gives no opinion rather than a wrong one.
    assert "foreign_script" not in codes(comment(russian), SiteConfig(languages=("xx",)))
    assert "foreign_script" in codes(
        comment("plain english words " * 3), SiteConfig(languages=("ru",))
    )


def test_megabytes_and_ten_thousand_links_stay_bounded() -> None:
    links = " ".join(f"http://s{i}.example/x" for i in range(10_000))
    found = codes(comment(links))
    assert "links" in found and "very_long" in found
    facts = analyse(comment("a" * 5_000_000))
    assert len(facts.text) <= 20_000


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "co", "", "x-y"]), min_size=1, max_size=5).map(".".join),
    st.frozensets(st.sampled_from(["a", "b", "co", "b.co", "a.b.co", "", ".co", "x-y.a"])),
)
def test_a_domain_matches_where_it_or_a_parent_domain_is_listed(host, domains):
    from afterword.spam.signals import domain_matches

    labels = host.split(".")
    parents = {".".join(labels[i:]) for i in range(len(labels))}
    assert domain_matches(host, domains) == bool(host and parents & domains)


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("198.51.100.7", "198.51.100.0/24"),
        ("010.001.002.003", "10.1.2.0/24"),
        ("256.1.1.1", ""),
        ("1.2.3.256", ""),
        ("1.2.3", ""),
        ("1.2.3.4.5", ""),
        ("1.2.3.٣", ""),
        ("1.2.3.²", ""),
        ("1.2.3.4\n", ""),
        ("2001:db8:1:2::7", "2001:db8:1::/48"),
        ("not an address", ""),
    ],
)
def test_the_network_is_the_v4_slash_24_or_the_v6_slash_48(ip, network):
    from afterword.spam.signals import ip_network

    assert ip_network(ip) == network
