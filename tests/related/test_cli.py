"""``afterword related`` through the real command line and a real SQLite database."""

from __future__ import annotations

import subprocess
import sys

from support import REPO

PAGE = """<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<item><title>Hello</title><link>https://blog.example/hello/</link>
<content:encoded><![CDATA[<p>Hello world of bread</p>]]></content:encoded>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item></channel></rss>"""


def run(tmp_path, *args):
    env = {"AFTERWORD_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", "PATH": "/usr/bin:/bin",
           "AFTERWORD_DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "afterword", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_import_remove_restore_and_stats(tmp_path):
    assert run(tmp_path, "sites", "add", "https://blog.example").returncode == 0
    export = tmp_path / "wp.xml"
    export.write_text(PAGE)
    out = run(tmp_path, "related", "import-wxr", "https://blog.example", str(export))
    assert out.returncode == 0, out.stderr
    assert "indexed 1" in out.stdout
    assert run(tmp_path, "related", "remove", "https://blog.example",
               "https://blog.example/hello/").returncode == 0
    assert "removed   wxr   1" in run(tmp_path, "related", "stats",
                                      "https://blog.example").stdout
    missing = run(tmp_path, "related", "remove", "https://blog.example", "https://x.example/")
    assert missing.returncode != 0
    assert "no such article" in missing.stderr and "Traceback" not in missing.stderr
