"""The privacy page says what the running configuration does, and nothing else."""

from __future__ import annotations

from fastapi.testclient import TestClient
from privacy.kit import SITE, site_id

from afterword.db.models import Webhook
from afterword.web.app import create_app


def _page(settings, db_engine, sessions, **changes) -> tuple[int, str, dict]:
    app = create_app(settings.model_copy(update=changes), db_engine)
    with TestClient(app) as client:
        r = client.get(f"/privacy/{site_id(sessions)}")
    return r.status_code, r.text, r.headers


def test_default_retention_and_no_processors(settings, db_engine, sessions, site):
    status, html, headers = _page(settings, db_engine, sessions)
    assert status == 200 and "Example blog" in html and SITE in html
    assert "Spam: deleted 30 days after it was caught or marked" in html
    assert "the record deleted after 90 days" in html
    assert "The key changes every 30 days" in html
    assert "not configured to send your data anywhere" in html
    assert "content-security-policy" in headers


def test_configured_values_and_processors_are_shown(settings, db_engine, sessions, site):
    with sessions() as session:
        session.add(Webhook(site_id=site_id(sessions), url="https://crm.example/hooks/afterword",
                            secret="s", events=["comment.created"]))
        session.commit()
    status, html, _ = _page(settings, db_engine, sessions, retention_spam_days=7,
                            retention_request_metadata_days=14, retention_checks_days=1,
                            smtp_host="mail.example.net", erasure_mode="delete")
    assert "Spam: deleted 7 days after it was caught or marked" in html and "Deleted after 14 days." in html
    assert "the record deleted after 1 day." in html
    assert "mail server mail.example.net" in html
    assert "crm.example" in html
    assert "your comments are deleted" in html
    assert "not configured to send your data anywhere" not in html


def test_operator_text_is_added_apart_and_escaped(settings, db_engine, sessions, site):
    text = "We keep everything forever.\n\n<script>alert(1)</script> Contact us."
    _, html, _ = _page(settings, db_engine, sessions, privacy_extra_text=text,
                       privacy_contact="privacy@blog.example")
    generated, operator = html.split("Additional information from the site's operator")
    assert "Spam: deleted 30 days after it was caught or marked" in generated          # the facts stay, first
    assert "We keep everything forever." in operator
    assert "<script>" not in html and "&lt;script&gt;" in operator
    assert "the notice above describes what this server actually does" in operator
    assert "privacy@blog.example" in generated


def test_widget_link_leads_to_the_page(client, site):
    from comments.comments_kit import ARTICLE

    config = client.get("/api/v1/threads", params={"site": SITE, "url": ARTICLE}).json()
    r = client.get(config["config"]["privacy_url"])
    assert r.status_code == 200 and "How your comment data is processed" in r.text


def test_unknown_site_is_404_not_500(client, site):
    assert client.get("/privacy/999").status_code == 404
    assert client.get("/privacy/99999999999999999999").status_code in (404, 422)
    assert client.get("/privacy/abc").status_code == 422


def test_every_personal_data_column_is_on_the_notice(settings, sessions, site):
    from afterword.db.models import Base, Site
    from afterword.privacy.notice import NOT_ABOUT_COMMENTERS, build_notice

    personal = {f"{table.name}.{column.name}" for table in Base.metadata.tables.values()
                for column in table.columns if "personal data" in (column.comment or "")}
    with sessions() as session:
        notice = build_notice(session, settings, session.query(Site).one())
    described = {c for item in notice.stored for c in item.columns}
    assert personal - described - set(NOT_ABOUT_COMMENTERS) == set()
