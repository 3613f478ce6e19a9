"""The rules: one small function each, with its code and, as its docstring, its explanation.

A rule gets a :class:`Subject` (one incident or maintenance window, with
what it needs to know about the site) and yields :class:`Found` warnings:
a line and a message.  Which rules run on what, ``since``, disabling and
ignore comments are the runner's business, not the rules'.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from inloop.check.stats import median_duration, restored_at
from inloop.render.formatting import Formatter

from ..authoring.markers import Mark, find_marks, text_hash, update_key
from ..model import Content, Incident, Maintenance, SiteConfig
from ..times import zone_label
from .phrases import PhraseList
from .settings import CODES, CheckSettings
from .text import Region, SourceText, blank_html_comments

Item = Incident | Maintenance
Kind = Literal["incident", "maintenance"]

#: ``short-estimate`` needs this many similar incidents before it speaks.
SHORT_ESTIMATE_MIN_INCIDENTS = 5
SHORT_ESTIMATE_DAYS = 365
STILL_INVESTIGATING_AFTER = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Found:
    line: int
    message: str
    key_line: int | None = None  # for text inside a front-matter value: its key's line
    note: bool = False  # a rule with a grace period: still within it, so only a note


@dataclass(frozen=True, slots=True)
class Subject:
    """One item and what a rule may need to judge it."""

    item: Item
    source: SourceText
    regions: tuple[Region, ...]
    config: SiteConfig
    settings: CheckSettings
    content: Content
    now: datetime
    fmt: Formatter
    phrases: dict[str, PhraseList]  # by list name; a missing list skips its rule

    def moment(self, when: datetime) -> str:
        """A time as the site shows it: '15:30 UTC' today, else with its date."""
        zone = self.config.zone
        label = zone_label(when, zone)
        local = when.astimezone(zone)
        if local.date() == self.now.astimezone(zone).date():
            return f"{local:%H:%M} {label}"
        return f"{local:%Y-%m-%d %H:%M} {label}"


RuleFunction = Callable[[Subject], Iterator[Found]]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    summary: str  # one line, for lists
    explanation: str
    function: RuleFunction
    kinds: tuple[Kind, ...]
    phrase_list: str | None = None  # needs this list for the site's language
    ignores_since: bool = False
    strict_only: bool = False  # a warning only with --strict (and past its grace period); else a note


RULES: dict[str, Rule] = {}


def rule(
    code: str,
    summary: str,
    *,
    kinds: tuple[Kind, ...] = ("incident",),
    phrase_list: str | None = None,
    ignores_since: bool = False,
    strict_only: bool = False,
) -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule; its docstring is what ``inloop check --explain CODE`` prints."""

    def register(function: RuleFunction) -> RuleFunction:
        if code not in CODES:
            raise ValueError(f"rule code {code!r} is not in settings.CODES")
        explanation = inspect.cleandoc(function.__doc__ or "")
        RULES[code] = Rule(code, summary, explanation, function, kinds, phrase_list, ignores_since, strict_only)
        return function

    return register


def _incident(subject: Subject) -> Incident:
    assert isinstance(subject.item, Incident)
    return subject.item


def _past_identified(incident: Incident) -> bool:
    return not incident.resolved and incident.status in ("Identified", "Monitoring")


# -- what is wrong, when it is fixed, when we say more -------------------------


@rule("no-cause", "an unresolved incident past Identified with no cause")
def no_cause(subject: Subject) -> Iterator[Found]:
    """Once you have identified the problem, say what it is.

    Fires for an unresolved incident whose status is Identified or later
    (Monitoring) and that has no `cause:` in its front matter.  Customers
    trust an incident they understand: "a configuration change took half of
    the API servers out of rotation" tells them it is understood and being
    fixed, and lets them judge what it means for them.  The warning points at
    line 1 when the key is missing.
    """
    incident = _incident(subject)
    if _past_identified(incident) and incident.cause is None:
        yield Found(
            incident.meta.line_of("cause"),
            f"no cause while the incident is {incident.status}: say in 'cause:' what is wrong",
        )


