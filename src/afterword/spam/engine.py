"""The spam engine: one check, one feedback path, per-site state in a store.

A verdict adds up log-odds from four places, each visible as reasons:

1. the shipped text model (the same for every site),
2. the site's learned delta (moderator feedback, bounded; see ``learning.py``),
3. rules about links, author, client and timing (``signals.py``),
4. behaviour seen on this site: velocity, repeated texts, approved authors (``behaviour.py``).

Trust comes first and is absolute for the site's own say-so (administrator role, allow
lists) and for Akismet's test values. The discard tier ignores what the site learned (a
flood of fake spam reports must not make a real comment vanish unseen) and, unless the text
model is nearly certain, needs evidence beyond the words.

The engine holds no per-site state of its own except a cache of each site's learned delta,
checked against a version number in the store on every call, so any number of workers
behind a load balancer agree on every verdict.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import numpy as np

from afterword.spam import behaviour as bh
from afterword.spam.learning import Delta, features, learn_weight, learning_step
from afterword.spam.signals import analyse, deny_listed, domain_matches, rule_reasons
from afterword.spam.state import Count, StateStore
from afterword.spam.submission import Submission
from afterword.spam.verdict import Reason, SiteConfig, Verdict

__all__ = ["Engine", "TextFeatures", "TextModel"]

_log = logging.getLogger(__name__)

TEST_SPAM_AUTHORS = frozenset({"akismet-guaranteed-spam", "viagra-test-123"})
TEST_SPAM_EMAIL = "akismet-guaranteed-spam@example.com"
DEFAULT_CONFIG = SiteConfig()
_DELTA, _REPORTS, _VERSION = "delta", "reports", "delta.ver"
# Log-odds the text model must reach on its own to discard without other evidence
# (p >= 0.9995), the evidence beyond the words that lets a lower score discard, and the
# text log-odds below which nothing is discarded (p < 0.88: the words may be a person's).
_SURE_TEXT = 7.6
_OTHER_EVIDENCE = 1.5
_SPAMMY_TEXT = 2.0
_MAX_REASONS = 5
_LOGIT_CLIP = 12.0
# Expired events are pruned off the check path, every few seconds, in chunks (a short write
# lock each) until caught up: a busy site writes tens of thousands of event rows a second.
_PRUNE_EVERY = 10.0
_PRUNE_CHUNK = 5_000
_PRUNE_CHUNKS = 100
_CACHE_SITES = 1024


class TextFeatures(Protocol):
    indices: np.ndarray
    values: np.ndarray

    def dot(self, weights: np.ndarray) -> float: ...


class TextModel(Protocol):
    """What the engine needs of the text model (``afterword.spam.model.BaseModel``).

    The log-odds of spam of one raw text and its hashed features, from one pass: a site's
    learned delta lives in the model's own feature space. The raw text because styling
    (mathematical letters, zalgo) is itself evidence; ``normalized`` is its
    ``normalize_text`` output and ``links`` the number of URLs in that, which the rules
    computed already.
    """

    def logit_and_features(
        self, text: str, normalized: str | None = None, links: int | None = None
    ) -> tuple[float, TextFeatures]: ...


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-_LOGIT_CLIP * 3, min(_LOGIT_CLIP * 3, x))))


def _text_reason(logit: float) -> Reason:
    p = _sigmoid(logit)
    if logit >= 0:
        text = f"the wording reads like spam ({p:.0%} by the text model)"
    else:
        text = f"the wording reads like a normal comment ({1 - p:.0%} by the text model)"
    return Reason("text_model", text, logit)


class _Scored:
    """One evaluation, shared by check and learn."""

    __slots__ = ("behaviour", "deny", "evidence", "extra", "features", "learned", "tally", "text")

    def __init__(self, behaviour: bh.Behaviour, tally: bh.Tally, extra: list[int]) -> None:
        self.behaviour = behaviour
        self.tally = tally
        self.extra = extra  # counts the caller asked for beyond behaviour's own
        self.features: tuple[np.ndarray, np.ndarray] | None = None
        self.text = 0.0  # text model log-odds
        self.learned = 0.0  # the site's delta, log-odds
        self.evidence: list[Reason] = []  # rules and behaviour
        self.deny = ""  # a domain on the site's deny list

    @property
    def logit(self) -> float:
        return self.text + self.learned + sum(r.weight for r in self.evidence)


def _bump(blob: bytes | None) -> bytes:
    return str(_count(blob) + 1).encode()


def _count(blob: bytes | None) -> int:
    try:
        return max(0, int(blob)) if blob else 0
    except ValueError:
        return 0


def _trust(sub: Submission, config: SiteConfig) -> Verdict | None:
    """Decisions that need no scoring: the site's own say-so and Akismet's test values."""
    if "administrator" in sub.user_role:
        reason = Reason("administrator", "posted by a site administrator", -10.0)
        return Verdict(0.0, False, False, (reason,), trusted=True)
    author = sub.author.strip().lower()
    email = sub.author_email.strip().lower()
    if author in TEST_SPAM_AUTHORS or email == TEST_SPAM_EMAIL:
        reason = Reason("test_spam", "the Akismet test value for guaranteed spam", 10.0)
        return Verdict(1.0, True, False, (reason,))
    if author and author in config.allow_authors:
        reason = Reason("allowed_author", "the author is on this site's allow list", -10.0)
    elif email and email in config.allow_emails:
        reason = Reason("allowed_email", "the email address is on this site's allow list", -10.0)
    elif "@" in email and domain_matches(email.rsplit("@", 1)[1], config.allow_domains):
        reason = Reason("allowed_domain", "the email domain is on this site's allow list", -10.0)
    else:
        return None
    return Verdict(0.0, False, False, (reason,), trusted=True)


def _discard(scored: _Scored, config: SiteConfig) -> bool:
    """Blatant enough to drop unseen: the words themselves read as spam, the score is past
    the discard tier without what the site learned pushing it up, and there is evidence
    beyond the words unless the text model is all but certain. Behaviour and client quirks
    alone never make a comment vanish: they can be a real person's."""
    if scored.deny:
        return True
    if scored.text < _SPAMMY_TEXT:
        return False
    unlearned = scored.logit - max(0.0, scored.learned)
    if _sigmoid(unlearned) < config.discard_threshold:
        return False
    other = sum(r.weight for r in scored.evidence if r.weight > 0)
    return scored.text >= _SURE_TEXT or other >= _OTHER_EVIDENCE


