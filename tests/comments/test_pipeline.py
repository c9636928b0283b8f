"""The comment pipeline behind the API door: limits per network, and requests that give up."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from comments.comments_kit import ARTICLE, SITE, configure
from sqlalchemy import select

from afterword.comments import pipeline
from afterword.comments.pipeline import NewComment, Visitor
from afterword.comments.store import Rejected
from afterword.db.models import Comment, Site


def _post(app, ip: str, text: str = "A thoughtful remark about the harbour ferry."):
    service = app.state.comments
    with app.state.sessions() as session:
        site_id = session.scalar(select(Site.id))
    token = service.tokens.render_token(site_id, time.time() - 30)
    return service.post(SITE, Visitor(ip=ip), NewComment(url=ARTICLE, text=text, token=token))


def test_addresses_of_one_network_share_its_rate_limit_and_are_stored_as_it(
        app, site, sessions):
    configure(sessions, ip_per_minute=2)
    asyncio.run(_post(app, "203.0.113.5"))
    asyncio.run(_post(app, "203.0.113.77"))
    with pytest.raises(Rejected) as refused:
        asyncio.run(_post(app, "203.0.113.200"))
    assert refused.value.status == 429
    asyncio.run(_post(app, "198.51.100.5"))  # another /24: its own count
    asyncio.run(_post(app, "2001:db8:1:2::5"))
    asyncio.run(_post(app, "2001:db8:1:3::5"))
    with pytest.raises(Rejected):
        asyncio.run(_post(app, "2001:db8:1:4::5"))  # the same /48
    with sessions() as session:
        stored = session.scalars(select(Comment.ip)).all()
    assert sorted(set(stored)) == ["198.51.100.0", "2001:db8:1::", "203.0.113.0"]


def test_a_post_given_up_while_waiting_for_its_checks_is_not_stored(app, site, sessions):
    release = threading.Event()
    busy = [pipeline._CHECKS.submit(release.wait, 30) for _ in range(2)]  # both check threads

    async def give_up() -> None:
        posting = asyncio.ensure_future(_post(app, "203.0.113.5", "never mind"))
        await asyncio.sleep(0.1)
        posting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await posting

    try:
        asyncio.run(give_up())
    finally:
        release.set()
    for waiting in busy:
        waiting.result(timeout=30)
    asyncio.run(_post(app, "203.0.113.6", "a later comment"))  # queued behind the given-up one
    with sessions() as session:
        assert session.scalars(select(Comment.text)).all() == ["a later comment"]