@rule("no-estimate", "an unresolved incident past Identified with no estimate")
def no_estimate(subject: Subject) -> Iterator[Found]:
    """Once you have identified the problem, say when you expect it fixed.

    Fires for an unresolved incident whose status is Identified or later
    (Monitoring) and that has no `estimate:`.  The first question every
    customer asks is "when will it work again?"; an honest estimate that you
    move when you learn more (`inloop update --estimate` keeps the old one)
    is better than none.  The warning points at line 1 when the key is
    missing.
    """
    incident = _incident(subject)
    if _past_identified(incident) and incident.estimate is None:
        yield Found(
            incident.meta.line_of("estimate"),
            f"no estimate while the incident is {incident.status}: "
            "say in 'estimate:' when you expect service to be restored",
        )


@rule("estimate-passed", "the restoration estimate has passed without a newer update")
def estimate_passed(subject: Subject) -> Iterator[Found]:
    """An estimate that has passed with no word since is a broken promise.

    Fires for an unresolved incident whose `estimate:` is in the past while
    no update was posted at or after that time.  Post an update with a new
    estimate (`inloop update ID --estimate TIME "..."`), even if the news is
    that you need longer.
    """
    incident = _incident(subject)
    estimate = incident.estimate
    if incident.resolved or estimate is None or estimate >= subject.now:
        return
    if incident.latest.time >= estimate:
        return
    yield Found(
        incident.meta.line_of("estimate"),
        f"the restoration estimate of {subject.moment(estimate)} has passed: post a new estimate",
    )


@rule("next-update-passed", "a promised next update was not posted in time")
def next_update_passed(subject: Subject) -> Iterator[Found]:
    """Post the next update when you said you would.

    Fires for an unresolved incident whose `next_update:` time has passed
    with no update posted at or after it.  Any update after that time keeps
    the promise; set a new `next_update:` with it.  Customers waiting for
    news refresh the page at the promised time.
    """
    incident = _incident(subject)
    promised = incident.next_update
    if incident.resolved or promised is None or promised >= subject.now:
        return
    if incident.latest.time >= promised:
        return
    yield Found(
        incident.meta.line_of("next_update"),
        f"the next update was promised for {subject.moment(promised)} and has not been posted: "
        "post an update now, with a new 'next_update:'",
    )


@rule("silence", "no update for too long while unresolved")
def silence(subject: Subject) -> Iterator[Found]:
    """Keep talking while the incident is open, even when there is no news.

    Fires for an unresolved incident whose latest update is older than
    `max_silence_minutes` (default 60) in the `[check]` table of
    `inloop.toml`.  Silence reads as "nobody is working on it"; a short
    update saying what you are trying now, and when the next one comes,
    reassures.  The warning points at the latest update's heading.
    """
    incident = _incident(subject)
    if incident.resolved:
        return
    limit = timedelta(minutes=subject.settings.max_silence_minutes)
    quiet = subject.now - incident.latest.time
    if quiet > limit:
        yield Found(
            incident.latest.line,
            f"no update for {subject.fmt.duration(quiet)} while unresolved "
            f"(the limit is {subject.fmt.duration(limit)}): post an update, even without news",
        )


# -- after it is over ----------------------------------------------------------


@rule("no-prevention", "a resolved incident with no prevention step")
def no_prevention(subject: Subject) -> Iterator[Found]:
    """Say what will stop it happening again.

    Fires for a resolved incident with no step under `prevention:`.  What
    customers want to know after an incident is whether it will happen
    again; one concrete step ("alerts now fire at 70% disk use, not 95%")
    answers that better than an apology.  Only incidents resolved on or
    after `since` in `[check]` are checked.  The warning points at line 1
    when the key is missing.
    """
    incident = _incident(subject)
    if incident.resolved and not incident.prevention:
        yield Found(
            incident.meta.line_of("prevention"),
            "resolved with no prevention step: say under 'prevention:' what will stop this happening again",
        )


