"""After a worker's first spam check: its long-lived objects out of the collector's way.

Both doors (the Akismet API and the comment API) call :func:`after_first_check`. Whichever
comes first loads the engine's modules and model (~180,000 objects); freezing what exists
then takes them out of the garbage collector's full passes, each of which re-scanned them
all for 60-90 ms while every request in flight waited: a latency spike every few thousand
requests, enough to spoil p99. After the freeze a full pass takes a few milliseconds.
"""

from __future__ import annotations

import gc

_frozen = False


def warmed_up() -> bool:
    """Whether this process has answered a spam check (engine and model loaded, frozen)."""
    return _frozen


def after_first_check() -> None:
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
