"""The moderation paths that lean on the database's behaviour, on PostgreSQL too:
claims with savepoints, conditional updates, batched status changes and undo."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from afterword.config import Settings
from afterword.db.migrate import upgrade
from afterword.db.models import CommentNotice, Outbox, Webhook
from afterword.db.session import create_db_engine, make_session_factory
from afterword.moderation.notify import _claim_notice, scan_new_comments
from afterword.sites import add_site
from afterword.web.app import create_app
from moderation.mod_kit import add_comment, make_user, sign_in, status_of

pytestmark = pytest.mark.postgres


def test_actions_undo_and_notifications_on_postgres(fresh_postgres, tmp_path):
    engine = create_db_engine(fresh_postgres)
    upgrade(engine)
    sessions = make_session_factory(engine)
    settings = Settings(database_url=fresh_postgres, data_dir=tmp_path, secret_key="k" * 24,
                        log_format="text")
    with sessions() as db:
        site_id = add_site(db, "https://blog.example").id
        db.add(Webhook(site_id=site_id, url="http://127.0.0.1:9/none", secret="x",
                       events=["comment.created"]))
        db.commit()
    make_user(sessions, "olivia", role="owner", email="o@team.example")
    ids = [add_comment(sessions, site_id, f"comment {i}") for i in range(3)]
    # Scanned twice (two workers): each comment is handled once.
    for _ in range(2):
        with sessions() as db:
            scan_new_comments(db, settings)
    # A claim another worker already made is refused without spoiling the transaction.
    for expected in (True, False):
        with sessions() as db:
            assert _claim_notice(db, ids[0], "reply") is expected
            db.commit()
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(CommentNotice)
                         .where(CommentNotice.event == "created")) == 3
        assert db.scalar(select(func.count()).select_from(Outbox)
                         .where(Outbox.kind == "webhook")) == 3
    with TestClient(create_app(settings, engine)) as client:
        token = sign_in(client, "olivia")
        client.post("/admin/bulk", data={"csrf": token, "action": "delete",
                                         "ids": [str(i) for i in ids]})
        assert {status_of(sessions, i) for i in ids} == {"deleted"}
        client.post("/admin/undo", data={"csrf": token})
        assert {status_of(sessions, i) for i in ids} == {"pending"}
        page = client.get("/admin/").text
        assert "<svg" in page
    engine.dispose()