@rule("prevention-overdue", "a prevention step not done long after resolution")
def prevention_overdue(subject: Subject) -> Iterator[Found]:
    """Do what you promised, and say when it is done.

    Fires for each prevention step without a `done:` date (or with one still
    in the future) `prevention_days` (default 30) after the incident was
    resolved.  Mark the step `done: YYYY-MM-DD` when it is, or change the
    step to say what is holding it up.  Only incidents resolved on or after
    `since` in `[check]` are checked.
    """
    incident = _incident(subject)
    restored = restored_at(incident)
    if restored is None:
        return
    limit = timedelta(days=subject.settings.prevention_days)
    if subject.now - restored <= limit:
        return
    for step in incident.prevention:
        if step.done is None or step.done > subject.now:
            days = (subject.now - restored).days
            yield Found(
                step.line,
                f"prevention step not done {days} days after the incident was resolved "
                f"(the limit is {subject.settings.prevention_days} days): add 'done:' with the date it was done",
            )


# -- how it is said ----------------------------------------------------------------


def _phrase_matches(subject: Subject, list_name: str) -> Iterator[tuple[int, str, int | None]]:
    """(line, phrase as written, key line) for the first phrase on each line."""
    phrases = subject.phrases.get(list_name)
    if phrases is None:
        return
    first_on_line: dict[int, tuple[tuple[int, int], str, int | None]] = {}
    for number, region in enumerate(subject.regions):
        for pattern in phrases.patterns:
            for line, position, text in region.find(pattern):
                where = (number, position)
                if line not in first_on_line or where < first_on_line[line][0]:
                    first_on_line[line] = (where, text, region.key_line)
    for line in sorted(first_on_line):
        _, text, key_line = first_on_line[line]
        yield line, text, key_line


@rule(
    "finger-pointing",
    "the text blames someone else",
    kinds=("incident", "maintenance"),
    phrase_list="finger_pointing",
)
def finger_pointing(subject: Subject) -> Iterator[Found]:
    """Do not blame others: say what you are doing about it.

    Fires when the title, summary, cause, a prevention step or an update
    uses a phrase that points at someone else ("our provider", "third-party",
    "not our fault", "due to <Vendor>'s").  Customers chose you, not your
    suppliers: your supplier failing is your incident.  Say what broke, what
    you are doing, and what you will change (a second supplier, a fallback).
    The phrases are per `language` and can be replaced in
    `[check.phrases.<language>]` with `finger_pointing = [...]` (phrases, or
    regular expressions between slashes).
    """
    for line, text, key_line in _phrase_matches(subject, "finger_pointing"):
        yield Found(line, f"'{text}' blames someone else: say what you are doing about it instead", key_line)


@rule("sales-pitch", "a sales pitch in an incident", kinds=("incident", "maintenance"), phrase_list="sales_pitch")
def sales_pitch(subject: Subject) -> Iterator[Found]:
    """An incident is no place to sell.

    Fires when the text of an incident or maintenance window uses a sales
    phrase ("upgrade your plan", "premium plan", "special offer", "check out
    our", "discount").  Customers reading a status page are already having a
    bad day; a pitch reads as profiting from it.  The lists hold phrases, not
    single words, so "a database upgrade" is fine.  They are per `language`
    and can be replaced in `[check.phrases.<language>]` with
    `sales_pitch = [...]`.
    """
    for line, text, key_line in _phrase_matches(subject, "sales_pitch"):
        yield Found(line, f"'{text}' is a sales pitch: leave it out of incident updates", key_line)


_TODO = re.compile(r"\bTODO\b")


