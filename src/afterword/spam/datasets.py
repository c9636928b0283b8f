"""Loaders for the shared labelled sets, exactly as the fixed split files define them.

Every accuracy figure in the project comes from the folds in ``shared/eval/splits/``. Those
folds list record ids after a specific text processing and de-duplication, so the loaders
here reproduce that processing to the letter and check the result against the split file's
``records_sha256``: a loader that drifts (a different unescape order, a changed CSV) fails
loudly instead of silently scoring on different data.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DATASETS",
    "DatasetError",
    "Fold",
    "Record",
    "folds",
    "load",
    "shared_dir",
    "split_names",
]


class DatasetError(Exception):
    """The shared data is missing or does not match what the split file describes."""


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    text: str
    label: int  # 1 = spam
    group: str = ""  # youtube: the video (file stem); empty elsewhere
    author: str = ""


@dataclass(frozen=True, slots=True)
class Fold:
    name: str
    train: tuple[Record, ...]
    test: tuple[Record, ...]


def shared_dir() -> Path:
    """``$AFTERWORD_SHARED_DIR``, else ``shared/`` beside the repository (how CI lays it out)."""
    env = os.environ.get("AFTERWORD_SHARED_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared"


_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _youtube_raw(root: Path) -> Iterator[Record]:
    folder = root / "datasets" / "youtube-spam-collection"
    files = sorted(folder.glob("Youtube0*.csv"))
    if not files:
        raise DatasetError(f"no Youtube0*.csv files in {folder}")
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                text = _BR.sub("\n", html.unescape(row["CONTENT"])).strip()
                yield Record(row["COMMENT_ID"], text, int(row["CLASS"]), path.stem, row["AUTHOR"])


def _sms_raw(root: Path) -> Iterator[Record]:
    path = root / "datasets" / "sms-spam-collection" / "SMSSpamCollection"
    with path.open(encoding="utf-8", newline="\n") as handle:
        for number, line in enumerate(handle, start=1):
            label, _, text = line.rstrip("\n").partition("\t")
            yield Record(f"sms-{number}", html.unescape(text).strip(), int(label == "spam"))


def _gambling_raw(root: Path) -> Iterator[Record]:
    path = root / "datasets" / "indonesian-youtube-gambling-comments" / "dataset_judol_labelled.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield Record(
                row["comment_id"], row["comment_text"].strip(), int(row["label"]), "", row["author"]
            )


DATASETS: dict[str, Callable[[Path], Iterator[Record]]] = {
    "youtube": _youtube_raw,
    "sms": _sms_raw,
    "gambling": _gambling_raw,
}


def _dedup(records: Iterator[Record]) -> list[Record]:
    """First copy of each text wins; texts whose copies disagree on the label are dropped."""
    first: dict[str, Record] = {}
    conflicting: set[str] = set()
    for record in records:
        if not record.text:
            continue
        kept = first.get(record.text)
        if kept is None:
            first[record.text] = record
        elif kept.label != record.label:
            conflicting.add(record.text)
    return [r for text, r in first.items() if text not in conflicting]


def _digest(records: list[Record]) -> str:
    sha = hashlib.sha256()
    for r in records:
        sha.update(f"{r.id}\t{r.label}\t{r.text}\n".encode())
    return sha.hexdigest()


def _split_file(name: str, root: Path) -> dict:
    path = root / "eval" / "splits" / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"no split file {path}") from None


def split_names(root: Path | None = None) -> list[str]:
    root = root or shared_dir()
    return sorted(p.stem for p in (root / "eval" / "splits").glob("*.json"))


def load(dataset: str, root: Path | None = None, *, verify: bool = True) -> list[Record]:
    """All kept records of ``dataset`` in file order, checked against its split file's digest."""
    root = root or shared_dir()
    if dataset not in DATASETS:
        raise DatasetError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
    try:
        records = _dedup(DATASETS[dataset](root))
    except (OSError, KeyError, ValueError) as exc:
        raise DatasetError(f"cannot read dataset {dataset!r} under {root}: {exc}") from None
    if verify:
        expected = _split_file(dataset, root)["records_sha256"]
        actual = _digest(records)
        if actual != expected:
            raise DatasetError(
                f"dataset {dataset!r} under {root} does not match its split file "
                f"(records sha256 {actual[:12]}..., expected {expected[:12]}...)"
            )
    return records


def folds(split: str, root: Path | None = None) -> list[Fold]:
    """The fixed folds of ``split`` (youtube, youtube-lovo, sms, gambling) as records."""
    root = root or shared_dir()
    spec = _split_file(split, root)
    records = load(spec["dataset"], root)
    if _digest(records) != spec["records_sha256"]:
        raise DatasetError(f"split {split!r} was made from different records")
    by_id = {r.id: r for r in records}
    if len(by_id) != len(records):
        # Raw ids do repeat (YouTube); after de-duplication they must not, or folds are ambiguous.
        raise DatasetError(f"dataset {spec['dataset']!r} has repeated ids after de-duplication")
    out = []
    for fold in spec["folds"]:
        try:
            train = tuple(by_id[i] for i in fold["train"])
            test = tuple(by_id[i] for i in fold["test"])
        except KeyError as exc:
            raise DatasetError(f"split {split!r} names unknown id {exc}") from None
        out.append(Fold(fold["name"], train, test))
    return out
