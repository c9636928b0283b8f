"""The shipped static word vectors: BERT-style pieces, and similar words end up close."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from afterword.vectors import basic_words, load_vectors


def _pieces(text: str) -> list[str]:
    vectors = load_vectors()
    vocab = {i: token for token, i in vectors.index.items()}
    return [vocab[i] for i in vectors.token_ids(text)]


def test_words_split_like_bert_uncased():
    assert basic_words("Café, NOW!!\ufeff") == ["cafe", ",", "now", "!", "!"]
    assert _pieces("Subscribe to my channel") == ["sub", "##scribe", "to", "my", "channel"]


def _cosine(a: str, b: str) -> float:
    u, v = load_vectors().embed(a), load_vectors().embed(b)
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


def test_related_texts_are_closer_than_unrelated_ones():
    assert _cosine("subscribe", "sub4sub") > _cosine("subscribe", "banana") + 0.3
    assert _cosine("check out my channel", "visit my youtube page") > _cosine(
        "check out my channel", "i love this song"
    )


def test_text_without_pieces_has_the_zero_vector():
    assert not load_vectors().embed("").any()
    assert not load_vectors().embed(" \n\t").any()


@given(st.text(max_size=300))
def test_any_text_embeds_to_a_finite_vector(text):
    vector = load_vectors().embed(text)
    assert vector.shape == (load_vectors().dims,)
    assert np.isfinite(vector).all()
