"""The Akismet API on the scaled-out setup: PostgreSQL for records and state, Redis for the
per-key rate limit shared by every worker (skips without AFTERWORD_TEST_POSTGRES_URL /
AFTERWORD_TEST_REDIS_URL)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from afterword.config import Settings
from afterword.db.migrate import upgrade
from afterword.db.models import Site, SpamCheck
from afterword.db.session import create_db_engine, make_session_factory
from afterword.sites import add_site, create_key
from afterword.web.app import create_app

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TEXT = "Thanks for the write-up, the part about pruning roses in March helped me a lot."


@pytest.fixture
def scaled(tmp_path, fresh_postgres, redis_url):
    engine = create_db_engine(fresh_postgres)
    upgrade(engine)
    sessions = make_session_factory(engine)
    url = "https://blog.example"
    with sessions() as session:
        site = add_site(session, url)
        site.settings = {"akismet": {"per_minute": 5}}
        key = create_key(session, site)
        session.commit()
    settings = Settings(database_url=fresh_postgres, redis_url=redis_url, data_dir=tmp_path,
                        secret_key="test-secret-key-0123456789", log_format="text")
    with TestClient(create_app(settings, engine)) as client:
        yield client, sessions, url, key
    engine.dispose()


def test_checks_feedback_and_statistics_on_postgresql(scaled):
    client, sessions, url, key = scaled
    base = {"api_key": key, "blog": url, "user_ip": "2001:db8:1:2::5", "comment_author": "Ann"}
    ham = client.post("/1.1/comment-check", data={**base, "comment_content": TEXT})
    spam = client.post("/1.1/comment-check", data={**base, "comment_author":
                                                   "akismet-guaranteed-spam",
                                                   "comment_content": "hello"})
    assert (ham.text, spam.text) == ("false", "true")
    thanks = "Thanks for making the web a better place."
    assert client.post("/1.1/submit-spam", data={**base, "guid": ham.headers["x-akismet-guid"]}
                       ).text == thanks
    assert client.post("/1.1/submit-ham", data={**base, "comment_author":
                                                "akismet-guaranteed-spam",
                                                "comment_content": "hello"}).text == thanks
    stats = client.post("/1.1/get-stats", data={"key": key, "blog": url}).json()
    assert stats == {"spam": 1, "ham": 1, "missed_spam": 1, "false_positives": 1,
                     "accuracy": 0.0}
    with sessions() as session:
        site_id = session.scalar(select(Site.id).where(Site.url == url))
        rows = session.scalars(select(SpamCheck).where(SpamCheck.site_id == site_id)
                               .order_by(SpamCheck.id)).all()
    assert [r.feedback for r in rows] == ["spam", "ham"]
    assert rows[0].submission["user_ip"] == "2001:db8:1::"


def test_rate_limit_counts_in_redis(scaled):
    client, _, url, key = scaled
    data = {"api_key": key, "blog": url, "user_ip": "203.0.113.9", "comment_content": TEXT}
    if time.time() % 60 > 55:  # Redis counts in fixed minutes: start well inside one
        time.sleep(60 - time.time() % 60 + 0.1)
    codes = [client.post("/1.1/comment-check", data=data).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
