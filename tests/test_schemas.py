"""The JSON Schemas in tests/schemas/ are sound, accept real output and reject broken output.

The schemas are what other tests validate inloop's feed.json and api/v2/*.json against,
so they must be valid schemas, accept the real Statuspage files in tests/fixtures/real/
(copied unedited from the shared fixtures), and demonstrably fail on the mistakes they exist to catch.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from schema_validation import (
    assert_valid,
    errors,
    is_full_date,
    is_rfc3339_date_time,
    is_uri,
    load_schema,
    load_validator,
    registry,
    schema_names,
)

FIXTURES = Path(os.environ.get("INLOOP_FIXTURES", Path(__file__).resolve().parent / "fixtures" / "real"))
STATUSPAGE_FIXTURES = FIXTURES / "statuspage-api"

STATUSPAGE_FILES = [
    "summary",
    "status",
    "components",
    "incidents",
    "incidents-unresolved",
    "scheduled-maintenances",
    "scheduled-maintenances-upcoming",
    "scheduled-maintenances-active",
]

Doc = Any
Mutation = Callable[[Doc], None]


def load_fixture(name: str) -> Doc:
    path = STATUSPAGE_FIXTURES / name
    if not path.is_file():
        message = f"fixture {path} is missing (set INLOOP_FIXTURES to the fixtures folder)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return json.loads(path.read_text(encoding="utf-8"))


def problems(name: str, doc: Doc) -> list[str]:
    return list(errors(name, doc))


# --- documents ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def summary() -> Doc:
    return load_fixture("githubstatus-summary.json")


@pytest.fixture(scope="module")
def incidents() -> Doc:
    return load_fixture("githubstatus-incidents.json")


@pytest.fixture(scope="module")
def single_incident() -> Doc:
    return load_fixture("githubstatus-incident-lc8s9rtyjmgq.json")


def as_unresolved(incident: Doc) -> Doc:
    """A resolved fixture incident rewound to before its first monitoring update."""
    rewound = copy.deepcopy(incident)
    rewound["incident_updates"] = [
        u for u in rewound["incident_updates"] if u["status"] in ("investigating", "identified")
    ]
    rewound["status"] = rewound["incident_updates"][0]["status"]
    rewound["monitoring_at"] = None
    rewound["resolved_at"] = None
    return rewound


def as_maintenance(incident: Doc, status: str) -> Doc:
    """A fixture incident turned into a scheduled maintenance in the given state."""
    window = copy.deepcopy(incident)
    window.update(
        status=status,
        impact="maintenance",
        monitoring_at=None,
        resolved_at=window["resolved_at"] if status == "completed" else None,
        scheduled_for="2021-08-11T02:00:00.000Z",
        scheduled_until="2021-08-11T04:00:00.000-00:00",
    )
    for update in window["incident_updates"]:
        update["status"] = status
    return window


def with_group(components: Doc) -> Doc:
    """The fixture's components with the first two put into a group, as Statuspage nests them."""
    members = copy.deepcopy(components)
    group = copy.deepcopy(members[0])
    group.update(
        id="grp0000000001", name="Core", group=True, description=None, components=[members[0]["id"], members[1]["id"]]
    )
    for member in members[:2]:
        member["group_id"] = group["id"]
    return [group, *members]


@pytest.fixture(scope="module")
def api_files(summary: Doc, incidents: Doc) -> dict[str, Doc]:
    """One valid document for each Statuspage file, built from the real fixtures."""
    page = summary["page"]
    resolved = incidents["incidents"][0]
    open_incident = as_unresolved(resolved)
    upcoming = as_maintenance(resolved, "scheduled")
    active = as_maintenance(resolved, "in_progress")
    completed = as_maintenance(resolved, "completed")
    return {
        "summary": {**summary, "incidents": [open_incident], "scheduled_maintenances": [active, upcoming]},
        "status": {"page": page, "status": summary["status"]},
        "components": {"page": page, "components": with_group(summary["components"])},
        "incidents": {"page": incidents["page"], "incidents": [open_incident, completed, *incidents["incidents"][:48]]},
        "incidents-unresolved": {"page": page, "incidents": [open_incident]},
        "scheduled-maintenances": {"page": page, "scheduled_maintenances": [upcoming, active, completed]},
        "scheduled-maintenances-upcoming": {"page": page, "scheduled_maintenances": [upcoming]},
        "scheduled-maintenances-active": {"page": page, "scheduled_maintenances": [active]},
    }


