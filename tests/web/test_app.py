"""What every request gets: health, metrics, request ids, security headers, limits, CORS."""

import time

from sqlalchemy import update

from afterword.db.models import Site


def test_healthz_reports_database_ok(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def test_healthz_says_when_database_is_gone(client, db_engine, tmp_path):
    db_engine.dispose()
    (tmp_path / "afterword.db").unlink()
    (tmp_path / "afterword.db").mkdir()  # a directory where the file was: cannot be opened
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["database"] == "unreachable"


def test_metrics_count_requests_in_prometheus_format(client):
    client.get("/healthz")
    body = client.get("/metrics").text
    assert "# TYPE afterword_http_requests_total counter" in body
    assert 'afterword_http_requests_total{method="GET",route="/healthz",status="200"}' in body


def test_every_answer_has_a_request_id_and_nosniff(client):
    answer = client.get("/healthz")
    assert len(answer.headers["x-request-id"]) == 16
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers[
        "x-request-id"] == "abc-123"


def test_every_answer_says_how_long_the_server_worked_on_it(client):
    timing = client.get("/healthz").headers["server-timing"]
    name, _, duration = timing.partition(";dur=")
    assert name == "app" and 0 < float(duration) < 10_000


def test_oversized_body_is_refused_before_the_app(client, settings):
    answer = client.post("/healthz", content=b"x" * (settings.max_body_bytes + 1))
    assert answer.status_code == 413


def test_cors_follows_each_sites_allow_list(client, sessions, site_key):
    preflight = {"Origin": "https://blog.example", "Access-Control-Request-Method": "POST"}
    allowed = client.options("/api/v1/anything", headers=preflight)
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "https://blog.example"
    refused = client.options("/api/v1/anything", headers={**preflight, "Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


def test_cors_change_is_seen_without_restart(client, sessions, site_key, app):
    with sessions() as session:
        session.execute(update(Site).values(allowed_origins=["https://www.blog.example"]))
        session.commit()
    # The origin cache lives in the middleware; expire it as the passing of time would.
    cache = next(m.kwargs["allowed_origins"] for m in app.user_middleware
                 if "allowed_origins" in m.kwargs)
    cache._loaded_at = float("-inf")
    answer = client.options("/api/v1/x", headers={"Origin": "https://www.blog.example",
                                                  "Access-Control-Request-Method": "GET"})
    assert answer.status_code == 204


def test_logs_are_json_lines_with_request_id(client, capsys):
    import json
    import logging

    from afterword.logs import configure_logging

    configure_logging("info", "json")
    try:
        client.get("/healthz", headers={"X-Request-Id": "trace-me"})
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    finally:
        logging.getLogger().handlers[:] = []
    access = [e for e in lines if e["logger"] == "afterword.access"]
    assert access and access[-1]["request_id"] == "trace-me" and access[-1]["status"] == 200


def test_spam_events_buffered_at_shutdown_reach_the_database(app, sessions, monkeypatch):
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from afterword.db import spam_store
    from afterword.db.models import SpamEvent
    from afterword.spam import Submission
    from afterword.web.deps import spam_engine_for

    def stored() -> int:
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(SpamEvent))

    monkeypatch.setattr(spam_store, "FLUSH_SECONDS", 60)  # only the shutdown can write them
    with TestClient(app):
        engine = spam_engine_for(app)
        engine.check("1", Submission(content="first comment", user_ip="192.0.2.7"))
        engine.check("1", Submission(content="second comment", user_ip="192.0.2.8"))
        before = stored()
    assert stored() > before  # the second check's events were written as the app stopped


def test_checks_arriving_together_share_one_spam_engine(app, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    import afterword.db.spam_store as spam_store
    from afterword.web.deps import spam_engine_for

    built = []
    real_store = spam_store.SqlStateStore

    def slow_store(*args):  # widens the window in which the first checks overlap
        time.sleep(0.05)
        built.append(real_store(*args))
        return built[-1]

    monkeypatch.setattr(spam_store, "SqlStateStore", slow_store)
    with ThreadPoolExecutor(8) as pool:
        engines = list(pool.map(lambda _: spam_engine_for(app), range(8)))
    assert len(built) == 1 and all(engine is engines[0] for engine in engines)
    assert app.state.spam_store is built[0]
    built[0].close()
