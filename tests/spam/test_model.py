"""The text model: learns from a small sample, scores one text like a batch, ships loadable."""

import pickle
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afterword.spam.datasets import folds, shared_dir
from afterword.spam.evaluate import metrics
from afterword.spam.model import DATA_DIR, MODEL_FILE, BaseModel, load_base_model

needs_shared = pytest.mark.skipif(
    not (shared_dir() / "eval" / "splits" / "youtube.json").is_file(),
    reason=f"shared data not found at {shared_dir()} (set AFTERWORD_SHARED_DIR)",
)

_SPAM = [
    "Check out my channel http://bit.ly/{n} and subscribe please!",
    "FREE entry! Text WIN to 8{n}08 to claim your £1000 prize now",
    "Main di 𝑺𝑳𝑶𝑻{n} pasti JP, depo sekali WD berkali kali",
    "Visit cheap-pills{n} [dot] com for the best deals",
    "s u b s c r i b e to my channel for {n} free gift cards",
]
_HAM = [
    "I have loved this song since {n}, it never gets old",
    "Are we still meeting at {n} tonight? I'll bring the cake",
    "Great point about the budget, the council voted {n} to 3",
    "My daughter sang this at her school concert, {n} kids on stage",
    "Thanks for the recipe, I used {n} grams less sugar and it worked",
]


def _sample(templates, count, seed):
    rng = random.Random(seed)
    return [rng.choice(templates).format(n=rng.randint(10, 999)) for _ in range(count)]


@pytest.fixture(scope="module")
def small_model():
    texts = _sample(_SPAM, 60, 1) + _sample(_HAM, 60, 2)
    labels = [1] * 60 + [0] * 60
    return BaseModel(C=10.0, n_bits=18).fit(texts, labels)


def test_small_training_learns_to_separate_unseen_texts(small_model):
    spam = _sample(_SPAM, 20, 3)
    ham = _sample(_HAM, 20, 4)
    p_spam = small_model.predict_proba(spam)
    p_ham = small_model.predict_proba(ham)
    assert p_spam.min() > 0.5
    assert p_ham.max() < 0.5


def test_obfuscated_spam_scores_like_its_plain_form(small_model):
    plain = small_model.score_one("Check out my channel and subscribe")
    styled = small_model.score_one("Ｃｈｅｃｋ ｏｕｔ 𝐦𝐲 𝐜𝐡𝐚𝐧𝐧𝐞𝐥 and s u b s c r i b e")
    assert plain > 0.5 and styled > 0.5


def test_score_one_matches_batch_scoring(small_model):
    texts = _sample(_SPAM, 5, 5) + _sample(_HAM, 5, 6) + ["", "x" * 20000]
    batch = small_model.predict_proba(texts)
    single = np.array([small_model.score_one(t) for t in texts])
    np.testing.assert_allclose(single, batch, rtol=1e-6, atol=1e-9)


def test_feature_vector_dot_reproduces_the_logit(small_model):
    text = "Check out my channel http://bit.ly/42"
    vector = small_model.features(text)
    logit = vector.dot(small_model.coef_) + small_model.intercept_
    assert logit == pytest.approx(small_model.logit_one(text), rel=1e-6)
    assert vector.indices.max() < 2**small_model.n_bits


def test_pickle_and_save_load_round_trip(small_model, tmp_path):
    text = "FREE entry! Text WIN to 80808 to claim"
    clone = pickle.loads(pickle.dumps(small_model))
    assert clone.score_one(text) == small_model.score_one(text)
    path = tmp_path / "m.npz"
    small_model.save(path)
    loaded = BaseModel.load(path)
    # float16 storage: close, not bit-identical
    assert loaded.score_one(text) == pytest.approx(small_model.score_one(text), abs=1e-2)


def test_untrained_model_says_so():
    with pytest.raises(RuntimeError, match="not trained"):
        BaseModel().score_one("hello")


def test_shipped_model_loads_and_separates_obvious_cases():
    assert (DATA_DIR / MODEL_FILE).is_file()
    model = load_base_model()
    assert load_base_model() is model  # cached per process
    assert model.score_one("Check out my channel http://bit.ly/abc and subscribe!!") > 0.9
    assert model.score_one("URGENT! You have won a £1000 prize, call 09061701461 now") > 0.9
    assert model.score_one("Buruan gabung 𝑷𝑼𝑳𝑨𝑼𝑾𝑰𝑵 pasti maxwin gacor") > 0.9
    assert model.score_one("I was at this concert in 2012, what a night") < 0.2
    assert model.score_one("Ok see you at home later, love you") < 0.2


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_scoring_any_text_gives_a_probability(text):
    p = load_base_model().score_one(text)
    assert 0.0 <= p <= 1.0