# Every field the JSON Feed 1.1 specification defines, plus extensions and the deprecated
# 1.0 author object, which stays valid in 1.1.
FULL_FEED: Doc = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Example status",
    "home_page_url": "https://status.example.org/",
    "feed_url": "https://status.example.org/feed.json",
    "description": "Incidents and maintenance of Example.",
    "user_comment": "Subscribe in any feed reader.",
    "next_url": "https://status.example.org/feed-2.json",
    "icon": "https://status.example.org/icon-512.png",
    "favicon": "https://status.example.org/favicon-64.png",
    "authors": [
        {"name": "Example", "url": "https://example.org/", "avatar": "https://example.org/a.png", "_ext": {"x": 1}}
    ],
    "author": {"url": "mailto:ops@example.org"},
    "language": "en-US",
    "expired": False,
    "hubs": [{"type": "WebSub", "url": "https://hub.example.org/"}],
    "_inloop": {"about": "https://status.example.org/about", "feed_items": 2},
    "items": [
        {
            "id": "https://status.example.org/incidents/2024-01-02-db#update-2",
            "url": "https://status.example.org/incidents/2024-01-02-db#update-2",
            "external_url": "https://example.org/blog/db",
            "title": "Resolved: Database latency",
            "content_html": "<p>Fixed.</p>",
            "content_text": "Fixed.",
            "summary": "Fixed.",
            "image": "https://status.example.org/i.png",
            "banner_image": "https://status.example.org/b.png",
            "date_published": "2024-01-02T10:05:00+01:00",
            "date_modified": "2024-01-02T09:05:00.123Z",
            "authors": [{"name": "Ops"}],
            "author": {"name": "Ops"},
            "tags": ["Database", "resolved"],
            "language": "es-mx",
            "attachments": [
                {
                    "url": "https://status.example.org/r.pdf",
                    "mime_type": "application/pdf",
                    "title": "Report",
                    "size_in_bytes": 31415,
                    "duration_in_seconds": 0,
                    "_ext": {},
                }
            ],
            "_inloop": {"status": "resolved"},
        },
        {"id": "1", "content_text": "Plain text only, no title, no date."},
    ],
}

# The example at the top of the specification.
SPEC_EXAMPLE: Doc = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "My Example Feed",
    "home_page_url": "https://example.org/",
    "feed_url": "https://example.org/feed.json",
    "items": [
        {"id": "2", "content_text": "This is a second item.", "url": "https://example.org/second-item"},
        {"id": "1", "content_html": "<p>Hello, world!</p>", "url": "https://example.org/initial-post"},
    ],
}


# --- (a) the schemas themselves ---------------------------------------------------------


def test_every_expected_schema_is_there() -> None:
    expected = {"jsonfeed-1.1", "report", "shields-endpoint", "statuspage/defs", "statuspage/incident", "uptime"}
    expected |= {f"statuspage/{name}" for name in STATUSPAGE_FILES}
    assert set(schema_names()) == expected


@pytest.mark.parametrize("name", schema_names())
def test_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://inloop.invalid/schemas/{name}.schema.json"
    Draft202012Validator.check_schema(schema)


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


@pytest.mark.parametrize("name", schema_names())
def test_every_reference_resolves(name: str) -> None:
    schema = load_schema(name)
    resolver = registry().resolver(base_uri=schema["$id"])
    refs = _refs(schema)
    for ref in refs:
        resolver.lookup(ref)  # raises Unresolvable for a typo
    if name != "statuspage/defs":
        assert refs, "a file schema should build on shared definitions"


def test_every_definition_in_defs_is_used() -> None:
    defs = load_schema("statuspage/defs")["$defs"]
    used = {ref.rsplit("/", 1)[-1] for name in schema_names() for ref in _refs(load_schema(name))}
    assert set(defs) - used == set()


def test_unknown_schema_name_is_a_clear_error() -> None:
    with pytest.raises(LookupError, match=r"known: jsonfeed-1\.1"):
        load_validator("statuspage/nope")


