"""inloop.toml: defaults, and every mistake as an exact ``path:line: message``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inloop.model import Component
from inloop.read.config import ConfigResult, TomlLines, load_config, with_base_url

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-11-26 12:00 UTC"

MINIMAL = """\
title = "Acme Status"
base_url = "https://status.acme.example"

[[components]]
id = "api"
name = "Public API"
"""


def load(tmp_path: Path, text: str | bytes, shown: str = "inloop.toml") -> ConfigResult:
    path = tmp_path / "inloop.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return load_config(tmp_path, shown)


def errors(tmp_path: Path, text: str | bytes) -> list[str]:
    result = load(tmp_path, text)
    assert result.config is None, "a config with errors must not be usable"
    return sorted(str(p) for p in result.problems)


def test_minimal_config_and_defaults(tmp_path: Path) -> None:
    result = load(tmp_path, MINIMAL)
    assert result.problems == []
    config = result.config
    assert config is not None
    assert config.title == "Acme Status"
    assert config.base_url == "https://status.acme.example/"  # always ends with '/'
    assert config.timezone_name == "UTC"
    assert config.zone is UTC
    assert config.language == "en"
    assert config.description == ""
    assert config.contact is None
    assert config.feed_items == 50
    assert config.history_page_size == 25
    assert config.components == (Component("api", "Public API"),)
    assert result.component_ids == frozenset({"api"})


def test_every_option(tmp_path: Path) -> None:
    text = """\
title = "Acme Status"
base_url = "https://example.com/status/"
timezone = "Europe/Berlin"
language = "pt-BR"
description = "Live status"
contact = "mailto:support@acme.example"
feed_items = 10
history_page_size = 5

[[components]]
id = "api"
name = "Public API"
group = "Platform"
description = "REST API"

