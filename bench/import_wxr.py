"""Import throughput and peak memory on large generated WordPress exports.

    .venv/bin/python bench/import_wxr.py [--sizes 20,80] [--out bench/results/import.md]

For each size (MB of WXR) a file is generated (items of 50 comments: a third replies,
some spam, pending, trash and pingbacks, HTML entities outside CDATA), then imported by the
real CLI (``afterword import wordpress``) into a fresh SQLite database in a child process,
whose peak RSS is read from ``getrusage(RUSAGE_CHILDREN)``. The baseline, measured in the
same run, is the parser alone (``afterword.importers.xmlstream`` over the same file, no
database): the gap is the cost of writing. Peak memory staying flat as the file grows is
what shows the import streams.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORDS = ("ferry harbour timetable bread crumb sourdough altitude yeast oven garden roses "
         "winter morning letter notes field river bridge lantern").split()
STATUSES = ["1"] * 14 + ["0", "spam", "spam", "trash"]


def generate(path: Path, megabytes: int, seed: int = 7) -> int:
    """Write a WXR file of about ``megabytes`` MB; returns the number of comments."""
    rng = random.Random(seed)
    target = megabytes * 1_000_000
    count = post = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
                  'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                  'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
                  '<title>Bench &amp; Co</title>\n')
        while out.tell() < target:
            post += 1
            out.write(f"<item>\n<title>Post {post} &ndash; notes</title>\n"
                      f"<link>https://blog.example/{post // 100}/post-{post}/</link>\n"
                      f"<wp:post_id>{post}</wp:post_id>\n<wp:post_type>post</wp:post_type>\n"
                      "<wp:comment_status>open</wp:comment_status>\n")
            for n in range(1, 51):
                count += 1
                parent = rng.randrange(1, n) if n > 1 and rng.random() < 0.33 else 0
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 90)))
                kind = "pingback" if rng.random() < 0.02 else ""
                out.write(
                    "<wp:comment>\n"
                    f"<wp:comment_id>{n}</wp:comment_id>\n"
                    f"<wp:comment_author><![CDATA[Reader {rng.randrange(5000)}]]></wp:comment_author>\n"
                    f"<wp:comment_author_email>r{rng.randrange(5000)}@example.org</wp:comment_author_email>\n"
                    "<wp:comment_author_url></wp:comment_author_url>\n"
                    f"<wp:comment_author_IP>203.0.{rng.randrange(256)}.{rng.randrange(256)}</wp:comment_author_IP>\n"
                    f"<wp:comment_date_gmt>2020-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 10:00:00</wp:comment_date_gmt>\n"
                    f"<wp:comment_content><![CDATA[{text}.\n\nSecond paragraph &amp; more.]]></wp:comment_content>\n"
                    f"<wp:comment_approved>{rng.choice(STATUSES)}</wp:comment_approved>\n"
                    f"<wp:comment_type>{kind}</wp:comment_type>\n"
                    f"<wp:comment_parent>{parent}</wp:comment_parent>\n"
                    "</wp:comment>\n")
            out.write("</item>\n")
        out.write("</channel>\n</rss>\n")
    return count


PARSE_ONLY = """
import sys, time, resource
from afterword.importers.xmlstream import parse
from afterword.importers.wordpress import PREFIXES
start = time.perf_counter(); n = 0
with open(sys.argv[1], "rb") as f:
    for event, element, depth in parse(f, PREFIXES, 100_001, "WordPress export"):
        n += event == "end" and element.tag == "wp:comment"
print(n, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def child(args: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """Run a child process; returns stdout, wall seconds and its peak RSS in MB."""
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    return done.stdout, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measure(megabytes: int, work: Path) -> dict[str, float]:
    wxr = work / f"bench-{megabytes}mb.xml"
    comments = generate(wxr, megabytes)
    size = wxr.stat().st_size / 1e6
    # Peak RSS of children is a running maximum: each measurement runs in its own
    # grandchild so the figure belongs to that run alone.
    parse_out = _isolated([sys.executable, "-c", PARSE_ONLY, str(wxr)], os.environ.copy())
    n, parse_s, parse_rss_kb = parse_out.split()
    db = work / f"bench-{megabytes}.db"
    env = {**os.environ, "AFTERWORD_DATABASE_URL": f"sqlite:///{db}",
           "AFTERWORD_DATA_DIR": str(work)}
    afterword = [sys.executable, "-m", "afterword"]
    subprocess.run([*afterword, "sites", "add", "https://blog.example"], env=env, check=True,
                   capture_output=True)
    report = _isolated([sys.executable, "-c", IMPORT_TIMED, str(wxr)], env)
    lines = report.strip().splitlines()
    wall, rss_kb = (float(v) for v in lines[-1].split())
    rerun = _isolated([sys.executable, "-c", IMPORT_TIMED, str(wxr)], env)
    rerun_wall = float(rerun.strip().splitlines()[-1].split()[0])
    wxr.unlink()
    db.unlink()
    return {"mb": size, "comments": comments, "parsed": int(n), "parse_s": float(parse_s),
            "parse_rss": int(parse_rss_kb) / 1024, "import_s": wall, "import_rss": rss_kb / 1024,
            "rerun_s": rerun_wall, "outcomes": "; ".join(lines[:-1])}


IMPORT_TIMED = """
import sys, time, resource, subprocess
start = time.perf_counter()
out = subprocess.run([sys.executable, "-m", "afterword", "import", "wordpress", sys.argv[1],
                      "--site", "https://blog.example"], capture_output=True, text=True, check=True)
wall = time.perf_counter() - start
print("\\n".join(l for l in out.stdout.splitlines() if not l.startswith("rejected")))
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _isolated(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20,80", help="WXR sizes in MB, comma-separated")
    parser.add_argument("--out", type=Path, default=None, help="write a Markdown report here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        rows = [measure(mb, Path(tmp)) for mb in sizes]
    lines = [
        "| WXR size | comments | import (CLI, SQLite) | comments/s | peak RSS | re-run (all "
        "already imported) | parser alone (baseline) | parser comments/s | parser peak RSS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mb']:.0f} MB | {r['comments']:,} | {r['import_s']:.1f} s | "
            f"{r['comments'] / r['import_s']:,.0f} | {r['import_rss']:.0f} MB | "
            f"{r['rerun_s']:.1f} s | {r['parse_s']:.1f} s | "
            f"{r['parsed'] / r['parse_s']:,.0f} | {r['parse_rss']:.0f} MB |")
    ratio = statistics.median(r["import_s"] / r["parse_s"] for r in rows)
    lines += ["", f"Import takes {ratio:.1f}x the parser-only time (median over sizes).",
              "", "Outcomes of the largest import: " + rows[-1]["outcomes"]]
    text = "\n".join(lines)
    print(text)
    if args.out:
        head = (f"# Import benchmark\n\nCommand: `.venv/bin/python bench/import_wxr.py "
                f"--sizes {args.sizes} --out {args.out}`\n\nMachine: {os.cpu_count()} CPUs "
                f"(shared), Python {sys.version.split()[0]}, SQLite database on local disk.\n\n")
        args.out.write_text(head + text + "\n")


if __name__ == "__main__":
    main()