def test_validators_are_draft_2020_12_and_check_formats() -> None:
    validator = load_validator("jsonfeed-1.1")
    assert isinstance(validator, Draft202012Validator)
    assert validator.format_checker is not None


# --- formats: enforced here whatever optional packages are installed ---------------------


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://status.example.org/incidents/x#update-1", True),
        ("https://status.example.org/feed.json?a=b&c=%20d", True),
        ("http://[::1]:8000/", True),
        ("mailto:ops@example.org", True),
        ("webcal://status.example.org/maintenance.ics", True),
        ("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", True),
        ("status.example.org/feed.json", False),  # relative
        ("/feed.json", False),
        ("", False),
        ("https://status example.org/", False),  # space
        ("https://status.example.org/%zz", False),  # bad escape
        ("https://status.example.org:port/", False),
        ("https://status.example.org/a[1]", False),
        ("https:///feed.json", False),  # no host
        ("https://status.example.org/ü", False),  # an IRI, not a URI
    ],
)
def test_uri_check(value: str, ok: bool) -> None:
    assert is_uri(value) is ok
    feed = {**SPEC_EXAMPLE, "home_page_url": value}
    assert (not problems("jsonfeed-1.1", feed)) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2010-02-07T14:04:00-05:00", True),
        ("2019-07-25T16:52:08.154-07:00", True),
        ("2016-12-31T23:59:60Z", True),  # leap second
        ("2024-02-29t00:00:00z", True),
        ("2023-02-29T00:00:00Z", False),  # not a leap year
        ("2024-13-01T00:00:00Z", False),
        ("2024-01-01T24:00:00Z", False),
        ("2024-01-01T00:00:00+24:00", False),
        ("2024-01-01T00:00:00", False),  # no offset
        ("2024-01-01 00:00:00Z", False),
        ("2024-01-01", False),
        ("Tue, 02 Jan 2024 10:05:00 +0100", False),  # RFC 822 belongs in RSS
    ],
)
def test_date_time_check(value: str, ok: bool) -> None:
    assert is_rfc3339_date_time(value) is ok
    feed = copy.deepcopy(SPEC_EXAMPLE)
    feed["items"][0]["date_published"] = value
    assert (not problems("jsonfeed-1.1", feed)) is ok


def test_date_check() -> None:
    assert is_full_date("2024-02-29")
    assert not is_full_date("2023-02-29")
    assert not is_full_date("2024-2-9")


# --- (b) real and realistic documents are accepted --------------------------------------


def test_real_summary_json_is_valid(summary: Doc) -> None:
    assert_valid("statuspage/summary", summary)


def test_real_incidents_json_is_valid(incidents: Doc) -> None:
    assert len(incidents["incidents"]) == 50
    assert_valid("statuspage/incidents", incidents)


def test_real_single_incident_is_valid_through_the_incident_definition(
    single_incident: Doc,
) -> None:
    assert set(single_incident) == {"page", "incident"}
    assert_valid("statuspage/incident", single_incident)
    # a realtime incident has no scheduled window: it is not a maintenance
    assert problems(
        "statuspage/scheduled-maintenances",
        {
            "page": single_incident["page"],
            "scheduled_maintenances": [single_incident["incident"]],
        },
    )


@pytest.mark.parametrize("name", STATUSPAGE_FILES)
def test_realistic_document_is_valid(name: str, api_files: dict[str, Doc]) -> None:
    assert_valid(f"statuspage/{name}", api_files[name])


@pytest.mark.parametrize("name", STATUSPAGE_FILES)
def test_empty_lists_are_valid(name: str, summary: Doc) -> None:
    """A site without components, incidents or maintenance still writes valid files."""
    keys = load_schema(f"statuspage/{name}")["required"]
    doc = {key: summary[key] if key in ("page", "status") else [] for key in keys}
    assert_valid(f"statuspage/{name}", doc)


@pytest.mark.parametrize("feed", [SPEC_EXAMPLE, FULL_FEED], ids=["spec-example", "every-field"])
def test_json_feed_is_valid(feed: Doc) -> None:
    assert_valid("jsonfeed-1.1", feed)


