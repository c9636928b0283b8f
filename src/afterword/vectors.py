"""Static word vectors distilled from all-MiniLM-L6-v2, with its WordPiece tokenizer in Python.

Why: a model trained on a few thousand comments knows nothing of the words it never saw;
these vectors (see ``tools/distill_vectors.py`` and ``data/vectors/PROVENANCE.md``) place
an unseen word near the seen ones it resembles, at the cost of a dictionary look-up per word.
No ``tokenizers`` or ``transformers`` at run time: the tokenizer below reproduces BERT's
uncased one (lower-case, accents stripped, split on whitespace and punctuation, greedy
longest-match WordPiece) closely enough for averaging, and caches each word's pieces.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

import numpy as np

__all__ = ["VECTORS_FILE", "StaticVectors", "load_vectors"]

VECTORS_FILE = Path(__file__).resolve().parent / "data" / "vectors" / "minilm-static.npz"
_MAX_WORD = 100  # BERT's limit: a longer "word" is one unknown piece
_CACHE_WORDS = 1 << 16


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


def _kept(char: str) -> bool:
    """Accents (Mn) and control or format characters (C*, e.g. a byte-order mark) go."""
    if char.isspace():
        return True
    category = unicodedata.category(char)
    return category != "Mn" and category[0] != "C"


def basic_words(text: str) -> list[str]:
    """BERT's basic tokenisation: lower-case, strip accents, split off punctuation and CJK."""
    text = text.lower()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFD", text) if _kept(c))
        text = "".join(f" {c} " if _is_cjk(ord(c)) else c for c in text)
    words: list[str] = []
    for chunk in text.split():
        if chunk.isalnum():
            words.append(chunk)
            continue
        start = 0
        for i, char in enumerate(chunk):
            if _is_punctuation(char):
                if i > start:
                    words.append(chunk[start:i])
                words.append(char)
                start = i + 1
        if start < len(chunk):
            words.append(chunk[start:])
    return words


class StaticVectors:
    """Token vectors and the index of each vocabulary token; ``embed`` averages a text."""

    def __init__(self, vocab: list[str], vectors: np.ndarray):
        self.index = {token: i for i, token in enumerate(vocab)}
        self.vectors = vectors.astype(np.float32)
        self.dims = vectors.shape[1]
        self._unknown = self.index.get("[UNK]", -1)
        self.pieces = functools.lru_cache(maxsize=_CACHE_WORDS)(self._pieces)

    @classmethod
    def load(cls, path: str | Path = VECTORS_FILE) -> StaticVectors:
        with np.load(path, allow_pickle=False) as data:
            vocab = bytes(data["vocab"]).decode("utf-8").split("\n")
            return cls(vocab, data["vectors"])

    def _pieces(self, word: str) -> tuple[int, ...]:
        """Vocabulary indices of one basic word: the whole word, else greedy WordPiece."""
        whole = self.index.get(word)
        if whole is not None:
            return (whole,)
        if len(word) > _MAX_WORD:
            return (self._unknown,) if self._unknown >= 0 else ()
        out = []
        start = 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.index.get(piece)
                if found is not None:
                    out.append(found)
                    start = end
                    break
            else:  # no piece fits: BERT makes the whole word unknown
                return (self._unknown,) if self._unknown >= 0 else ()
        return tuple(out)

    def token_ids(self, text: str) -> list[int]:
        pieces = self.pieces
        return [i for word in basic_words(text) for i in pieces(word)]

    def embed(self, text: str) -> np.ndarray:
        """Mean vector of the text's pieces (zeros for a text with none)."""
        ids = self.token_ids(text)
        if not ids:
            return np.zeros(self.dims, np.float32)
        return self.vectors[ids].mean(axis=0)


@functools.cache
def load_vectors() -> StaticVectors:
    """The vectors shipped in ``afterword/data/vectors/``, loaded once per process.

    Two threads racing on the first call may both load; both get equal vectors.
    """
    return StaticVectors.load()
