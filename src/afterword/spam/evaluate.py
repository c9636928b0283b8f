"""Quality metrics, labelled-file loading and fold evaluation for ``afterword spam eval``.

The false-positive rate and MCC sit beside F1 on purpose: real comment streams are mostly
ham, and a reader's comment lost in the spam folder costs more than a missed spam, which
accuracy and F1 on a balanced set hide.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from afterword.spam.datasets import DatasetError, Fold, Record, folds, load

__all__ = [
    "EvalError",
    "LabelledItem",
    "Metrics",
    "fold_scores",
    "metrics",
    "read_labelled",
    "summarise",
    "training_sets_for",
]

_SPAM = {"1", "spam", "true", "yes", "y", "s"}
_HAM = {"0", "ham", "false", "no", "n", "h", "not spam", "not_spam"}


class EvalError(Exception):
    """Bad evaluation input: unreadable file, missing column, unknown label."""


@dataclass(frozen=True, slots=True)
class Metrics:
    n: int
    tp: int
    fp: int
    tn: int
    fn: int
    precision: float
    recall: float
    f1: float
    fpr: float
    mcc: float
    accuracy: float
    roc_auc: float  # nan when only one class is present

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _div(a: float, b: float) -> float:
    return a / b if b else 0.0


def _roc_auc(y: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve as the Mann-Whitney statistic, ties counted as one half."""
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    # Average rank within each run of equal scores.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def metrics(labels: Sequence[int], scores: Sequence[float], threshold: float = 0.5) -> Metrics:
    """Confusion counts and rates for spam probabilities ``scores`` at ``threshold``."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape:
        raise EvalError(f"{len(y)} labels but {len(s)} scores")
    pred = s >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    tn = int(np.sum(~pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    precision = _div(tp, tp + fp)
    recall = _div(tp, tp + fn)
    denominator = math.sqrt(float(tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return Metrics(
        n=len(y),
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
        precision=precision,
        recall=recall,
        f1=_div(2 * precision * recall, precision + recall),
        fpr=_div(fp, fp + tn),
        mcc=_div(tp * tn - fp * fn, denominator),
        accuracy=_div(tp + tn, len(y)),
        roc_auc=_roc_auc(y, s),
    )


def summarise(per_fold: Sequence[Metrics]) -> dict[str, tuple[float, float]]:
    """Mean and (population) standard deviation of each rate over folds."""
    out = {}
    for name in ("f1", "mcc", "fpr", "precision", "recall", "roc_auc", "accuracy"):
        values = np.array([getattr(m, name) for m in per_fold], dtype=np.float64)
        out[name] = (float(np.mean(values)), float(np.std(values)))
    return out


# -- labelled files ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelledItem:
    text: str
    label: int
    author: str = ""
    email: str = ""
    url: str = ""
    ip: str = ""
    extra: dict = field(default_factory=dict)


_ALIASES = {
    "text": ("text", "content", "comment", "comment_content", "message"),
    "label": ("label", "class", "is_spam", "spam"),
    "author": ("author", "comment_author", "name"),
    "email": ("email", "author_email", "comment_author_email"),
    "url": ("url", "author_url", "comment_author_url"),
    "ip": ("ip", "user_ip"),
}


def _field(row: dict, name: str) -> object:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    for alias in _ALIASES[name]:
        if alias in lowered:
            return lowered[alias]
    return None


def _parse_label(value: object, where: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    text = str(value).strip().lower() if value is not None else ""
    if text in _SPAM:
        return 1
    if text in _HAM:
        return 0
    raise EvalError(f"{where}: label {value!r} is not spam/ham or 1/0")


def _item(row: dict, where: str) -> LabelledItem:
    text = _field(row, "text")
    if text is None:
        raise EvalError(f"{where}: no text column (expected one of: text, content, comment)")
    label = _field(row, "label")
    if label is None:
        raise EvalError(f"{where}: no label column (expected one of: label, class, is_spam)")
    strings = {k: _field(row, k) for k in ("author", "email", "url", "ip")}
    return LabelledItem(
        str(text),
        _parse_label(label, where),
        **{k: "" if v is None else str(v) for k, v in strings.items()},
    )


def _rows(path: Path) -> Iterator[tuple[dict, str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EvalError(f"cannot read {path}: {exc.strerror or exc}") from None
    text = raw.decode("utf-8-sig", errors="replace")
    stripped = text.lstrip()
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json") or stripped.startswith("{"):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalError(f"{path}:{number}: not a JSON object ({exc.msg})") from None
            if not isinstance(row, dict):
                raise EvalError(f"{path}:{number}: not a JSON object")
            yield row, f"{path}:{number}"
    else:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames:
            raise EvalError(f"{path}: empty file")
        for number, row in enumerate(reader, start=2):
            yield row, f"{path}:{number}"


def read_labelled(path: str | Path) -> list[LabelledItem]:
    """Items of a CSV (with header) or JSON Lines file with text and label fields."""
    path = Path(path)
    if not path.is_file():
        raise EvalError(f"no such file: {path}")
    items = [_item(row, where) for row, where in _rows(path)]
    if not items:
        raise EvalError(f"{path}: no labelled rows")
    return items


# -- fixed folds ------------------------------------------------------------------------------

# The sets whose records may join a fold's training part (all but the one under test).
_ALL_SETS = ("youtube", "sms", "gambling")


def training_sets_for(split: str) -> dict[str, list[Record]]:
    """Full records of every other set, for a fold of ``split`` (other sets are fair game)."""
    tested = {"youtube-lovo": "youtube"}.get(split, split)
    return {name: load(name) for name in _ALL_SETS if name != tested}


def fold_scores(
    split: str,
    train: Callable[[Fold, dict[str, list[Record]]], Callable[[Sequence[str]], np.ndarray]],
    *,
    use_other_sets: bool = True,
) -> list[tuple[Fold, np.ndarray]]:
    """Scores for each fold's test part from a scorer that ``train`` built for that fold.

    ``train(fold, others)`` sees only the fold's training part and the other sets, never the
    test part, so the figures are honest for the whole pipeline.
    """
    try:
        split_folds = folds(split)
        others = training_sets_for(split) if use_other_sets else {}
    except DatasetError as exc:
        raise EvalError(str(exc)) from None
    out = []
    for fold in split_folds:
        scorer = train(fold, others)
        out.append((fold, np.asarray(scorer([r.text for r in fold.test]), dtype=np.float64)))
    return out
