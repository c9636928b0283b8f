"""The ranking: which of a site's articles are related to one of them.

Scores blend two views of the text: lexical (sub-linear TF-IDF over title, description,
tags and body, with field weights, cosine) and latent: a small LSA projection of the same
vectors, learnt from the site's own articles, beside the same vectors mapped through
pretrained word vectors (``afterword.vectors``, distilled from all-MiniLM-L6-v2), which
know that "lager" is close to "pilsner" from far more text than one site has. The best
candidates are then ordered with the lexical part scored as a language model instead
(Dirichlet-smoothed likelihood of the article's words under each candidate's text): the
cosine finds them, the likelihood weighs a shared rare word against how long the candidate
is. One round of pseudo-relevance feedback then rescores them by their similarity to the top
few, which pulls in articles that agree with the neighbourhood rather than with one
accidental shared word. On a large site only articles sharing a term with the query are
candidates (each term's posting list cut to its strongest articles), and the latent view
rescores the best of them rather than every article. Recency, a minimum score and a
near-copy filter come last, so the block never shows five versions of one story or the
article itself.

The index is a main segment (scipy sparse + NumPy arrays, rebuilt in bulk) plus a small
delta of recently added articles scored in place, so adding one article costs
milliseconds; the delta is folded in when it grows past a fraction of the main segment, by
a background thread while queries go on against the current segments.
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
from afterword.vectors import load_vectors

FIELD_WEIGHTS = {"title": 3.0, "description": 2.0, "tags": 3.0, "body": 1.0}
LEXICAL_SHARE = 0.7  # the rest is the latent view
VECTOR_SHARE = 0.5  # of the latent view, the word vectors' part; the rest is LSA's
LSA_DIMS = 64  # 20NG train P@10: 0.817 at 100 dims, 0.823 at 64, and a third less work
LSA_SAMPLE = 20_000  # rows the projection is fitted on; later rows are only projected
QUERY_TERMS = 48  # an article's strongest terms are its query
POSTINGS = 1000  # a term's posting list keeps its strongest articles (impact pruning)
POOL = 1000  # articles the latent view rescores: the best lexical matches
CANDIDATES = 200  # best of those that feedback, the recency bonus and diversity look at
FEEDBACK_DOCS = 5
FEEDBACK_WEIGHT = 2.0
NEAR_COPY = 0.92  # lexical cosine above which a candidate repeats one already chosen
# Dirichlet smoothing, in the rows' sub-linear weighted counts: 20NG train P@10 0.832 / 0.835
# / 0.833 at 300 / 1,000 / 3,000 (0.828 with the cosine order), within the range where query
# likelihood does best on TREC's news collections (Zhai & Lafferty 2001, in raw counts).
LIKELIHOOD_MU = 1000.0
LIKELIHOOD_MIN_DOCS = 50  # fewer articles are no background model: the cosine orders them


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
    """An article's weighted term counts.

    A tag counts once, as its words at the tags' field weight: IDF then says how much a
    shared tag means (one on half the site, little). A "#tag" marker beside the words
    doubled a one-word tag's weight, and a flat bonus per shared tag added a third count
    that ignored how common the tag is.
    """
    counts: Counter[str] = Counter()
    for name in ("title", "description", "body"):
        weight = FIELD_WEIGHTS[name]
        for token in tokenize(getattr(doc, name)):
            counts[token] += weight
    for tag in doc.tags:
        for token in tokenize(tag):
            counts[token] += FIELD_WEIGHTS["tags"]
    return counts


class RelatedIndex:
    """An in-memory index of one site's articles; thread-safe; rebuilt from stored rows."""

    def __init__(self, merge_fraction: float = 0.1, min_merge: int = 10) -> None:
        # The delta matches only on the vocabulary of the last build: a site that started
        # with a handful of articles must not wait thousands of additions before its new
        # words count. A small site's merge costs milliseconds; a large one's stays at 10 %.
        self._lock = threading.RLock()
        self.merge_fraction = merge_fraction
        self.min_merge = min_merge
        self.version = 0
        self._generation = 0  # bumped by rebuild(): a merge of an older state is dropped
        self._merging: threading.Thread | None = None
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
        # The language model's view of the same counts: each article's length, and each
        # term's share of the site's text (its background probability). A term no article
        # has any more (removed before a merge; new articles may still bring it) counts as
        # seen once, the least a present term has, rather than as impossible.
        self.lengths = np.asarray(tf.sum(axis=1), dtype=np.float64).ravel()
        mass = np.maximum(np.asarray(tf.sum(axis=0), dtype=np.float64).ravel(), 1.0)
        self.background = mass / float(mass.sum())
        self.idf = (np.log((n + 1) / (df + 1)) + 1.0).astype(np.float32)
        weighted = tf.multiply(self.idf).tocsr()
        del tf
        # Row norms are kept instead of the term counts: counts = rows * norm / idf.
        self.norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        self.rows = (sp.diags(1.0 / np.maximum(self.norms, 1e-9)).astype(np.float32)
                     @ weighted).tocsr()
        del weighted
        self.cols = _prune_postings(self.rows.tocsc(), POSTINGS)
        self._slot = np.full(self.rows.shape[1], -1, dtype=np.int64)
        self.maps = _latent_maps(self.rows, vocab)
        self.latent = self._project(self.rows)
        # Only what ranking needs is kept: the text itself stays in the database.
        self.docs = [Doc(d.key, published=d.published) for d in docs]
        self.position = {d.key: i for i, d in enumerate(docs)}
        self.alive = np.ones(n, dtype=bool)
        self.stamps = np.array([_ts(d.published) for d in docs], dtype=np.float64)
        # Delta: articles added since the build, as sparse rows against the same vocabulary.
        self.delta_docs: list[Doc] = []
        self.delta_rows: list[sp.csr_matrix] = []
        self.delta_latent: list[np.ndarray] = []
        self.delta_raw: list[Counter[str]] = []
        self.delta_sizes: list[tuple[float, float]] = []  # (norm, length), as in _vector
        self._delta_stack: tuple[sp.csr_matrix, sp.csc_matrix] | None = None
        self._delta_latent = np.zeros((0, self.latent.shape[1]), np.float32)

    def _project(self, rows: sp.csr_matrix) -> np.ndarray:
        """Rows in the latent space: each map's part unit-length, weighted by its share.

        So one dot product of two projected rows is the share-weighted sum of the maps'
        cosines, and the parts can be stacked into one array.
        """
        total = sum(share for _, share in self.maps)
        parts = []
        for matrix, share in self.maps:
            z = np.asarray(rows @ matrix, dtype=np.float32)
            z *= np.float32(math.sqrt(share / total)) / np.maximum(
                np.linalg.norm(z, axis=1, keepdims=True), 1e-9)
            parts.append(z)
        return np.hstack(parts) if parts else np.zeros((rows.shape[0], 1), np.float32)

    def _vector(self, counts: Counter[str]) -> tuple[sp.csr_matrix, tuple[float, float]]:
        """A normalised row for a new article, with its norm and length (for _likelihood);
        terms the build never saw get the top idf."""
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
        return row, (norm, sum(1.0 + math.log(tf) for tf in counts.values()))

    def rebuild(self, docs: list[Doc]) -> None:
        with self._lock:
            self._build(docs)
            self._generation += 1
            self.version += 1

    def add(self, doc: Doc) -> None:
        """Add or replace one article; visible to the next query."""
        with self._lock:
            self._discard(doc.key)
            counts = _terms(doc)
            row, size = self._vector(counts)
            self.delta_docs.append(Doc(doc.key, published=doc.published))
            self.delta_rows.append(row)
            self.delta_latent.append(self._project(row)[0])
            self.delta_raw.append(counts)
            self.delta_sizes.append(size)
            self._delta_stack = None
            self.version += 1
            if self._merging is None and len(self.delta_docs) > max(
                    self.min_merge, self.merge_fraction * len(self.docs)):
                # Folding 10% into 100,000 articles takes seconds: readers (and this
                # caller) keep using the main index plus the delta until it is swapped in.
                self._merging = threading.Thread(target=self._merge, args=(self._generation,),
                                                 name="related-merge", daemon=True)
                self._merging.start()

    def wait_for_merge(self, timeout: float | None = None) -> None:
        """Return once a background merge, if one is running, has been swapped in."""
        merging = self._merging
        if merging is not None:
            merging.join(timeout)

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
                for lst in (self.delta_docs, self.delta_rows, self.delta_latent, self.delta_raw,
                            self.delta_sizes):
                    del lst[j]
                self._delta_stack = None
                return True
        return False

    def _merge(self, generation: int) -> None:
        """Fold the delta into a new main segment, off the lock, and swap it in."""
        try:
            with self._lock:  # a snapshot; _build replaces arrays, it never edits them
                keep = np.flatnonzero(self.alive)
                docs = [self.docs[i] for i in keep] + list(self.delta_docs)
                raw, vocab = list(self.delta_raw), dict(self.vocab)
                rows, norms, idf = self.rows, self.norms, self.idf
            delta = _tf_matrix(raw, vocab)
            main = (sp.diags(norms[keep].astype(np.float32)) @ rows[keep]
                    @ sp.diags(1.0 / idf)).tocsr()
            main.resize((len(keep), len(vocab)))
            fresh = RelatedIndex.__new__(RelatedIndex)
            fresh._build(docs, sp.vstack([main, delta]).tocsr(), vocab)
            with self._lock:
                if generation == self._generation:
                    self._swap_in(fresh, docs)
        finally:
            self._merging = None

    def _swap_in(self, fresh: RelatedIndex, merged: list[Doc]) -> None:
        """Adopt ``fresh`` (built from ``merged``), replaying what changed during the merge."""
        live = {id(self.docs[i]) for i in self.position.values()}
        live.update(id(d) for d in self.delta_docs)
        for i, doc in enumerate(merged):  # removed or replaced since the snapshot
            if id(doc) not in live:
                fresh.alive[i] = False
                del fresh.position[doc.key]
        taken = {id(d) for d in merged}
        for doc, counts in zip(self.delta_docs, self.delta_raw, strict=True):
            if id(doc) not in taken:  # added since the snapshot: re-weighted for fresh
                row, size = fresh._vector(counts)
                fresh.delta_docs.append(doc)
                fresh.delta_rows.append(row)
                fresh.delta_latent.append(fresh._project(row)[0])
                fresh.delta_raw.append(counts)
                fresh.delta_sizes.append(size)
        self.__dict__.update(fresh.__dict__)
        self.version += 1

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
                return self._query(self.rows[i], self.norms[i], self.latent[i], self.docs[i],
                                   options)
            for j, d in enumerate(self.delta_docs):
                if d.key == key:
                    return self._query(self.delta_rows[j], self.delta_sizes[j][0],
                                       self.delta_latent[j], d, options)
            return []

    def related_to(self, doc: Doc, options: Options = Options()) -> list[Hit]:
        """Articles related to a document that need not be indexed."""
        with self._lock:
            row, (norm, _) = self._vector(_terms(doc))
            return self._query(row, norm, self._project(row)[0], doc, options)

    def _delta(self) -> tuple[sp.csr_matrix, sp.csc_matrix, np.ndarray]:
        """The delta's rows (and columns) and latent vectors stacked, redone after a change."""
        if self._delta_stack is None:
            width = self.rows.shape[1]
            rows = (sp.vstack(self.delta_rows).tocsr() if self.delta_rows
                    else sp.csr_matrix((0, width), dtype=np.float32))
            self._delta_stack = (rows, _prune_postings(rows.tocsc(), POSTINGS))
            self._delta_latent = (np.vstack(self.delta_latent) if self.delta_latent
                                  else np.zeros((0, self.latent.shape[1]), np.float32))
        return *self._delta_stack, self._delta_latent

    def _gather_rows(self, ids: np.ndarray) -> _Entries:
        """The non-zero entries of articles ``ids`` (main and delta positions), by position."""
        n = len(self.docs)
        in_main = ids < n
        if in_main.all():
            return _gather(self.rows, ids)
        delta = self._delta()[0]
        parts = []
        for where, source, offset in ((np.flatnonzero(in_main), self.rows, 0),
                                      (np.flatnonzero(~in_main), delta, n)):
            seg, ind, val = _gather(source, ids[where] - offset)
            parts.append((where[seg], ind, val))
        seg, ind, val = (np.concatenate(x) for x in zip(*parts))
        order = np.argsort(seg, kind="stable")
        return seg[order], ind[order], val[order]

    def _query(self, row: sp.csr_matrix, norm: float, z: np.ndarray, doc: Doc,
               opt: Options) -> list[Hit]:
        n, m = len(self.docs), len(self.delta_docs)
        if n + m == 0:
            return []
        a = LEXICAL_SHARE
        # First pass, lexical: the article's strongest terms are the query, their (pruned)
        # posting lists summed, so only articles sharing a term are touched.
        terms, weights = row.indices, row.data
        if len(terms) > QUERY_TERMS:
            top = np.argpartition(weights, len(weights) - QUERY_TERMS)[-QUERY_TERMS:]
            terms, weights = terms[top], weights[top]
        lexical = np.zeros(n + m, dtype=np.float32)
        if n:
            seg, docs, vals = _gather(self.cols, terms)
            lexical[:n] = np.bincount(docs, vals * weights[seg], minlength=n)
        if m:
            seg, docs, vals = _gather(self._delta()[1], terms)
            lexical[n:] = np.bincount(docs, vals * weights[seg], minlength=m)
            for k, d in enumerate(self.delta_docs):
                if d.key == doc.key:
                    lexical[n + k] = -1.0
        lexical[:n][~self.alive] = -1.0
        self_i = self.position.get(doc.key)
        if self_i is not None:
            lexical[self_i] = -1.0
        # The latent view rescores a pool: all of a small site's articles, so that words
        # it relates count without a shared one; else the best of those sharing a term, as
        # a product over every article would cost more than the rest of the query at
        # 100,000. (Among the touched ones only: argpartition slows down on tied zeros.)
        cand = np.flatnonzero(lexical >= 0 if n + m <= POOL else lexical > 0)
        if not len(cand):
            return []
        if len(cand) > POOL:
            cand = np.sort(cand[np.argpartition(lexical[cand], len(cand) - POOL)[-POOL:]])
        latent = np.vstack([self.latent[cand[cand < n]], self._delta()[2][cand[cand >= n] - n]])
        near = latent @ z
        first = a * lexical[cand] + (1 - a) * near
        if len(cand) > CANDIDATES:
            best = np.sort(np.argpartition(first, len(first) - CANDIDATES)[-CANDIDATES:])
            cand, latent, first, near = cand[best], latent[best], first[best], near[best]
        entries = self._gather_rows(cand)
        # The threshold stays on the cosine (its scale is the one min_score is set in);
        # the order from here on is the likelihood's.
        direct = first
        if self.n_docs_at_build >= LIKELIHOOD_MIN_DOCS:
            first = a * self._likelihood(cand, entries, row, norm) + (1 - a) * near
        # Pseudo-relevance feedback: agree with the top few, not only with the query.
        fb = np.argsort(-first)[:FEEDBACK_DOCS]
        lex = _dots(entries, len(cand), self._gather_rows(cand[fb]), len(fb), self._slot)
        lat = latent @ latent[fb].T
        # Each feedback article counts as much as it matched, relative to the best one,
        # so a query with one real match is not dragged towards four accidental ones.
        weight = np.clip(first[fb] / max(float(first[fb[0]]), 1e-9), 0.0, 1.0)
        final = first + FEEDBACK_WEIGHT * ((a * lex + (1 - a) * lat) @ weight) / len(fb)
        final /= 1.0 + FEEDBACK_WEIGHT  # back to a cosine-like 0..1 scale for min_score
        final += self._recency(cand, doc, opt)
        order = np.argsort(-final)
        # The threshold is on direct similarity: feedback only reorders real matches.
        order = order[direct[order] >= opt.min_score]
        if opt.diversity:  # greedy: skip a candidate too close to one already chosen
            top = order[: opt.limit * 3]
            pair = _self_dots(self._gather_rows(cand[top]), len(top))
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

    def _likelihood(self, cand: np.ndarray, entries: _Entries, row: sp.csr_matrix,
                    norm: float) -> np.ndarray:
        """Each candidate's Dirichlet-smoothed log-likelihood of the query article's words
        (Zhai & Lafferty's query likelihood, up to a per-query constant), relative to the
        article's own.

        A cosine divides by both lengths: a long candidate that mentions the article's rare
        name once is diluted by everything else it says, and a short one matching a common
        word ranks high. The likelihood counts each shared word by how much more often the
        candidate uses it than the site does (so a shared rare word counts most), and
        charges length once, through the smoothing. Counts are the sub-linear ones the rows
        were built from (rows x norm / idf).
        """
        n, mu = len(self.docs), LIKELIHOOD_MU
        # cand is ascending: the main segment's positions come first, then the delta's.
        sizes = np.array([self.delta_sizes[i - n] for i in cand[cand >= n]]).reshape(-1, 2)
        scale = np.concatenate([self.norms[cand[cand < n]], sizes[:, 0]])
        length = np.concatenate([self.lengths[cand[cand < n]], sizes[:, 1]])
        terms = row.indices
        idf = self.idf[terms]
        query = row.data * norm / idf
        # Per query term, what turns a candidate's row value into count / (mu * background):
        # every look-up below is then into arrays of the query's size, not the vocabulary's.
        factor = 1.0 / (idf * (mu * self.background[terms]))
        seg, ind, val = entries
        hit, pos = _matches(ind, terms, self._slot)
        seg = seg[hit]
        shared = query[pos] * np.log1p(val[hit] * scale[seg] * factor[pos])
        total = float(query.sum())
        score = total * np.log(mu / (length + mu)) + np.bincount(seg, shared,
                                                                minlength=len(cand))
        own = float(query @ np.log1p(query * idf * factor)) + total * math.log(mu / (total + mu))
        return score / max(abs(own), 1e-9)

    def _key(self, i: int) -> str:
        n = len(self.docs)
        return self.docs[i].key if i < n else self.delta_docs[i - n].key

    def _recency(self, cand: np.ndarray, doc: Doc, opt: Options) -> np.ndarray:
        """A bonus for candidates published close in time to ``doc`` (0 without dates)."""
        n = len(self.docs)
        now, half = _ts(doc.published), opt.recency_half_life_days
        if not half or math.isnan(now):
            return np.zeros(len(cand), dtype=np.float32)
        stamps = np.array([_ts(self.delta_docs[i - n].published) for i in cand[cand >= n]])
        days = np.abs(now - np.concatenate([self.stamps[cand[cand < n]], stamps])) / 86400.0
        # Articles without a date get no recency bonus (nan -> 0).
        return np.nan_to_num(opt.recency_weight * 0.5 ** (days / half)).astype(np.float32)


