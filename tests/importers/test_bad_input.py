"""Hostile or broken files: a clear error naming the line, or a counted skip; never half
an import."""

from __future__ import annotations

import io
import resource
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importers.kit import FIXTURES, comments, import_file

from afterword.db.models import Site
from afterword.importers import ImportFileError

WXR_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            b'xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n')


def _comment(cid: int, content: bytes, date: bytes = b"2020-01-01 10:00:00") -> bytes:
    return (b"<wp:comment><wp:comment_id>%d</wp:comment_id><wp:comment_author>A</wp:comment_author>"
            b"<wp:comment_date_gmt>%s</wp:comment_date_gmt><wp:comment_content><![CDATA[%s]]>"
            b"</wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
            b"<wp:comment_parent>0</wp:comment_parent></wp:comment>\n") % (cid, date, content)


def _item(body: bytes) -> bytes:
    return (b"<item><title>T</title><link>https://blog.example/t/</link>"
            b"<wp:post_id>1</wp:post_id>\n" + body + b"</item>\n")


def test_truncated_file_imports_nothing(sessions, site, tmp_path):
    data = (FIXTURES / "wordpress.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: data.index(b"<title>Second post")])  # after 7 good comments
    with pytest.raises(ImportFileError, match=r"line \d+.*truncated"):
        import_file(sessions, cut, "wordpress")
    assert comments(sessions) == []


def test_wrong_format_is_named(sessions, site, tmp_path):
    with pytest.raises(ImportFileError, match="not a WordPress export.*<disqus>"):
        import_file(sessions, FIXTURES / "disqus.xml", "wordpress")
    with pytest.raises(ImportFileError, match="not a Disqus export.*<rss>"):
        import_file(sessions, FIXTURES / "wordpress.xml", "disqus")
    binary = tmp_path / "comments.db"
    binary.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 4)
    with pytest.raises(ImportFileError, match="line 1.*not a valid WordPress export"):
        import_file(sessions, binary, "wordpress")
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError):
        import_file(sessions, empty, "wordpress")
    assert comments(sessions) == []


def test_billion_laughs_is_refused_without_expanding(sessions, site, tmp_path):
    bomb = tmp_path / "bomb.xml"
    lines = [b'<?xml version="1.0"?>', b'<!DOCTYPE rss [', b' <!ENTITY lol "lol">']
    lines += [b' <!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
              for i in range(1, 10)]
    lines += [b"]>", WXR_HEAD.split(b"\n", 1)[1] + _item(_comment(1, b"&lol9;")),
              b"</channel></rss>"]
    bomb.write_bytes(b"\n".join(lines))
    with pytest.raises(ImportFileError, match="line 2: the file declares a DTD"):
        import_file(sessions, bomb, "wordpress")
    assert comments(sessions) == []


def test_external_entity_is_refused(sessions, site, tmp_path):
    xxe = tmp_path / "xxe.xml"
    xxe.write_bytes(b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    + WXR_HEAD.split(b"\n", 1)[1] + _item(_comment(1, b"x")) + b"</channel></rss>")
    with pytest.raises(ImportFileError, match="DTD"):
        import_file(sessions, xxe, "wordpress")


def test_broken_entities_are_repaired_not_fatal(sessions, site, tmp_path):
    path = tmp_path / "entities.xml"
    path.write_bytes(WXR_HEAD + b"<item><title>Caf&eacute; & bar &bogus; &#0;</title>"
                     b"<link>https://blog.example/t/</link><wp:post_id>1</wp:post_id>\n"
                     + _comment(1, b"fine") + b"</item></channel></rss>")
    assert import_file(sessions, path, "wordpress").imported == 1
    assert comments(sessions)[0]["title"] == "Café & bar &bogus; \ufffd"


def test_huge_comment_is_a_counted_skip_in_flat_memory(sessions, site, tmp_path):
    path = tmp_path / "huge.xml"
    with path.open("wb") as out:
        out.write(WXR_HEAD + b"<item><title>T</title><link>https://blog.example/t/</link>"
                  b"<wp:post_id>1</wp:post_id>\n" + _comment(1, b"small and fine"))
        out.write(b"<wp:comment><wp:comment_id>2</wp:comment_id><wp:comment_date_gmt>2020-01-01"
                  b" 10:00:00</wp:comment_date_gmt><wp:comment_content><![CDATA[")
        block = b"spam " * 200_000  # 1 MB, no newline: one 100 MB line in all
        for _ in range(100):
            out.write(block)
        out.write(b"]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
                  b"</wp:comment>\n</item></channel></rss>\n")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = import_file(sessions, path, "wordpress")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert report.counts == {"imported published": 1, "skipped: too long": 1}
    assert report.rejects[0].startswith("line 5 (wp:comment 2)")
    assert grown_mb < 40, f"a 100 MB comment raised peak memory by {grown_mb:.0f} MB"


def test_cli_error_is_one_line_and_says_nothing_was_imported(tmp_path):
    env = {"AFTERWORD_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
           "AFTERWORD_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "afterword"]
    subprocess.run([*run, "sites", "add", "https://blog.example"], env=env, check=True,
                   capture_output=True)
    result = subprocess.run([*run, "import", "wordpress", str(FIXTURES / "disqus.xml"),
                             "--site", "https://blog.example"], env=env, capture_output=True,
                            text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "not a WordPress export" in result.stderr
    assert "nothing was imported" in result.stderr


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400) | st.text(alphabet="<>&;![]CDATA/ wp:comment#x0123\n",
                                         max_size=300).map(str.encode))
def test_any_bytes_end_in_a_clear_error_or_an_import(sessions, site, data):
    from afterword.importers import disqus, wordpress
    from afterword.importers.core import Writer

    for module in (wordpress, disqus):
        with sessions() as session:
            writer = Writer(session, session.get(Site, 1), "fuzz")
            try:
                module.read(io.BytesIO(WXR_HEAD + data), writer)
            except ImportFileError:
                pass
            session.rollback()


@given(st.text(max_size=200))
def test_repair_keeps_valid_xml_text_as_it_was(text):
    from xml.sax.saxutils import escape

    from afterword.importers.xmlstream import repair_entities

    escaped = escape(text).encode("utf-8", "surrogatepass")
    assert repair_entities(escaped, False) == (escaped, False)