@rule("todo", "a TODO left in the text", kinds=("incident", "maintenance"))
def todo(subject: Subject) -> Iterator[Found]:
    """Replace the TODO markers `inloop new` leaves.

    `inloop new incident` without `--message` writes a first update whose
    text is `TODO`, so that nothing half-written is published by accident.
    Fires for `TODO` (in capitals) anywhere customers would read it: title,
    summary, cause, prevention steps and updates.  Commented prompts in the
    front matter (`# cause: ...`) are not text and do not count.
    """
    seen: set[int] = set()
    for region in subject.regions:
        for line, _, _ in region.find(_TODO):
            if line not in seen:
                seen.add(line)
                yield Found(line, "'TODO' left in the text: write what customers need to know", region.key_line)


@rule("empty-update", "an update with no text", kinds=("incident", "maintenance"))
def empty_update(subject: Subject) -> Iterator[Found]:
    """Every update should say something.

    Fires for an update heading with no text under it (HTML comments do not
    count).  Even a status change deserves a sentence: what changed, what
    customers can do, and when the next update comes.  The warning points at
    the update's heading.
    """
    for update in subject.item.updates:
        if not blank_html_comments(update.body).strip():
            yield Found(update.line, "empty update: say what changed and when the next update comes")


_BARE_INVESTIGATING = re.compile(r"we(?: are|['\u2019]re) investigating(?: (?:this|the) issue)?\.?", re.IGNORECASE)


@rule("still-investigating", "an update that only says 'We are investigating' after the first hour")
def still_investigating(subject: Subject) -> Iterator[Found]:
    """After the first hour, "We are investigating" is not enough.

    Fires for an update whose whole text is "We are investigating" (any
    case, with or without "this issue" and a full stop; "We're" too) posted
    more than an hour after the incident started.  By then you know more:
    what is affected, what customers can do meanwhile, what you have ruled
    out.  The warning points at the update's heading.
    """
    incident = _incident(subject)
    for update in incident.updates:
        text = " ".join(blank_html_comments(update.body).split())
        late = update.time - incident.start
        if late > STILL_INVESTIGATING_AFTER and _BARE_INVESTIGATING.fullmatch(text):
            yield Found(
                update.line,
                f"{subject.fmt.duration(late)} after the start, this update only says '{text}': "
                "say what you know, what customers can do, and when the next update comes",
            )


@rule("short-estimate", "an estimate shorter than similar incidents took")
def short_estimate(subject: Subject) -> Iterator[Found]:
    """Underpromise and overdeliver: do not estimate shorter than history says.

    Fires for an unresolved incident whose estimate, counted from the start
    of the incident, is shorter than the median time to resolve of the
    incidents resolved in the last 365 days that have the same impact and
    share a component with it, when there are at least 5 of them.  A missed
    estimate costs more trust than a cautious one; being early is a pleasant
    surprise.
    """
    incident = _incident(subject)
    if incident.resolved or incident.estimate is None:
        return
    since = subject.now - timedelta(days=SHORT_ESTIMATE_DAYS)
    mine = set(incident.component_ids)
    spans: list[timedelta] = []
    for other in subject.content.incidents:
        restored = restored_at(other)
        if (
            other.id == incident.id
            or restored is None
            or not since <= restored <= subject.now
            or other.impact != incident.impact
            or not mine & set(other.component_ids)
        ):
            continue
        spans.append(restored - other.start)
    median = median_duration(spans)
    if len(spans) < SHORT_ESTIMATE_MIN_INCIDENTS or median is None:
        return
    given = incident.estimate - incident.start
    if given < median:
        yield Found(
            incident.meta.line_of("estimate"),
            f"the estimate allows {subject.fmt.duration(given)} from the start, but the {len(spans)} "
            f"{incident.impact} incidents on these components resolved in the last year took a median of "
            f"{subject.fmt.duration(median)}: give an estimate you can keep",
        )


