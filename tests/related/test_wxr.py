"""WordPress export posts become articles: published posts only, tags kept, hostile files refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from afterword.db.models import RelatedArticle, Site
from afterword.importers.xmlstream import ImportFileError
from afterword.related import import_wxr_posts

ITEM = """<item><title>{title}</title><link>https://blog.example/{slug}/</link>
<content:encoded><![CDATA[<p>{body}</p><script>alert(1)</script>]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_date_gmt>2020-03-01 10:00:00</wp:post_date_gmt>
<wp:status>{status}</wp:status><wp:post_type>{kind}</wp:post_type>
<category domain="post_tag" nicename="bread">Bread</category>
<category domain="category" nicename="baking">Baking</category></item>"""

WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Blog</title>{items}</channel></rss>"""


def test_published_posts_are_imported_with_tags_and_plain_text(tmp_path, sessions, site_key):
    items = "".join([
        ITEM.format(title="Sourdough &amp; altitude", slug="a", body="Bread rises fast",
                    status="publish", kind="post"),
        ITEM.format(title="Draft", slug="b", body="not yet", status="draft", kind="post"),
        ITEM.format(title="Photo", slug="c", body="img", status="inherit", kind="attachment"),
    ])
    path = tmp_path / "export.xml"
    path.write_text(WXR.format(items=items), encoding="utf-8")
    with sessions() as s:
        site = s.scalar(select(Site))
        result = import_wxr_posts(s, site, path)
        s.commit()
        rows = s.scalars(select(RelatedArticle)).all()
    assert (result.indexed, result.skipped) == (1, 2)
    [row] = rows
    assert row.url == "https://blog.example/a/"
    assert row.title == "Sourdough & altitude"
    assert row.tags == ["Bread", "Baking"]
    assert "alert" not in row.body and "Bread rises fast" in row.body
    assert row.published_at.year == 2020


def test_a_file_with_a_dtd_is_refused(tmp_path, sessions, site_key):
    path = tmp_path / "bomb.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss>&a;</rss>')
    with sessions() as s, pytest.raises(ImportFileError):
        import_wxr_posts(s, s.scalar(select(Site)), path)
