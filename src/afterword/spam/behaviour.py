"""Behaviour per site: how fast a network or an address posts, and whether a text repeats.

Spam comes in runs: one network posting dozens of comments an hour, the same pitch with a
word changed. Each check records small events in the store (keyed by hashes, never by the
address or the text) and counts the earlier ones, so every worker sees every other worker's
traffic and a restart forgets nothing.

Near-duplicates are found with a 64-bit SimHash of the normalised words: texts that differ
in a word or two differ in a few bits. The hash is cut into four 16-bit bands and each pair
of bands is a lookup key: two texts within two bits of each other share at least two bands,
hence a key, while two unrelated texts share a 32-bit key by chance about once in four
billion, so the counts stay honest on busy sites.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from afterword.spam.signals import Facts
from afterword.spam.state import Count
from afterword.spam.submission import Submission
from afterword.spam.verdict import Reason

__all__ = ["Behaviour", "Reports", "Tally", "hashed", "mix64", "simhash", "token_hashes"]

HOUR = 3600.0
REPORT_WINDOW = 30 * 86400.0
# Below this many words a text is too generic to fingerprint: "thanks!" repeats honestly.
MIN_WORDS = 6

# Event kinds (at most 16 characters: the store's column).
NETWORK, EMAIL, TEXT, SAME, REPORT = "net", "email", "text", "same", "report"
RETENTION = {NETWORK: HOUR, EMAIL: HOUR, TEXT: HOUR, SAME: HOUR, REPORT: HOUR}
# Fingerprints of reported texts kept per site (about 10,000 reports' worth).
MAX_REPORT_KEYS = 60_000

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
_REPORTS_MAGIC = b"AWR1"


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: spreads CRC32 values over 64 well-mixed bits (wraps on purpose)."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def token_hashes(words: Sequence[str]) -> np.ndarray:
    """Stable 64-bit hashes of the words and of each pair of neighbours (uint64 array).

    Stable across processes and machines (CRC32, not Python's salted ``hash``): fingerprints
    and learned weights written by one worker must mean the same to every other.
    """
    if not words:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        uni = np.fromiter(
            (zlib.crc32(w.encode("utf-8", "replace")) for w in words),
            dtype=np.uint64,
            count=len(words),
        )
        bi = uni[:-1] * _GOLDEN + uni[1:] + np.uint64(1)
        return mix64(np.concatenate((uni, mix64(bi))))


def simhash(hashes: np.ndarray) -> int:
    """The SimHash of feature hashes: each bit is the majority vote of that bit.

    Repeated words vote once per occurrence (term frequency), the usual SimHash weighting.
    """
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1)
    votes = np.count_nonzero(bits, axis=0) * 2 > len(hashes)
    return int.from_bytes(np.packbits(votes).tobytes(), "big")


def text_keys(fingerprint: int) -> list[int]:
    """One 35-bit key per pair of 16-bit bands: which pair, and the two bands' values."""
    bands = [(fingerprint >> (16 * i)) & 0xFFFF for i in range(4)]
    return [(n << 32) | (bands[i] << 16) | bands[j] for n, (i, j) in enumerate(_PAIRS)]


def hashed(site: str, kind: str, value: str) -> str:
    """A per-site digest of an address, network or name: the store never sees the value."""
    data = f"{site}\x00{kind}\x00{value}".encode("utf-8", "replace")
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def _ramp(n: int, start: int, per_doubling: float, cap: float) -> float:
    """0 below ``start``, then ``per_doubling`` more log-odds each time ``n`` doubles."""
    if n < start:
        return 0.0
    return min(cap, per_doubling * (1.0 + math.log2(n / start)))


class Tally(NamedTuple):
    same: int  # earlier checks of this very comment in the last hour
    network: int  # comments from this network in the last hour
    email: int  # comments from this email address in the last hour
    seen: int  # nearly the same text in the last hour
    spam: int  # nearly the same text reported as spam (REPORT_WINDOW)
    ham: int  # ... reported as not spam


@dataclass(frozen=True, slots=True)
class Reports:
    """Fingerprint keys of the texts a site reported, with spam/ham counts and last report.

    Kept as one versioned blob beside the learned delta, not as events: every check looks
    them up, and from the cached blob that costs no database round trip.
    """

    keys: np.ndarray  # uint64, sorted
    spam: np.ndarray  # uint32
    ham: np.ndarray  # uint32
    last: np.ndarray  # float64, time of the latest report

    @classmethod
    def empty(cls) -> Reports:
        return cls(
            np.empty(0, np.uint64), np.empty(0, np.uint32), np.empty(0, np.uint32), np.empty(0)
        )

    @classmethod
    def from_bytes(cls, blob: bytes | None) -> Reports:
        """Decode; a missing or damaged blob is no reports, never an error."""
        if not blob or len(blob) < 8 or blob[:4] != _REPORTS_MAGIC:
            return cls.empty()
        n = int.from_bytes(blob[4:8], "little")
        if len(blob) != 8 + 24 * n:
            return cls.empty()
        keys = np.frombuffer(blob, "<u8", n, 8).astype(np.uint64)
        spam = np.frombuffer(blob, "<u4", n, 8 + 8 * n).astype(np.uint32)
        ham = np.frombuffer(blob, "<u4", n, 8 + 12 * n).astype(np.uint32)
        last = np.frombuffer(blob, "<f8", n, 8 + 16 * n).astype(np.float64)
        return cls(keys, spam, ham, last)

    def to_bytes(self) -> bytes:
        n = len(self.keys)
        return b"".join(
            (
                _REPORTS_MAGIC,
                n.to_bytes(4, "little"),
                self.keys.astype("<u8").tobytes(),
                self.spam.astype("<u4").tobytes(),
                self.ham.astype("<u4").tobytes(),
                self.last.astype("<f8").tobytes(),
            )
        )

    def counts(self, keys: Sequence[int], now: float) -> tuple[int, int]:
        """(spam, ham) reports of nearly this text within REPORT_WINDOW: the most of any key."""
        if not len(self.keys) or not keys:
            return 0, 0
        wanted = np.array(keys, dtype=np.uint64)
        pos = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        hit = (self.keys[pos] == wanted) & (self.last[pos] >= now - REPORT_WINDOW)
        if not hit.any():
            return 0, 0
        return int(self.spam[pos[hit]].max()), int(self.ham[pos[hit]].max())

    def add(self, keys: Sequence[int], is_spam: bool, now: float) -> Reports:
        """One more report of this text; expired and (beyond the cap) oldest keys go."""
        if not keys:
            return self
        wanted = np.unique(np.array(keys, dtype=np.uint64))
        merged = np.union1d(self.keys, wanted)
        spam = np.zeros(len(merged), np.uint32)
        ham = np.zeros(len(merged), np.uint32)
        last = np.zeros(len(merged))
        old = np.searchsorted(merged, self.keys)
        spam[old], ham[old], last[old] = self.spam, self.ham, self.last
        new = np.searchsorted(merged, wanted)
        (spam if is_spam else ham)[new] += 1
        last[new] = now
        keep = last >= now - REPORT_WINDOW
        if keep.sum() > MAX_REPORT_KEYS:
            # Newest first, ties by key, so every machine keeps the same ones.
            order = np.lexsort((merged, -last))[:MAX_REPORT_KEYS]
            keep = np.zeros(len(merged), bool)
            keep[order] = True
        return Reports(merged[keep], spam[keep], ham[keep], last[keep])


@dataclass(frozen=True, slots=True)
class Behaviour:
    """The store keys one submission touches, and what their counts say."""

    same: str  # this very comment (author, post, text): rechecks and double posts
    network: str  # hashed IP prefix, or ""
    email: str  # hashed email, or ""
    text: tuple[int, ...]  # fingerprint keys, empty for short texts
    author: str  # state name of the author's approved count, or ""

    @classmethod
    def of(cls, site: str, sub: Submission, facts: Facts) -> Behaviour:
        email = sub.author_email.strip().lower()
        words = facts.words
        fingerprint = simhash(token_hashes(words)) if len(words) >= MIN_WORDS else None
        identity = f"{sub.permalink}\x00{sub.author}\x00{email}\x00{facts.text}"
        return cls(
            same=hashed(site, SAME, identity),
            network=hashed(site, NETWORK, facts.network) if facts.network else "",
            email=hashed(site, EMAIL, email) if facts.email_domain else "",
            text=tuple(text_keys(fingerprint)) if fingerprint is not None else (),
            # Name and address together, as WordPress does: an address alone is easy to borrow.
            author="ok:" + hashed(site, "author", f"{email}\x00{sub.author.strip().lower()}")
            if facts.email_domain
            else "",
        )

    def counts(self, now: float) -> list[Count]:
        """The counts :meth:`reasons` needs, in a fixed order."""
        out = [Count(SAME, self.same, now - HOUR)]
        if self.network:
            out.append(Count(NETWORK, self.network, now - HOUR))
        if self.email:
            out.append(Count(EMAIL, self.email, now - HOUR))
        out.extend(Count(TEXT, f"{key:x}", now - HOUR) for key in self.text)
        return out

    def events(self) -> list[tuple[str, str]]:
        """What a check records."""
        out = [(SAME, self.same)] + [(TEXT, f"{key:x}") for key in self.text]
        if self.network:
            out.append((NETWORK, self.network))
        if self.email:
            out.append((EMAIL, self.email))
        return out

    def tally(self, tallies: Sequence[int], reports: Reports, now: float) -> Tally:
        """Name the counts (given in :meth:`counts` order) and the site's reports.

        Earlier checks of this very comment (a recheck, an edit, a double click) are taken
        out of the velocity and repetition counts: only other comments make a run.
        """
        it = iter(tallies)
        same = next(it)
        network = max(0, next(it) - same) if self.network else 0
        email = max(0, next(it) - same) if self.email else 0
        seen = max(0, max(it, default=0) - same)
        spam, ham = reports.counts(self.text, now)
        return Tally(same, network, email, seen, spam, ham)

    def reasons(self, tally: Tally, approved: int) -> list[Reason]:
        reasons = []
        weight = _ramp(tally.same, 5, 0.6, 2.0)
        if weight:
            text = f"the same comment was sent {tally.same:,} times in the last hour"
            reasons.append(Reason("resent", text, weight))
        # One person busy in a lively thread, an office or a mobile network behind one
        # prefix: velocity alone is weak evidence, and the address and the network usually
        # measure the same run, so only the stronger of the two counts.
        velocity = max(
            (
                (_ramp(tally.email, 6, 0.5, 1.5), "email_velocity", tally.email, "email address"),
                (_ramp(tally.network, 12, 0.5, 1.5), "network_velocity", tally.network, "network"),
            ),
            key=lambda item: item[0],
        )
        if velocity[0]:
            weight, code, n, what = velocity
            text = f"{n:,} comments from the same {what} in the last hour"
            reasons.append(Reason(code, text, weight))
        weight = _ramp(tally.seen, 2, 0.9, 3.0)
        if weight:
            reasons.append(
                Reason(
                    "repeated_text",
                    f"nearly the same text seen {tally.seen:,} times in the last hour",
                    weight,
                )
            )
        if tally.spam > tally.ham:
            reasons.append(
                Reason(
                    "reported_text",
                    f"nearly the same text was reported as spam {tally.spam:,} "
                    f"time{'s' if tally.spam > 1 else ''}",
                    _ramp(tally.spam - tally.ham, 1, 1.5, 3.0),
                )
            )
        elif tally.ham > tally.spam:
            # Bounded whatever the number of reports: fake "not spam" reports must not buy a
            # blatant text its way in.
            reasons.append(
                Reason("reported_ham", "nearly the same text was marked as not spam", -1.0)
            )
        if approved:
            reasons.append(
                Reason(
                    "approved_author",
                    f"the author has {approved:,} approved comment{'s' if approved > 1 else ''}",
                    -3.0 if approved < 3 else -4.0,
                )
            )
        return reasons
