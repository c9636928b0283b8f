"""Related-posts speed: index 100,000 articles, query latency, time until a new one shows.

    .venv/bin/python bench/related_speed.py [--articles 100000] [--queries 2000]

Articles are generated from 20 Newsgroups (train + test, headers stripped) and the Stack
Exchange beer questions: each generated article takes a real post's title and body and
mixes in paragraphs of another post of the same group, so term statistics stay natural.
Query latency is for uncached ``RelatedIndex.related`` calls (the service caches results
on top); the baseline in the same run is a brute-force TF-IDF cosine of the query's row
against every row (one sparse matrix-vector product). Wall-clock times mean something only
on a quiet machine; the CPU row (process time, all threads) is the one to compare on a
shared one.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from related_data import beer, newsgroups

from afterword.related.index import Doc, Options, RelatedIndex


def generate(n: int) -> list[Doc]:
    posts = newsgroups("train") + newsgroups("test")
    questions, _ = beer()
    posts += questions
    by_group: dict[str, list] = {}
    for p in posts:
        by_group.setdefault(p.label or "beer", []).append(p)
    rng = random.Random(0)
    docs = []
    for i in range(n):
        p = posts[i % len(posts)]
        body = p.body
        if i >= len(posts):
            other = rng.choice(by_group[p.label or "beer"])
            paras = p.body.split("\n\n") + other.body.split("\n\n")[:3]
            rng.shuffle(paras)
            body = "\n\n".join(paras)
        docs.append(Doc(key=f"https://news.example/{i}", title=p.title, body=body,
                        tags=p.tags, published=p.published))
    return docs


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    docs = generate(args.articles)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    index = RelatedIndex()
    started = time.perf_counter()
    index.rebuild(docs)
    build = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rng = random.Random(1)
    keys = [docs[rng.randrange(len(docs))].key for _ in range(args.queries)]
    opts = Options(limit=5)
    ours, base, ours_cpu, base_cpu = [], [], [], []
    for key in keys:
        t, c = time.perf_counter(), time.process_time()
        index.related(key, opts)
        ours.append(time.perf_counter() - t)
        ours_cpu.append(time.process_time() - c)
        row = index.rows[index.position[key]]
        t, c = time.perf_counter(), time.process_time()
        scores = (index.rows @ row.T).toarray().ravel()
        np.argpartition(-scores, 5)[:5]
        base.append(time.perf_counter() - t)
        base_cpu.append(time.process_time() - c)

    new = Doc(key="https://news.example/new", title="Fresh hops harvest at the brewery",
              body="The hop harvest this year gives a fresh ale with malt and yeast notes.")
    t = time.perf_counter()
    index.add(new)
    seen = any(h.key == new.key for h in index.related(new.key, Options(limit=1))) or bool(
        index.related(new.key, Options(limit=5)))
    searchable = time.perf_counter() - t

    # A burst of 10% new articles crosses the merge threshold: the merge must run beside
    # the readers, so no add() and no query waits for it.
    burst = [Doc(key=f"{d.key}/again", title=d.title, body=d.body, tags=d.tags,
                 published=d.published) for d in docs[: args.articles // 10 + 1]]
    slowest_add, during = 0.0, []
    merge_started = time.perf_counter()
    for k, doc in enumerate(burst):
        t = time.perf_counter()
        index.add(doc)
        slowest_add = max(slowest_add, time.perf_counter() - t)
        if k % 10 == 0:
            t = time.perf_counter()
            index.related(keys[k % len(keys)], opts)
            during.append(time.perf_counter() - t)
    index.wait_for_merge()
    merged = time.perf_counter() - merge_started

    print(f"| measure ({args.articles:,} articles) | value |\n|---|---|")
    print(f"| index build (tokenise + TF-IDF + LSA + word vectors) | {build:.1f} s |")
    print(f"| peak RSS after build (generated texts alone: {rss_before:.0f} MB) | {rss:.0f} MB |")
    print(f"| related query p50 / p99 (uncached, {args.queries} queries) | "
          f"{pct(ours, 50):.2f} / {pct(ours, 99):.2f} ms |")
    print(f"| baseline brute-force TF-IDF cosine p50 / p99 | "
          f"{pct(base, 50):.2f} / {pct(base, 99):.2f} ms |")
    print(f"| CPU per query p50 / p99 (process time), ours / baseline | "
          f"{pct(ours_cpu, 50):.2f} / {pct(ours_cpu, 99):.2f} ms / "
          f"{pct(base_cpu, 50):.2f} / {pct(base_cpu, 99):.2f} ms |")
    print(f"| new article added and its related list answered | "
          f"{searchable * 1000:.1f} ms (found: {seen}) |")
    print(f"| {len(burst):,} more added (merged in the background): slowest add() / "
          f"query p99 meanwhile / until merged | {slowest_add * 1000:.1f} ms / "
          f"{pct(during, 99):.2f} ms / {merged:.1f} s |")


if __name__ == "__main__":
    main()
