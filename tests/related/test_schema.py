"""The related-posts tables migrate on both databases and keep articles across restarts."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from afterword.db.migrate import upgrade
from afterword.db.models import Site
from afterword.db.session import create_db_engine, make_session_factory
from afterword.related.store import ArticleIn, RelatedService, upsert_article


def _round_trip(url: str) -> None:
    engine = create_db_engine(url)
    upgrade(engine)
    assert {"related_articles", "related_state"} <= set(inspect(engine).get_table_names())
    sessions = make_session_factory(engine)
    with sessions() as s:
        site = Site(url="https://a.example", name="a", allowed_origins=[], settings={})
        s.add(site)
        s.flush()
        for i, words in enumerate(["red apples orchard", "green apples orchard", "jazz piano"]):
            upsert_article(s, site, ArticleIn(url=f"https://a.example/{i}", title=words,
                                              body=words * 3), source="api")
        s.commit()
        site_id = site.id
    # A fresh service is a restarted worker: it rebuilds from the rows.
    hits = RelatedService(sessions).related(site_id, "https://a.example/0", 2)
    assert [h.url for h in hits][:1] == ["https://a.example/1"]
    engine.dispose()


def test_sqlite(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'r.db'}")


@pytest.mark.postgres
def test_postgres(fresh_postgres):
    _round_trip(fresh_postgres)
