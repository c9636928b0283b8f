"""A background round every few seconds, in a daemon thread of each worker.

The notification dispatcher, the retention job and the related-posts feed poller all work
this way: every worker runs one, and a lease or claim in the database decides which worker
does a given piece of work, so nothing needs a separate scheduler process. Jobs due once per
interval across all workers take their round with :func:`run_leased`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from afterword.config import Settings
from afterword.db.models import MaintenanceRun

log = logging.getLogger("afterword")


class Periodic:
    """Calls :meth:`run_once` every ``interval`` seconds from :meth:`start` until :meth:`stop`.

    A round that raises is logged and the next one runs as usual: the app must keep serving
    through a mail server or database hiccup.
    """

    name = "afterword-periodic"
    #: Logged with the traceback when a round fails.
    failure = "background round failed; retrying at the next one"

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:
                log.exception(self.failure)


class Scheduled(Periodic):
    """A job due every ``settings.<minutes_setting>`` minutes across all workers (0: never
    from the app).

    Every worker ticks every ``tick`` seconds and :func:`run_leased` lets one of them run
    each round; subclasses name the job, its setting, and say what it does.
    """

    job_name = ""
    minutes_setting = ""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings,
                 tick: float = 60.0) -> None:
        super().__init__(tick)
        self.sessions = sessions
        self.settings = settings
        self.minutes = int(getattr(settings, self.minutes_setting))

    def job(self) -> dict[str, Any]:
        raise NotImplementedError

    def start(self) -> None:
        if self.minutes > 0:
            super().start()

    def run_once(self) -> None:
        result = run_leased(self.sessions, self.job_name, timedelta(minutes=self.minutes),
                            self.job)
        if result is not None:
            log.info("%s: %s", self.job_name, result)


def run_leased(sessions: sessionmaker[Session], name: str, interval: timedelta,
               job: Callable[[], dict[str, Any]], now: datetime | None = None,
               lease: timedelta = timedelta(minutes=30)) -> dict[str, Any] | None:
    """Run ``job`` if it is due (``interval`` since its last run) and no worker holds it.

    Returns what the job returned, or None when another worker has this round or it is not
    due. The lease is a conditional UPDATE on the job's ``maintenance_runs`` row, so any
    number of workers or machines on one database run it once per interval; a worker that
    dies mid-job leaves a lease that lapses after ``lease``.
    """
    now = now or datetime.now(UTC)
    with sessions() as session:
        if session.get(MaintenanceRun, name) is None:
            session.add(MaintenanceRun(name=name, last_result={}))
            try:
                session.commit()
            except IntegrityError:  # another worker created the row first
                session.rollback()
        taken = session.execute(update(MaintenanceRun).where(
            MaintenanceRun.name == name,
            or_(MaintenanceRun.lease_until.is_(None), MaintenanceRun.lease_until < now),
            or_(MaintenanceRun.last_run_at.is_(None), MaintenanceRun.last_run_at <= now - interval))
            .values(lease_until=now + lease), execution_options=_BULK).rowcount
        session.commit()
    if not taken:
        return None
    result: dict[str, Any] | None = None
    try:
        result = job()
    finally:
        with sessions() as session:
            values: dict[str, Any] = {"lease_until": None}
            if result is not None:
                values |= {"last_run_at": now, "last_result": result}
            session.execute(update(MaintenanceRun).where(MaintenanceRun.name == name)
                            .values(**values), execution_options=_BULK)
            session.commit()
    return result


_BULK = {"synchronize_session": False}