# --- (c) broken documents are rejected, for the right reason ----------------------------


def setter(path: str, value: object) -> Mutation:
    """Set the value at a path ("incidents/0/impact"); the last key may be new."""

    def mutate(doc: Doc) -> None:
        *parents, last = path.split("/")
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def deleter(path: str) -> Mutation:
    def mutate(doc: Doc) -> None:
        *parents, last = path.split("/")
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]

    return mutate


STAMP = "2021-08-10T20:09:03.904Z"

# (schema file, what is wrong, mutation, a fragment of the expected error)
BROKEN_STATUSPAGE: list[tuple[str, str, Mutation, str]] = [
    ("components", "unknown component status", setter("components/1/status", "down"), "'down' is not one of"),
    ("summary", "unknown status indicator", setter("status/indicator", "ok"), "'ok' is not one of"),
    ("incidents", "unknown impact", setter("incidents/2/impact", "severe"), "'severe' is not one of"),
    (
        "incidents",
        "an 'update' status, which Statuspage clients do not know",
        setter("incidents/2/incident_updates/0/status", "update"),
        "'update' is not one of",
    ),
    ("incidents", "capitalised status", setter("incidents/2/status", "Resolved"), "'Resolved' is not one of"),
    (
        "incidents",
        "unknown affected component status",
        setter(
            "incidents/0/incident_updates/0/affected_components",
            [{"code": "x", "name": "API", "old_status": "fine", "new_status": "operational"}],
        ),
        "'fine' is not one of",
    ),
    (
        "incidents",
        "realtime incident with a maintenance status",
        setter("incidents/2/status", "scheduled"),
        "'scheduled' is not one of",
    ),
    (
        "incidents",
        "realtime incident with impact maintenance",
        setter("incidents/2/impact", "maintenance"),
        "'maintenance' is not one of",
    ),
    ("components", "component without page_id", deleter("components/1/page_id"), "'page_id' is a required property"),
    (
        "components",
        "component without description (null is the value for none)",
        deleter("components/1/description"),
        "'description' is a required property",
    ),
    (
        "incidents",
        "incident without incident_updates",
        deleter("incidents/2/incident_updates"),
        "'incident_updates' is a required property",
    ),
    ("incidents", "incident without updates", setter("incidents/2/incident_updates", []), "should be non-empty"),
    (
        "incidents",
        "update without affected_components (null is the value for none)",
        deleter("incidents/2/incident_updates/0/affected_components"),
        "'affected_components' is a required property",
    ),
    ("status", "page without time_zone", deleter("page/time_zone"), "'time_zone' is a required property"),
    ("summary", "summary without status", deleter("status"), "'status' is a required property"),
    (
        "summary",
        "summary without scheduled_maintenances",
        deleter("scheduled_maintenances"),
        "'scheduled_maintenances' is a required property",
    ),
    (
        "incidents",
        "timestamp without milliseconds",
        setter("incidents/2/created_at", "2021-08-10T20:09:03Z"),
        "does not match",
    ),
    (
        "incidents",
        "timestamp with microseconds",
        setter("incidents/2/updated_at", "2021-08-10T20:09:03.904123Z"),
        "does not match",
    ),
    (
        "incidents",
        "timestamp without offset",
        setter("incidents/2/incident_updates/0/display_at", "2021-08-10T20:09:03.904"),
        "does not match",
    ),
    ("status", "timestamp with a space", setter("page/updated_at", "2021-08-10 20:09:03.904Z"), "does not match"),
    (
        "status",
        "page timestamp without milliseconds",
        setter("page/updated_at", "2021-08-10T20:09:03+02:00"),
        "does not match",
    ),
    (
        "components",
        "impossible date in a well-formed timestamp",
        setter("components/1/created_at", "2021-02-30T20:09:03.904Z"),
        "is not a 'date-time'",
    ),
    ("components", "start_date as a timestamp", setter("components/1/start_date", STAMP), "does not match"),
    ("incidents", "null created_at", setter("incidents/2/created_at", None), "None is not of type"),
    ("incidents", "null started_at", setter("incidents/2/started_at", None), "None is not of type"),
    ("components", "null name", setter("components/1/name", None), "None is not of type"),
    ("components", "position as a string", setter("components/1/position", "1"), "'1' is not of type 'integer'"),
    ("incidents", "misspelt key", setter("incidents/2/incident_update", []), "Additional properties are not allowed"),
    (
        "components",
        "key Statuspage does not have",
        setter("components/1/colour", "green"),
        "Additional properties are not allowed",
    ),
    (
        "summary",
        "top-level key Statuspage does not have",
        setter("generated_by", "inloop"),
        "Additional properties are not allowed",
    ),
    ("incidents", "relative shortlink", setter("incidents/2/shortlink", "/incidents/x"), "is not a 'uri'"),
    ("status", "page url that is not a URL", setter("page/url", "status page"), "is not a 'uri'"),
    ("components", "group without members", deleter("components/0/components"), "'components' is a required property"),
    ("components", "group with no members", setter("components/0/components", []), "should be non-empty"),
    ("components", "group inside a group", setter("components/0/group_id", "abc"), "'abc' is not of type 'null'"),
    (
        "components",
        "members listed on a component that is not a group",
        setter("components/1/components", ["x"]),
        "should not be valid under",
    ),
    (
        "incidents-unresolved",
        "a resolved incident among the unresolved",
        setter("incidents/0/status", "resolved"),
        "'resolved' is not one of",
    ),
    (
        "summary",
        "a resolved incident in the summary",
        setter("incidents/0/status", "resolved"),
        "'resolved' is not one of",
    ),
    (
        "summary",
        "a completed maintenance in the summary",
        setter("scheduled_maintenances/0/status", "completed"),
        "'completed' is not one of",
    ),
    (
        "scheduled-maintenances-upcoming",
        "an in-progress maintenance among the upcoming",
        setter("scheduled_maintenances/0/status", "in_progress"),
        "'scheduled' was expected",
    ),
    (
        "scheduled-maintenances-active",
        "a scheduled maintenance among the active",
        setter("scheduled_maintenances/0/status", "scheduled"),
        "'scheduled' is not one of",
    ),
    (
        "scheduled-maintenances",
        "maintenance without scheduled_until",
        deleter("scheduled_maintenances/0/scheduled_until"),
        "'scheduled_until' is a required property",
    ),
    (
        "scheduled-maintenances",
        "maintenance update with a realtime status",
        setter("scheduled_maintenances/0/incident_updates/0/status", "investigating"),
        "'investigating' is not one of",
    ),
    (
        "scheduled-maintenances",
        "maintenance window without milliseconds",
        setter("scheduled_maintenances/0/scheduled_for", "2021-08-11T02:00:00Z"),
        "does not match",
    ),
]


