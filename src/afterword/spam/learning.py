"""Per-site online learning: a small, bounded correction added to the base model's log-odds.

Each site gets a sparse linear delta over hashed features (the words and word pairs of the
normalised text, link and email domains, which rules fired, a bias). A moderator's decision
is one logistic-regression step on that delta, so it shapes the very next check; nothing is
retrained. The bounds are what make it safe to expose to anyone holding the API key:

* every feature vector has unit length, so a step of size s moves the reported comment's
  log-odds by exactly s, and ``MAX_STEP`` caps it: one misclick cannot undo the base model;
* what the delta adds to any comment is clipped to ``[-MAX_HAM_SHIFT, MAX_SPAM_SHIFT]``,
  however many reports arrive: blatant spam (whose log-odds are beyond the ham bound) stays
  spam under a flood of fake "not spam" reports. The spam side is wider because a wrong
  push that way only sends a comment to the moderation queue (the discard tier ignores
  learned weight), while a new site's spam may start far on the ham side of the base model;
* the delta's L2 norm is capped at ``MAX_NORM`` and its size at ``MAX_ENTRIES``, so a site's
  state stays small whatever is thrown at it;
* the engine scales steps down for reporters who send too many reports in an hour and for
  texts reported again and again (``learn_weight``).

Everything is plain float arithmetic in a fixed order on sorted indices: the same state and
the same reports give the same bytes on every machine.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from afterword.spam.behaviour import mix64

__all__ = [
    "MAX_HAM_SHIFT",
    "MAX_NORM",
    "MAX_SPAM_SHIFT",
    "MAX_STEP",
    "Delta",
    "features",
    "learn_weight",
]

DIM_BITS = 20
_MASK = np.uint64((1 << DIM_BITS) - 1)
MAX_STEP = 2.5
MAX_HAM_SHIFT = 4.0
MAX_SPAM_SHIFT = 8.0
MAX_NORM = 30.0
LEARNING_RATE = 3.0
MIN_ERROR = 0.07
# Largest number of weights kept per site; beyond it the smallest go (a few hundred kB).
MAX_ENTRIES = 50_000
# Reports per reporter and hour that count fully; more are scaled down, not refused.
REPORTS_PER_HOUR = 60

_MAGIC = b"AWD1"


@lru_cache(maxsize=8192)
def _named(name: str) -> int:
    """The feature index of a domain or rule name. Cached: the same few recur on every check."""
    hashes = mix64(np.array([zlib.crc32(name.encode("utf-8", "replace"))], dtype=np.uint64))
    return int((hashes[0] >> np.uint64(40)) & _MASK)


def features(
    text_index: np.ndarray, text_values: np.ndarray, domains: Iterable[str], codes: Iterable[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique feature indices and their values, scaled to unit length.

    The text part is the base model's own hashed features (words, character n-grams,
    styling signals), so a site learns in the space where spam is already told apart, and
    a new site's brand names and obfuscations generalise the way they do for the base model.
    Added to it: link, email and author-URL ``domains`` and the ``codes`` of the rules that
    fired, half-weight, so a site can learn that, say, a missing referrer is normal there.
    """
    named = [_named(f"d:{d}") for d in domains] + [_named(f"r:{c}") for c in codes]
    index = np.concatenate(
        (text_index.astype(np.int64, copy=False) & int(_MASK), np.array(named, dtype=np.int64))
    )
    extra = [0.5 / math.sqrt(len(named))] * len(named) if named else []
    values = np.concatenate((text_values, np.array(extra, dtype=np.float64)))
    if not len(index):
        return index, values
    # Sort, then sum the values of repeated indices: np.unique(return_inverse=True) and a
    # bincount did the same at twice the cost, on every check of a site that learned. Array
    # methods, not numpy's module functions: those add a Python wrapper call each.
    order = index.argsort(kind="stable")
    index, values = index[order], values[order]
    first = np.empty(len(index), dtype=bool)
    first[0] = True
    np.not_equal(index[1:], index[:-1], out=first[1:])
    starts = first.nonzero()[0]
    index, values = index[starts], np.add.reduceat(values, starts)
    norm = math.sqrt(np.dot(values, values))
    return index, (values / norm if norm > 0 else values)