@needs_shared
def test_training_on_a_real_subsample_generalises_to_the_fold_test_part():
    fold = folds("youtube")[0]
    train = fold.train[:400]
    model = BaseModel().fit([r.text for r in train], [r.label for r in train])
    result = metrics([r.label for r in fold.test], model.predict_proba([r.text for r in fold.test]))
    # 400 comments are enough to be far better than chance on unseen ones.
    assert result.f1 > 0.85 and result.mcc > 0.75


def test_logit_and_features_is_one_pass_with_the_same_answers(small_model):
    from afterword.spam.normalize import normalize_text

    text = "Ｃｈｅｃｋ out my channel http://bit.ly/42 <b>now</b>"
    logit, vector = small_model.logit_and_features(text, normalize_text(text))
    assert logit == pytest.approx(small_model.logit_one(text), rel=1e-9)
    np.testing.assert_array_equal(vector.indices, small_model.features(text).indices)


@pytest.mark.parametrize(
    "text",
    [
        "Ｃｈｅｃｋ out my channel http://bit.ly/42 and www.example.com/x",
        # Longer than the model reads: links counted over the whole text must not be used.
        "filler words here " * 400 + "http://a.example http://b.example http://c.example",
    ],
)
def test_a_caller_counted_link_total_gives_the_same_answer(small_model, text):
    """The engine passes the URL count its rules found; the model must score as if it had
    scanned the text itself."""
    from afterword.spam.normalize import extract_urls, normalize_text

    norm = normalize_text(text)
    logit, vector = small_model.logit_and_features(text, norm, len(extract_urls(norm)))
    assert logit == small_model.logit_one(text)
    np.testing.assert_array_equal(vector.indices, small_model.features(text).indices)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_character_ngrams_are_those_of_sklearn_char_wb(text):
    """The vectorised n-gram hashing sees exactly the n-grams scikit-learn's char_wb does."""
    import re

    from sklearn.feature_extraction.text import CountVectorizer

    from afterword.spam.model import _char_hashes

    low = re.sub(r"\d", "0", text.lower())
    analyse = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False)
    expected = set(analyse.build_analyzer()(low))
    assert len(set(np.concatenate(_char_hashes(low)).tolist())) == len(expected)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="usdrpgbe $£€0189 .x", max_size=20) | st.text(max_size=20))
def test_the_money_token_is_exactly_where_the_money_pattern_matches(text):
    """The signal skips the pattern on texts with neither a digit nor a currency sign; it
    must never skip one the pattern would have matched."""
    from afterword.spam.model import _MONEY, _signal_tokens

    assert ("money" in _signal_tokens(text, text)) == bool(_MONEY.search(text))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab é_1 \u00a0x", max_size=30) | st.text(max_size=30))
def test_word_hashes_are_the_crc_of_each_word_and_each_pair(text):
    """The ASCII fast path (bytes, CRCs continued over the pair) hashes exactly what the
    model was trained on: each word and each "a b" pair of neighbours, as UTF-8."""
    import re
    import zlib
    from itertools import pairwise

    from afterword.spam.model import _word_hashes

    low = text.lower()
    words = re.findall(r"\w+", low)
    tokens = words + [f"{a} {b}" for a, b in pairwise(words)]
    expected = [zlib.crc32(t.encode("utf-8", "surrogatepass")) for t in tokens]
    assert _word_hashes(low) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300) | st.text(alphabet="ab 12.:/@$", max_size=300))
def test_the_block_sums_are_the_dot_product_of_indices_and_values(text):
    """The logit sums each block's weights once and scales the sum by the block's value; it
    must be the plain dot product of the feature vector, and the values one per index."""
    model = load_base_model()
    vector = model.features(text)
    assert len(vector.values) == len(vector.indices)
    plain = float(model.coef_[vector.indices].astype(np.float64) @ vector.values)
    assert vector.dot(model.coef_) == pytest.approx(plain, rel=1e-12, abs=1e-12)
