"""Sites are named by their normalised URL; keys are 12 characters, shown once, stored hashed."""

import pytest

from afterword.db.models import ApiKey
from afterword.sites import (
    SiteError,
    add_site,
    create_key,
    lookup_key,
    normalise_site_url,
    revoke_key,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HTTPS://Example.ORG/", "https://example.org"),
        ("example.org/blog/", "https://example.org/blog"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_site_urls_are_normalised(given, expected):
    assert normalise_site_url(given) == expected


@pytest.mark.parametrize(
    "junk", ["", "   ", "ftp://example.org", "https://x.example:abc", "https://x.example:99999",
             "http://[::1", "https://"],
)
def test_junk_site_urls_are_a_clear_error(junk):
    with pytest.raises(SiteError, match="not a site URL"):
        normalise_site_url(junk)


def test_key_is_found_by_value_but_stored_only_as_a_digest(sessions):
    with sessions() as session:
        site = add_site(session, "https://blog.example")
        key = create_key(session, site)
        session.commit()
        stored = session.query(ApiKey).one()
        assert key not in (stored.key_hash, stored.hint) and stored.hint == key[-4:]
        found = lookup_key(session, key)
        assert found.site_url == "https://blog.example" and not found.revoked
        assert lookup_key(session, key[:-1] + ("a" if key[-1] != "a" else "b")) is None
        assert lookup_key(session, key + "x") is None  # wrong length: not even looked up
        assert revoke_key(session, site, key) == 1
        session.commit()
        assert lookup_key(session, key).revoked
