"""Do static word vectors add to the spam model? Side by side on the fixed folds.

The text model fails on words it never saw in training (ROC-AUC is already 0.995), so this
measures the one source of outside knowledge we can ship: token vectors distilled from
all-MiniLM-L6-v2 (``tools/distill_vectors.py``, read by :mod:`afterword.vectors`). A text's
vector is the unit-length mean of its WordPiece vectors, on the normalised text. For every
fold, every row is trained on that fold's training part only and scored on its test part:

* **ours**: the shipped recipe (NB-LR over hashed n-grams, ``BaseModel``);
* **vectors alone**: logistic regression (C=10) on the text vector;
* **ours + vector block**: the vector appended to ours as a dense block (weight 0.25) in
  the one NB-LR fit (no NB scaling on it);
* **ours + 0.3 x vector LR**: ours' log-odds plus 0.3 times the vectors-alone log-odds;
* **ours + 5 x kNN margin**: ours' log-odds plus 5 times (mean cosine of the 5 most similar
  training spam minus that of the 5 most similar training ham), i.e. similarity to known
  spam phrasings.

Run (the shipped asset is 64-d; ``--vectors`` takes any file in its format, e.g. 384-d)::

    .venv/bin/python bench/spam_vectors.py [--vectors FILE] [--splits youtube,sms] [--cross-domain]

``--cross-domain`` adds the same rows trained on the other sets and scored on all of one set.

Prints a Markdown table; figures of a run are copied by hand into
``bench/results/spam_quality.md`` with the command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from afterword.spam.datasets import folds, load
from afterword.spam.evaluate import metrics, summarise
from afterword.spam.model import BaseModel
from afterword.spam.normalize import normalize_text
from afterword.spam.train import SETS, SPLITS, C
from afterword.vectors import VECTORS_FILE, StaticVectors

ROWS = ("ours", "vectors alone", "ours + vector block", "ours + 0.3 x vector LR",
        "ours + 5 x kNN margin")


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


def _nb_lr(X: sp.csr_matrix, y: np.ndarray, dense: np.ndarray | None, weight: float):
    """BaseModel's NB-LR fit, optionally with an unscaled dense block; returns a scorer."""
    present = (X > 0).astype(np.float64)
    spam = np.asarray(present[y == 1].sum(axis=0)).ravel() + 1.0
    ham = np.asarray(present[y == 0].sum(axis=0)).ravel() + 1.0
    ratio = np.log(spam / spam.sum()) - np.log(ham / ham.sum())
    A = X @ sp.diags(ratio)
    if dense is not None:
        A = sp.hstack([A, sp.csr_matrix(weight * dense)]).tocsr()
    clf = LogisticRegression(C=C, solver="liblinear", max_iter=5000).fit(A, y)
    coef = clf.coef_.ravel()
    sparse_w, dense_w = coef[: X.shape[1]] * ratio, coef[X.shape[1] :] * weight

    def logit(Xq, dq=None):
        z = np.asarray(Xq @ sparse_w).ravel() + clf.intercept_[0]
        return z if dq is None else z + dq @ dense_w

    return logit


def _knn_margin(train: np.ndarray, labels: np.ndarray, query: np.ndarray, k: int = 5):
    out = np.empty(len(query))
    spam, ham = train[labels == 1].T, train[labels == 0].T
    for start in range(0, len(query), 1024):  # bounded memory on the 32k-record set
        q = query[start : start + 1024]
        top = [np.sort(q @ side, axis=1)[:, -k:].mean(axis=1) for side in (spam, ham)]
        out[start : start + len(q)] = top[0] - top[1]
    return out


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def _features(name: str, vectors: StaticVectors):
    """Hashed features, unit text vectors, labels and row of each record id of one set."""
    records = load(name)
    X = BaseModel(C=C).transform([r.text for r in records])
    norms = [normalize_text(r.text[:5000]) for r in records]
    V = _unit(np.stack([vectors.embed(t) for t in norms]).astype(np.float64))
    y = np.array([r.label for r in records])
    return X, V, y, {r.id: i for i, r in enumerate(records)}


def _scores(X, V, y, Xq, Vq) -> dict[str, np.ndarray]:
    """Each row's log-odds for the query rows, every method trained on (X, V, y) only."""
    ours = _nb_lr(X, y, None, 0.0)(Xq)
    alone = LogisticRegression(C=10, max_iter=5000).fit(V, y).decision_function(Vq)
    block = _nb_lr(X, y, V, 0.25)(Xq, Vq)
    knn = _knn_margin(V, y, Vq)
    return dict(zip(ROWS, (ours, alone, block, ours + 0.3 * alone, ours + 5 * knn)))


def run_split(split: str, vectors: StaticVectors, log) -> dict[str, list]:
    X, V, y, row = _features("youtube" if split.startswith("youtube") else split, vectors)
    out = {r: [] for r in ROWS}
    for fold in folds(split):
        tr = np.array([row[r.id] for r in fold.train])
        te = np.array([row[r.id] for r in fold.test])
        for label, z in _scores(X[tr], V[tr], y[tr], X[te], V[te]).items():
            out[label].append(metrics(y[te], _sigmoid(z)))
        log(f"  {split} {fold.name}: ours F1 {out['ours'][-1].f1:.3f}")
    return out


def run_cross_domain(vectors: StaticVectors, log) -> dict[str, dict]:
    """Trained on the other sets, scored on all of one set (a new site's day one)."""
    data = {name: _features(name, vectors) for name in SETS}
    out = {}
    for tested in SETS:
        others = [data[n] for n in SETS if n != tested]
        X = sp.vstack([o[0] for o in others]).tocsr()
        V, y = np.vstack([o[1] for o in others]), np.concatenate([o[2] for o in others])
        Xq, Vq, yq, _ = data[tested]
        out[tested] = {k: metrics(yq, _sigmoid(z)) for k, z in _scores(X, V, y, Xq, Vq).items()}
        log(f"  cross-domain {tested} done")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vectors", type=Path, default=VECTORS_FILE)
    parser.add_argument("--splits", default=",".join(SPLITS))
    parser.add_argument("--cross-domain", action="store_true", help="also train on the other sets")
    args = parser.parse_args()
    vectors = StaticVectors.load(args.vectors)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    print(f"Vectors: `{args.vectors.name}`, {vectors.dims} dims. Mean over folds, threshold 0.5.")
    print()
    print("| split | method | F1 | MCC | FPR % | ROC-AUC |")
    print("|---|---|---|---|---|---|")
    for split in args.splits.split(","):
        for label, per_fold in run_split(split, vectors, log).items():
            s = summarise(per_fold)
            print(
                f"| {split} | {label} | {s['f1'][0]:.4f} ± {s['f1'][1]:.4f} | {s['mcc'][0]:.4f} | "
                f"{100 * s['fpr'][0]:.2f} | {s['roc_auc'][0]:.4f} |",
                flush=True,
            )
    if args.cross_domain:
        for tested, per_row in run_cross_domain(vectors, log).items():
            for label, m in per_row.items():
                print(
                    f"| {tested} (cross-domain) | {label} | {m.f1:.4f} | {m.mcc:.4f} | "
                    f"{100 * m.fpr:.2f} | {m.roc_auc:.4f} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
