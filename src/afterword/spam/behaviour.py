"""Behaviour per site: how fast a network or an address posts, and whether a text repeats.

Spam comes in runs: one network posting dozens of comments an hour, the same pitch with a
word changed. Each check records small events in the store (keyed by hashes, never by the
address or the text) and counts the earlier ones, so every worker sees every other worker's
traffic and a restart forgets nothing.

Near-duplicates are found with a 64-bit SimHash of the normalised words and word pairs:
texts that differ in a word or two differ in a few bits.

* Recent texts are counted through three bands of the hash (21, 21 and 22 bits), each an
  event key: two texts within two bits of each other share at least one band. Three keys,
  not more, because each is an event row written, counted and pruned on every check (on
  SQLite the rows are most of a check's cost). A band is short enough to be shared by chance
  (once in two million texts), which is why "seen again" needs two sightings before it is a
  reason: a site would need tens of thousands of comments an hour to see that by chance.
* Reported texts are compared on the whole hash (at most ``NEAR_BITS`` bits apart), since one
  match is already a reason: unrelated texts are that close about once in 10^14.
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

__all__ = [
    "Behaviour",
    "Reports",
    "Tally",
    "hashed",
    "mix64",
    "simhash",
    "text_keys",
    "token_hashes",
]

HOUR = 3600.0
REPORT_WINDOW = 30 * 86400.0
# Below this many words a text is too generic to fingerprint: "thanks!" repeats honestly.
MIN_WORDS = 6

# Event kinds (at most 16 characters: the store's column).
NETWORK, EMAIL, TEXT, SAME, REPORT = "net", "email", "text", "same", "report"
RETENTION = {NETWORK: HOUR, EMAIL: HOUR, TEXT: HOUR, SAME: HOUR, REPORT: HOUR}
# Fingerprints of reported texts kept per site, and how far apart two may be and still be
# "nearly the same text". On the public comment sets a changed word moves a short comment's
# hash by 4 bits or fewer about one time in eight, and a real comment lands that close to
# one of 5,000 others (its own duplicates aside) about one time in 500.
MAX_REPORTS = 20_000
NEAR_BITS = 4

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)
# Bands of the fingerprint as (shift, bits). A key carries its band's number above bit 32;
# the tag keeps the keys apart from the band-pair keys an earlier version recorded.
_BANDS = ((0, 21), (21, 21), (42, 22))
_BAND_TAG = 8
# Per band: its tag, shift and mask, worked out once.
_BAND_KEYS = tuple(
    ((_BAND_TAG + n) << 32, shift, (1 << bits) - 1) for n, (shift, bits) in enumerate(_BANDS)
)
_REPORTS_MAGIC = b"AWR2"
_BLAKE2B_96 = hashlib.blake2b(digest_size=12)
_BINARY_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: spreads CRC32 values over 64 well-mixed bits (wraps on purpose)."""
    return _mix_in_place(np.array(x, dtype=np.uint64))


def _mix_in_place(x: np.ndarray) -> np.ndarray:
    # In place: on a comment's few dozen words numpy's per-call cost is the whole cost.
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


def token_hashes(words: Sequence[str]) -> np.ndarray:
    """Stable 64-bit hashes of the words and of each pair of neighbours (uint64 array).

    Stable across processes and machines (CRC32, not Python's salted ``hash``): fingerprints
    and learned weights written by one worker must mean the same to every other.
    """
    n = len(words)
    if not n:
        return np.empty(0, dtype=np.uint64)
    out = np.empty(2 * n - 1, dtype=np.uint64)
    try:  # by map, in C: a Python loop per word cost more than the numpy work below
        data = list(map(str.encode, words))
    except UnicodeEncodeError:  # a lone surrogate; every other text encodes the same
        data = [w.encode("utf-8", "replace") for w in words]
    out[:n] = list(map(zlib.crc32, data))
    # A pair's value before mixing is a*G + b: distinct pairs (and words, below 2**32) stay
    # distinct, so one mix of the whole array serves both.
    pairs = out[n:]
    np.multiply(out[: n - 1], _GOLDEN, out=pairs)
    pairs += out[1:n]
    return _mix_in_place(out)


def simhash(hashes: np.ndarray) -> int:
    """The 64-bit SimHash of feature hashes: each bit is the majority vote of that bit.

    Repeated words vote once per occurrence (term frequency), the usual SimHash weighting.
    The byte order is fixed, so every machine computes the same fingerprint.
    """
    bits = np.unpackbits(hashes.astype("<u8", copy=False).view(np.uint8)).reshape(-1, 64)
    # A bit wins when more than half vote for it: count * 2 > n is count > n // 2.
    votes = np.add.reduce(bits, axis=0, dtype=np.uint32) > len(hashes) // 2
    # The 64 votes, first one highest, read as a binary numeral: cheaper than packing them
    # into bytes with numpy.
    return int(votes.view(np.uint8).tobytes().translate(_BINARY_DIGITS), 2)


def text_keys(fingerprint: int) -> tuple[int, ...]:
    """The event keys of a fingerprint: one per band, tagged with the band's number."""
    return tuple([tag | (fingerprint >> shift & mask) for tag, shift, mask in _BAND_KEYS])


def hashed(site: str, kind: str, value: str) -> str:
    """A per-site digest of an address, network or name: the store never sees the value."""
    data = f"{site}\x00{kind}\x00{value}".encode("utf-8", "replace")
    # A copy of a hash set up once costs less than setting up a new one (four per check).
    digest = _BLAKE2B_96.copy()
    digest.update(data)
    return digest.hexdigest()


