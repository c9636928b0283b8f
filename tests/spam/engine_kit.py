"""Shared pieces for the engine tests: a small real text model and browser-like submissions.

The model is the project's own ``BaseModel`` trained on a handful of sentences, so engine
tests do not depend on the shipped artifact (which ``test_model.py`` covers) and their
expectations do not move when it is retrained.
"""

from __future__ import annotations

from functools import lru_cache

from afterword.spam import Submission
from afterword.spam.model import BaseModel

SPAM = [
    "Buy cheap viagra online now, best price pharmacy, click here http://pills.example",
    "Check out my channel and subscribe!!! free gift cards http://bit.ly/free-gift",
    "Make money fast working from home, earn $5000 a week, visit http://cash.example",
    "SLOT GACOR hari ini maxwin, daftar sekarang di situs judi terpercaya",
    "Best SEO services, cheap backlinks and traffic for your website, contact us",
    "Hot singles in your area want to meet you tonight, click the link",
    "Win a free iPhone now!!! Claim your prize at http://prize.example",
    "Cheap replica watches, rolex outlet sale 90% off, order online",
    "Get followers and likes for your instagram, cheap and fast, buy now",
    "Crypto investment doubles your bitcoin in 24 hours, guaranteed profit",
    "Payday loans approved instantly, no credit check, apply online today",
    "Download free movies and software cracks, no registration http://warez.example",
]
HAM = [
    "Thanks for the write-up, the part about tomato seedlings finally made sense to me.",
    "I disagree with the second point; the council voted on this last year already.",
    "My grandmother grew these in pots on her balcony and they were delicious.",
    "Great explanation of the ferry timetable changes, very useful for commuters.",
    "Could you share the recipe for the bread you mentioned at the end?",
    "We visited the museum last summer and the new wing is worth the trip.",
    "The library opening hours changed again, please update the article.",
    "I have been reading this blog for years and this is one of the best posts.",
    "Interesting history of the old mill, I never knew it was built in 1820.",
    "The photos of the harbour at dawn are beautiful, what camera do you use?",
    "Our school had the same problem with the heating and it took months to fix.",
    "Is there a way to follow the discussion about the new bike lanes?",
]
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
BLATANT = (
    "Buy cheap viagra online now, best price pharmacy, click here http://pills.example "
    "and win a free iPhone, earn $5000 a week"
)


@lru_cache(maxsize=1)
def tiny_model() -> BaseModel:
    return BaseModel(C=100.0).fit(SPAM + HAM, [1] * len(SPAM) + [0] * len(HAM))


def comment(content: str, **fields: object) -> Submission:
    """A submission as a real browser sends it, so no client rule fires by accident."""
    defaults: dict[str, object] = {
        "author": "Ann Example",
        "author_email": "ann@example.org",
        "user_ip": "198.51.100.7",
        "user_agent": BROWSER,
        "referrer": "https://blog.example/post",
        "permalink": "https://blog.example/post",
    }
    defaults.update(fields)
    return Submission(content=content, **defaults)  # type: ignore[arg-type]