@rule(
    "imported-defaults",
    "an imported item still has the impact or components 'inloop import' filled in",
    kinds=("incident", "maintenance"),
    ignores_since=True,
)
def imported_defaults(subject: Subject) -> Iterator[Found]:
    """Set the real impact and components of what you imported.

    Status-page feeds name neither components nor impact, so `inloop import`
    fills in defaults for what its source does not say, and records them
    under `imported:` in the front matter.  A value you chose (`--component`,
    `--impact`) or that the source said (the Statuspage API's impact and
    components) is no default and is not recorded.  Fires while an imported
    item's impact or components still equal the recorded defaults, whatever
    `since` says, because the history pages and bars are only as good as
    these values.  When a default is right, delete its line under
    `imported:` (or ignore the rule for the file with
    `check: {disable: [imported-defaults]}`).
    """
    item = subject.item
    defaults = dict(item.meta.imported)
    component = defaults.get("component")
    if component is not None and item.component_ids == (component,):
        yield Found(
            item.meta.line_of("components"),
            f"components are still '{component}', the default 'inloop import' filled in: "
            "name the components that were affected",
        )
    impact = defaults.get("impact")
    if isinstance(item, Incident) and impact is not None and str(item.impact) == impact:
        yield Found(
            item.meta.line_of("impact"),
            f"impact is still '{impact}', the default 'inloop import' filled in: set the real impact "
            "(or delete 'impact' under 'imported:' if it is right)",
        )


def _marked_text(item: Item, mark: Mark) -> tuple[str | None, int]:
    """The text a template mark points at, as it is now, and the line to report."""
    if mark.what == "update":
        for update in item.updates:
            if update_key(update.time) == mark.when:
                return update.body, update.line
        return None, mark.line
    if mark.what == "summary":
        summary: str | None = getattr(item, "summary", None)
        return summary or None, item.meta.summary_line or mark.line
    value = {
        "title": item.title,
        "cause": getattr(item, "cause", None),
        "description": getattr(item, "description", None),
    }
    return value.get(mark.what), mark.line


@rule(
    "template-text",
    "a template's text still as it was filled in, too long after the start",
    kinds=("incident", "maintenance"),
    strict_only=True,
)
def template_text(subject: Subject) -> Iterator[Found]:
    """Replace a template's words with your own soon after the start.

    `inloop new incident --template NAME` and `inloop receive` (from an alert)
    write a template's text and mark each piece with a comment in the front
    matter (`# inloop: template 1a2b3c4d`).  While a piece is still exactly as
    it was filled in, `inloop check` lists it as a note; once the incident
    (or the window's first post) is older than `template_text_minutes`
    (default 30) in the `[check]` table, `inloop check --strict` and
    `inloop build --strict` fail on it, so that a machine's words never stay
    up for long.  Rewrite the text (the mark then no longer matches), or, if
    it says what you want, delete its `# inloop: template` comment.
    """
    item = subject.item
    if not item.updates:
        return
    lines = subject.source.lines
    front = [(n, lines[n - 1]) for n in range(2, subject.source.front_end)]
    started = item.start if isinstance(item, Incident) else item.updates[0].time
    age = subject.now - started
    limit = timedelta(minutes=subject.settings.template_text_minutes)
    what_kind = "incident started" if isinstance(item, Incident) else "window's first post"
    for mark in find_marks(front):
        text, line = _marked_text(item, mark)
        if text is None or text_hash(text) != mark.hash:
            continue
        what = "the first update" if mark.what == "update" else f"the {mark.what}"
        shown_age = subject.fmt.duration(max(age, timedelta(0)))
        if age > limit:
            yield Found(
                line,
                f"{what} is still the template's text {shown_age} after the {what_kind} "
                f"(the limit is {subject.fmt.duration(limit)}): write it in your own words, "
                "or delete its '# inloop: template' comment to keep it",
            )
        else:
            when = "in " + subject.fmt.duration(limit - age) if age < limit else "from now on"
            yield Found(
                line,
                f"{what} is the template's text: 'inloop check --strict' fails on it {when}, unless it is rewritten",
                note=True,
            )


def check_registry() -> None:
    """Every code has a rule and every rule a code (run by the tests)."""
    missing = set(CODES) - set(RULES)
    if missing:
        raise AssertionError(f"codes without a rule: {sorted(missing)}")