def _event_key(site: str, kind: str, value: str) -> str:
    # 48 bits: ample within one site, kind and hour, and a shorter key makes each event row
    # cheaper to index (about a fifth of its write on SQLite).
    return hashed(site, kind, value)[:12]


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
    """The fingerprints of the texts a site reported, with spam/ham counts and last report.

    Kept as one versioned blob beside the learned delta, not as events: every check looks
    them up, and from the cached blob that costs no database round trip.
    """

    prints: np.ndarray  # uint64, sorted, unique
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
        """Decode; a missing, damaged or older-format blob is no reports, never an error."""
        if not blob or len(blob) < 8 or blob[:4] != _REPORTS_MAGIC:
            return cls.empty()
        n = int.from_bytes(blob[4:8], "little")
        if len(blob) != 8 + 24 * n:
            return cls.empty()
        prints = np.frombuffer(blob, "<u8", n, 8).astype(np.uint64)
        spam = np.frombuffer(blob, "<u4", n, 8 + 8 * n).astype(np.uint32)
        ham = np.frombuffer(blob, "<u4", n, 8 + 12 * n).astype(np.uint32)
        last = np.frombuffer(blob, "<f8", n, 8 + 16 * n).astype(np.float64)
        return cls(prints, spam, ham, last)

    def to_bytes(self) -> bytes:
        n = len(self.prints)
        return b"".join(
            (
                _REPORTS_MAGIC,
                n.to_bytes(4, "little"),
                self.prints.astype("<u8").tobytes(),
                self.spam.astype("<u4").tobytes(),
                self.ham.astype("<u4").tobytes(),
                self.last.astype("<f8").tobytes(),
            )
        )

    def counts(self, fingerprint: int | None, now: float) -> tuple[int, int]:
        """(spam, ham) reports of nearly this text within REPORT_WINDOW."""
        if fingerprint is None or not len(self.prints):
            return 0, 0
        near = np.bitwise_count(self.prints ^ np.uint64(fingerprint)) <= NEAR_BITS
        near &= self.last >= now - REPORT_WINDOW
        if not near.any():
            return 0, 0
        return int(self.spam[near].sum()), int(self.ham[near].sum())

    def add(self, fingerprint: int | None, is_spam: bool, now: float) -> Reports:
        """One more report of this text; expired and (beyond the cap) oldest reports go."""
        if fingerprint is None:
            return self
        key = np.uint64(fingerprint)
        i = int(np.searchsorted(self.prints, key))
        if i < len(self.prints) and self.prints[i] == key:
            prints, spam, ham = self.prints, self.spam.copy(), self.ham.copy()
            last = self.last.copy()
        else:
            prints = np.insert(self.prints, i, key)
            spam, ham = np.insert(self.spam, i, 0), np.insert(self.ham, i, 0)
            last = np.insert(self.last, i, now)
        (spam if is_spam else ham)[i] += 1
        last[i] = now
        keep = last >= now - REPORT_WINDOW
        if keep.sum() > MAX_REPORTS:
            # Newest first, ties by fingerprint, so every machine keeps the same ones.
            order = np.lexsort((prints, -last))[:MAX_REPORTS]
            keep = np.zeros(len(prints), bool)
            keep[order] = True
        return Reports(prints[keep], spam[keep], ham[keep], last[keep])


@dataclass(frozen=True, slots=True)
class Behaviour:
    """The store keys one submission touches, and what their counts say."""

    same: str  # this very comment (author, post, text): rechecks and double posts
    network: str  # hashed IP prefix, or ""
    email: str  # hashed email, or ""
    fingerprint: int | None  # SimHash of the text, None for short texts
    text: tuple[str, ...]  # its event keys (hex of text_keys), empty for short texts
    author: str  # state name of the author's approved count, or ""

    @classmethod
    def of(cls, site: str, sub: Submission, facts: Facts) -> Behaviour:
        email = sub.author_email.strip().lower()
        words = facts.words
        hashed_text = simhash(token_hashes(words)) if len(words) >= MIN_WORDS else None
        identity = f"{sub.permalink}\x00{sub.author}\x00{email}\x00{facts.text}"
        return cls(
            same=_event_key(site, SAME, identity),
            network=_event_key(site, NETWORK, facts.network) if facts.network else "",
            email=_event_key(site, EMAIL, email) if facts.email_domain else "",
            fingerprint=hashed_text,
            text=() if hashed_text is None else tuple(map("{:x}".format, text_keys(hashed_text))),
            # Name and address together, as WordPress does: an address alone is easy to borrow.
            author="ok:" + hashed(site, "author", f"{email}\x00{sub.author.strip().lower()}")
            if facts.email_domain
            else "",
        )

    def counts(self, now: float) -> list[Count]:
        """The counts :meth:`reasons` needs, in a fixed order."""
        since = now - HOUR
        out = [Count(SAME, self.same, since)]
        if self.network:
            out.append(Count(NETWORK, self.network, since))
        if self.email:
            out.append(Count(EMAIL, self.email, since))
        out.extend([Count(TEXT, key, since) for key in self.text])
        return out

    def events(self) -> list[tuple[str, str]]:
        """What a check records."""
        out = [(SAME, self.same)] + [(TEXT, key) for key in self.text]
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
        spam, ham = reports.counts(self.fingerprint, now)
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