_Entries = tuple[np.ndarray, np.ndarray, np.ndarray]  # (position, term, weight), by position


def _gather(matrix: sp.csr_matrix | sp.csc_matrix, major: np.ndarray) -> _Entries:
    """The stored entries of rows (CSR) or columns (CSC) ``major``, without SciPy's slicing.

    SciPy's fancy indexing validates and copies through several layers, which costs more than
    the arithmetic for the few hundred rows a query touches; this is the same gather as flat
    array operations.
    """
    starts = matrix.indptr[major]
    lengths = matrix.indptr[major + 1] - starts
    seg = np.repeat(np.arange(len(major)), lengths)
    pos = np.arange(len(seg)) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return seg, matrix.indices[pos], matrix.data[pos]


def _prune_postings(cols: sp.csc_matrix, keep: int) -> sp.csc_matrix:
    """``cols`` with each column cut to its ``keep`` largest entries.

    A common term's list at 100,000 articles holds tens of thousands of entries, and a query
    would sum all of them; the articles where the term weighs least are also the least
    likely to be among the best matches (impact-ordered pruning), and the rows keep the
    full vectors for everything after the first pass.
    """
    lengths = np.diff(cols.indptr)
    long = np.flatnonzero(lengths > keep)
    if not len(long):
        return cols
    mask = np.ones(cols.nnz, dtype=bool)
    for j in long:
        start, end = cols.indptr[j], cols.indptr[j + 1]
        weak = np.argpartition(cols.data[start:end], end - start - keep)[: end - start - keep]
        mask[start + weak] = False
    indptr = np.concatenate([[0], np.cumsum(np.minimum(lengths, keep))])
    return sp.csc_matrix((cols.data[mask], cols.indices[mask], indptr), shape=cols.shape)


