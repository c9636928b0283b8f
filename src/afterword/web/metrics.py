"""Prometheus metrics. Counters other parts increment live here so names stay consistent.

Each worker process keeps its own counts (scrape each worker, or run one worker per port);
that keeps the hot path free of cross-process locking.
"""

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter(
    "afterword_http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "afterword_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
COMMENTS = Counter("afterword_comments_total", "Comments accepted, by outcome.", ["status"])
# Comments per group commit: near 1 under load means each comment pays its own fsync.
COMMIT_ROWS = Histogram("afterword_comment_commit_rows", "Comments written per commit.",
                        buckets=(1, 2, 4, 8, 16, 32, 64))
CHECKS = Counter("afterword_spam_checks_total", "Spam checks answered, by verdict.", ["verdict"])


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
