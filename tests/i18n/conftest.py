"""Fixtures for the catalog tests: the template, a pseudo-locale, builds of the example in a language."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from i18n_support import NOW, PSEUDO, BuildIn, copy_example, pseudo_text, read_catalog

from inloop import i18n


@pytest.fixture(scope="session")
def template() -> Catalog:
    """The committed ``inloop.pot``."""
    return read_catalog(i18n.TEMPLATE)


@pytest.fixture(scope="session")
def pseudo_locale_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for ``$INLOOP_LOCALE_DIR`` with the pseudo-locale's catalog, made from the template now."""
    catalog = Catalog(locale="en", charset="utf-8", fuzzy=False)  # English's plural rule
    for message in read_catalog(i18n.TEMPLATE):
        if not message.id:
            continue
        if isinstance(message.id, str):
            string: str | tuple[str, ...] = pseudo_text(message.id)
        else:
            string = tuple(pseudo_text(form) for form in message.id)
        catalog.add(message.id, string, flags=message.flags - {"fuzzy"}, context=message.context)
    folder = tmp_path_factory.mktemp("pseudo-locale")
    target = folder / PSEUDO.replace("-", "_") / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    target.parent.mkdir(parents=True)
    with target.open("wb") as f:
        write_po(f, catalog)
    return folder


@pytest.fixture(scope="session")
def build_in(tmp_path_factory: pytest.TempPathFactory) -> BuildIn:
    """``build_in(language, env={...})`` → the example site built in ``language``: its output folder."""
    from click.testing import CliRunner

    from inloop.cli.main import main

    built: dict[tuple[str, tuple[tuple[str, str], ...]], Path] = {}

    def build(language: str, env: dict[str, str] | None = None) -> Path:
        key = (language, tuple(sorted((env or {}).items())))
        if key not in built:
            root = tmp_path_factory.mktemp(f"example-{language}")
            source = copy_example(root / "source", language)
            output = root / "site"
            args = ["build", "--source", str(source), "--output", str(output), "--now", NOW]
            result = CliRunner().invoke(main, args, env={"SOURCE_DATE_EPOCH": None, **(env or {})})
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise AssertionError(f"inloop {' '.join(args)} raised {result.exception!r}") from result.exception
            assert result.exit_code == 0, result.output
            built[key] = output
        return built[key]

    return build
