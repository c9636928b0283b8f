"""The demo site served by ``make run``: a few sample articles with the comment thread embedded.

The articles were written for this project. The demo site is an ordinary Afterword site
(its URL is ``base_url``), so what a reader does here is what a reader does on a real site.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterword.config import Settings
from afterword.db.models import User
from afterword.moderation.accounts import create_user, generate_password
from afterword.related.store import ArticleIn, upsert_article
from afterword.sites import add_site, get_site

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    date: str
    tags: tuple[str, ...]
    paragraphs: tuple[str, ...]


ARTICLES = (
    Article(
        "harbour-ferry-returns",
        "The harbour ferry returns after forty years",
        "2026-11-02",
        ("transport", "city"),
        (
            "For the first time since 1986, a passenger ferry crossed the harbour this morning, "
            "carrying ninety commuters from the old fish market to the business district in "
            "eleven minutes.",
            "The service runs every twenty minutes at rush hour and hourly at other times. The "
            "two boats are battery-electric and recharge at the market pier while passengers "
            "board.",
            "City planners expect the ferry to take four hundred cars a day off the ring road. "
            "Residents of the market quarter, who lost their bus route in the spring, were the "
            "first in the queue.",
            "Tickets cost the same as a bus fare, and monthly passes are valid on both.",
        ),
    ),
    Article(
        "library-seed-bank",
        "The library that lends seeds",
        "2026-11-09",
        ("gardening", "community"),
        (
            "Between the atlases and the local history shelves, the central library now keeps "
            "a wooden cabinet of two hundred small drawers, each holding seeds.",
            "Borrowers take a packet of beans, tomatoes or marigolds, grow them, and bring back "
            "seeds from the best plants at the end of the season. Over a few years the "
            "collection adapts to the town's soil and weather.",
            "Volunteers run germination tests every winter so that no drawer lends seeds that "
            "will not sprout. Last year ninety-one percent of the returned seed was viable.",
            "The library asks borrowers to label returns with the street where they grew, "
            "which has turned into a map of which varieties thrive where.",
        ),
    ),
    Article(
        "ferry-late-crossing",
        "Harbour ferry adds a late-night crossing after busy first month",
        "2026-11-20",
        ("transport", "city"),
        (
            "The harbour ferry will run a last crossing at half past eleven from next week, "
            "after commuters and theatre-goers filled the boats in its first month of service.",
            "The battery-electric ferry carried more than forty thousand passengers since it "
            "returned to the harbour, twice the number planners expected. The late boat leaves "
            "the business district pier and stops at the old fish market.",
            "Residents of the market quarter asked for the later crossing at a public meeting. "
            "Ferry tickets and monthly passes stay valid on the night boat, as on the buses.",
            "The operator says a weekend crossing after midnight will be tried in the spring if "
            "the late boat stays as full through the winter.",
        ),
    ),
    Article(
        "seed-swap-day",
        "Seed swap day brings three hundred gardeners to the library",
        "2026-11-22",
        ("gardening", "community"),
        (
            "The central library's seed cabinet had its busiest day yet on Saturday, when three "
            "hundred gardeners came to swap seeds of beans, tomatoes, marigolds and squash.",
            "Borrowers brought back seeds saved from their best plants, labelled with the street "
            "where they grew, and volunteers sorted them into the cabinet's drawers.",
            "The library will run germination tests on the returned seed over the winter before "
            "lending it again in the spring.",
            "Gardeners without seed to return can still borrow: the cabinet asks only that they "
            "try to save some from the plants they grow.",
        ),
    ),
    Article(
        "night-sky-ordinance",
        "Council votes to dim the streetlights after midnight",
        "2026-11-16",
        ("city", "environment", "astronomy"),
        (
            "After a year-long trial in two districts, the council voted on Tuesday to dim "
            "residential streetlights to thirty percent between midnight and five in the "
            "morning.",
            "The trial found no rise in reported crime or road accidents, and a sixty percent "
            "cut in the lights' energy use. Motion sensors raise the light to full brightness "
            "when someone walks or cycles past.",
            "Amateur astronomers, who campaigned for the change, say the Milky Way is visible "
            "again from the park on clear nights.",
            "Main roads and crossings are not affected and stay fully lit all night.",
        ),
    ),
)
_BY_SLUG = {a.slug: a for a in ARTICLES}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{head}
<style>
body {{ font: 18px/1.6 Georgia, serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; background: #fff; }}
@media (prefers-color-scheme: dark) {{ body {{ color: #ddd; background: #181818; }}
  a {{ color: #9cf; }} }}
header a {{ text-decoration: none; font-weight: bold; }}
.meta {{ color: #777; font-size: .9rem; }}
</style>
</head>
<body>
<header><a href="/">The Harbour Gazette</a> <span class="meta">(an Afterword demo site)</span></header>
<main>
{body}
</main>
</body>
</html>
"""


def _page(title: str, body: str, head: str = "") -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), head=head, body=body))


@router.get("/")
def index(request: Request) -> HTMLResponse:
    items = "\n".join(
        f'<li><a href="/articles/{a.slug}">{escape(a.title)}</a> '
        f'<span class="meta">{a.date} · <a data-afterword-count href="/articles/{a.slug}">'
        f"comments</a></span></li>"
        for a in ARTICLES
    )
    site = request.app.state.settings.base_url
    body = f"<h1>Latest stories</h1>\n<ul>\n{items}\n</ul>"
    script = f'<script src="/count.js" data-site="{escape(site)}" defer></script>'
    return _page("The Harbour Gazette", body + script)


@router.get("/articles/{slug}")
def article(slug: str, request: Request) -> HTMLResponse:
    art = _BY_SLUG.get(slug)
    if art is None:
        raise HTTPException(404, "no such article")
    base = request.app.state.settings.base_url.rstrip("/")
    url = f"{base}/articles/{art.slug}"
    head = (
        f'<link rel="canonical" href="{escape(url)}">\n'
        f'<meta property="og:title" content="{escape(art.title)}">\n'
        f'<meta property="article:published_time" content="{art.date}">\n'
        + "".join(f'<meta property="article:tag" content="{escape(t)}">\n' for t in art.tags)
    )
    paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in art.paragraphs)
    body = (
        f"<article><header><h1>{escape(art.title)}</h1>"
        f'<p class="meta"><time datetime="{art.date}">{art.date}</time> · '
        f'{escape(", ".join(art.tags))}</p></header>\n{paragraphs}</article>\n'
        f'<div id="afterword" data-site="{escape(base)}" data-url="{escape(url)}" '
        f'data-title="{escape(art.title)}" data-related="3" data-also-read-after="3"></div>\n'
        '<script src="/embed.js" defer></script>'
    )
    return _page(art.title, body, head)


def seed_demo(session: Session, settings: Settings) -> str | None:
    """Create the demo site and, on first start only, an owner account.

    Returns the new admin password (to print once) or None when the account already exists.
    """
    site = get_site(session, settings.base_url) or add_site(
        session, settings.base_url, name="The Harbour Gazette (demo)")
    # Index the articles now, so "Related posts" shows on the very first visit to each page.
    base = settings.base_url.rstrip("/")
    for art in ARTICLES:
        upsert_article(session, site, ArticleIn(
            url=f"{base}/articles/{art.slug}", title=art.title, body=" ".join(art.paragraphs),
            tags=list(art.tags), published_at=datetime.fromisoformat(art.date)), source="demo")
    password = None
    if session.scalar(select(User).where(User.username == "admin")) is None:
        password = generate_password()
        create_user(session, "admin", password, role="owner")
    session.commit()
    return password
