"""The README is the operator's reference: it must keep up with the code."""

import re

from afterword.config import Settings
from support import REPO

README = (REPO / "README.md").read_text()


def test_quick_start_is_the_two_make_commands():
    assert "make run" in README and "make test" in README


def test_every_setting_is_documented():
    table = README.split("<!-- settings-table", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)`", table))
    missing = set(Settings.model_fields) - documented
    assert not missing, f"settings missing from the README's configuration table: {sorted(missing)}"


def test_every_cli_command_in_readme_exists():
    from typer.main import get_command

    from afterword.cli import app

    commands = set(get_command(app).commands)
    mentioned = set(re.findall(r"`afterword ([a-z]+)", README))
    assert mentioned <= commands, f"README mentions unknown commands: {mentioned - commands}"


def test_documentation_links_resolve():
    targets = re.findall(r"\]\(((?:docs|bench|src)/[^)#]+)\)", README)
    missing = [t for t in targets if not (REPO / t).exists()]
    assert targets and not missing, f"README links to missing files: {missing}"
