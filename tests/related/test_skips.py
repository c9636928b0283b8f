"""Refused articles are listed, with the reason, on the admin's skips page; bounded."""

from __future__ import annotations

from moderation.mod_kit import make_user, sign_in
from sqlalchemy import func, select

from afterword.db.models import RelatedSkip
from afterword.related.skips import KEEP, record_skip
from afterword.sites import get_site

ORIGIN = "https://blog.example"


def report(client, url, origin=ORIGIN, **payload):
    return client.post("/api/v1/related/report", headers={"origin": origin},
                       json={"site": ORIGIN, "url": url, **payload})


def test_refused_page_reports_show_their_reason_to_the_owner(client, sessions, site_key):
    with sessions() as db:
        site = get_site(db, ORIGIN)
        site.allowed_origins = [ORIGIN]
        db.commit()
    assert report(client, f"{ORIGIN}/a/", origin="https://evil.example",
                  title="x").status_code == 403
    assert report(client, f"{ORIGIN}/empty/").status_code == 422
    # A flood of the same refusal is written once, not once per request.
    for _ in range(5):
        report(client, f"{ORIGIN}/b/", origin="https://evil.example", title="x")
    make_user(sessions, "olivia", role="owner")
    sign_in(client, "olivia")
    page = client.get("/admin/related/skips")
    assert page.status_code == 200
    assert "page reports are accepted only from the site&#39;s own origins" in page.text
    assert "nothing to index: the page has no title and no article text" in page.text
    assert f"{ORIGIN}/empty/" in page.text
    assert page.text.count("accepted only from the site") == 1


def test_the_admin_page_needs_a_signed_in_admin(client, site_key):
    page = client.get("/admin/related/skips", follow_redirects=False)
    assert page.status_code in (302, 303)


def test_storage_keeps_only_the_newest_per_site(sessions, site_key):
    with sessions() as db:
        site_id = get_site(db, ORIGIN).id
        for i in range(KEEP + 20):
            record_skip(db, site_id, "feed", f"{ORIGIN}/{i}", f"feed garbage #{i}")
        db.commit()
        assert db.scalar(select(func.count()).select_from(RelatedSkip)) == KEEP
        assert db.scalar(select(func.min(RelatedSkip.reason))) != "feed garbage #0"
