"""The long-lived objects of a worker leave the garbage collector's full passes."""

from __future__ import annotations

import gc

from afterword.web import warmup


class Node:
    """Stands for what the engine builds when first needed (a trie node, a cache entry)."""

    def __init__(self) -> None:
        self.children: dict[str, Node] = {}


def test_what_the_first_checks_built_is_frozen_once_enough_checks_ran(monkeypatch):
    monkeypatch.setattr(warmup, "_checks", 0)
    monkeypatch.setattr(warmup, "_frozen", False)
    warmup.after_first_check()
    assert warmup.warmed_up()
    built_later = [Node() for _ in range(100)]  # after the first freeze, as a lazy trie is
    tracked = {id(o) for o in gc.get_objects()}
    assert all(id(node) in tracked for node in built_later)
    for _ in range(warmup.REFREEZE_AFTER - 1):
        warmup.after_first_check()
    tracked = {id(o) for o in gc.get_objects()}
    assert not any(id(node) in tracked for node in built_later)
