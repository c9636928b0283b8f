"""Rebuild the shipped base model from the shared data sets, with its model card.

``afterword spam train`` runs :func:`build`: train on every record of every set, measure the
same recipe on the fixed folds (each fold's model never sees that fold's test part), and
write the weights, the model card and the data licences into ``afterword/spam/data/``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from afterword.spam.datasets import Fold, Record, load, shared_dir
from afterword.spam.evaluate import Metrics, fold_scores, metrics, summarise
from afterword.spam.model import DATA_DIR, MODEL_FILE, BaseModel

__all__ = ["SETS", "SPLITS", "build", "evaluate_recipe", "train_base_model"]

SETS = ("youtube", "sms", "gambling")
SPLITS = ("youtube", "youtube-lovo", "sms", "gambling")

# Fixed up front, not searched on the test folds: weak regularisation suits short, sparse
# texts with many rare but telling n-grams.
C = 30.0

_LICENSES = {
    "youtube-spam-collection": (
        "youtube-spam-collection/PROVENANCE.md",
        "YouTube Spam Collection v1. T. C. Alberto, J. V. Lochter, T. A. Almeida, "
        "'TubeSpam: Comment Spam Filtering on YouTube', ICMLA 2015. UCI Machine Learning "
        "Repository dataset 380, licensed CC BY 4.0 "
        "(https://creativecommons.org/licenses/by/4.0/).",
    ),
    "sms-spam-collection": (
        "sms-spam-collection/readme",
        "SMS Spam Collection v.1. T. A. Almeida, J. M. Gomez Hidalgo, A. Yamakami, "
        "'Contributions to the study of SMS Spam Filtering: New Collection and Results', "
        "ACM DocEng 2011. Copyright (c) Tiago Agostinho de Almeida and Jose Maria Gomez "
        "Hidalgo; free use with the copyright notice and no-warranty clause below.",
    ),
    "indonesian-youtube-gambling-comments": (
        "indonesian-youtube-gambling-comments/LICENSE",
        "Indonesian YouTube gambling ('judol') comments, github.com/gbennnn/"
        "judol-comment-classification, (c) 2026 Benony Gabriel, MIT licence below.",
    ),
}


def train_base_model(sets: Mapping[str, Sequence[Record]], *, C: float = C) -> BaseModel:
    """The recipe: one logistic regression over hashed n-grams of every given record."""
    records = [r for group in sets.values() for r in group]
    return BaseModel(C=C).fit([r.text for r in records], [r.label for r in records])


def fold_trainer(fold: Fold, others: Mapping[str, Sequence[Record]]):
    """Train the recipe for one fold (its training part plus ``others``); return a scorer."""
    return train_base_model({"fold": fold.train, **others}).predict_proba


def evaluate_recipe(
    splits: Sequence[str] = SPLITS, *, use_other_sets: bool = False, log=print
) -> dict[str, list[Metrics]]:
    """Per-fold metrics of the training recipe on the fixed folds of each split.

    By default a fold's model sees only that fold's training part: adding the other sets
    lowered every in-domain figure (see bench/results/spam_quality.md).
    """
    out = {}
    for split in splits:
        results = fold_scores(split, fold_trainer, use_other_sets=use_other_sets)
        out[split] = [metrics([r.label for r in fold.test], s) for fold, s in results]
        mean = summarise(out[split])
        log(
            f"{split}: F1 {mean['f1'][0]:.4f}  MCC {mean['mcc'][0]:.4f}  "
            f"FPR {100 * mean['fpr'][0]:.2f} %"
        )
    return out


def _card(model: BaseModel, sets: Mapping[str, Sequence[Record]], folds: dict, size: int) -> str:
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    lines = [
        "# Afterword base spam model",
        "",
        f"Trained {today} by `afterword spam train` from `shared/datasets/` "
        f"({MODEL_FILE}, {size / 1e6:.1f} MB).",
        "",
        "## What it is",
        "",
        "Hashed word 1-2-grams, character 2-5-grams (within words, digits folded to 0) and a",
        "few signal tokens (links, phone numbers, money, capitals, styled Unicode) of the",
        f"normalised text (`afterword.spam.normalize`), into 2^{model.n_bits} buckets, and one",
        f"logistic regression (C={model.C}) over all sets together: no data-set label is",
        "needed at run time. It scores text only; the engine adds link, author, network and",
        "behaviour evidence and per-site learning.",
        "",
        "## Data",
        "",
        "| set | records (after de-duplication) | spam | licence |",
        "|---|---|---|---|",
    ]
    licences = {"youtube": "CC BY 4.0", "sms": "free with notice", "gambling": "MIT"}
    for name, records in sets.items():
        spam = sum(r.label for r in records)
        lines.append(f"| {name} | {len(records)} | {spam} | {licences.get(name, '?')} |")
    lines += [
        "",
        "Attribution and licence texts: `LICENSES/` beside this file and `NOTICE` at the",
        "top of the repository.",
        "",
        "## Quality on the fixed folds (`shared/eval/splits/`)",
        "",
        "Same recipe, retrained per fold on that fold's training part only (adding the other",
        "sets lowered these figures); the shipped model, trained on everything, is never",
        "scored on these folds. Cross-domain figures: `bench/results/spam_quality.md`.",
        "Mean ± standard deviation over folds, threshold 0.5.",
        "",
        "| split | folds | F1 | MCC | FPR | precision | recall | ROC-AUC |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for split, per_fold in folds.items():
        m = summarise(per_fold)
        cells = [f"{m[k][0]:.4f} ± {m[k][1]:.4f}" for k in ("f1", "mcc")]
        cells.append(f"{100 * m['fpr'][0]:.2f} % ± {100 * m['fpr'][1]:.2f}")
        cells += [f"{m[k][0]:.4f} ± {m[k][1]:.4f}" for k in ("precision", "recall", "roc_auc")]
        lines.append(f"| {split} | {len(per_fold)} | " + " | ".join(cells) + " |")
    if not folds:
        lines.append("| (not measured: run `afterword spam train` without --no-eval) |")
    lines += [
        "",
        "## Limits",
        "",
        "The sets are small, English SMS and YouTube comments and Indonesian gambling",
        "comments; none is from a news or blog site. Expect a new site to need some",
        "moderator feedback (the engine's per-site learning) before it is at its best.",
        "",
    ]
    return "\n".join(lines)


def _write_licenses(root: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name, (source, attribution) in _LICENSES.items():
        text = (root / "datasets" / source).read_text(encoding="utf-8", errors="replace")
        (target / f"{name}.txt").write_text(
            f"{attribution}\n\n--- {source} ---\n\n{text}", encoding="utf-8"
        )


def build(*, evaluate: bool = True, out_dir: Path = DATA_DIR, log=print) -> BaseModel:
    """Train on everything, measure the recipe on the folds, write model, card, licences."""
    root = shared_dir()
    sets = {name: load(name, root) for name in SETS}
    log(f"training on {sum(len(v) for v in sets.values())} records from {', '.join(SETS)}")
    model = train_base_model(sets)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / (MODEL_FILE + ".tmp")
    model.save(tmp)
    shutil.move(tmp, out_dir / MODEL_FILE)
    folds = evaluate_recipe(log=log) if evaluate else {}
    (out_dir / "MODEL_CARD.md").write_text(_card(model, sets, folds, (out_dir / MODEL_FILE).stat().st_size), encoding="utf-8")
    _write_licenses(root, out_dir / "LICENSES")
    log(f"wrote {out_dir / MODEL_FILE}, MODEL_CARD.md and LICENSES/")
    return model
