"""A model-based test of the authoring commands (issue 16).

A hypothesis state machine drives random sequences of ``new incident``,
``update`` (with ``--component`` status changes), ``resolve``, ``prevention
add``, ``prevention done``, hand edits and the passing of time, with valid and invalid options, through the real
command line, against a model of what each file should say.  After every
step either the command succeeded and every file says what the model says
(read by the parser ``build`` uses), or it failed with one line
``error: ...``, exit status 1, no traceback, and every file byte-identical.
Each run ends with a real ``inloop build``.

The normal run is short; ``INLOOP_LONG_PROPERTIES=1`` runs many more and
longer sequences.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from inloop.authoring.create import slugify
from inloop.authoring.site import load_site, parse_item
from inloop.cli.main import main
from inloop.model import ComponentStatus, Incident

LONG = os.environ.get("INLOOP_LONG_PROPERTIES") == "1"
BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = """\
title = "Model Status"
base_url = "https://status.model.example/"
timezone = "Europe/Berlin"

[[components]]
id = "app"
name = "The app"

[[components]]
id = "search"
name = "Search"
"""
START = datetime(2026, 12, 6, 15, 31, tzinfo=UTC)  # 16:31 in Berlin, as in the issue

TITLES = ["API slow", "Email down"]
MESSAGES = [
    "We are looking into it.",
    "Fixed: all good",
    "Line one\nLine two",
    "Text:\n- a list item",
    "Tür & <b>x</b>",
]
STEPS = ["Alert on disks", "Bigger disks: twice", "Review [changes]", "{braces}, commas", "#1 priority", "  "]
CAUSES = ["A full disk.", "A long cause " + "with many words " * 8, "Two\nlines", "key: value"]
NEW_STATUSES = [None, "investigating", "Identified", "monitoring", "resolved", "update", "bogus"]
UPDATE_STATUSES = [None, "identified", "monitoring", "resolved", "investigating", "update", "bogus"]
# (component, status or None for the ID alone); "nope" and "bogus" are refused
COMPONENT = st.none() | st.tuples(
    st.sampled_from(["app", "search", "nope"]),
    st.sampled_from([None, "operational", "major_outage", "degraded performance", "bogus"]),
)
COMPONENT_STATUSES = {
    None: ComponentStatus.PARTIAL_OUTAGE,
    "operational": ComponentStatus.OPERATIONAL,
    "major_outage": ComponentStatus.MAJOR_OUTAGE,
    "degraded performance": ComponentStatus.DEGRADED_PERFORMANCE,
}
Setting = tuple[str, ComponentStatus]
CANONICAL = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "update": "Update",
}

# -- what an option can be ---------------------------------------------------------------

# ("clock", hour, minute) | ("full", minutes from now) | None
AT = st.one_of(
    st.none(),
    st.tuples(st.just("clock"), st.integers(0, 23), st.sampled_from([0, 15, 30, 31, 32, 45, 59])),
    st.tuples(st.just("full"), st.integers(-3000, 30)),
)
# ("clock", hour, minute) | ("duration", minutes) | ("full", minutes from the update's time)
LATER = st.one_of(
    st.none(),
    st.tuples(st.just("clock"), st.integers(0, 23), st.sampled_from([0, 30, 45])),
    st.tuples(st.just("duration"), st.integers(1, 600)),
    st.tuples(st.just("full"), st.integers(-120, 600)),
)
DONE_AT = st.one_of(
    st.none(),
    st.tuples(st.just("date"), st.integers(-3, 1)),
    st.tuples(st.just("clock"), st.integers(0, 23), st.sampled_from([0, 30])),
)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _on(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


def _words(text: str) -> str:
    return " ".join(text.split())


class Refused(Exception):
    """The model says the command must fail; ``extra`` are the options still to give it."""

    def __init__(self, why: str, extra: list[str] | None = None) -> None:
        super().__init__(why)
        self.extra = extra or []


@dataclass
class Step:
    text: str
    done: datetime | None = None


@dataclass
class Model:
    """What one incident file should say."""

    #: (time, written status, text, what its status line sets), oldest first
    updates: list[tuple[datetime, str, str, tuple[Setting, ...]]]
    cause: str | None = None
    estimate: datetime | None = None
    previous: list[datetime] = field(default_factory=list)
    next_update: datetime | None = None
    prevention: list[Step] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return self.updates[0][0]

    @property
    def resolved(self) -> bool:
        return self.status_at(self.updates[-1][0]) == "Resolved"

    def status_at(self, moment: datetime) -> str:
        """The incident's status after the updates at or before ``moment``."""
        status = "Investigating"
        for when, written, _, _ in self.updates:
            if when <= moment and written != "Update":
                status = written
        return status

    def components_at(self, moment: datetime) -> list[Setting]:
        """Each component's status at ``moment``: as set by the latest update, operational while resolved.

        A component that a later update adds is operational until then.
        """
        held: dict[str, ComponentStatus] = {"app": ComponentStatus.PARTIAL_OUTAGE}
        for when, _, _, changes in self.updates:
            for cid, status in changes:
                if when <= moment:
                    held[cid] = status
                else:
                    held.setdefault(cid, ComponentStatus.OPERATIONAL)
        resolved = self.status_at(moment) == "Resolved"
        return [(cid, ComponentStatus.OPERATIONAL if resolved else status) for cid, status in held.items()]


