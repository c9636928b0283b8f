"""The import and export commands as an operator runs them: the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from importers.kit import FIXTURES


def _afterword(*args: str, db, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERWORD_")}
    env.update({"AFTERWORD_DATABASE_URL": f"sqlite:///{db}", "AFTERWORD_DATA_DIR": str(tmp_path)})
    return subprocess.run([sys.executable, "-m", "afterword", *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_move_a_site_between_servers(tmp_path):
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    assert _afterword("sites", "add", "https://blog.example", db=old, tmp_path=tmp_path)\
        .returncode == 0
    imported = _afterword("import", "wordpress", str(FIXTURES / "wordpress.xml"), "--site",
                          "https://blog.example", "--skip-pings", db=old, tmp_path=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "imported spam\t1" in imported.stdout and "skipped: pingback\t1" in imported.stdout
    assert "rejected line 144 (wp:comment 201)" in imported.stdout

    exported = _afterword("export", "--site", "https://blog.example", db=old, tmp_path=tmp_path)
    assert exported.returncode == 0 and "exported 9 comment(s)" in exported.stderr
    site_json = tmp_path / "site.json"
    site_json.write_text(exported.stdout)
    assert json.loads(exported.stdout)["site"]["url"] == "https://blog.example"

    moved = _afterword("import", "afterword", str(site_json), db=new, tmp_path=tmp_path)
    assert moved.returncode == 0, moved.stderr
    assert "imported published\t6" in moved.stdout and "imported spam\t1" in moved.stdout
    again = _afterword("import", "afterword", str(site_json), db=new, tmp_path=tmp_path)
    assert "already imported\t9" in again.stdout


def test_missing_file_and_unknown_site_are_one_line_errors(tmp_path):
    db = tmp_path / "a.db"
    missing = _afterword("import", "disqus", str(tmp_path / "nope.xml"), "--site",
                         "https://blog.example", db=db, tmp_path=tmp_path)
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    unknown = _afterword("import", "disqus", str(FIXTURES / "disqus.xml"), "--site",
                         "https://nowhere.example", db=db, tmp_path=tmp_path)
    assert unknown.returncode == 1 and "no such site" in unknown.stderr
    assert "Traceback" not in unknown.stderr
