"""The ranking: which of a site's articles are related to one of them.

Scores blend two views of the text: lexical (sub-linear TF-IDF over title, description,
tags and body, with field weights, cosine) and latent (a small LSA projection of the same
vectors, which matches "lager" with "pilsner" when they share no word). One round of
pseudo-relevance feedback then rescores the best candidates by their similarity to the top
few, which pulls in articles that agree with the neighbourhood rather than with one
accidental shared word. Shared tags, recency, a minimum score and a near-copy filter come
last, so the block never shows five versions of one story or the article itself.

The index is a main segment (scipy sparse + NumPy arrays, rebuilt in bulk) plus a small
delta of recently added articles scored in place, so adding one article costs
milliseconds; the delta is folded in when it grows past a fraction of the main segment.
Hyper-parameters were fixed on the 20 Newsgroups *training* split (bench/related_quality.py).
"""

from __future__ import annotations

import math
import threading
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import scipy.sparse as sp

from afterword.related.text import tokenize

FIELD_WEIGHTS = {"title": 3.0, "description": 2.0, "tags": 3.0, "body": 1.0}
LEXICAL_SHARE = 0.7  # the rest is the LSA view
LSA_DIMS = 64  # 20NG train P@10: 0.817 at 100 dims, 0.823 at 64, and a third less work
LSA_SAMPLE = 20_000  # rows the projection is fitted on; later rows are only projected
QUERY_TERMS = 48  # an article's strongest terms are its query
CANDIDATES = 200
FEEDBACK_DOCS = 5
FEEDBACK_WEIGHT = 2.0
TAG_BONUS = 0.05  # per shared tag, at most three
NEAR_COPY = 0.92  # lexical cosine above which a candidate repeats one already chosen


@dataclass(slots=True)
class Doc:
    """What the index needs of an article; ``key`` is its stable identity (the URL)."""

    key: str
    title: str = ""
    description: str = ""
    body: str = ""
    tags: list[str] = field(default_factory=list)
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    key: str
    score: float


@dataclass(frozen=True, slots=True)
class Options:
    """Per-query knobs; the defaults are what the widget shows."""

    limit: int = 5
    min_score: float = 0.12
    recency_half_life_days: float | None = 365.0
    recency_weight: float = 0.1
    diversity: bool = True


def _terms(doc: Doc) -> Counter[str]:
    counts: Counter[str] = Counter()
    for name in ("title", "description", "body"):
        weight = FIELD_WEIGHTS[name]
        for token in tokenize(getattr(doc, name)):
            counts[token] += weight
    for tag in doc.tags:
        for token in tokenize(tag):
            counts[token] += FIELD_WEIGHTS["tags"]
        counts["#" + tag.strip().lower()] += FIELD_WEIGHTS["tags"]
    return counts