[[components]]
id = "file-storage"
name = "File storage"
"""
    config = load(tmp_path, text).config
    assert config is not None
    assert config.base_url == "https://example.com/status/"
    assert config.zone == ZoneInfo("Europe/Berlin")
    assert config.timezone_name == "Europe/Berlin"
    assert config.language == "pt-BR"
    assert config.contact == "mailto:support@acme.example"
    assert (config.feed_items, config.history_page_size) == (10, 5)
    assert config.components == (
        Component("api", "Public API", "Platform", "REST API"),
        Component("file-storage", "File storage"),
    )


def test_the_example_config_loads() -> None:
    result = load_config(REPO, "inloop.toml")
    assert result.problems == []
    assert result.config is not None
    assert len(result.config.components) >= 8
    assert 2 <= len(result.config.groups) <= 3
    assert result.config.history_page_size == 10


COMPONENT = '\n[[components]]\nid = "api"\nname = "Public API"\n'
HEAD = 'title = "T"\nbase_url = "https://e.example/"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'titel = "T"\nbase_url = "https://e.example/"\n' + COMPONENT,
            [
                "inloop.toml:1: missing required key 'title'",
                "inloop.toml:1: unknown key 'titel': did you mean 'title'?",
            ],
            id="unknown-key-did-you-mean",
        ),
        pytest.param(
            HEAD + 'timezone = "UTC"\ncolour = "red"\n' + COMPONENT,
            [
                "inloop.toml:4: unknown key 'colour': expected one of 'title', 'base_url', 'timezone', 'language', "
                "'description', 'contact', 'feed_items', 'history_page_size', 'favicon', 'components', 'check', "
                "'notify', 'publish', 'alerts', 'subscriptions', 'uptime'"
            ],
            id="unknown-key-nothing-close",
        ),
        pytest.param(
            HEAD + "\nfoo.bar = 1\n" + COMPONENT,
            [
                "inloop.toml:4: unknown key 'foo': expected one of 'title', 'base_url', 'timezone', 'language', "
                "'description', 'contact', 'feed_items', 'history_page_size', 'favicon', 'components', 'check', "
                "'notify', 'publish', 'alerts', 'subscriptions', 'uptime'"
            ],
            id="unknown-dotted-key",
        ),
        pytest.param(
            'base_url = "https://e.example/"\n' + COMPONENT,
            ["inloop.toml:1: missing required key 'title'"],
            id="missing-title",
        ),
        pytest.param(
            'title = "T"\n' + COMPONENT,
            ["inloop.toml:1: missing required key 'base_url'"],
            id="missing-base-url",
        ),
        pytest.param(
            HEAD,
            ["inloop.toml:1: at least one [[components]] table is required"],
            id="missing-components",
        ),
        pytest.param(
            HEAD + "components = []\n",
            ["inloop.toml:3: at least one [[components]] table is required"],
            id="empty-components",
        ),
        pytest.param(
            HEAD + 'components = ["api"]\n',
            ["inloop.toml:3: 'components' must be an array of tables ([[components]])"],
            id="components-not-tables",
        ),
        pytest.param(
            HEAD + '[components]\nid = "api"\nname = "A"\n',
            ["inloop.toml:3: 'components' must be an array of tables ([[components]])"],
            id="components-single-table",
        ),
        pytest.param(
            'title = ""\nbase_url = "https://e.example/"\n' + COMPONENT,
            ["inloop.toml:1: 'title' must not be empty"],
            id="empty-title",
        ),
        pytest.param(
            'title = 5\nbase_url = "https://e.example/"\n' + COMPONENT,
            ["inloop.toml:1: 'title' must be a string, found a whole number"],
            id="title-type",
        ),
        pytest.param(
            HEAD + "language = true\n" + COMPONENT,
            ["inloop.toml:3: 'language' must be a string, found true/false"],
            id="language-type",
        ),
        pytest.param(
            HEAD + 'language = "English"\n' + COMPONENT,
            ["inloop.toml:3: 'language' must be a language tag such as 'en' or 'pt-BR', found 'English'"],
            id="language-tag",
        ),
        pytest.param(
            HEAD + 'feed_items = "10"\n' + COMPONENT,
            ["inloop.toml:3: 'feed_items' must be a whole number, found a string"],
            id="feed-items-type",
        ),
        pytest.param(
            HEAD + "feed_items = 2.5\n" + COMPONENT,
            ["inloop.toml:3: 'feed_items' must be a whole number, found a number"],
            id="feed-items-float",
        ),
        pytest.param(
            HEAD + "history_page_size = true\n" + COMPONENT,
            ["inloop.toml:3: 'history_page_size' must be a whole number, found true/false"],
            id="page-size-bool",
        ),
        pytest.param(
            HEAD + "history_page_size = 0\n" + COMPONENT,
            ["inloop.toml:3: 'history_page_size' must be at least 1, found 0"],
            id="page-size-zero",
        ),
        pytest.param(
            HEAD + "description = 2026-11-20\n" + COMPONENT,
            ["inloop.toml:3: 'description' must be a string, found a date"],
            id="description-date",
        ),
        pytest.param(
            'title = "T"\nbase_url = "ftp://e.example/"\n' + COMPONENT,
            ["inloop.toml:2: 'base_url' must be an http or https URL with a host, found 'ftp://e.example/'"],
            id="base-url-scheme",
        ),
        pytest.param(
            'title = "T"\nbase_url = "status.acme.example"\n' + COMPONENT,
            ["inloop.toml:2: 'base_url' must be an http or https URL with a host, found 'status.acme.example'"],
            id="base-url-no-scheme",
        ),
        pytest.param(
            'title = "T"\nbase_url = "https://"\n' + COMPONENT,
            ["inloop.toml:2: 'base_url' must be an http or https URL with a host, found 'https://'"],
            id="base-url-no-host",
        ),
        pytest.param(
            'title = "T"\nbase_url = "https://e.example/status/?lang=en"\n' + COMPONENT,
            [
                "inloop.toml:2: 'base_url' must not have a query or a fragment, "
                "found 'https://e.example/status/?lang=en'"
            ],
            id="base-url-query",
        ),
        pytest.param(
            HEAD + 'contact = "support team"\n' + COMPONENT,
            ["inloop.toml:3: 'contact' must be an http(s) URL or a mailto: address, found 'support team'"],
            id="contact",
        ),
        pytest.param(
            HEAD + 'timezone = "Europe/Berln"\n' + COMPONENT,
            ["inloop.toml:3: unknown time zone 'Europe/Berln': did you mean 'Europe/Berlin'?"],
            id="timezone-typo",
        ),
        pytest.param(
            HEAD + 'timezone = "Berlin"\n' + COMPONENT,
            ["inloop.toml:3: unknown time zone 'Berlin': did you mean 'Europe/Berlin'?"],
            id="timezone-city",
        ),
        pytest.param(
            HEAD + 'timezone = "Mars/Olympus_Mons"\n' + COMPONENT,
            [
                "inloop.toml:3: unknown time zone 'Mars/Olympus_Mons': "
                "expected an IANA name such as 'Europe/Berlin' or 'UTC'"
            ],
            id="timezone-unknown",
        ),
        pytest.param(
            HEAD + 'timezone = "../../etc/passwd"\n' + COMPONENT,
            [
                "inloop.toml:3: unknown time zone '../../etc/passwd': "
                "expected an IANA name such as 'Europe/Berlin' or 'UTC'"
            ],
            id="timezone-path",
        ),
        pytest.param(
            HEAD + '\n[[components]]\nid = "API"\nname = "A"\n',
            [
                "inloop.toml:5: component id 'API' must be a lowercase slug "
                "(letters a-z, digits and single '-' between them)"
            ],
            id="component-id-uppercase",
        ),
        pytest.param(
            HEAD + '\n[[components]]\nid = "file storage"\nname = "A"\n',
            [
                "inloop.toml:5: component id 'file storage' must be a lowercase slug "
                "(letters a-z, digits and single '-' between them)"
            ],
            id="component-id-space",
        ),
        pytest.param(
            HEAD + '\n[[components]]\nid = "api--v2"\nname = "A"\n',
            [
                "inloop.toml:5: component id 'api--v2' must be a lowercase slug "
                "(letters a-z, digits and single '-' between them)"
            ],
            id="component-id-double-dash",
        ),
        pytest.param(
            HEAD + '\n[[components]]\nid = 5\nname = "A"\n',
            ["inloop.toml:5: 'id' must be a string, found a whole number"],
            id="component-id-type",
        ),
        pytest.param(
            HEAD + '\n[[components]]\nname = "A"\n',
            ["inloop.toml:4: [[components]] #1 missing required key 'id'"],
            id="component-missing-id",
        ),
        pytest.param(
            HEAD + COMPONENT + '\n[[components]]\nid = "db"\n',
            ["inloop.toml:8: [[components]] #2 missing required key 'name'"],
            id="component-missing-name",
        ),
        pytest.param(
            HEAD + COMPONENT + '\n[[components]]\nid = "db"\nname = "Database"\ncolor = "red"\n',
            ["inloop.toml:11: unknown key 'color': expected one of 'id', 'name', 'group', 'description'"],
            id="component-unknown-key",
        ),
        pytest.param(
            HEAD + COMPONENT + '\n[[components]]\nid = "db"\nname = "Database"\ngrup = "Data"\n',
            ["inloop.toml:11: unknown key 'grup': did you mean 'group'?"],
            id="component-unknown-key-did-you-mean",
        ),
        pytest.param(
            HEAD + COMPONENT + '\n[[components]]\nid = "api"\nname = "API again"\n',
            ["inloop.toml:9: duplicate component id 'api' (first on line 5)"],
            id="duplicate-component-id",
        ),
        pytest.param(
            HEAD + COMPONENT + "group = 3\n",
            ["inloop.toml:7: 'group' must be a string, found a whole number"],
            id="component-group-type",
        ),
        pytest.param(
            HEAD + "[check]\ndisabel = []\n" + COMPONENT,
            ["inloop.toml:4: unknown key 'disabel': did you mean 'disable'?"],
            id="check-unknown-key",
        ),
        pytest.param(
            HEAD + 'publish = "s3"\n' + COMPONENT,
            ["inloop.toml:3: 'publish' must be a table ([publish])"],
            id="publish-not-a-table",
        ),
    ],
)
def test_config_errors(tmp_path: Path, text: str, expected: list[str]) -> None:
    assert errors(tmp_path, text) == sorted(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            HEAD + "\nthis is not toml\n" + COMPONENT,
            "inloop.toml:4: TOML syntax error: Expected '=' after a key in a key/value pair",
            id="no-equals",
        ),
        pytest.param('title = "T\n', "inloop.toml:1: TOML syntax error: Illegal character '\\n'", id="open-string"),
        pytest.param(
            HEAD + 'title = "again"\n' + COMPONENT,
            "inloop.toml:3: TOML syntax error: Cannot overwrite a value (is a key or table given twice?)",
            id="duplicate-key",
        ),
        pytest.param(
            HEAD + "[check]\n[check]\n" + COMPONENT,
            "inloop.toml:4: TOML syntax error: Cannot declare ('check',) twice",
            id="duplicate-table",
        ),
        pytest.param(
            HEAD + "feed_items = \n",
            "inloop.toml:3: TOML syntax error: Invalid value",
            id="no-value",
        ),
    ],
)
def test_toml_syntax_errors_have_their_line(tmp_path: Path, text: str, expected: str) -> None:
    result = load(tmp_path, text)
    assert [str(p) for p in result.problems] == [expected]
    assert result.config is None
    # content can still be checked: the zone falls back to UTC, component ids are unknown
    assert result.zone is UTC
    assert result.component_ids is None


def test_missing_config_file(tmp_path: Path) -> None:
    result = load_config(tmp_path, "mysite/inloop.toml")
    assert [str(p) for p in result.problems] == [
        "mysite/inloop.toml:1: no inloop.toml here: is this a status site? "
        "(give its folder with --source; 'inloop init' makes one)"
    ]


def test_config_that_is_not_utf8(tmp_path: Path) -> None:
    result = load(tmp_path, b'title = "T"\ndescription = "caf\xe9"\n')
    assert [str(p) for p in result.problems] == [
        "inloop.toml:2: not valid UTF-8 text (byte 0xe9 at offset 30): save the file as UTF-8"
    ]


def test_a_broken_config_still_gives_what_content_needs(tmp_path: Path) -> None:
    text = 'title = 5\nbase_url = "https://e.example/"\ntimezone = "Europe/Berlin"\n' + COMPONENT
    result = load(tmp_path, text)
    assert result.config is None
    assert result.zone == ZoneInfo("Europe/Berlin")
    assert result.component_ids == frozenset({"api"})
    # when a component is broken, ids are unknown, so content is not checked against them
    text = HEAD + COMPONENT + '\n[[components]]\nid = "Bad Id"\nname = "x"\n'
    assert load(tmp_path, text).component_ids is None


def test_lines_skip_multiline_strings(tmp_path: Path) -> None:
    text = '''\
description = """
titel = "not a key, just text"
"""
title = "T"
base_url = "https://e.example/"
titel = "a real mistake"

[[components]]
id = "api"
name = "A"
description = \'\'\'
id = "also text"
\'\'\'

[[components]]
id = "api"
name = "B"
'''
    assert errors(tmp_path, text) == [
        "inloop.toml:16: duplicate component id 'api' (first on line 9)",
        "inloop.toml:6: unknown key 'titel': did you mean 'title'?",
    ]


def test_toml_lines() -> None:
    lines = TomlLines('a = 1\n\n[[components]]\nid = "x"\n\n[[components]]\n  id = "y"\n[publish]\ns3.bucket = "b"\n')
    assert lines.line("a") == 1
    assert lines.line("components", "0", "id") == 4
    assert lines.line("components", "1", "id") == 7
    assert lines.line("components", "1", "name") == 6  # missing key: the table's line
    assert lines.line("publish", "s3") == 9
    assert lines.line("nothing") == 1


def test_with_base_url(tmp_path: Path) -> None:
    config = load(tmp_path, MINIMAL).config
    assert config is not None
    preview = with_base_url(config, "http://localhost:8000/preview")
    assert preview.base_url == "http://localhost:8000/preview/"
    assert preview.digest != config.digest
    with pytest.raises(ValueError, match="--base-url must be an http or https URL with a host, found 'preview'"):
        with_base_url(config, "preview")


def test_config_errors_are_reported_with_content_errors(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    config = 'title = "T"\nbase_url = "https://e.example/"\ntimezone = "Europe/Berlin"\nlanguag = "en"\n' + COMPONENT
    site = make_site(
        tmp_path / "site-src",
        config=config,
        incidents={
            "a": "---\ntitle: A\nimpact: huge\ncomponents: [apj]\n---\n## 2026-11-20 14:02 — Investigating\nx\n",
        },
    )
    result = run_cli(["build", "--source", str(site), "--now", NOW, "--output", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.error_lines == [
        f"{site}/content/incidents/a.md:3: 'impact' must be one of none, minor, major, critical; found 'huge'",
        f"{site}/content/incidents/a.md:4: unknown component 'apj': did you mean 'api'?",
        f"{site}/inloop.toml:4: unknown key 'languag': did you mean 'language'?",
        "build failed: 3 errors; the site was not changed",
    ]
    assert not (tmp_path / "out").exists()


def test_toml_syntax_error_is_reported_with_content_errors(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    site = make_site(
        tmp_path / "s",
        config='title = "T"\nbase_url = \n',
        incidents={
            "a": "---\ntitle: A\nimpact: huge\ncomponents: [anything]\n---\n## 2026-11-20 14:02 — Investigating\nx\n",
            "b": "---\ntitle: B\n",
        },
    )
    result = run_cli(["build", "--source", str(site), "--now", NOW, "--output", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.error_lines == [
        f"{site}/content/incidents/a.md:3: 'impact' must be one of none, minor, major, critical; found 'huge'",
        f"{site}/content/incidents/b.md:1: unclosed front matter: no closing '---' line after the opening one",
        f"{site}/inloop.toml:2: TOML syntax error: Invalid value",
        "build failed: 3 errors; the site was not changed",
    ]
