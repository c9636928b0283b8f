"""A background round every few seconds, in a daemon thread of each worker.

The notification dispatcher and the retention job both work this way: every worker runs
one, and a lease or claim in the database (theirs, not this class's) decides which worker
does a given piece of work, so nothing needs a separate scheduler process.
"""

from __future__ import annotations

import logging
import threading

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
            except Exception:  # noqa: BLE001 - the loop must outlive one bad round
                log.exception(self.failure)
