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

__all__ = ["Behaviour", "Tally", "hashed", "mix64", "simhash", "token_hashes"]

HOUR = 3600.0
REPORT_WINDOW = 30 * 86400.0
# Below this many words a text is too generic to fingerprint: "thanks!" repeats honestly.
MIN_WORDS = 6

# Event kinds (at most 16 characters: the store's column).
NETWORK, EMAIL, TEXT, SAME = "net", "email", "text", "same"
SPAM_TEXT, HAM_TEXT, REPORT = "spamtext", "hamtext", "report"
RETENTION = {
    NETWORK: HOUR,
    EMAIL: HOUR,
    TEXT: HOUR,
    SAME: HOUR,
    REPORT: HOUR,
    SPAM_TEXT: REPORT_WINDOW,
    HAM_TEXT: REPORT_WINDOW,
}

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))


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


def text_keys(fingerprint: int) -> list[str]:
    bands = [(fingerprint >> (16 * i)) & 0xFFFF for i in range(4)]
    return [f"{i}{j}{bands[i]:04x}{bands[j]:04x}" for i, j in _PAIRS]


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
class Behaviour:
    """The store keys one submission touches, and what their counts say."""

    same: str  # this very comment (author, post, text): rechecks and double posts
    network: str  # hashed IP prefix, or ""
    email: str  # hashed email, or ""
    text: tuple[str, ...]  # fingerprint keys, empty for short texts
    author: str  # state name of the author's approved count, or ""

    @classmethod
    def of(cls, site: str, sub: Submission, facts: Facts, hashes: np.ndarray) -> Behaviour:
        email = sub.author_email.strip().lower()
        fingerprint = simhash(hashes) if len(facts.words) >= MIN_WORDS else None
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
        for kind, since in (
            (TEXT, now - HOUR),
            (SPAM_TEXT, now - REPORT_WINDOW),
            (HAM_TEXT, now - REPORT_WINDOW),
        ):
            out.extend(Count(kind, key, since) for key in self.text)
        return out

    def events(self) -> list[tuple[str, str]]:
        """What a check records."""
        out = [(SAME, self.same)] + [(TEXT, key) for key in self.text]
        if self.network:
            out.append((NETWORK, self.network))
        if self.email:
            out.append((EMAIL, self.email))
        return out

    def tally(self, tallies: Sequence[int]) -> Tally:
        """Name the counts (given in :meth:`counts` order).

        Earlier checks of this very comment (a recheck, an edit, a double click) are taken
        out of the velocity and repetition counts: only other comments make a run.
        """
        it = iter(tallies)
        same = next(it)
        network = max(0, next(it) - same) if self.network else 0
        email = max(0, next(it) - same) if self.email else 0
        rest = list(it)
        k = len(self.text)
        if not k:
            return Tally(same, network, email, 0, 0, 0)
        seen = max(0, max(rest[:k]) - same)
        return Tally(same, network, email, seen, max(rest[k : 2 * k]), max(rest[2 * k :]))

    def reasons(self, tally: Tally, approved: int) -> list[Reason]:
        reasons = []
        for count, start, code, what in (
            (tally.same, 5, "resent", "the same comment was sent {n} times"),
            (tally.network, 8, "network_velocity", "{n} comments from the same network"),
            (tally.email, 4, "email_velocity", "{n} comments from the same email address"),
        ):
            weight = _ramp(count, start, 0.6, 2.0)
            if weight:
                text = what.format(n=f"{count:,}") + " in the last hour"
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