@pytest.fixture(scope="module")
def api_problems(api_files: dict[str, Doc]) -> dict[str, list[str]]:
    """The problems of each realistic document (none), found once for the tests that break a copy of it."""
    return {name: problems(f"statuspage/{name}", doc) for name, doc in api_files.items()}


@pytest.mark.parametrize(
    ("name", "mutate", "expected"),
    [pytest.param(name, mutate, expected, id=f"{name}: {what}") for name, what, mutate, expected in BROKEN_STATUSPAGE],
)
def test_broken_statuspage_document_is_rejected(
    name: str, mutate: Mutation, expected: str, api_files: dict[str, Doc], api_problems: dict[str, list[str]]
) -> None:
    doc = copy.deepcopy(api_files[name])
    assert api_problems[name] == []  # valid before the mutation
    mutate(doc)
    found = problems(f"statuspage/{name}", doc)
    assert found, "the schema accepted a broken document"
    assert any(expected in line for line in found), found


def test_more_than_50_incidents_is_rejected(incidents: Doc) -> None:
    doc = copy.deepcopy(incidents)
    doc["incidents"].append(doc["incidents"][0])
    assert any("is too long" in line for line in problems("statuspage/incidents", doc))


NOT_AN_EXTENSION = "does not match any of the regexes: '^_[A-Za-z][^.]*$'"

