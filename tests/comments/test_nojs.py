"""Without JavaScript: the thread as plain HTML and a form that posts and comes back."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from comments.comments_kit import ARTICLE, SITE, Reader, configure


def _form_token(html: str) -> str:
    marker = 'name="token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def test_thread_page_shows_comments_and_a_form(reader, client):
    reader.posted("Plain **HTML** works", author="Nojs")
    r = client.get("/t", params={"site": SITE, "url": ARTICLE})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<strong>HTML</strong>" in r.text and "Nojs" in r.text
    assert '<form id="form" method="post" action="/t">' in r.text
    assert "Learn how your comment data" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_form_posts_and_redirects_back(client, site):
    page = client.get("/t", params={"site": SITE, "url": ARTICLE}).text
    assert _form_token(page)
    r = client.post("/t", data={"site": SITE, "url": ARTICLE, "text": "From a form",
                                "author": "Form", "token": Reader(client).token(),
                                "honeypot": ""},
                    follow_redirects=False)
    assert r.status_code == 303
    target = urlsplit(r.headers["location"])
    assert target.path == "/t" and parse_qs(target.query)["posted"] == ["published"]
    back = client.get(r.headers["location"])
    assert "From a form" in back.text and "your comment is published" in back.text


def test_held_comment_says_awaiting_moderation(client, sessions, site):
    configure(sessions, ip_per_minute=100, moderation="all")
    page = client.get("/t", params={"site": SITE, "url": ARTICLE}).text
    r = client.post("/t", data={"site": SITE, "url": ARTICLE, "text": "Held words",
                                "token": _form_token(page)})
    assert "Your comment is awaiting moderation." in r.text
    assert "Held words" not in r.text


def test_form_error_keeps_what_was_typed(client, site):
    r = client.post("/t", data={"site": SITE, "url": ARTICLE, "text": "typed <b>text</b>",
                                "email": "not-an-email", "token": "x"})
    assert r.status_code == 400
    assert "email address does not look valid" in r.text
    assert "typed &lt;b&gt;text&lt;/b&gt;" in r.text


def test_reply_link_prefills_the_parent(reader, client):
    root = reader.posted("root")["comment"]["id"]
    r = client.get("/t", params={"site": SITE, "url": ARTICLE, "reply": root})
    assert f'name="parent" value="{root}"' in r.text


def test_unknown_site_is_a_plain_404(client, site):
    r = client.get("/t", params={"site": "https://nope.example", "url": ARTICLE})
    assert r.status_code == 404 and "unknown site" in r.text