class RelatedIndex:
    """An in-memory index of one site's articles; thread-safe; rebuilt from stored rows."""

    def __init__(self, merge_fraction: float = 0.1, min_merge: int = 2000) -> None:
        self._lock = threading.RLock()
        self.merge_fraction = merge_fraction
        self.min_merge = min_merge
        self.version = 0
        self._build([])

    # ----- building -------------------------------------------------------------------
    def _build(self, docs: list[Doc], tf: sp.csr_matrix | None = None,
               vocab: dict[str, int] | None = None) -> None:
        """Index ``docs``; ``tf``/``vocab`` (sub-linear term counts) when already known."""
        if tf is None or vocab is None:
            vocab = {}
            tf = _tf_matrix((_terms(d) for d in docs), vocab)
        n = len(docs)
        df = np.bincount(tf.indices, minlength=tf.shape[1])
        self.vocab = vocab
        self.n_docs_at_build = n
        self.idf = (np.log((n + 1) / (df + 1)) + 1.0).astype(np.float32)
        weighted = tf.multiply(self.idf).tocsr()
        del tf
        # Row norms are kept instead of the term counts: counts = rows * norm / idf.
        self.norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        self.rows = (sp.diags(1.0 / np.maximum(self.norms, 1e-9)).astype(np.float32)
                     @ weighted).tocsr()
        del weighted
        self.cols = self.rows.tocsc()
        self.components = _fit_lsa(self.rows)
        self.latent = self._project(self.rows)
        # Only what ranking needs is kept: the text itself stays in the database.
        self.docs = [Doc(d.key, tags=d.tags, published=d.published) for d in docs]
        self.position = {d.key: i for i, d in enumerate(docs)}
        self.alive = np.ones(n, dtype=bool)
        self.tagsets = [frozenset(t.lower() for t in d.tags) for d in docs]
        # Delta: articles added since the build, as sparse rows against the same vocabulary.
        self.delta_docs: list[Doc] = []
        self.delta_rows: list[sp.csr_matrix] = []
        self.delta_latent: list[np.ndarray] = []
        self.delta_raw: list[Counter[str]] = []

    def _project(self, rows: sp.csr_matrix) -> np.ndarray:
        if self.components is None:
            return np.zeros((rows.shape[0], 1), np.float32)
        z = np.asarray(rows @ self.components.T, dtype=np.float32)
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        return z / np.maximum(norms, 1e-9)

    def _vector(self, counts: Counter[str]) -> sp.csr_matrix:
        """A normalised row for a new article; terms the build never saw get the top idf."""
        top_idf = math.log(self.n_docs_at_build + 1) + 1.0
        cols, vals = [], []
        for term, tf in counts.items():
            j = self.vocab.get(term)
            if j is not None:
                cols.append(j)
                vals.append((1.0 + math.log(tf)) * self.idf[j])
        norm = math.sqrt(sum(v * v for v in vals) + sum(
            ((1.0 + math.log(tf)) * top_idf) ** 2 for t, tf in counts.items()
            if t not in self.vocab)) or 1.0
        row = sp.csr_matrix((np.asarray(vals, np.float32) / norm,
                             np.asarray(cols, np.int32), np.array([0, len(cols)])),
                            shape=(1, self.rows.shape[1]))
        return row

    def rebuild(self, docs: list[Doc]) -> None:
        with self._lock:
            self._build(docs)
            self.version += 1

    def add(self, doc: Doc) -> None:
        """Add or replace one article; visible to the next query."""
        with self._lock:
            self._discard(doc.key)
            counts = _terms(doc)
            row = self._vector(counts)
            self.delta_docs.append(Doc(doc.key, tags=doc.tags, published=doc.published))
            self.delta_rows.append(row)
            self.delta_latent.append(self._project(row)[0])
            self.delta_raw.append(counts)
            self.version += 1
            if len(self.delta_docs) > max(self.min_merge, self.merge_fraction * len(self.docs)):
                self._merge()

    def remove(self, key: str) -> bool:
        with self._lock:
            found = self._discard(key)
            if found:
                self.version += 1
            return found

    def _discard(self, key: str) -> bool:
        i = self.position.pop(key, None)
        if i is not None:
            self.alive[i] = False
            return True
        for j, d in enumerate(self.delta_docs):
            if d.key == key:
                for lst in (self.delta_docs, self.delta_rows, self.delta_latent, self.delta_raw):
                    del lst[j]
                return True
        return False

    def _merge(self) -> None:
        keep = np.flatnonzero(self.alive)
        vocab = dict(self.vocab)
        delta = _tf_matrix(self.delta_raw, vocab)
        main = (sp.diags(self.norms[keep].astype(np.float32)) @ self.rows[keep]
                @ sp.diags(1.0 / self.idf)).tocsr()
        main.resize((len(keep), len(vocab)))
        tf = sp.vstack([main, delta]).tocsr()
        self._build([self.docs[i] for i in keep] + self.delta_docs, tf, vocab)

    def __len__(self) -> int:
        return int(self.alive.sum()) + len(self.delta_docs)

    def __contains__(self, key: str) -> bool:
        return key in self.position or any(d.key == key for d in self.delta_docs)

    # ----- querying -------------------------------------------------------------------
    def related(self, key: str, options: Options = Options()) -> list[Hit]:
        """Articles related to the indexed article ``key`` (never itself); [] if unknown."""
        with self._lock:
            if key in self.position:
                i = self.position[key]
                return self._query(self.rows[i], self.latent[i], self.docs[i], options)
            for j, d in enumerate(self.delta_docs):
                if d.key == key:
                    return self._query(self.delta_rows[j], self.delta_latent[j], d, options)
            return []

    def related_to(self, doc: Doc, options: Options = Options()) -> list[Hit]:
        """Articles related to a document that need not be indexed."""
        with self._lock:
            row = self._vector(_terms(doc))
            return self._query(row, self._project(row)[0], doc, options)

    def _all_rows(self, idx: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        n = len(self.docs)
        main = idx[idx < n]
        parts = [self.rows[main]] + [self.delta_rows[k - n] for k in idx[idx >= n]]
        lat = [self.latent[main]] + [self.delta_latent[k - n][None, :] for k in idx[idx >= n]]
        # keep the caller's order: main rows first then delta rows, as idx is sorted
        return sp.vstack(parts).tocsr(), np.vstack(lat)

    def _query(self, row: sp.csr_matrix, z: np.ndarray, doc: Doc, opt: Options) -> list[Hit]:
        n, m = len(self.docs), len(self.delta_docs)
        if n + m == 0:
            return []
        a = LEXICAL_SHARE
        # First pass over everything, with the article's strongest terms as the query.
        terms, weights = row.indices, row.data
        if len(terms) > QUERY_TERMS:
            top = np.argpartition(-weights, QUERY_TERMS)[:QUERY_TERMS]
            terms, weights = terms[top], weights[top]
        scores = np.empty(n + m, dtype=np.float32)
        if n:
            scores[:n] = a * (self.cols[:, terms] @ weights) + (1 - a) * (self.latent @ z)
            scores[:n][~self.alive] = -np.inf
        if m:
            drows = sp.vstack(self.delta_rows).tocsr()
            scores[n:] = a * (drows @ row.T).toarray().ravel() + (1 - a) * (
                np.vstack(self.delta_latent) @ z)
        keys_self = doc.key
        self_i = self.position.get(keys_self)
        if self_i is not None:
            scores[self_i] = -np.inf
        for k, d in enumerate(self.delta_docs):
            if d.key == keys_self:
                scores[n + k] = -np.inf
        c = min(CANDIDATES, int(np.isfinite(scores).sum()))
        if c <= 0:
            return []
        cand = np.argpartition(-scores, c - 1)[:c] if c < len(scores) else np.arange(len(scores))
        cand = cand[np.isfinite(scores[cand])]
        cand.sort()
        crow, clat = self._all_rows(cand)
        first = scores[cand]
        # Pseudo-relevance feedback: agree with the top few, not only with the query.
        fb = np.argsort(-first)[:FEEDBACK_DOCS]
        lex = (crow @ crow[fb].T).toarray()
        lat = clat @ clat[fb].T
        # Each feedback article counts as much as it matched, relative to the best one,
        # so a query with one real match is not dragged towards four accidental ones.
        weight = np.clip(first[fb] / max(float(first[fb[0]]), 1e-9), 0.0, 1.0)
        final = first + FEEDBACK_WEIGHT * ((a * lex + (1 - a) * lat) @ weight) / len(fb)
        final /= 1.0 + FEEDBACK_WEIGHT  # back to a cosine-like 0..1 scale for min_score
        final += self._bonus(cand, doc, opt)
        order = np.argsort(-final)
        # The threshold is on direct similarity: feedback only reorders real matches.
        order = order[first[order] >= opt.min_score]
        if opt.diversity:  # greedy: skip a candidate too close to one already chosen
            top = order[: opt.limit * 3]
            pair = (crow[top] @ crow[top].T).toarray()
            picked: list[int] = []
            for k in range(len(top)):
                if len(picked) == opt.limit:
                    break
                if not picked or pair[k, picked].max() <= NEAR_COPY:
                    picked.append(k)
            chosen = [int(top[k]) for k in picked]
        else:
            chosen = [int(o) for o in order[: opt.limit]]
        return [Hit(self._key(int(cand[o])), float(final[o])) for o in chosen]

    def _key(self, i: int) -> str:
        n = len(self.docs)
        return self.docs[i].key if i < n else self.delta_docs[i - n].key

    def _bonus(self, cand: np.ndarray, doc: Doc, opt: Options) -> np.ndarray:
        n = len(self.docs)
        bonus = np.zeros(len(cand), dtype=np.float32)
        mine = frozenset(t.lower() for t in doc.tags)
        now = _ts(doc.published)
        half = opt.recency_half_life_days
        if not mine and math.isnan(now):
            return bonus
        for k, i in enumerate(cand):
            other = self.docs[i] if i < n else self.delta_docs[i - n]
            if mine:
                tags = self.tagsets[i] if i < n else {t.lower() for t in other.tags}
                bonus[k] += TAG_BONUS * min(3, len(mine & tags))
            if half and not math.isnan(now) and other.published is not None:
                days = abs(now - _ts(other.published)) / 86400.0
                bonus[k] += opt.recency_weight * 0.5 ** (days / half)
        return bonus


def _tf_matrix(raw: Iterable[Counter[str]], vocab: dict[str, int]) -> sp.csr_matrix:
    """Sub-linear term counts, one row per article; new terms are added to ``vocab``.

    Consumes ``raw`` lazily into typed arrays: 100,000 articles' term lists as Python
    objects would cost gigabytes, as arrays they cost 8 bytes a term.
    """
    indptr, indices, data = array("q", [0]), array("i"), array("f")
    log = math.log
    for counts in raw:
        indices.extend([vocab.setdefault(term, len(vocab)) for term in counts])
        data.extend([1.0 + log(tf) for tf in counts.values()])
        indptr.append(len(indices))
    return sp.csr_matrix((np.frombuffer(data, np.float32), np.frombuffer(indices, np.int32),
                          np.frombuffer(indptr, np.int64)),
                         shape=(len(indptr) - 1, max(len(vocab), 1)))


def _ts(when: datetime | None) -> float:
    return when.timestamp() if when is not None else float("nan")


def _fit_lsa(rows: sp.csr_matrix) -> np.ndarray | None:
    """Top right singular vectors of (a sample of) the corpus; None for tiny corpora."""
    n = rows.shape[0]
    if n < 50 or rows.shape[1] < 50:
        return None
    from sklearn.utils.extmath import randomized_svd

    sample = rows
    if n > LSA_SAMPLE:
        pick = np.random.default_rng(0).choice(n, LSA_SAMPLE, replace=False)
        sample = rows[np.sort(pick)]
    k = min(LSA_DIMS, min(sample.shape) - 1)
    _, _, vt = randomized_svd(sample, k, n_iter=4, random_state=0)
    return vt.astype(np.float32)