@dataclass(frozen=True, slots=True)
class Delta:
    """A site's learned weights: sorted indices and their float32 weights."""

    index: np.ndarray  # int64, sorted, unique
    weight: np.ndarray  # float64 view of stored float32 values

    @classmethod
    def empty(cls) -> Delta:
        return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))

    @classmethod
    def from_bytes(cls, blob: bytes | None) -> Delta:
        """Decode; a missing, foreign or damaged blob is an empty delta, never an error."""
        if not blob or len(blob) < 8 or blob[:4] != _MAGIC:
            return cls.empty()
        (n,) = struct.unpack_from("<I", blob, 4)
        if len(blob) != 8 + 8 * n:
            return cls.empty()
        index = np.frombuffer(blob, dtype="<u4", count=n, offset=8).astype(np.int64)
        weight = np.frombuffer(blob, dtype="<f4", count=n, offset=8 + 4 * n).astype(np.float64)
        if not np.all(np.isfinite(weight)):
            return cls.empty()
        return cls(index, weight)

    def to_bytes(self) -> bytes:
        n = len(self.index)
        return (
            _MAGIC
            + struct.pack("<I", n)
            + self.index.astype("<u4").tobytes()
            + self.weight.astype("<f4").tobytes()
        )

    def __len__(self) -> int:
        return len(self.index)

    def norm(self) -> float:
        return float(np.sqrt(np.dot(self.weight, self.weight)))

    def score(self, index: np.ndarray, values: np.ndarray) -> float:
        """The delta's log-odds for one feature vector, within the shift bounds."""
        if not len(self.index) or not len(index):
            return 0.0
        # Past the last entry means absent: pointing it at the last entry (which is smaller)
        # makes it a miss below, in one call.
        pos = self.index.searchsorted(index)
        np.minimum(pos, len(self.index) - 1, out=pos)
        hit = self.index[pos] == index
        shift = float(np.dot(self.weight[pos[hit]], values[hit]))
        return max(-MAX_HAM_SHIFT, min(MAX_SPAM_SHIFT, shift))

    def step(self, index: np.ndarray, values: np.ndarray, size: float) -> Delta:
        """Move by ``size`` (clipped to MAX_STEP) along the unit vector, then re-bound."""
        size = max(-MAX_STEP, min(MAX_STEP, size))
        if size == 0.0 or not len(index):
            return self
        merged = np.union1d(self.index, index)
        weight = np.zeros(len(merged))
        weight[np.searchsorted(merged, self.index)] = self.weight
        weight[np.searchsorted(merged, index)] += size * values
        weight = weight.astype(np.float32).astype(np.float64)
        if len(merged) > MAX_ENTRIES:
            # Keep the largest weights; ties broken by index so every machine keeps the same.
            order = np.lexsort((merged, -np.abs(weight)))[:MAX_ENTRIES]
            order.sort()
            merged, weight = merged[order], weight[order]
        norm = float(np.sqrt(np.dot(weight, weight)))
        if norm > MAX_NORM:
            weight = weight * (MAX_NORM / norm)
        keep = weight != 0.0
        return Delta(merged[keep], weight[keep].astype(np.float32).astype(np.float64))


def learn_weight(weight: float, reporter_count: int, repeats: int) -> float:
    """Scale a report down when its reporter is busy or its text was reported before.

    ``reporter_count`` is this reporter's reports in the last hour; ``repeats`` how often
    nearly the same text was already reported with the same label. The sum of weights over a
    flood then grows like a logarithm, not linearly.
    """
    weight = max(0.0, min(float(weight), 1.0)) if math.isfinite(weight) else 0.0
    if reporter_count >= REPORTS_PER_HOUR:
        weight *= REPORTS_PER_HOUR / (reporter_count + 1)
    return weight / (1 + repeats)


def learning_step(p: float, is_spam: bool, weight: float) -> float:
    """The log-odds step for one report given the current probability ``p``.

    The logistic-regression gradient, with a floor: a report the engine already agreed with
    still nudges its words towards the label. Without it only mistakes teach, and on a new
    site (where the base model calls everything ham) the words spam shares with ham drift
    towards spam with nothing pulling them back.
    """
    error = (1.0 - p) if is_spam else p
    size = LEARNING_RATE * max(error, MIN_ERROR) * weight
    return size if is_spam else -size