def _top_reasons(scored: _Scored, is_spam: bool) -> tuple[Reason, ...]:
    """The strongest reasons for the verdict first, then the strongest against it."""
    reasons = [_text_reason(scored.text), *scored.evidence]
    if abs(scored.learned) >= 0.25:
        direction = "spam" if scored.learned > 0 else "not spam"
        reasons.append(
            Reason(
                "site_feedback",
                f"this site's moderators marked similar comments as {direction}",
                scored.learned,
            )
        )
    sign = 1.0 if is_spam else -1.0
    reasons.sort(key=lambda r: (sign * r.weight <= 0, -abs(r.weight), r.code))
    return tuple(reasons[:_MAX_REASONS])


class Engine:
    """Scores submissions for many sites; safe to share between threads."""

    def __init__(
        self,
        store: StateStore,
        *,
        model: TextModel | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if model is None:
            from afterword.spam.model import load_base_model

            model = load_base_model()
        self._store = store
        self._model = model
        self._clock = clock
        self._lock = threading.Lock()
        self._sites: OrderedDict[str, tuple[bytes | None, Delta, bh.Reports]] = OrderedDict()
        self._next_prune = 0.0
        self._pruning = False

    def check(
        self,
        site: str,
        submission: Submission,
        config: SiteConfig = DEFAULT_CONFIG,
        *,
        observe: bool = True,
    ) -> Verdict:
        """Score one submission for a site; record its behaviour unless a test or told not to."""
        decided = _trust(submission, config)
        if decided is not None:
            return decided
        now = self._clock()
        scored = self._score(site, submission, config, now)
        probability = _sigmoid(scored.logit)
        # A filled honeypot is a bot's doing whatever the words say (a real person never
        # sees the field): spam, though only spammy words as well can make it discard.
        is_spam = (
            probability >= config.threshold or bool(scored.deny) or bool(submission.honeypot_filled)
        )
        approved = any(r.code == "approved_author" for r in scored.evidence)
        verdict = Verdict(
            probability=probability,
            is_spam=is_spam,
            discard=is_spam and _discard(scored, config),
            reasons=_top_reasons(scored, is_spam),
            trusted=approved and not is_spam,
        )
        if observe and not submission.is_test:
            self._store.record(site, scored.behaviour.events(), now)
            self._maybe_prune(now)
        return verdict

    def learn(
        self,
        site: str,
        submission: Submission,
        is_spam: bool,
        *,
        weight: float = 1.0,
        reporter: str = "",
        config: SiteConfig = DEFAULT_CONFIG,
    ) -> None:
        """The one feedback path: moderator click, submit-spam/ham, import with ``--learn``.

        Takes effect for the next check, on every worker. ``weight`` (0..1) lowers the say of
        a bulk import. A ``reporter`` (a moderator, an API key) sending more than
        ``REPORTS_PER_HOUR`` reports an hour has each count less, and a text reported again
        counts less each time. Test submissions teach nothing. Pass the site's ``config``,
        as to :meth:`check`: the rules it changes (languages, allow and deny lists) are
        features of what the site learns, and must be the same ones the check sees.
        """
        if submission.is_test:
            return
        now = self._clock()
        reporter_key = bh.hashed(site, bh.REPORT, reporter)
        scored = self._score(
            site,
            submission,
            config,
            now,
            need_features=True,
            extra=(Count(bh.REPORT, reporter_key, now - bh.HOUR),),
        )
        repeats = scored.tally.spam if is_spam else scored.tally.ham
        size = learning_step(
            _sigmoid(scored.logit), is_spam, learn_weight(weight, scored.extra[0], repeats)
        )
        assert scored.features is not None
        index, values = scored.features
        if size:
            self._store.update(
                site,
                _DELTA,
                lambda blob: Delta.from_bytes(blob).step(index, values, size).to_bytes(),
            )
        fingerprint = scored.behaviour.fingerprint
        if fingerprint is not None:
            self._store.update(
                site,
                _REPORTS,
                lambda blob: bh.Reports.from_bytes(blob).add(fingerprint, is_spam, now).to_bytes(),
            )
        if size or fingerprint is not None:
            # Last, so a worker that sees the new version also finds the new state.
            self._store.update(site, _VERSION, _bump)
            with self._lock:
                self._sites.pop(site, None)
        self._store.record(site, [(bh.REPORT, reporter_key)], now)

    def note_approved(self, site: str, submission: Submission) -> None:
        """Remember that this author (name and email together) had a comment approved."""
        if submission.is_test:
            return
        facts = analyse(Submission(author=submission.author, author_email=submission.author_email))
        author = bh.Behaviour.of(site, submission, facts).author
        if author:
            self._store.update(site, author, _bump)

    def prune(self, limit: int = 10_000) -> int:
        """Drop events older than every window that reads them; returns how many went.

        Checks start it on their own in the background every few seconds; a maintenance job
        may call it too.
        """
        now = self._clock()
        return self._store.prune({kind: now - keep for kind, keep in bh.RETENTION.items()}, limit)

    # -- internals ---------------------------------------------------------------------

    def _score(
        self,
        site: str,
        sub: Submission,
        config: SiteConfig,
        now: float,
        *,
        need_features: bool = False,
        extra: tuple[Count, ...] = (),
    ) -> _Scored:
        facts = analyse(sub)
        behaviour = bh.Behaviour.of(site, sub, facts)
        counts = behaviour.counts(now)
        names = [_VERSION, behaviour.author] if behaviour.author else [_VERSION]
        blobs, tallies = self._store.read(site, names, [*counts, *extra])
        delta, reports = self._site_state(site, blobs[0])
        scored = _Scored(
            behaviour,
            behaviour.tally(tallies[: len(counts)], reports, now),
            list(tallies[len(counts) :]),
        )
        rules = rule_reasons(sub, facts, config)
        scored.deny = deny_listed(sub, facts, config)
        if scored.deny:
            scored.evidence.append(
                Reason("denied_domain", f"{scored.deny} is on this site's block list", 8.0)
            )
        scored.evidence += rules
        scored.evidence += behaviour.reasons(
            scored.tally, _count(blobs[1]) if behaviour.author else 0
        )
        logit, text = self._model.logit_and_features(facts.raw, facts.text, facts.links)
        scored.text = max(-_LOGIT_CLIP, min(_LOGIT_CLIP, logit)) if math.isfinite(logit) else 0.0
        if need_features or len(delta):
            domains = [*facts.domains, facts.email_domain, facts.url_domain]
            scored.features = features(
                text.indices, text.values, [d for d in domains if d], [r.code for r in rules]
            )
            scored.learned = delta.score(*scored.features)
        return scored

    def _site_state(self, site: str, version: bytes | None) -> tuple[Delta, bh.Reports]:
        """The site's delta and reports, from the cache while the store's version matches."""
        with self._lock:
            cached = self._sites.get(site)
            if cached is not None and cached[0] == version:
                self._sites.move_to_end(site)
                return cached[1], cached[2]
        if version is None:
            delta, reports = Delta.empty(), bh.Reports.empty()
        else:
            (delta_blob, reports_blob), _ = self._store.read(site, [_DELTA, _REPORTS], [])
            delta, reports = Delta.from_bytes(delta_blob), bh.Reports.from_bytes(reports_blob)
        with self._lock:
            self._sites[site] = (version, delta, reports)
            self._sites.move_to_end(site)
            while len(self._sites) > _CACHE_SITES:
                self._sites.popitem(last=False)
        return delta, reports

    def _maybe_prune(self, now: float) -> None:
        with self._lock:
            if now < self._next_prune or self._pruning:
                return
            self._next_prune = now + _PRUNE_EVERY
            self._pruning = True
        threading.Thread(target=self._prune_round, name="spam-prune", daemon=True).start()

    def _prune_round(self) -> None:
        try:
            for _ in range(_PRUNE_CHUNKS):
                if self.prune(limit=_PRUNE_CHUNK) < _PRUNE_CHUNK:
                    break
        except Exception as exc:  # noqa: BLE001 - nobody could catch it on this thread
            # Old events cost space, not verdicts: say so and try again next round.
            _log.warning("spam events not pruned: %s", exc)
        finally:
            with self._lock:
                self._pruning = False
