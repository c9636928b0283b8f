"""``--learn``: teach a site's spam model from the spam and ham an import just stored.

Runs after the import committed (a failed import teaches nothing) and reads the comments
back in pages, so a large import does not hold every submission in memory.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from afterword.db.models import Comment, ImportKey, Site, Thread
from afterword.sites import spam_config

#: A bulk import counts for less than a moderator's click, as Engine.learn intends.
IMPORT_WEIGHT = 0.5


def learn_from_import(sessions: sessionmaker[Session], site: Site, source: str,
                      since: datetime, engine=None) -> int:
    """Feed every spam and published comment of this import run to ``Engine.learn``."""
    from afterword.spam import Engine, Submission

    if engine is None:
        from afterword.db.spam_store import SqlStateStore

        engine = Engine(SqlStateStore(sessions))
    config = spam_config(site)
    taught = 0
    with sessions() as session:
        rows = session.execute(
            select(Comment.status, Comment.text, Comment.author, Comment.email,
                   Comment.website, Comment.ip, Comment.created_at, Thread.url,
                   Comment.parent_id, Comment.spam_submission)
            .join(ImportKey, ImportKey.comment_id == Comment.id)
            .join(Thread, Thread.id == Comment.thread_id)
            .where(ImportKey.site_id == site.id, ImportKey.source == source,
                   ImportKey.created_at >= since,
                   Comment.status.in_(("spam", "published")))
            .order_by(Comment.id).execution_options(yield_per=1000))
        for (status, text, author, email, website, ip, created, url, parent,
             recorded) in rows:
            kind = (recorded or {}).get("comment_type") or ("reply" if parent else "comment")
            submission = Submission(
                content=text, author=author, author_email=email, author_url=website,
                user_ip=ip, permalink=url, comment_type=kind, comment_date=created,
                blog=site.url)
            engine.learn(str(site.id), submission, status == "spam", weight=IMPORT_WEIGHT,
                         reporter=f"import:{source}", config=config)
            taught += 1
    return taught
