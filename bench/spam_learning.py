"""Learning curve: a new site's comments, taught one by one through Engine.learn.

    .venv/bin/python bench/spam_learning.py          # writes bench/results/spam_learning.md

What a site sees on day one and after its moderators' first decisions. For each target set
(youtube, sms, gambling):

1. a base model is trained WITHOUT the target set, on the other two sets (each capped at
   8,000 texts, stratified, fixed seed, to keep the run short);
2. for each of the target's 5 fixed folds (``shared/eval/splits/``), a fresh engine and
   store; comments from the fold's TRAINING part, in a fixed shuffled order, are fed
   through ``Engine.learn`` (the one feedback path) until N = 0, 10, 50, 200 have been
   taught, one report every two minutes of simulated time (a moderator working a queue);
3. after each step every comment of the fold's TEST part is checked (``observe=False``,
   so the test set teaches nothing) and scored at the default threshold 0.5.

Mean and standard deviation over the 5 folds. "discard on ham" counts real comments the
blatant tier would have dropped unseen (it should stay 0).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from afterword.spam import Engine, MemoryStore, Submission
from afterword.spam.datasets import Record, folds, load
from afterword.spam.model import BaseModel

SETS = {"youtube": "youtube", "sms": "sms", "gambling": "gambling"}  # split -> dataset
STEPS = (0, 10, 50, 200)
CAP = 8_000
SEED = 20261124
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def capped(records: list[Record], cap: int, seed: int) -> list[Record]:
    """At most ``cap`` records, the same share of spam as the whole set."""
    if len(records) <= cap:
        return records
    rng = random.Random(seed)
    out = []
    for label in (0, 1):
        group = [r for r in records if r.label == label]
        out += rng.sample(group, round(cap * len(group) / len(records)))
    return out


def base_model_without(target: str) -> BaseModel:
    records = [
        r for name in SETS.values() if name != SETS[target] for r in capped(load(name), CAP, SEED)
    ]
    return BaseModel().fit([r.text for r in records], [r.label for r in records])


def submission(record: Record) -> Submission:
    # Only what the sets carry (text, sometimes an author), sent the way a browser form does,
    # so no client rule fires and the curve shows the text and the learning alone.
    return Submission(
        content=record.text,
        author=record.author,
        user_agent=BROWSER,
        referrer="https://blog.example/post",
        permalink="https://blog.example/post",
    )


def metrics(labels: list[int], predicted: list[bool]) -> dict[str, float]:
    tp = sum(1 for y, p in zip(labels, predicted) if y and p)
    fp = sum(1 for y, p in zip(labels, predicted) if not y and p)
    fn = sum(1 for y, p in zip(labels, predicted) if y and not p)
    tn = len(labels) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    denominator = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return {
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "mcc": (tp * tn - fp * fn) / denominator if denominator else 0.0,
        "fpr": fp / (fp + tn) if fp + tn else 0.0,
        "precision": precision,
        "recall": recall,
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def curve(split: str, model: BaseModel) -> dict[int, list[dict[str, float]]]:
    out: dict[int, list[dict[str, float]]] = {n: [] for n in STEPS}
    for fold in folds(split):
        clock = Clock()
        engine = Engine(MemoryStore(), model=model, clock=clock)
        stream = list(fold.train)
        random.Random(f"{SEED}:{split}:{fold.name}").shuffle(stream)
        tests = [submission(r) for r in fold.test]
        labels = [r.label for r in fold.test]
        taught = 0
        for n in STEPS:
            for record in stream[taught:n]:
                engine.learn("site", submission(record), bool(record.label), reporter="moderator")
                clock.now += 120.0
            taught = n
            verdicts = [engine.check("site", sub, observe=False) for sub in tests]
            result = metrics(labels, [v.is_spam for v in verdicts])
            result["discard_ham"] = sum(1 for y, v in zip(labels, verdicts) if not y and v.discard)
            out[n].append(result)
    return out


def fmt(values: list[float], pct: bool = False) -> str:
    scale = 100.0 if pct else 1.0
    mean = statistics.fmean(values) * scale
    spread = statistics.stdev(values) * scale if len(values) > 1 else 0.0
    return f"{mean:.2f} ± {spread:.2f}" if pct else f"{mean:.3f} ± {spread:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=list(SETS))
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/spam_learning.md")
    args = parser.parse_args()
    started = time.time()
    lines = [
        "# Spam engine learning curve (feedback through Engine.learn)",
        "",
        "Command: `.venv/bin/python bench/spam_learning.py`  ",
        (
            f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}. Mean ± standard deviation over "
            "the 5 fixed folds of each set; base model trained on the OTHER sets only (each "
            f"capped at {CAP:,} texts); N comments of the fold's training part taught through "
            "`Engine.learn`, then its test part checked at threshold 0.5."
        ),
        "",
    ]
    for split in args.sets:
        model = base_model_without(split)
        results = curve(split, model)
        others = ", ".join(s for s in SETS if s != split)
        lines += [
            f"## {split} (base model trained on {others})",
            "",
            "| N taught | F1 | MCC | FPR % | precision | recall | discard on ham (sum over folds) |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for n in STEPS:
            rows = results[n]
            lines.append(
                f"| {n} | {fmt([r['f1'] for r in rows])} | {fmt([r['mcc'] for r in rows])} | "
                f"{fmt([r['fpr'] for r in rows], pct=True)} | "
                f"{fmt([r['precision'] for r in rows])} | {fmt([r['recall'] for r in rows])} | "
                f"{int(sum(r['discard_ham'] for r in rows))} |"
            )
        lines.append("")
        print("\n".join(lines[-len(STEPS) - 5 :]), flush=True)
    lines.append(f"Run time: {time.time() - started:.0f} s.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
