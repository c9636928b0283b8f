"""Related-posts quality: our ranking vs a plain TF-IDF cosine baseline, in the same run.

    .venv/bin/python bench/related_quality.py [--split test|train]

20 Newsgroups (by-date ``test`` split as both queries and corpus, headers stripped, Subject
as title): same-group precision at 1 and 10. Stack Exchange beer: for each of the questions
that have a "linked"/"duplicate" question present, recall at 1 and 10 and MRR of the gold
links. The baseline is scikit-learn's TfidfVectorizer(sublinear_tf, English stop words)
cosine over title + body, which reproduces the figures in shared/datasets-related/README.md
exactly (20NG P@1 0.882 / P@10 0.729; beer R@1 0.265, R@10 0.494, MRR 0.407). Ours also reads
the questions' tags, as it reads an article's. Hyper-parameters in afterword.related.index
were chosen with ``--split train`` (the 20NG training set).

``--small-sites`` adds P@10 on five random 800-post sites drawn from the split (small sites
are ranked with every article in the latent view's pool). ``--ablate`` adds beer rows with one part of the ranking switched off at a time: a diagnosis
of what helps or hurts on these links, not a tuning loop (nothing is chosen from it).
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from related_data import beer, newsgroups

from afterword.related import index as related_index
from afterword.related.index import Doc, Options, RelatedIndex

K = 10
RANK_ALL = Options(limit=200, min_score=float("-inf"))


def _plain(body: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def baseline_rankings(texts: list[str], depth: int) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    m = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    s = (m @ m.T).toarray()
    np.fill_diagonal(s, -np.inf)
    return np.argsort(-s, axis=1)[:, :depth]


def ours_rankings(posts, with_tags: bool, options: Options = RANK_ALL
                  ) -> tuple[list[list[int]], float, float]:
    docs = [Doc(key=str(i), title=p.title, body=_plain(p.body),
                tags=p.tags if with_tags else [], published=p.published)
            for i, p in enumerate(posts)]
    started = time.perf_counter()
    index = RelatedIndex()
    index.rebuild(docs)
    built = time.perf_counter() - started
    started = time.perf_counter()
    out = [[int(h.key) for h in index.related(d.key, options)] for d in docs]
    per_query = (time.perf_counter() - started) / len(docs)
    return out, built, per_query


def _precision(labels: np.ndarray, rankings, k: int) -> float:
    return float(np.mean([np.mean(labels[list(r[:k])] == labels[i]) if len(r) else 0.0
                          for i, r in enumerate(rankings)]))


def newsgroup_scores(split: str) -> list[tuple[str, str, str, str]]:
    posts = newsgroups(split)
    labels = np.array([p.label for p in posts])
    base = baseline_rankings([p.title + "\n" + p.body for p in posts], K)
    ours, built, per_query = ours_rankings(posts, with_tags=False)
    name = f"20 Newsgroups {split} ({len(posts)} posts)"
    print(f"  {name}: index built in {built:.1f}s, {per_query * 1000:.2f} ms/query", flush=True)
    return [(name, f"P@{k}", f"{_precision(labels, base, k):.3f}",
             f"{_precision(labels, ours, k):.3f}") for k in (1, K)]


def small_site_scores(split: str, sites: int = 5, size: int = 800
                      ) -> list[tuple[str, str, str, str]]:
    """P@10 on a few small random sites drawn from the split: a small site is ranked
    differently (every article is rescored by the latent view), which the full split does
    not show."""
    posts = newsgroups(split)
    rows = []
    for seed in range(sites):
        site = random.Random(seed).sample(posts, size)
        labels = np.array([p.label for p in site])
        base = baseline_rankings([p.title + "\n" + p.body for p in site], K)
        ours = ours_rankings(site, False, Options(limit=K, min_score=float("-inf")))[0]
        rows.append((f"20 Newsgroups {split}, random {size}-post site (seed {seed})", f"P@{K}",
                     f"{_precision(labels, base, K):.3f}", f"{_precision(labels, ours, K):.3f}"))
    return rows


@contextmanager
def _setting(**values):
    """Module-level ranking constants changed for one measurement, then restored."""
    saved = {name: getattr(related_index, name) for name in values}
    for name, value in values.items():
        setattr(related_index, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(related_index, name, value)


# name -> (with the questions' tags, per-query options, module constants)
ABLATIONS = {
    "without tags at all": (False, RANK_ALL, {}),
    "without the recency bonus": (True, replace(RANK_ALL, recency_half_life_days=None), {}),
    "without the latent view (lexical only)": (True, RANK_ALL, {"LEXICAL_SHARE": 1.0}),
    "without the word vectors (latent view = LSA)": (True, RANK_ALL, {"VECTOR_SHARE": 0.0}),
    "without LSA (latent view = word vectors)": (True, RANK_ALL, {"VECTOR_SHARE": 1.0}),
    "without pseudo-relevance feedback": (True, RANK_ALL, {"FEEDBACK_WEIGHT": 0.0}),
    "candidates ordered by the cosine, not the likelihood": (
        True, RANK_ALL, {"LIKELIHOOD_MIN_DOCS": float("inf")}),
    "without the near-copy filter": (True, replace(RANK_ALL, diversity=False), {}),
    "title weight 1 instead of 3": (
        True, RANK_ALL, {"FIELD_WEIGHTS": {**related_index.FIELD_WEIGHTS, "title": 1.0}}),
}


def beer_scores(ablate: bool) -> list[tuple[str, str, str, str]]:
    posts, links = beer()
    ids = [p.id for p in posts]
    base = baseline_rankings([p.title + "\n" + _plain(p.body) for p in posts], len(posts))
    queries = [i for i, p in enumerate(posts) if p.id in links]

    def measures(rankings):
        r1 = r10 = mrr = 0.0
        for i in queries:
            gold = links[ids[i]]
            ranked = [ids[j] for j in rankings[i]]
            r1 += len(gold & set(ranked[:1])) / len(gold)
            r10 += len(gold & set(ranked[:K])) / len(gold)
            mrr += next((1 / (r + 1) for r, d in enumerate(ranked) if d in gold), 0.0)
        n = len(queries)
        return r1 / n, r10 / n, mrr / n

    name = f"Stack Exchange beer links ({len(queries)} queries, {len(posts)} questions)"
    b, o = measures(base), measures(ours_rankings(posts, with_tags=True)[0])
    rows = [(name, m, f"{x:.3f}", f"{y:.3f}") for m, x, y in zip(("R@1", "R@10", "MRR"), b, o)]
    if ablate:
        for label, (with_tags, options, constants) in ABLATIONS.items():
            with _setting(**constants):
                a = measures(ours_rankings(posts, with_tags, options)[0])
            rows.append((f"beer, {label}", "R@1 / R@10 / MRR",
                         " / ".join(f"{x:.3f}" for x in b), " / ".join(f"{x:.3f}" for x in a)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["test", "train"])
    parser.add_argument("--ablate", action="store_true",
                        help="also beer rows with one part of the ranking switched off")
    parser.add_argument("--small-sites", action="store_true",
                        help="also P@10 on five random 800-post sites from the split")
    args = parser.parse_args()
    rows = newsgroup_scores(args.split)
    if args.small_sites:
        rows += small_site_scores(args.split)
    if args.split == "test":
        rows += beer_scores(args.ablate)
    print("\n| set | measure | TF-IDF baseline (same run) | Afterword |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
