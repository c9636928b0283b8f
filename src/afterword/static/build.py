"""Build the widget: ``python -m afterword.static.build`` writes embed.js and count.js.

The sources in ``src/`` are what people read and edit. The build only inlines the CSS and
the translations into embed.js and drops comments and indentation, so its output is the
same bytes on every machine (checked by the tests) and needs nothing but Python.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
BUDGET = 10 * 1024  # bytes gzipped: embed.js with its CSS


def _strip_js(source: str) -> str:
    # Only whole-line comments and leading spaces go: the code keeps its line breaks, so no
    # statement can merge with the next one and no string literal is touched.
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


def _strip_css(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"\s+", " ", source)
    return re.sub(r"\s*([{};:,>])\s*", r"\1", source).replace(";}", "}").strip()


def build() -> dict[str, bytes]:
    css = _strip_css((SRC / "embed.css").read_text("utf-8"))
    strings = json.loads((SRC / "i18n.json").read_text("utf-8"))
    embed = (SRC / "embed.js").read_text("utf-8")
    embed = embed.replace("__CSS__", json.dumps(css, ensure_ascii=False)).replace(
        "__I18N__", json.dumps(strings, ensure_ascii=False, separators=(",", ":")))
    return {
        "embed.js": _strip_js(embed).encode("utf-8"),
        "count.js": _strip_js((SRC / "count.js").read_text("utf-8")).encode("utf-8"),
    }


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def main() -> int:
    outputs = build()
    for name, data in outputs.items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes, {gzipped_size(data)} gzipped")
    size = gzipped_size(outputs["embed.js"])
    if size > BUDGET:
        print(f"embed.js is {size} bytes gzipped, over the {BUDGET}-byte budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
