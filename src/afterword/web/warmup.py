"""After a worker's first spam checks: its long-lived objects out of the collector's way.

Both doors (the Akismet API and the comment API) call :func:`after_first_check`. Whichever
comes first loads the engine's modules and model (~180,000 objects); freezing what exists
then takes them out of the garbage collector's full passes, each of which re-scanned them
all for 60-90 ms while every request in flight waited: a latency spike every few thousand
requests, enough to spoil p99. After the freeze a full pass takes a few milliseconds.

Some parts are built only when a comment first needs them (the domain suffix trie, ~17,000
objects, on the first link): left unfrozen, they cost every full pass 6-25 ms of CPU, one
every few seconds under load. A second freeze, once ``REFREEZE_AFTER`` checks have run,
takes them out too; a pass then takes microseconds.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

REFREEZE_AFTER = 1000

_frozen = False
_checks = 0
_warming = threading.Lock()


def warmed_up() -> bool:
    """Whether this process has answered a spam check (engine and model loaded, frozen)."""
    return _frozen


def after_first_check() -> None:
    global _frozen, _checks
    if _checks >= REFREEZE_AFTER:
        return
    _checks += 1  # a count lost to a race between threads only moves the second freeze
    if _checks in (1, REFREEZE_AFTER):
        gc.collect()  # garbage frozen now would never be collected
        gc.freeze()
        _frozen = True


def first_checks_in_turn(check: Callable[[], T]) -> T:
    """Run a check that may be this worker's first (in a pool thread), one at a time.

    A worker's first requests arrive together. Side by side, each ran through the engine's
    lazily built parts while the first froze what existed, and what they built then stayed
    in the collector's way (a 130 ms pass right after the freeze was seen). In turn, the
    first check builds them and freezes them; the others wait for it, then take a
    millisecond each.
    """
    with _warming:
        return check()