class AuthoringMachine(RuleBasedStateMachine):
    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="inloop-model-"))
        (self.folder / "inloop.toml").write_text(CONFIG, "utf-8")
        (self.folder / "content" / "incidents").mkdir(parents=True)
        (self.folder / "content" / "maintenance").mkdir()
        self.config = load_site(self.folder, str(self.folder))
        self.now = START
        self.models: dict[str, Model] = {}
        self.runner = CliRunner()

    def teardown(self) -> None:
        try:
            if self.models:
                result = self._invoke(["build", "--source", str(self.folder), "--now", _utc(self.now)])
                assert result[0] == 0, result[2]
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- running a command ---------------------------------------------------------

    def _files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted((self.folder / "content" / "incidents").iterdir())}

    def _invoke(self, args: list[str]) -> tuple[int, str, str]:
        result = self.runner.invoke(main, args, prog_name="inloop", env={"SOURCE_DATE_EPOCH": None})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"inloop {args} raised {result.exception!r}") from result.exception
        return result.exit_code, result.stdout, result.stderr

    def _run(self, args: list[str], expect_ok: bool) -> bool:
        before = self._files()
        code, _, stderr = self._invoke([*args, "--source", str(self.folder), "--now", _utc(self.now)])
        if code == 0:
            assert expect_ok, f"inloop {args} succeeded; the model expected it to fail"
            assert stderr == ""
            return True
        assert code == 1, (code, stderr)
        lines = stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), stderr
        assert not expect_ok, f"inloop {args} failed: {stderr}"
        assert self._files() == before, "a failed command changed a file"
        return False

    # -- times as the model reads them ---------------------------------------------------

    def _at(self, at: tuple[object, ...] | None) -> tuple[list[str], datetime]:
        floor = self.now.replace(second=0, microsecond=0)
        if at is None:
            return [], floor
        if at[0] == "clock":
            hour, minute = int(str(at[1])), int(str(at[2]))
            moment = _on(self.now.astimezone(BERLIN).date(), hour, minute)
            args = ["--at", f"{hour:02d}:{minute:02d}"]
            if moment > self.now:
                raise Refused("a clock time later today", args)
            return args, moment
        moment = floor + timedelta(minutes=int(str(at[1])))
        args = ["--at", _utc(moment)]
        if moment > self.now:
            raise Refused("in the future", args)
        return args, moment

    def _later(
        self, option: str, later: tuple[object, ...] | None, base: datetime
    ) -> tuple[list[str], datetime | None]:
        if later is None:
            return [], None
        if later[0] == "clock":
            hour, minute = int(str(later[1])), int(str(later[2]))
            day = base.astimezone(BERLIN).date()
            moment = _on(day, hour, minute)
            if moment <= base:
                moment = _on(day + timedelta(days=1), hour, minute)
            return [option, f"{hour}:{minute:02d}"], moment
        if later[0] == "duration":
            return [option, f"{later[1]}m"], base + timedelta(minutes=int(str(later[1])))
        moment = base + timedelta(minutes=int(str(later[1])))
        if moment < base:
            raise Refused("before the update", [option, _utc(moment)])
        return [option, _utc(moment)], moment

    # -- rules ---------------------------------------------------------------------------

    @initialize(target=ids)
    def first_incident(self) -> str:
        return self._new("API slow", None, None, "We are looking into it.") or "nope"

    @rule(target=ids, title=st.sampled_from(TITLES), status=st.sampled_from(NEW_STATUSES), at=AT,
          message=st.sampled_from(MESSAGES))  # fmt: skip
    def new_incident(self, title: str, status: str | None, at: tuple[object, ...] | None, message: str) -> str:
        return self._new(title, status, at, message) or "nope"

    def _new(self, title: str, status: str | None, at: tuple[object, ...] | None, message: str) -> str | None:
        args = ["new", "incident", title, "-m", message, "-c", "app"]
        if status is not None:
            args += ["--status", status]
        try:
            at_args, moment = self._at(at)
            args += at_args
            if status is not None and status.lower() not in ("investigating", "identified", "monitoring"):
                raise Refused(status)
        except Refused as refused:
            self._run(args + refused.extra, expect_ok=False)
            return None
        self._run(args, expect_ok=True)
        base = f"{moment.astimezone(BERLIN).date().isoformat()}-{slugify(title, 'incident')}"
        number = 1
        while (new_id := base if number == 1 else f"{base}-{number}") in self.models:
            number += 1
        written = CANONICAL[status.lower()] if status else "Investigating"
        self.models[new_id] = Model([(moment, written, message, ())])
        return new_id

    @rule(target=ids, reference=ids)
    def reference_again(self, reference: str) -> str:
        return reference  # ids drawn more often, "nope" among them

    @rule(reference=ids, message=st.sampled_from(MESSAGES), status=st.sampled_from(UPDATE_STATUSES), at=AT,
          estimate=LATER, next_update=LATER, cause=st.none() | st.sampled_from(CAUSES),
          prevention=st.lists(st.sampled_from(STEPS), max_size=3), reopen=st.booleans(),
          component=COMPONENT)  # fmt: skip
    def update(
        self,
        reference: str,
        message: str,
        status: str | None,
        at: tuple[object, ...] | None,
        estimate: tuple[object, ...] | None,
        next_update: tuple[object, ...] | None,
        cause: str | None,
        prevention: list[str],
        reopen: bool,
        component: tuple[str, str | None] | None,
    ) -> None:
        self._post(
            reference, message, status, at, estimate, next_update, cause, prevention, reopen, component, resolve=False
        )

    @rule(reference=ids, message=st.sampled_from(MESSAGES), at=AT, cause=st.none() | st.sampled_from(CAUSES),
          prevention=st.lists(st.sampled_from(STEPS), max_size=3))  # fmt: skip
    def resolve(
        self, reference: str, message: str, at: tuple[object, ...] | None, cause: str | None, prevention: list[str]
    ) -> None:
        self._post(reference, message, None, at, None, None, cause, prevention, False, None, resolve=True)

    def _post(
        self,
        reference: str,
        message: str,
        status: str | None,
        at: tuple[object, ...] | None,
        estimate: tuple[object, ...] | None,
        next_update: tuple[object, ...] | None,
        cause: str | None,
        prevention: list[str],
        reopen: bool,
        component: tuple[str, str | None] | None,
        *,
        resolve: bool,
    ) -> None:
        args = ["resolve" if resolve else "update", reference, message]
        changes: tuple[Setting, ...] = ()
        if component is not None:
            cid, wanted = component
            args += ["--component", cid if wanted is None else f"{cid}={wanted}"]
            if cid != "nope" and wanted in COMPONENT_STATUSES:
                changes = ((cid, COMPONENT_STATUSES[wanted]),)
        if status is not None:
            args += ["--status", status]
        if cause is not None:
            args += ["--cause", cause]
        for step in prevention:
            args += ["--prevention", step]
        if reopen:
            args.append("--reopen")
        model = self.models.get(reference)
        try:
            at_args, moment = self._at(at)
            args += at_args
            if model is None:
                raise Refused("unknown id")
            estimate_args, estimate_time = self._later("--estimate", estimate, moment)
            next_args, next_time = self._later("--next-update", next_update, moment)
            args += estimate_args + next_args
            if moment < model.start:
                raise Refused("before the start")
            written = self._status(model, moment, status, reopen, resolve)
            if any(not step.strip() for step in prevention):
                raise Refused("empty step")
            if component is not None and not changes:
                raise Refused("unknown component or status")
            effective = model.status_at(moment) if written == "Update" else written
            if effective == "Resolved" and any(s != ComponentStatus.OPERATIONAL for _, s in changes):
                raise Refused("a resolved update makes every component operational")
        except Refused as refused:
            self._run(args + refused.extra, expect_ok=False)
            return
        self._run(args, expect_ok=True)
        model.updates.append((moment, written, message, changes))
        model.updates.sort(key=lambda update: update[0])  # stable: a tie goes after the ones in the file
        if cause is not None:
            model.cause = cause
        if estimate_time is not None and estimate_time != model.estimate:
            if model.estimate is not None:
                model.previous.append(model.estimate)
            model.estimate = estimate_time
        if next_time is not None:
            model.next_update = next_time
        model.prevention += [Step(step) for step in prevention]

    def _status(self, model: Model, moment: datetime, status: str | None, reopen: bool, resolve: bool) -> str:
        latest = model.updates[-1][0]
        if resolve:
            if model.resolved or moment < latest:
                raise Refused("resolved already, or not the latest")
            return "Resolved"
        if status is not None and status.lower() not in CANONICAL:
            raise Refused("unknown status")
        chosen = CANONICAL[status.lower()] if status else None
        if not model.resolved or moment < latest:
            written = chosen or "Update"
        elif not reopen or chosen in ("Update", "Resolved"):
            raise Refused("resolved: needs --reopen and a status that reopens")
        else:
            written = chosen or "Investigating"
        if written == "Resolved" and moment < latest:
            raise Refused("Resolved must be the latest")
        return written

    @rule(reference=ids, step=st.sampled_from(STEPS))
    def prevention_add(self, reference: str, step: str) -> None:
        model = self.models.get(reference)
        ok = model is not None and bool(step.strip()) and all(_words(s.text) != _words(step) for s in model.prevention)
        if self._run(["prevention", "add", reference, step], expect_ok=ok) and model is not None:
            model.prevention.append(Step(step))

    @rule(reference=ids, number=st.sampled_from(["0", "1", "2", "3", "4", "x"]), at=DONE_AT)
    def prevention_done(self, reference: str, number: str, at: tuple[object, ...] | None) -> None:
        args = ["prevention", "done", reference, number]
        model = self.models.get(reference)
        today = self.now.astimezone(BERLIN).date()
        done = self.now.replace(second=0, microsecond=0)
        ok = model is not None and number.isdigit() and 1 <= int(number) <= len(model.prevention)
        if at is not None and at[0] == "date":
            day = today + timedelta(days=int(str(at[1])))
            args += ["--at", day.isoformat()]
            done = _on(day, 0, 0)
            ok = ok and day <= today and (model is None or day >= model.start.astimezone(BERLIN).date())
        elif at is not None:
            hour, minute = int(str(at[1])), int(str(at[2]))
            args += ["--at", f"{hour:02d}:{minute:02d}"]
            done = _on(today, hour, minute)
            ok = ok and done <= self.now and (model is None or done >= model.start)
        if ok and model is not None:
            ok = model.prevention[int(number) - 1].done is None
        if self._run(args, expect_ok=ok) and model is not None:
            model.prevention[int(number) - 1].done = done

    @rule(reference=ids, how=st.sampled_from(["crlf", "comment", "blank lines"]))
    def hand_edit(self, reference: str, how: str) -> None:
        """What an author does in an editor: nothing that changes what the file says."""
        if reference not in self.models:
            return
        path = self.folder / "content" / "incidents" / f"{reference}.md"
        data = path.read_bytes()
        if how == "crlf":
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        elif how == "comment":
            newline = b"\r\n" if b"\r\n" in data else b"\n"
            data = data.replace(b"---" + newline, b"---" + newline + b"# edited by hand" + newline, 1)
        else:
            data += b"\n\n"
        path.write_bytes(data)

    @rule(minutes=st.integers(1, 900))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    # -- what must hold after every step -------------------------------------------------

    @invariant()
    def every_file_says_what_the_model_says(self) -> None:
        folder = self.folder / "content" / "incidents"
        assert sorted(p.stem for p in folder.iterdir()) == sorted(self.models)
        for file_id, model in self.models.items():
            path = folder / f"{file_id}.md"
            item, problems = parse_item("incident", path.read_bytes(), file_id, str(path), self.config)
            assert problems == [] and isinstance(item, Incident), problems
            assert [
                (u.time, u.written_status, u.body, tuple((s.component, s.status) for s in u.settings))
                for u in item.updates
            ] == model.updates
            for when, _, _, _ in model.updates:
                assert list(item.component_statuses_at(when).items()) == model.components_at(when)
            assert list(item.latest_components) == model.components_at(model.updates[-1][0])
            assert (_words(item.cause) if item.cause else None) == (_words(model.cause) if model.cause else None)
            assert item.estimate == model.estimate
            assert list(item.previous_estimates) == model.previous
            assert item.next_update == model.next_update
            assert [(_words(s.text), s.done) for s in item.prevention] == [
                (_words(s.text), s.done) for s in model.prevention
            ]
            assert item.start == model.start


#: Each run ends with a real build (most of its time): the normal run makes a few long runs, not many short ones.
AuthoringMachine.TestCase.settings = settings(
    max_examples=200 if LONG else 6,
    stateful_step_count=60 if LONG else 40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestAuthoringModel = AuthoringMachine.TestCase
