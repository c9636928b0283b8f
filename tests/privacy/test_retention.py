"""The retention job removes what the notice says, when it says, and runs once across workers."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from privacy.kit import add_check, add_comment
from sqlalchemy import select

from afterword.db.models import Comment, Outbox, SpamCheck, Thread
from afterword.privacy.ip import current_hash_ip, epoch_start, hash_ip, ip_epoch
from afterword.privacy.retention import run_retention


def _comment(sessions, cid):
    with sessions() as session:
        return session.get(Comment, cid)


def test_each_rule_at_its_configured_age(settings, sessions, site):
    settings = settings.model_copy(update={"retention_spam_days": 10,
                                           "retention_deleted_days": 20,
                                           "retention_request_metadata_days": 5,
                                           "retention_checks_days": 60})
    old_spam = add_comment(sessions, days_ago=11, status="spam")
    new_spam = add_comment(sessions, days_ago=9, status="spam")
    old_deleted = add_comment(sessions, days_ago=21, status="deleted")
    placeholder = add_comment(sessions, days_ago=21, status="deleted", text="")
    reply = add_comment(sessions, days_ago=21, parent=placeholder, author="Bo")
    fresh = add_comment(sessions, days_ago=1)
    old_check, mid_check = add_check(sessions, days_ago=61), add_check(sessions, days_ago=6)
    new_check = add_check(sessions, days_ago=1)
    with sessions() as session:
        session.add(Outbox(kind="email", payload={"to": "ann@example.org"}, status="sent",
                           created_at=datetime.now(UTC) - timedelta(days=6)))
        session.commit()

    result = run_retention(sessions(), settings)

    assert _comment(sessions, old_spam) is None and _comment(sessions, new_spam) is not None
    assert _comment(sessions, old_deleted) is None
    assert _comment(sessions, placeholder) is not None      # its reply still needs it
    kept = _comment(sessions, reply)
    assert kept.user_agent == "" and "headers" not in kept.spam_submission
    assert "referrer" not in kept.spam_submission and kept.spam_submission["content"]
    assert _comment(sessions, fresh).user_agent == "Firefox/140"
    assert "headers" in _comment(sessions, fresh).spam_submission
    with sessions() as session:
        checks = {c.guid: c for c in session.scalars(select(SpamCheck))}
        assert old_check not in checks
        assert checks[mid_check].metadata_purged and "headers" not in checks[mid_check].submission
        assert not checks[new_check].metadata_purged
        assert session.scalar(select(Outbox.id)) is None
        assert session.scalar(select(Thread.comment_count)) == 2   # reply + fresh
    assert result["spam"] == 1 and result["deleted"] == 1 and result["checks"] == 1
    # a second run finds nothing more to do
    assert set(run_retention(sessions(), settings).values()) == {0}


def test_spam_and_deleted_are_kept_their_full_period_from_when_they_became_so(
        settings, sessions, site):
    """An old comment marked spam (or deleted) by mistake today can still be undone: its
    retention period starts now, not at the comment's date."""
    from afterword.comments.store import set_status

    settings = settings.model_copy(update={"retention_spam_days": 10,
                                           "retention_deleted_days": 20})
    marked = add_comment(sessions, days_ago=400)
    removed = add_comment(sessions, days_ago=400)
    with sessions() as session:
        set_status(session, session.get(Comment, marked), "spam")
        set_status(session, session.get(Comment, removed), "deleted")
        session.commit()

    run_retention(sessions(), settings)
    assert _comment(sessions, marked) is not None and _comment(sessions, removed) is not None

    run_retention(sessions(), settings, now=datetime.now(UTC) + timedelta(days=11))
    assert _comment(sessions, marked) is None and _comment(sessions, removed) is not None
    run_retention(sessions(), settings, now=datetime.now(UTC) + timedelta(days=21))
    assert _comment(sessions, removed) is None


def test_ip_hashes_of_an_earlier_key_period_are_erased(settings, sessions, site):
    days = settings.ip_hash_rotation_days
    now = datetime.now(UTC)
    start = epoch_start(now, days)
    before = add_comment(sessions, days_ago=(now - start).total_seconds() / 86400 + 0.01)
    during = add_comment(sessions, days_ago=0)
    run_retention(sessions(), settings)
    assert _comment(sessions, before).ip_hash == ""
    assert _comment(sessions, during).ip_hash != ""


def test_hash_key_rotates_with_the_period():
    secret = b"k"
    now = datetime(2026, 11, 24, tzinfo=UTC)
    later = now + timedelta(days=31)
    assert ip_epoch(now, 30) != ip_epoch(later, 30)
    assert current_hash_ip("203.0.113.7", secret, 30, now) == hash_ip(
        "203.0.113.7", secret, ip_epoch(now, 30))
    assert current_hash_ip("203.0.113.7", secret, 30, now) != current_hash_ip(
        "203.0.113.7", secret, 30, later)


def test_the_retention_round_is_recorded_for_the_privacy_page(settings, sessions, site):
    from afterword.privacy.retention import Maintainer, last_run

    add_comment(sessions, days_ago=400, status="spam")
    Maintainer(sessions, settings).run_once()
    Maintainer(sessions, settings).run_once()  # another worker, same round: not due
    with sessions() as session:
        when, result = last_run(session)
    assert when is not None and result["spam"] == 1


def test_cli_maintenance(settings, sessions, site, tmp_path):
    add_comment(sessions, days_ago=400, status="spam")
    env = {"AFTERWORD_DATABASE_URL": settings.database_url, "AFTERWORD_DATA_DIR": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "afterword", "maintenance"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert "spam\t1" in out


def test_the_app_runs_the_job_while_it_serves(app, sessions, site):
    from fastapi.testclient import TestClient

    old = add_comment(sessions, days_ago=400, status="spam")
    app.state.maintainer.interval = 0.05
    with TestClient(app):
        deadline = time.monotonic() + 10
        while _comment(sessions, old) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    assert _comment(sessions, old) is None
    assert not app.state.maintainer._thread.is_alive()   # stopped with the app
