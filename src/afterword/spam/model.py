"""The learned text model: hashed word and character n-grams into a linear classifier.

Why this shape:

* **Hashing, not a vocabulary.** Features are hashes of words (CRC-32) and of character
  n-grams (a polynomial hash computed for all n-grams of a text at once, in NumPy) into a
  fixed space, so the model is just a weight vector: small on disk, no vocabulary to load, and the same
  feature indices can carry a per-site weight delta (see :meth:`BaseModel.features`), which
  is how the engine learns each site's taste on top of the shipped model.
* **Normalised text.** Everything is computed on :func:`normalize_text` output, so
  ``𝑺𝑳𝑶𝑻 𝟖𝟖``, ``s l o t 8 8`` and ``slot88`` are the same tokens; the fact that the raw
  text *was* styled is kept as a separate signal token, because styling itself is a tell.
* **Digits folded to 0 in character n-grams**, so every phone number or promo code
  shares n-grams ("00000") while the word n-grams keep the literal value.
* **One code path.** Training, batch scoring and the single-comment hot path all go
  through :func:`_hashed_features`, so what is measured is what runs.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
import unicodedata
import zlib
from collections.abc import Sequence
from itertools import repeat
from pathlib import Path
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from afterword.spam.normalize import extract_urls, normalize_text

__all__ = ["MODEL_FILE", "BaseModel", "FeatureVector", "load_base_model"]

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_FILE = "base_model.npz"
# Spam is decided in the first few thousand characters; capping bounds the cost of a
# megabyte-long submission on the hot path.
MAX_CHARS = 5000
N_BITS = 20

_WORD = re.compile(r"\w+")
_WORD_BYTES = re.compile(rb"\w+")
_DIGIT = re.compile(r"\d")
_PHONE = re.compile(r"(?<!\d)\+?\d[\d \-]{6,}\d(?!\d)")
_MONEY = re.compile(r"[£$€¥₹]|\b(?:rp|usd|gbp|eur)\.? ?\d", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_MATHALNUM = re.compile("[\U0001d400-\U0001d7ff]")
_COMBINING = re.compile("[\u0300-\u036f]")


class FeatureVector(NamedTuple):
    """Sparse hashed features of one text: ``indices`` into a space of ``2**N_BITS``.

    The indices come block by block (words and word pairs, character n-grams, signal
    tokens), sorted within each; an index may occur in two blocks (the values then add).
    Every feature of a block has the same value, so the values are made only when asked
    for: most checks (a site that has learned nothing) need just the dot product. A named
    tuple, as one is made on every check and a frozen dataclass's ``__init__`` costs a
    microsecond of attribute setting.
    """

    indices: np.ndarray  # int64
    sizes: tuple[int, int, int]  # features per block

    @property
    def values(self) -> np.ndarray:  # float64
        return np.repeat(_block_values(self.sizes), self.sizes)

    def dot(self, weights: np.ndarray) -> float:
        """Each block's value times the sum of its weights: one running sum, read at the
        block ends, where a values array and a product cost five numpy calls."""
        running = np.add.accumulate(weights.take(self.indices), dtype=np.float64)
        total = before = 0.0
        end = 0
        for size, value in zip(self.sizes, _block_values(self.sizes), strict=True):
            if size:
                end += size
                upto = running.item(end - 1)
                total += value * (upto - before)
                before = upto
        return total


def _block_values(sizes: tuple[int, int, int]) -> list[float]:
    """Each block is a binary bag scaled to length ``_BLOCK_WEIGHT`` (L2) on its own."""
    return [weight / math.sqrt(max(size, 1)) for size, weight in zip(sizes, _BLOCK_WEIGHT)]


_U64 = np.uint64
_P = _U64(0x100000001B3)  # FNV-64 prime: a cheap polynomial rolling hash over code points
_SEED = _U64(0xCBF29CE484222325)  # FNV-64 offset basis
_MIX = _U64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, for multiplicative hashing
# Block numbers: words and word pairs (0), character n-grams (1), signal tokens (2). The
# block number is added to a hash before mixing: the same hash in two blocks is two features.
_CHAR_BLOCK = 1
_SIGNAL_BLOCK = 2
# Columns, to broadcast along the rows of _char_hashes' n-gram matrix: each length's seed,
# plus the block number.
_GRAM_SEEDS = np.array([[(int(_SEED) * n + _CHAR_BLOCK) % (1 << 64)] for n in range(2, 6)], _U64)
_POWERS = np.cumprod(np.r_[1, np.full(4, _P)].astype(_U64))[:, None]  # P**0 .. P**4, mod 2**64
_NO_HASHES = np.zeros(0, _U64)
_BLOCK_WEIGHT = (1.0, 1.0, 0.5)  # words, character n-grams, signal tokens
_DIGITS = b"0123456789"
_CAPITALS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTERS = _CAPITALS + _CAPITALS.lower()


def _word_hashes(low: str) -> list[int]:
    """CRC-32 of each word of ``low`` and of each pair of neighbours joined by a space.

    A pair's CRC is its first word's CRC continued over the space and the second word
    (``crc32(b, crc32(a + " "))`` is ``crc32(a + " " + b)``), so no pair string is built,
    and every CRC is computed by ``map`` in C: on a comment's few dozen words a Python loop
    per word was a tenth of the text model's cost. ASCII text (most comments) is matched
    as bytes, where ``\\w`` means what it means for an ASCII ``str``, so no word is encoded
    on its own.
    """
    if low.isascii():
        words = _WORD_BYTES.findall(low.encode())
    else:
        words = [w.encode("utf-8", "surrogatepass") for w in _WORD.findall(low)]
    crcs = list(map(zlib.crc32, words))
    spaced = list(map(zlib.crc32, repeat(b" ", len(crcs) - 1), crcs))
    return crcs + list(map(zlib.crc32, words[1:], spaced))


def _char_hashes(low: str) -> tuple[np.ndarray, np.ndarray]:
    """Hashes (plus the block number) of all character 2..5-grams of each space-padded word
    (sklearn's char_wb): those of the bigrams, then those of the longer n-grams.

    Vectorised over the whole text: row k of a window matrix holds, for every position, the
    code point k places after it, and a running sum down the rows of ``code * P**k`` is the
    polynomial hash of every n-gram starting there. An n-gram counts when it stays inside
    one padded word, i.e. reaches at most to the next space. A long comment costs a few
    array operations, not a Python loop per n-gram, which is what keeps the p99 of a check
    low. Five rows of the text's length, not a row of five per position: numpy's running
    sums loop once per row, so the long axis must be the inner one. (One matrix product with
    a triangle of powers makes the same hashes in one call, but in more instructions.)
    """
    words = (_DIGIT.sub("0", low) if _DIGIT.search(low) else low).split()
    if not words:
        return _NO_HASHES, _NO_HASHES
    # The last word's closing space, then four more so that every window is whole.
    padded = " " + " ".join(words) + "     "
    codes = np.frombuffer(padded.encode("utf-32-le", "surrogatepass"), np.uint32)
    # Positions up to the closing space (from it, nothing of two characters fits); row k is
    # codes[k:k + n], a view of the same memory.
    n = len(codes) - 5
    windows = np.ndarray((5, n), np.uint32, codes, 0, (4, 4))
    grams = np.add.accumulate(windows * _POWERS, axis=0)[1:]  # np.cumsum's ufunc
    grams += _GRAM_SEEDS
    # An n-gram fits in its padded word when none of its inner characters is a space: row
    # by row, each longer n-gram needs one more (a running "and" down the rows was slower).
    letters = codes != 32
    fits = np.empty((3, n), bool)
    fits[0] = letters[1 : n + 1]
    np.logical_and(fits[0], letters[2 : n + 2], out=fits[1])
    np.logical_and(fits[1], letters[3 : n + 3], out=fits[2])
    return grams[0], grams[1:][fits]


def _signal_tokens(raw: str, norm: str, links: int | None = None) -> list[str]:
    """Coarse facts about a text that n-grams see poorly: links, phone numbers, styling.

    ``links`` is ``len(extract_urls(norm))`` when the caller counted them already.
    """
    tokens = []
    if links is None:
        links = len(extract_urls(norm))  # it skips, itself, texts that hold no URL
    if links:
        tokens += ["url", f"url{min(links, 3)}"]
    if "@" in norm and _EMAIL.search(norm):
        tokens.append("email")
    if norm.isascii():
        ascii_norm = norm.encode()
        digits = len(ascii_norm) - len(ascii_norm.translate(None, _DIGITS))
    else:
        digits = len(_DIGIT.findall(norm))
    if digits >= 8 and _PHONE.search(norm):  # the pattern needs eight digits at least
        tokens.append("phone")
    # A money match needs a digit or a currency sign ("$", or one outside ASCII).
    if (digits or "$" in norm or not norm.isascii()) and _MONEY.search(norm):
        tokens.append("money")
    if _mostly_capitals(raw):
        tokens.append("caps")
    if not raw.isascii():
        if _MATHALNUM.search(raw):
            tokens.append("mathalnum")
        if _COMBINING.search(raw):
            tokens.append("combining")
        if not unicodedata.is_normalized("NFKC", raw):
            tokens.append("compat")
    tokens.append(f"len{min(len(norm).bit_length(), 11)}")
    if digits:
        tokens.append(f"dig{min(digits.bit_length(), 6)}")
    return tokens


def _mostly_capitals(raw: str) -> bool:
    """More than half of the letters (at least six) are capitals."""
    if raw.isascii():
        data = raw.encode()
        letters = len(data) - len(data.translate(None, _LETTERS))
        capitals = len(data) - len(data.translate(None, _CAPITALS))
    else:
        letters = sum(map(str.isalpha, raw))  # map: no generator frame per character
        capitals = sum(map(str.isupper, raw))
    return letters > 5 and capitals * 2 > letters


@functools.lru_cache(maxsize=8)
def _bits(n_bits: int) -> tuple[np.uint64, np.uint64]:
    """The shift that keeps the top ``n_bits`` of a mixed hash, and the character block's
    tag above them, as numpy scalars made once (not on every text)."""
    return _U64(64 - n_bits), _U64(_CHAR_BLOCK << n_bits)


@functools.lru_cache(maxsize=256)
def _signal_key(token: str, n_bits: int) -> int:
    """A signal token's sort key (see :func:`_hashed_features`), computed as it does for the
    other blocks. The tokens are few and repeat on every text: each is computed once."""
    mixed = (zlib.crc32(token.encode()) + _SIGNAL_BLOCK) * int(_MIX) % (1 << 64)
    return mixed >> (64 - n_bits) | _SIGNAL_BLOCK << n_bits


def _hashed_features(
    raw: str, n_bits: int = N_BITS, normalized: str | None = None, links: int | None = None
) -> FeatureVector:
    """The features of one text.

    Three blocks, each a binary bag L2-normalised within itself: words and word pairs,
    character n-grams, signal tokens (at half weight). ``normalized`` lets a caller that
    already ran :func:`normalize_text` on ``raw`` skip the second pass (only the first
    ``MAX_CHARS`` of it are used), and ``links``, the number of URLs the caller found in
    all of ``normalized``, skips the second URL scan when nothing was cut off.
    """
    raw = raw[:MAX_CHARS]
    if normalized is None:
        norm, links = normalize_text(raw), None
    else:
        if len(normalized) > MAX_CHARS:
            links = None  # counted over more text than the model reads
        norm = normalized[:MAX_CHARS]
    low = norm.lower()[:MAX_CHARS]  # lower-casing can lengthen a text a little
    words = _word_hashes(low)
    bigrams, longer = _char_hashes(low)
    signals = [_signal_key(token, n_bits) for token in _signal_tokens(raw, norm, links)]
    # Multiplicative (Fibonacci) hashing: the top bits of the product depend on every bit of
    # the hash. One sort for all blocks: the block number, added to a hash before mixing,
    # also sits above the index, so a word and an n-gram in the same bucket stay two
    # features, while repeats within a block collapse (binary bags). Done in place, one
    # array for all blocks: on a short comment each numpy call costs more than its work.
    n_words, n_mixed = len(words), len(words) + len(bigrams) + len(longer)
    keys = np.empty(n_mixed + len(signals), _U64)
    keys[:n_words] = words
    np.concatenate((bigrams, longer), out=keys[n_words:n_mixed])
    mixed = keys[:n_mixed]
    shift, tag = _bits(n_bits)
    mixed *= _MIX
    mixed >>= shift
    keys[n_words:n_mixed] |= tag
    keys[n_mixed:] = signals
    keys.sort()
    first = np.empty(len(keys), bool)
    first[0] = True  # never empty: every text has a length token
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    keys = keys[first].view(np.int64)
    # Sorted by block, so each block is one run of keys.
    words_end, chars_end = keys.searchsorted((1 << n_bits, 2 << n_bits)).tolist()
    keys &= (1 << n_bits) - 1
    return FeatureVector(keys, (words_end, chars_end - words_end, len(keys) - chars_end))


class BaseModel:
    """Logistic regression over hashed text features, scikit-learn style.

    The whole model is one float32 weight vector over the hashed space plus an intercept:
    it pickles cleanly, saves as one small ``.npz`` and scores a text with one gather.
    (A mixture of per-data-set experts with a learned gate was tried and dropped: the gate
    could not tell YouTube comments from SMS well enough, and the mixture scored below a
    single model on every fold.)
    """

    def __init__(self, C: float = 30.0, n_bits: int = N_BITS):
        self.C = C
        self.n_bits = n_bits
        self.coef_: np.ndarray | None = None
        self.intercept_ = 0.0

    # -- features ---------------------------------------------------------------------------
    def features(self, text: str) -> FeatureVector:
        """Hashed features of one text, for per-site learning on top of the base model.

        A per-site model is a sparse weight vector over the same ``2**n_bits`` indices; its
        logit ``FeatureVector.dot(w)`` adds to :meth:`logit_one`.
        """
        return _hashed_features(text, self.n_bits)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Hashed feature matrix; stateless, so one matrix can serve many fits."""
        rows = [_hashed_features(text, self.n_bits) for text in texts]
        indptr = np.cumsum([0] + [len(r.indices) for r in rows])
        indices = np.concatenate([r.indices for r in rows]) if rows else np.zeros(0, np.int64)
        values = np.concatenate([r.values for r in rows]) if rows else np.zeros(0)
        X = sp.csr_matrix((values, indices, indptr), shape=(len(texts), 1 << self.n_bits))
        X.sum_duplicates()
        return X

    # -- training -----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> BaseModel:
        return self.fit_features(self.transform(texts), labels)

    def fit_features(self, X: sp.csr_matrix, labels: Sequence[int]) -> BaseModel:
        """Fit on an already hashed matrix (see :meth:`transform`).

        NB-LR (Wang & Manning 2012): each feature is first scaled by its naive-Bayes
        log-count ratio, so the regulariser shrinks uninformative n-grams harder than telling
        ones. This beat plain logistic regression on F1 and MCC on every fixed split. The
        scaling is folded into the stored weights, so scoring costs nothing extra.
        """
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(labels, dtype=np.int64)
        present = (X > 0).astype(np.float64)
        spam = np.asarray(present[y == 1].sum(axis=0)).ravel() + 1.0
        ham = np.asarray(present[y == 0].sum(axis=0)).ravel() + 1.0
        ratio = np.log(spam / spam.sum()) - np.log(ham / ham.sum())
        clf = LogisticRegression(C=self.C, solver="liblinear", max_iter=5000)
        clf.fit(X @ sp.diags(ratio), y)
        self.coef_ = (clf.coef_.ravel() * ratio).astype(np.float32)
        self.intercept_ = float(clf.intercept_[0])
        return self

    # -- scoring ------------------------------------------------------------------------------
    def _weights(self) -> np.ndarray:
        if self.coef_ is None:
            raise RuntimeError("model is not trained")
        return self.coef_

    def decision_function_features(self, X: sp.csr_matrix) -> np.ndarray:
        return np.asarray(X @ self._weights(), dtype=np.float64) + self.intercept_

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Spam log-odds of each text."""
        return self.decision_function_features(self.transform(texts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Spam probability of each text (1-D array)."""
        return _sigmoid(self.decision_function(texts))

    def predict_proba_features(self, X: sp.csr_matrix) -> np.ndarray:
        return _sigmoid(self.decision_function_features(X))

    def logit_one(self, text: str) -> float:
        """Log-odds of spam for one text: the fast path the engine calls on every check."""
        return _hashed_features(text, self.n_bits).dot(self._weights()) + self.intercept_

    def logit_and_features(
        self, text: str, normalized: str | None = None, links: int | None = None
    ) -> tuple[float, FeatureVector]:
        """Log-odds and hashed features of one text from a single pass over it.

        For callers that need both (per-site learning) and may already hold the
        :func:`normalize_text` output of ``text`` and the number of URLs in it
        (``len(extract_urls(normalized))``); saves normalising, scanning and hashing twice.
        """
        vector = _hashed_features(text, self.n_bits, normalized, links)
        return vector.dot(self._weights()) + self.intercept_, vector

    def score_one(self, text: str) -> float:
        return float(_sigmoid(np.float64(self.logit_one(text))))

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the weights as a compressed ``.npz`` (no pickle: loading runs no code).

        Only non-zero weights are stored, as float16: the rounding moves a logit by far less
        than any threshold decision needs, and keeps the shipped file small.
        """
        weights = self._weights()
        nonzero = np.flatnonzero(weights).astype(np.uint32)
        meta = {"format": 1, "C": self.C, "n_bits": self.n_bits, "intercept": self.intercept_}
        with open(path, "wb") as handle:
            np.savez_compressed(
                handle,
                index=nonzero,
                weight=weights[nonzero].astype(np.float16),
                meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
            )

    @classmethod
    def load(cls, path: str | Path) -> BaseModel:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta.get("format") != 1:
                raise ValueError(f"{path}: unknown model format {meta.get('format')!r}")
            model = cls(C=meta["C"], n_bits=meta["n_bits"])
            weights = np.zeros(1 << model.n_bits, np.float32)
            weights[data["index"]] = data["weight"].astype(np.float32)
        model.coef_ = weights
        model.intercept_ = float(meta["intercept"])
        return model


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))


_cache: BaseModel | None = None
_lock = threading.Lock()


def load_base_model() -> BaseModel:
    """The model shipped in ``afterword/spam/data/``, loaded once per process."""
    global _cache
    if _cache is None:
        with _lock:
            if _cache is None:
                _cache = BaseModel.load(DATA_DIR / MODEL_FILE)
    return _cache
