"""``--learn``: imported spam and ham teach the site's model through Engine.learn."""

from __future__ import annotations

from datetime import UTC, datetime

from importers.kit import FIXTURES, SITE, import_file

from afterword.db.spam_store import SqlStateStore
from afterword.importers.learn import learn_from_import
from afterword.sites import get_site
from afterword.spam import Engine, Submission

SPAM = Submission(content="Cheap replica watches here http://watches.example/",
                  author="best watches", author_email="seo@spam.example",
                  user_ip="198.51.100.0", permalink=f"{SITE}/2019/05/sourdough-at-altitude/")


def test_learning_from_an_import_moves_the_site_model(sessions, site):
    engine = Engine(SqlStateStore(sessions))
    with sessions() as session:
        site_id = str(get_site(session, SITE).id)
    before = engine.check(site_id, SPAM, observe=False).probability
    started = datetime.now(UTC)
    import_file(sessions, FIXTURES / "disqus.xml", "disqus")
    with sessions() as session:
        taught = learn_from_import(sessions, get_site(session, SITE), "disqus", started, engine)
    assert taught == 5            # 3 published + 2 spam; the deleted one teaches nothing
    after = engine.check(site_id, SPAM, observe=False).probability
    assert after > before
    # a second run of the same import adds nothing, so it teaches nothing either
    started = datetime.now(UTC)
    import_file(sessions, FIXTURES / "disqus.xml", "disqus")
    with sessions() as session:
        assert learn_from_import(sessions, get_site(session, SITE), "disqus", started,
                                 engine) == 0
