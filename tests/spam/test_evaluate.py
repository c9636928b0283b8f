"""Metrics agree with scikit-learn; labelled files load or fail with one clear message."""

import json

import numpy as np
import pytest
from sklearn.metrics import (
    confusion_matrix,
    f1_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
    roc_auc_score,
)

from afterword.spam.evaluate import EvalError, metrics, read_labelled, summarise


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 200)
    scores = np.clip(y * 0.3 + rng.random(200) * 0.7, 0, 1).round(2)  # ties on purpose
    m = metrics(y, scores, threshold=0.5)
    pred = (scores >= 0.5).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, pred).ravel()
    assert (m.tn, m.fp, m.fn, m.tp) == (tn, fp, fn, tp)
    assert m.precision == pytest.approx(precision_score(y, pred))
    assert m.recall == pytest.approx(recall_score(y, pred))
    assert m.f1 == pytest.approx(f1_score(y, pred))
    assert m.mcc == pytest.approx(matthews_corrcoef(y, pred))
    assert m.fpr == pytest.approx(fp / (fp + tn))
    assert m.roc_auc == pytest.approx(roc_auc_score(y, scores))


def test_degenerate_inputs_give_zeros_not_errors():
    m = metrics([0, 0, 0], [0.1, 0.2, 0.9])
    assert m.fp == 1 and m.recall == 0.0 and m.mcc == 0.0
    assert np.isnan(m.roc_auc)
    s = summarise([metrics([0, 1], [0.2, 0.8]), metrics([0, 1], [0.8, 0.2])])
    assert s["f1"] == (0.5, 0.5)


def test_reads_csv_with_aliases_and_word_labels(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(
        'content,class,author,email\n"Buy now, cheap",spam,Bob,b@x.com\nhello there,ham,Ann,\n',
        encoding="utf-8",
    )
    items = read_labelled(path)
    assert [(i.text, i.label, i.author) for i in items] == [
        ("Buy now, cheap", 1, "Bob"),
        ("hello there", 0, "Ann"),
    ]
    assert items[0].email == "b@x.com"


def test_reads_json_lines(tmp_path):
    path = tmp_path / "items.jsonl"
    rows = [{"text": "win cash", "label": 1, "ip": "10.0.0.1"}, {"text": "hi", "label": False}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    items = read_labelled(path)
    assert [(i.text, i.label, i.ip) for i in items] == [("win cash", 1, "10.0.0.1"), ("hi", 0, "")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text,label\nhello,maybe\n", "label 'maybe'"),
        ("words,label\nhello,1\n", "no text column"),
        ("text\nhello\n", "no label column"),
        ('{"text": "a", "label": 1}\n{broken\n', "not a JSON object"),
        ("", "empty file"),
    ],
)
def test_bad_files_fail_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / ("bad.jsonl" if content.startswith("{") else "bad.csv")
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvalError, match=message):
        read_labelled(path)


def test_missing_file(tmp_path):
    with pytest.raises(EvalError, match="no such file"):
        read_labelled(tmp_path / "nope.csv")
