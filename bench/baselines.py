#!/usr/bin/env python3
"""The two baselines bench/run measures inloop against, each run as its own process.

    python bench/baselines.py floor --site SITE --built OUT --dest DIR
    python bench/baselines.py naive --site SITE --dest DIR

**I/O floor**: reads every source file of the site (``inloop.toml``,
``content/``, ``templates/``, ``static/``; hidden files and folders such as
the cache are skipped), then reads every file of a build's output and writes
the same bytes to the same relative paths under ``DIR``, with plain
``open``/``write``.  It does no rendering at all, so no build can beat it: a
warm build (every page in the cache) should come close.

**Naive renderer**: what a first attempt in Python looks like.  One page per
incident, no caching, one process: split the front matter off, parse it with
``yaml.safe_load``, render the body with Python-Markdown (the ``extra`` and
``sane_lists`` extensions inloop uses, one converter reset between files),
fill a small Jinja template, write ``DIR/incidents/<id>/index.html``.  It
makes no history, component, feed or API pages, so inloop writes far more.

Each prints one line of JSON on stdout: what it read and wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SOURCE_TOP = ("inloop.toml", "content", "templates", "static")

NAIVE_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ meta.title }} · {{ site_title }}</title>
<link rel="stylesheet" href="../../style.css">
</head>
<body>
<header><a href="../../">{{ site_title }}</a></header>
<main>
<article>
<h1>{{ meta.title }}</h1>
<p>Impact: {{ meta.impact | default("none") }}</p>
{% if components %}<ul class="components">{% for id in components %}<li>{{ id }}</li>{% endfor %}</ul>{% endif %}
{% if meta.get("cause") %}<p><strong>Cause:</strong> {{ meta.cause }}</p>{% endif %}
{{ body | safe }}
</article>
</main>
<footer><a href="../../feed.xml">RSS</a></footer>
</body>
</html>
"""


def source_files(site: Path) -> list[Path]:
    """Every input of a build under ``site``, skipping hidden names."""
    found: list[Path] = []
    for top in SOURCE_TOP:
        path = site / top
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(root) / name for name in sorted(names) if not name.startswith("."))
    return found


def io_floor(site: Path, built: Path, dest: Path) -> dict[str, int]:
    """Read the sources, then copy ``built`` into ``dest`` byte for byte with open/write."""
    read = 0
    sources = source_files(site)
    for path in sources:
        with open(path, "rb") as stream:
            read += len(stream.read())
    files = written = 0
    made: set[str] = set()
    for root, _dirs, names in os.walk(built):
        relative = os.path.relpath(root, built)
        target_dir = dest if relative == "." else dest / relative
        if str(target_dir) not in made:
            os.makedirs(target_dir, exist_ok=True)
            made.add(str(target_dir))
        for name in names:
            with open(os.path.join(root, name), "rb") as stream:
                data = stream.read()
            with open(os.path.join(target_dir, name), "wb") as stream:
                stream.write(data)
            files += 1
            written += len(data)
    return {"sources": len(sources), "source_bytes": read, "files": files, "bytes": written}


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter, body) of a ``---``-fenced file; no front matter gives ("", text)."""
    if not text.startswith("---\n"):
        return "", text
    end = text.find("\n---\n", 3)
    if end < 0:
        return "", text
    return text[4 : end + 1], text[end + 5 :]


def naive(site: Path, dest: Path) -> dict[str, int]:
    """Render one page per incident, the straightforward way."""
    # imported here, so that the I/O floor's time holds no import of theirs
    import jinja2
    import markdown
    import yaml

    config = tomllib.loads((site / "inloop.toml").read_text("utf-8"))
    site_title = str(config.get("title", "Status"))
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(NAIVE_TEMPLATE)
    converter = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    pages = written = 0
    folder = site / "content" / "incidents"
    for path in sorted(folder.glob("*.md")):
        front, body = split_front_matter(path.read_text("utf-8"))
        meta: Any = yaml.safe_load(front) if front else {}
        if not isinstance(meta, dict):
            meta = {}
        meta.setdefault("title", path.stem)
        components = meta.get("components") or []
        if isinstance(components, dict):
            components = list(components)
        converter.reset()
        html = converter.convert(body)
        page = template.render(meta=meta, site_title=site_title, components=components, body=html)
        data = page.encode("utf-8")
        target = dest / "incidents" / path.stem
        target.mkdir(parents=True, exist_ok=True)
        with open(target / "index.html", "wb") as stream:
            stream.write(data)
        pages += 1
        written += len(data)
    return {"files": pages, "bytes": written}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The I/O floor and the naive renderer of bench/run.")
    commands = parser.add_subparsers(dest="command", required=True)
    floor_parser = commands.add_parser("floor", help="read the sources, copy a build's output")
    floor_parser.add_argument("--site", type=Path, required=True)
    floor_parser.add_argument("--built", type=Path, required=True)
    floor_parser.add_argument("--dest", type=Path, required=True)
    naive_parser = commands.add_parser("naive", help="Python-Markdown + Jinja, one page per incident")
    naive_parser.add_argument("--site", type=Path, required=True)
    naive_parser.add_argument("--dest", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "floor":
        result = io_floor(args.site, args.built, args.dest)
    else:
        result = naive(args.site, args.dest)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