BROKEN_FEEDS: list[tuple[str, Mutation, str]] = [
    ("version 1.0", setter("version", "https://jsonfeed.org/version/1"), "was expected"),
    ("version with a trailing slash", setter("version", "https://jsonfeed.org/version/1.1/"), "was expected"),
    ("version over http", setter("version", "http://jsonfeed.org/version/1.1"), "was expected"),
    ("no version", deleter("version"), "'version' is a required property"),
    ("no title", deleter("title"), "'title' is a required property"),
    ("no items", deleter("items"), "'items' is a required property"),
    ("item without id", deleter("items/1/id"), "'id' is a required property"),
    ("numeric item id", setter("items/1/id", 1), "1 is not of type 'string'"),
    ("item without content", deleter("items/1/content_text"), "is not valid under any"),
    ("item content as null", setter("items/1/content_text", None), "None is not of type"),
    ("unknown top-level key", setter("link", "https://example.org/"), NOT_AN_EXTENSION),
    ("RSS-style item key", setter("items/0/pubDate", "x"), NOT_AN_EXTENSION),
    ("unknown author key", setter("authors/0/email", "a@example.org"), NOT_AN_EXTENSION),
    ("unknown attachment key", setter("items/0/attachments/0/length", 1), NOT_AN_EXTENSION),
    ("extension name with a digit after _", setter("_1ext", {}), NOT_AN_EXTENSION),
    ("extension name with a dot", setter("_ext.v2", {}), NOT_AN_EXTENSION),
    ("extension that is not an object", setter("_ext", 1), "1 is not of type 'object'"),
    ("extension member key with a dot", setter("_ext", {"a.b": 1}), "does not match"),
    ("date without offset", setter("items/0/date_published", "2024-01-02T10:05:00"), "does not match"),
    ("date in RFC 822", setter("items/0/date_modified", "Tue, 02 Jan 2024 10:05:00 +0100"), "does not match"),
    ("impossible date", setter("items/0/date_published", "2023-02-29T10:05:00Z"), "is not a 'date-time'"),
    ("relative home_page_url", setter("home_page_url", "/"), "is not a 'uri'"),
    ("relative item url", setter("items/0/url", "incidents/x.html"), "is not a 'uri'"),
    ("feed_url with a space", setter("feed_url", "https://status.example.org/my feed.json"), "is not a 'uri'"),
    ("empty authors", setter("authors", []), "should be non-empty"),
    ("author with no member", setter("authors/0", {}), "is not valid under any"),
    ("author url that is not a URL", setter("authors/0/url", "Ops team"), "is not a 'uri'"),
    ("tag that is not a string", setter("items/0/tags", ["ok", 1]), "1 is not of type 'string'"),
    ("attachment without mime_type", deleter("items/0/attachments/0/mime_type"), "'mime_type' is a required property"),
    ("attachment mime_type that is no MIME type", setter("items/0/attachments/0/mime_type", "pdf"), "does not match"),
    ("negative size", setter("items/0/attachments/0/size_in_bytes", -1), "less than the minimum"),
    ("language that is no RFC 5646 tag", setter("language", "english_US"), "does not match"),
    ("expired as a string", setter("expired", "no"), "'no' is not of type 'boolean'"),
    ("hub without url", deleter("hubs/0/url"), "'url' is a required property"),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(mutate, expected, id=what) for what, mutate, expected in BROKEN_FEEDS],
)
def test_broken_json_feed_is_rejected(mutate: Mutation, expected: str) -> None:
    feed = copy.deepcopy(FULL_FEED)
    mutate(feed)
    found = problems("jsonfeed-1.1", feed)
    assert found, "the schema accepted a broken feed"
    assert any(expected in line for line in found), found


@pytest.mark.parametrize(
    "tag", ["en", "en-US", "es-mx", "zh-Hant-TW", "de-CH-1996", "x-private", "i-klingon", "sr-Latn"]
)
def test_language_tags_are_accepted(tag: str) -> None:
    assert_valid("jsonfeed-1.1", {**SPEC_EXAMPLE, "language": tag})


def test_assert_valid_lists_every_error() -> None:
    feed = copy.deepcopy(SPEC_EXAMPLE)
    feed["version"] = "1.1"
    del feed["items"][0]["id"]
    with pytest.raises(AssertionError) as raised:
        assert_valid("jsonfeed-1.1", feed)
    message = str(raised.value)
    assert "$.version" in message
    assert "$.items[0]" in message
