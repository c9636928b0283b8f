"""What the Akismet endpoints do, apart from HTTP: check, record, learn, count.

The router in ``api.py`` turns requests into calls here and results into Akismet's answers;
this module knows nothing of headers or status codes.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session, sessionmaker

from afterword.akismet.forms import Fields
from afterword.akismet.keys import KeyCache, KeyInfo
from afterword.akismet.records import RecordWriter
from afterword.db.models import SpamCheck
from afterword.privacy.ip import anonymize_ip
from afterword.web.metrics import CHECKS
from afterword.web.warmup import after_first_check

__all__ = ["AkismetService", "Checked", "content_key"]

# How long a report by guid waits for a check record another worker has not written yet.
_GUID_WAIT = 2.0


# The check counter of each verdict, looked up once rather than by labels() per check.
_COUNTED = {verdict: CHECKS.labels(verdict=verdict) for verdict in ("discard", "spam", "ham")}


def new_guid() -> str:
    """A UUIDv7 (RFC 9562): the millisecond, then 74 random bits.

    Unique and unguessable like a random UUID, but in time order, so each new check record
    lands at the right edge of the unique index on ``guid``. Random guids put every insert on
    a random page of that index: once it outgrew the page cache, which every other
    connection's write empties, that doubled the CPU of recording a check.
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # the RFC 4122 variant
    return str(uuid.UUID(int=value))


def content_key(submission: Any) -> str:
    """Digest of author and text: how a submit-* without a guid finds its check."""
    raw = f"{submission.author.strip().lower()}\0{submission.content}"
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


class Checked:
    """A check's answer: the verdict and the guid the client may send back."""

    __slots__ = ("guid", "verdict")

    def __init__(self, guid: str, verdict: Any) -> None:
        self.guid = guid
        self.verdict = verdict


class AkismetService:
    """One per app: key cache, record writer and the app's spam engine."""

    def __init__(self, sessions: sessionmaker[Session], writer: RecordWriter,
                 spam_engine: Callable[[], Any]) -> None:
        self.sessions = sessions
        self.keys = KeyCache(sessions)
        self.writer = writer
        # Resolved on first use, so the model loads when the first check arrives.
        self._spam_engine = spam_engine

    def check(self, info: KeyInfo, fields: Fields) -> Checked:
        """Score, then queue the record; the answer does not wait for the database."""
        from afterword.spam import Submission

        submission = Submission.from_fields(fields)
        verdict = self._spam_engine().check(str(info.site_id), submission, info.spam_config)
        after_first_check()
        guid = new_guid()
        recorded = submission.to_dict()
        recorded["user_ip"] = anonymize_ip(submission.user_ip)
        self.writer.add({
            "guid": guid,
            "site_id": info.site_id,
            "created_at": datetime.now(UTC),
            "is_spam": verdict.is_spam,
            "discard": verdict.discard,
            "probability": verdict.probability,
            "reasons": [reason.to_dict() for reason in verdict.reasons],
            "is_test": submission.is_test,
            "submission": recorded,
            "content_key": content_key(submission),
        })
        if not submission.is_test:
            _COUNTED["discard" if verdict.discard else "spam" if verdict.is_spam else "ham"].inc()
        return Checked(guid, verdict)

    def report(self, info: KeyInfo, fields: Fields, is_spam: bool, reporter: str) -> bool:
        """submit-spam / submit-ham: mark the check and teach the engine.

        The check is found by ``guid``, else by author and text (the newest such check of
        this site). The engine learns from the submission as it was checked when the check is
        found, else from the fields of this call. Returns whether a check was found. Test
        submissions (``is_test`` on this call or on the check) teach and count nothing.
        """
        from afterword.spam import Submission

        given = Submission.from_fields(fields)
        if given.is_test:
            return False
        self.writer.flush()  # the check may still be waiting in memory
        guid = fields.get("guid")
        guid = guid.strip()[:36] if isinstance(guid, str) else ""
        with self.sessions() as session:
            check = _find_check(session, info.site_id, guid, given)
            # A guid we issued exists: another worker may still hold its record in memory,
            # normally for one write-behind interval, longer when the machine is busy.
            # Look again each interval, for up to _GUID_WAIT seconds, then learn from the
            # report's own fields.
            waited = 0.0
            while check is None and guid and waited < _GUID_WAIT:
                time.sleep(self.writer.interval)
                waited += self.writer.interval
                session.rollback()  # end the read snapshot so the next look sees new rows
                check = _find_check(session, info.site_id, guid, given)
            if check is not None and check.is_test:
                return True
            learned_from = given
            if check is not None:
                learned_from = Submission.from_dict(check.submission)
                check.feedback = "spam" if is_spam else "ham"
                check.feedback_at = datetime.now(UTC)
                session.commit()
        self._spam_engine().learn(str(info.site_id), learned_from, is_spam,
                                  reporter=reporter, config=info.spam_config)
        return check is not None


# The expression of ix_spam_checks_site_content_prefix, written out the same way (literal
# numbers, not bound ones): a database uses an index on an expression only for that one.
_KEY_PREFIX = func.substr(SpamCheck.content_key, literal_column("1"), literal_column("12"))


def _find_check(session: Session, site_id: int, guid: str, given: Any) -> SpamCheck | None:
    """The check a submission corrects: by guid, else the newest with the same author and text."""
    query = select(SpamCheck).where(SpamCheck.site_id == site_id)
    if guid:
        query = query.where(SpamCheck.guid == guid)
    else:
        key = content_key(given)
        # The whole key compared as ``content_key || ''``: against the bare column, SQLite
        # folds the key into the prefix expression and then no longer sees the index.
        query = query.where(_KEY_PREFIX == key[:12], SpamCheck.content_key.concat("") == key)
    return session.scalars(query.order_by(SpamCheck.id.desc()).limit(1)).first()
