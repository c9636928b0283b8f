"""The learned text model: hashed word and character n-grams into a linear classifier.

Why this shape:

* **Hashing, not a vocabulary.** Features are CRC-32 hashes of n-grams into a fixed space,
  so the model is just a weight vector: small on disk, no vocabulary to load, and the same
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

import json
import re
import threading
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from afterword.spam.normalize import extract_urls, normalize_text

__all__ = ["BaseModel", "FeatureVector", "load_base_model", "MODEL_FILE"]

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_FILE = "base_model.npz"
# Spam is decided in the first few thousand characters; capping bounds the cost of a
# megabyte-long submission on the hot path.
MAX_CHARS = 5000
N_BITS = 20

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_PHONE = re.compile(r"(?<!\d)\+?\d[\d \-]{6,}\d(?!\d)")
_MONEY = re.compile(r"[£$€¥₹]|\b(?:rp|usd|gbp|eur)\.? ?\d", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@dataclass(frozen=True, slots=True)
class FeatureVector:
    """Sparse hashed features of one text: ``indices`` into a space of ``2**N_BITS``."""

    indices: np.ndarray  # int64
    values: np.ndarray  # float64

    def dot(self, weights: np.ndarray) -> float:
        return float(weights[self.indices] @ self.values)


def _signal_tokens(raw: str, norm: str) -> list[str]:
    """Coarse facts about a text that n-grams see poorly: links, phone numbers, styling."""
    tokens = []
    urls = extract_urls(norm)
    if urls:
        tokens += ["url", f"url{min(len(urls), 3)}"]
    if _EMAIL.search(norm):
        tokens.append("email")
    if _PHONE.search(norm):
        tokens.append("phone")
    if _MONEY.search(norm):
        tokens.append("money")
    letters = sum(c.isalpha() for c in raw)
    if letters > 5 and sum(c.isupper() for c in raw) * 2 > letters:
        tokens.append("caps")
    if not raw.isascii():
        if any("\U0001d400" <= c <= "\U0001d7ff" for c in raw):
            tokens.append("mathalnum")
        if any("\u0300" <= c <= "\u036f" for c in raw):
            tokens.append("combining")
        if unicodedata.normalize("NFKC", raw) != raw:
            tokens.append("compat")
    tokens.append(f"len{min(len(norm).bit_length(), 11)}")
    digits = len(_DIGIT.findall(norm))
    if digits:
        tokens.append(f"dig{min(digits.bit_length(), 6)}")
    return tokens


def _block(tokens: set[str], prefix: str, weight: float, mask: int, out: dict[int, float]):
    """Binary bag of ``tokens``, L2-normalised within its block, hashed into ``out``."""
    if not tokens:
        return
    value = weight / len(tokens) ** 0.5
    for token in tokens:
        index = zlib.crc32((prefix + token).encode("utf-8", "surrogatepass")) & mask
        out[index] = out.get(index, 0.0) + value


def _hashed_features(raw: str, n_bits: int = N_BITS) -> dict[int, float]:
    raw = raw[:MAX_CHARS]
    norm = normalize_text(raw)
    low = norm.lower()
    mask = (1 << n_bits) - 1
    out: dict[int, float] = {}

    words = _WORD.findall(low)
    word_grams = set(words)
    word_grams.update(f"{a} {b}" for a, b in zip(words, words[1:]))
    _block(word_grams, "w:", 1.0, mask, out)

    # Character n-grams inside word boundaries (scikit-learn's char_wb, n = 2..5).
    char_grams: set[str] = set()
    for word in _DIGIT.sub("0", low).split():
        padded = f" {word} "
        size = len(padded)
        for n in range(2, 6):
            if n > size:
                break
            char_grams.update(padded[i : i + n] for i in range(size - n + 1))
    _block(char_grams, "c:", 1.0, mask, out)

    _block(set(_signal_tokens(raw, norm)), "s:", 0.5, mask, out)
    return out


class BaseModel:
    """Linear model over hashed text features; scikit-learn style ``fit``/``predict_proba``.

    ``coef_`` is a dense float32 vector over the hashed space and ``intercept_`` a float, so
    the whole model is one array: it pickles cleanly and loads with :func:`numpy.load`.
    """

    def __init__(self, C: float = 30.0, n_bits: int = N_BITS):
        self.C = C
        self.n_bits = n_bits
        self.coef_: np.ndarray | None = None
        self.intercept_ = 0.0

    # -- features ---------------------------------------------------------------------------
    def features(self, text: str) -> FeatureVector:
        """Hashed features of one text, for per-site learning on top of the base weights.

        A per-site model is a sparse weight dict over the same indices; its logit
        ``sum(w[i] * v)`` adds to :meth:`logit_one`.
        """
        feats = _hashed_features(text, self.n_bits)
        return FeatureVector(
            np.fromiter(feats.keys(), np.int64, len(feats)),
            np.fromiter(feats.values(), np.float64, len(feats)),
        )

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        indptr, indices, values = [0], [], []
        for text in texts:
            feats = _hashed_features(text, self.n_bits)
            indices.extend(feats.keys())
            values.extend(feats.values())
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.asarray(values, np.float64), np.asarray(indices, np.int64), indptr),
            shape=(len(texts), 1 << self.n_bits),
        )

    # -- training -----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[int], sample_weight=None) -> BaseModel:
        return self.fit_features(self.transform(texts), labels, sample_weight)

    def fit_features(self, X: sp.csr_matrix, labels, sample_weight=None) -> BaseModel:
        """Fit on an already hashed matrix (features are stateless, so callers can reuse one)."""
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=self.C, solver="liblinear", max_iter=5000)
        clf.fit(X, np.asarray(labels), sample_weight=sample_weight)
        self.coef_ = clf.coef_.ravel().astype(np.float32)
        self.intercept_ = float(clf.intercept_[0])
        return self

    # -- scoring ------------------------------------------------------------------------------
    def _weights(self) -> np.ndarray:
        if self.coef_ is None:
            raise RuntimeError("model is not trained")
        return self.coef_

    def decision_function_features(self, X: sp.csr_matrix) -> np.ndarray:
        return X @ self._weights() + self.intercept_

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        return self.decision_function_features(self.transform(texts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Spam probability of each text (1-D array)."""
        return _sigmoid(self.decision_function(texts))

    def logit_one(self, text: str) -> float:
        """Log-odds of spam for one text: the fast path the engine calls on every check."""
        weights = self._weights()
        total = self.intercept_
        for index, value in _hashed_features(text, self.n_bits).items():
            total += weights[index] * value
        return float(total)

    def score_one(self, text: str) -> float:
        return float(_sigmoid(np.float64(self.logit_one(text))))

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the weights as a compressed ``.npz`` (no pickle: loading runs no code)."""
        weights = self._weights()
        nonzero = np.flatnonzero(weights).astype(np.uint32)
        meta = {"C": self.C, "n_bits": self.n_bits, "intercept": self.intercept_, "format": 1}
        with open(path, "wb") as handle:
            np.savez_compressed(
                handle,
                index=nonzero,
                weight=weights[nonzero].astype(np.float16),
                meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
            )

    @classmethod
    def load(cls, path) -> BaseModel:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
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