def _dots(left: _Entries, n_left: int, right: _Entries, n_right: int,
          slot: np.ndarray) -> np.ndarray:
    """Dot products of every gathered row in ``left`` with every one in ``right`` (a few)."""
    seg_r, ind_r, val_r = right
    terms, inverse = np.unique(ind_r, return_inverse=True)
    dense = np.zeros((len(terms), n_right), np.float32)
    dense[inverse, seg_r] = val_r
    seg_l, ind_l, val_l = left
    hit, pos = _matches(ind_l, terms, slot)
    # The left rows restricted to those terms, as a small CSR times a dense block (SciPy's
    # C loop); entries are grouped by row already, as _gather returns them.
    counts = np.bincount(seg_l[hit], minlength=n_left)
    shared = sp.csr_matrix((val_l[hit], pos, np.concatenate([[0], np.cumsum(counts)])),
                           shape=(n_left, len(terms)))
    return shared @ dense


def _matches(ind: np.ndarray, terms: np.ndarray,
             slot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which entries (their positions in ``ind``) have a term among ``terms``, and where in
    ``terms`` it is.

    ``slot`` is a vocabulary-sized scratch array of -1s (left as found): it maps each term
    to its position, so matching entries is one array lookup rather than a search. The
    matches are few of many: gathering them by index beats three boolean masks.
    """
    slot[terms] = np.arange(len(terms))
    pos = slot[ind]
    slot[terms] = -1
    hit = np.flatnonzero(pos >= 0)
    return hit, pos[hit]


def _self_dots(entries: _Entries, n: int) -> np.ndarray:
    """All pairwise dot products of a few gathered rows, as a small dense product."""
    seg, ind, val = entries
    terms, inverse = np.unique(ind, return_inverse=True)
    dense = np.zeros((n, len(terms)), np.float32)
    dense[seg, inverse] = val
    return dense @ dense.T


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


def _latent_maps(rows: sp.csr_matrix, vocab: dict[str, int]) -> list[tuple[np.ndarray, float]]:
    """Term -> latent-space matrices (vocabulary x dims) with their shares of the view."""
    maps = []
    if VECTOR_SHARE > 0:
        maps.append((_term_vectors(vocab, rows.shape[1]), VECTOR_SHARE))
    lsa = _fit_lsa(rows) if VECTOR_SHARE < 1 else None
    if lsa is not None:
        maps.append((lsa, 1.0 - VECTOR_SHARE))
    return maps


def _term_vectors(vocab: dict[str, int], width: int) -> np.ndarray:
    """Each term's pretrained vector (the mean of its WordPiece pieces), unit length.

    Unit length because the row weights already say how much a term counts (TF-IDF); the
    vectors should add only the direction. Tag markers ("#lager") have none: the tag's
    words are indexed as words too.
    """
    vectors = load_vectors()
    # Terms x pieces, summed in one sparse product (the direction of the sum is the mean's):
    # a NumPy call per term cost twice as much, in Python, beside readers during a merge.
    term_of, piece_of = array("i"), array("i")
    for term, j in vocab.items():
        if not term.startswith("#"):
            ids = vectors.token_ids(term)
            term_of.extend([j] * len(ids))
            piece_of.extend(ids)
    pieces = sp.csr_matrix((np.ones(len(term_of), np.float32), (term_of, piece_of)),
                           shape=(width, len(vectors.vectors)))
    out = np.asarray(pieces @ vectors.vectors, dtype=np.float32)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    return out


def _fit_lsa(rows: sp.csr_matrix) -> np.ndarray | None:
    """Top right singular vectors of (a sample of) the corpus, as vocabulary x dims; None
    for tiny corpora."""
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
    return np.ascontiguousarray(vt.T, dtype=np.float32)
