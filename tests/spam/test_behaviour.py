"""Text fingerprints: stored in reports and event keys, so they must never change."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from afterword.spam.behaviour import simhash


def _majority(hashes: list[int]) -> int:
    """Bit by bit, as the fingerprint is defined: each hash's bytes in little-endian order,
    each byte's bits from the highest; a bit is set when more than half the hashes have it."""
    out = 0
    for j in range(64):
        shift = 8 * (j // 8) + 7 - j % 8
        votes = sum((h >> shift) & 1 for h in hashes)
        out = out << 1 | (votes * 2 > len(hashes))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=90))
def test_simhash_is_the_majority_of_each_bit(hashes):
    assert simhash(np.array(hashes, dtype=np.uint64)) == _majority(hashes)


def test_simhash_ties_are_not_set():
    # Two hashes disagreeing everywhere: no bit has a majority.
    assert simhash(np.array([0, 2**64 - 1], dtype=np.uint64)) == 0
    assert simhash(np.array([2**64 - 1] * 3, dtype=np.uint64)) == 2**64 - 1


def test_keys_are_those_earlier_versions_stored():
    """An approved author's count and the last hour's events are found by these keys after
    an upgrade: their values are pinned (computed by the code that first stored them)."""
    from afterword.spam.behaviour import hashed, text_keys

    assert hashed("blog.example", "author", "ann@example.org\x00ann") == "9b2dde2e2548b28a43231292"
    assert text_keys(0x0123456789ABCDEF) == (34360511983, 38655441997, 42949691601)
