"""The shortcuts that make rendering fast say exactly what the slow way said."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from gettext import NullTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import pytest
from babel.dates import format_skeleton
from markupsafe import Markup

from inloop import i18n
from inloop.render.formatting import Formatter, babel_locale
from inloop.render.jinja_speed import STOCK_SWITCH, SpeedEnvironment, stock_jinja
from inloop.render.templates import Templates, references

#: A test of a shortcut itself: ``INLOOP_STOCK_JINJA=1`` turns the shortcuts off.
fast_only = pytest.mark.skipif(stock_jinja(), reason=f"{STOCK_SWITCH}=1 turns the shortcuts off")

LANGUAGES = ["en", "de", "fr", "es", "ja", "pt-BR", "fi", "xx"]


def wall(*args: int) -> datetime:
    """A wall-clock time, as the formatter gets it: naive, already in the site's zone."""
    return datetime(*args, tzinfo=UTC).replace(tzinfo=None)


MOMENTS = [wall(2026, 1, 1, 0, 5), wall(2026, 3, 29, 1, 59), wall(2026, 11, 20, 15, 30)]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("skeleton", ["yMMMd", "Hm", "MMMd", "yMMMM", "yMMd", "MMMEd"])
def test_resolved_skeletons_format_as_babel_does(language: str, skeleton: str) -> None:
    fmt = Formatter(UTC, language, NullTranslations())
    locale = babel_locale(language)
    for moment in MOMENTS:
        for instant in (moment, moment.date()):
            expected = format_skeleton(skeleton, instant, locale=locale)
            assert fmt._skeleton(skeleton, instant) == expected
            assert fmt._skeleton(skeleton, instant) == expected  # from the memo, too


def test_a_date_and_its_midnight_are_kept_apart() -> None:
    fmt = Formatter(UTC, "en", NullTranslations())
    assert fmt.day(date(2026, 11, 20)) == "Nov 20, 2026"
    assert fmt._skeleton("Hm", wall(2026, 11, 20)) == "00:00"
    assert fmt.month(date(2026, 11, 20)) == "November 2026"


def test_time_tags_are_the_same_each_time_and_escape_nothing_twice() -> None:
    berlin = Formatter(ZoneInfo("Europe/Berlin"), "de", NullTranslations())
    moment = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    first = berlin.time_tag(moment)
    assert str(first) == '<time datetime="2026-11-20T14:30:00Z">20. Nov. 2026, 15:30 CET</time>'
    assert berlin.time_tag(moment) == first
    # The same instant written in another zone is the same tag.
    assert berlin.time_tag(moment.astimezone(ZoneInfo("Asia/Tokyo"))) == first
    assert str(berlin.time_tag(moment, clock_only=True)) == '<time datetime="2026-11-20T14:30:00Z">15:30 CET</time>'
    assert str(berlin.time_tag(moment + timedelta(days=200))).endswith("CEST</time>")


# -- gettext ---------------------------------------------------------------------------

GETTEXT_CASES = [
    '{{ _("Impact") }}|{{ _("Impact") }}|{{ gettext("History") }}',
    '{{ _("Your time: %(time)s", time="<b>{time}</b>") }}',
    '{{ _("Your time: %(time)s", time=markup) }}',
    "{{ _('100%% sure <i>') }}",
    '{{ _(name) }}|{{ _(name) ~ "!" }}|{{ (_("Impact") ~ "<x>") }}',
    '{{ ngettext("%(num)d minute", "%(num)d minutes", 1) }} {{ ngettext("%(num)d minute", "%(num)d minutes", 5) }}',
    '{{ ngettext("%(num)d day", "%(num)d days", 3, num=7) }}',
    "{% trans %}History{% endtrans %}|{% trans count=2 %}{{ count }} day{% pluralize %}{{ count }} days{% endtrans %}",
    '{% autoescape false %}{{ _("Impact") }}{{ _("Your time: %(time)s", time="<b>") }}{% endautoescape %}',
    '{% set t = _("Impact") %}{{ t is string }}|{{ t.__html__ is defined }}',
    '{{ _("Impact") ~ "<" }}|{{ [_("Impact"), _("History")]|join("<br>") }}|{{ _("Impact")|upper }}',
    # A template that binds _ or gettext itself calls what it bound.
    '{% set _ = shout %}{{ _("Impact") }}',
    '{% macro m(gettext) %}{{ gettext("Impact") }}{% endmacro %}{{ m(shout) }}|{{ gettext("Impact") }}',
    '{% for _ in [shout] %}{{ _("Impact") }}{% endfor %}',
    '{% with _ = shout %}{{ _("Impact") }}{% endwith %}',
]


def _stock_environment(translations: NullTranslations, autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(autoescape=autoescape, undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env


@pytest.mark.parametrize("language", ["en", "de", "ja"])
@pytest.mark.parametrize("autoescape", [True, False])
@pytest.mark.parametrize("source", GETTEXT_CASES)
def test_fast_gettext_says_what_jinja_newstyle_gettext_says(
    tmp_path: Path, language: str, autoescape: bool, source: str
) -> None:
    translations = i18n.translations(language)
    fast = Templates(tmp_path, ".", translations).env
    fast.autoescape = autoescape
    stock = _stock_environment(translations, autoescape)
    values = {"markup": Markup("<b>{time}</b>"), "name": "Resolved", "shout": str.upper}
    for _ in range(2):  # the second time from the memo
        assert fast.from_string(source).render(values) == stock.from_string(source).render(values)


@pytest.mark.parametrize(
    "source", ["{{ _(missing) }}", '{{ _("100% sure") }}', '{{ _("100%") }}', '{{ _("Your time: %(time)s") }}']
)
def test_fast_gettext_fails_as_jinja_does(tmp_path: Path, source: str) -> None:
    translations = i18n.translations("de")
    outcomes = []
    for env in (Templates(tmp_path, ".", translations).env, _stock_environment(translations, True)):
        try:
            outcomes.append(env.from_string(source).render())
        except Exception as exc:  # the kind of failure is what is compared
            outcomes.append(type(exc).__name__)
    assert outcomes[0] == outcomes[1]


@fast_only
def test_literal_texts_are_translated_when_the_template_is_compiled(tmp_path: Path) -> None:
    env = Templates(tmp_path, ".", i18n.translations("de")).env
    code = env.compile('<p>{{ _("Impact") }}: {{ _(name) }}</p>', raw=True)
    assert "Auswirkung" in code
    assert "'Impact'" not in code
    assert env.from_string('<p>{{ _("Impact") }}: {{ _(name) }}</p>').render(name="Resolved") == (
        "<p>Auswirkung: Behoben</p>"
    )


@fast_only
def test_literal_texts_with_values_are_translated_when_compiled_and_formatted_without_gettext(tmp_path: Path) -> None:
    env = Templates(tmp_path, ".", i18n.translations("de")).env
    source = '<p>{{ _("By %(time)s.", time=when) }}</p>'
    code = env.compile(source, raw=True)
    assert "Spätestens am %(time)s." in code and "'By %(time)s.'" not in code
    assert "context.call" not in code  # no call of gettext left: the translation %-formatted in place
    assert env.from_string(source).render(when="<b>") == "<p>Spätestens am &lt;b&gt;.</p>"


# -- printing and calling -----------------------------------------------------------------


@jinja2.pass_context
def _sees_loop_variable(context: jinja2.runtime.Context) -> str:
    return str(context.get("x", "none"))


@jinja2.pass_eval_context
def _sees_autoescape(eval_ctx: jinja2.nodes.EvalContext, text: str) -> str:
    return f"{text}:{eval_ctx.autoescape}"


@jinja2.pass_environment
def _sees_environment(environment: jinja2.Environment) -> str:
    return type(environment.undefined).__name__


def _stops() -> str:
    raise StopIteration


class _Callable:
    @jinja2.pass_context
    def __call__(self, context: jinja2.runtime.Context, text: str) -> str:
        return f"{text}/{context.get('x', '-')}"


CALLS = [
    '{% macro m(a, b="<b>", c=1) %}{{ a }}{{ b }}{{ c }}{{ varargs }}{{ kwargs }}{% endmacro %}'
    '{{ m("<1>") }}|{{ m("<1>", c=2) }}|{{ m(1, 2, 3, 4) }}|{{ m(1, d=5) }}'
    "|{% for x in [1, 2] %}{{ m(x) }}{{ loop_fn() }}{% endfor %}",
    '{% macro outer() %}<{{ caller() }}>{% endmacro %}{% call outer() %}inside {{ "<x>" }}{% endcall %}',
    "{{ plain('<a>') }}|{{ method('<A>') }}|{{ context_fn() }}|{{ eval_fn('<e>') }}|{{ env_fn() }}",
    "{% for x in ['<loop>'] %}{{ context_fn() }}{{ plain(x) }}{{ callable_obj(x) }}{% endfor %}",
    "{% set x = 'block' %}{{ context_fn() }}{% block b %}{% set x = 'inner' %}{{ context_fn() }}{% endblock %}",
    "{{ stops() is undefined }}",
    "{{ builtin([3, 1]) }}|{{ range(3)|list }}|{{ dict(a=1) }}|{{ cls(5) }}",
]
CALLS += [
    '{% macro local() -%}<span class="local"></span>{%- endmacro %}{{ local() }}|{{ local() }}'
    "|{% for i in [1, 2] %}{{ local() }}{% endfor %}|{% autoescape false %}{{ local() }}{% endautoescape %}",
    "{% macro amp() %}a & b{% endmacro %}{{ amp() }}{{ amp() ~ '<' }}",
    "{% macro text() %}t{% endmacro %}{% set t = text() %}{{ t }}{{ text()|length }}",
    "{% macro looped() %}{% for i in [1] %}x{% endfor %}{% endmacro %}{{ looped() }}{{ looped() }}",
    "{% macro show() %}{{ shown }}{% endmacro %}{% for shown in [1, 2] %}{{ show() }}{% endfor %}"
    "{% for x in [3, 4] %}{% macro inner() %}{{ x }}{% endmacro %}{{ inner() }}{% endfor %}",
    # a macro without arguments whose output changes from call to call
    "{% set ns = namespace(n=0) %}{% macro count() %}{{ ns.n }}{% endmacro %}"
    "{{ count() }}{% set ns.n = 1 %}{{ count() }}",
    '{% set c = cycler("a", "b") %}{% macro turn() %}{{ c.next() }}{% endmacro %}{{ turn() }}{{ turn() }}',
]
CALL_VALUES = {
    "plain": lambda text: text + "!",
    "method": "abc".count,
    "context_fn": _sees_loop_variable,
    "loop_fn": lambda: "L",
    "eval_fn": _sees_autoescape,
    "env_fn": _sees_environment,
    "stops": _stops,
    "callable_obj": _Callable(),
    "builtin": sorted,
    "cls": str,
}


@pytest.mark.parametrize("autoescape", [True, False])
@pytest.mark.parametrize("source", CALLS)
def test_templates_print_and_call_as_stock_jinja_does(tmp_path: Path, autoescape: bool, source: str) -> None:
    """Our code generator's escape and our context's calls, against Jinja's own, template for template."""
    translations = i18n.translations("en")
    fast = Templates(tmp_path, ".", translations).env
    fast.autoescape = autoescape
    stock = _stock_environment(translations, autoescape)
    stock.undefined = fast.undefined = jinja2.Undefined  # so that "is undefined" can be printed
    assert fast.from_string(source).render(CALL_VALUES) == stock.from_string(source).render(CALL_VALUES)


@pytest.mark.parametrize(
    "source",
    [
        "{% macro text() %}t{% endmacro %}{{ text(1) }}",
        "{% macro text() %}t{% endmacro %}{{ text(x=1) }}",
        "{% macro text() %}t{% endmacro %}{% call text() %}c{% endcall %}",
    ],
)
def test_a_text_macro_called_wrongly_fails_as_jinja_does(tmp_path: Path, source: str) -> None:
    outcomes = []
    english = i18n.translations("en")
    for env in (Templates(tmp_path, ".", english).env, _stock_environment(english, True)):
        try:
            outcomes.append(env.from_string(source).render())
        except Exception as exc:  # the kind of failure and its words are what is compared
            outcomes.append(f"{type(exc).__name__}: {exc}")
    assert outcomes[0] == outcomes[1]
    assert "Error" in outcomes[0]


def test_a_callable_that_stops_is_called_once(tmp_path: Path) -> None:
    calls = []

    def stops() -> str:
        calls.append(1)
        raise StopIteration

    env = Templates(tmp_path, ".", i18n.translations("en")).env
    with pytest.raises(jinja2.UndefinedError, match="StopIteration"):
        env.from_string("{{ stops() }}").render(stops=stops)
    assert calls == [1]


# -- modules imported with a context -------------------------------------------------------

MODULE_FILES = {
    "_lib.html": '{% from "_base_lib.html" import base with context %}{% set label = "<" ~ kind ~ ">" %}'
    "{% macro show(v) %}{{ label }}{{ v }}{{ root }}{{ base() }}{% endmacro %}"
    "{% macro wrap() %}<{{ caller() }}>{% endmacro %}",
    "_base_lib.html": "{% macro base() %}{{ extra }}{% endmacro %}",
    "page.html": '{% from "_lib.html" import show with context %}{% import "_lib.html" as lib with context %}'
    "{{ show(1) }}|{{ lib.label }}|{% call lib.wrap() %}in {{ root }}{% endcall %}",
    "loop.html": '{% for x in [1, 2] %}{% from "_loopy.html" import m with context %}{{ m() }}{% endfor %}',
    "_loopy.html": "{% macro m() %}[{{ x }}]{% endmacro %}",
}


def test_a_module_imported_with_a_context_prints_what_stock_jinja_prints(tmp_path: Path) -> None:
    templates = _site_templates(tmp_path, MODULE_FILES)
    stock = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(tmp_path / "templates")), autoescape=True, undefined=jinja2.StrictUndefined
    )
    pages = [
        {"kind": "a", "root": "../", "extra": 1},
        {"kind": "b", "root": "../", "extra": 1},
        {"kind": "a", "root": "../../", "extra": 3},
    ]
    ours = [templates.render("page.html", values) for values in pages]
    assert ours == [stock.get_template("page.html").render(values) for values in pages]
    assert len(set(ours)) == 3


def test_a_module_that_sees_the_importers_own_variables_is_made_each_time(tmp_path: Path) -> None:
    templates = _site_templates(tmp_path, MODULE_FILES)
    assert templates.render("loop.html", {}) == "[1][2]"
    assert templates.render("loop.html", {}) == "[1][2]"


# -- shared fragments ------------------------------------------------------------------

FRAGMENTS = {
    "frag.html": '{% from "_lib.html" import show with context %}<{{ root }}>{{ show(n) }}{{ _("Impact") }}',
    "_lib.html": "{% macro show(value) %}[{{ value }}|{{ extra }}]{% endmacro %}",
    "dynamic.html": "{% include which %}",
    "a.html": "A{{ root }}",
}


def _site_templates(tmp_path: Path, files: dict[str, str]) -> Templates:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return Templates(tmp_path, ".", i18n.translations("de"))


@pytest.mark.parametrize(
    ("shared", "included"),
    [
        ('{{ shared("frag.html") }}', '{% include "frag.html" %}'),
        (
            '{% set root = root ~ "/" %}{% block b %}{{ shared("frag.html") }}{% endblock %}',
            '{% set root = root ~ "/" %}{% block b %}{% include "frag.html" %}{% endblock %}',
        ),
        ('{{ shared("dynamic.html") }}', '{% include "dynamic.html" %}'),
    ],
)
def test_a_shared_fragment_is_what_include_renders(tmp_path: Path, shared: str, included: str) -> None:
    templates = _site_templates(tmp_path, {**FRAGMENTS, "page.html": shared, "included.html": included})
    contexts = [
        {"root": root, "n": n, "extra": extra, "which": "a.html"}
        for root in ["../", "<&>"]
        for n in [1, True, 1.0, "1", Markup("<b>1</b>"), [1], (1,)]
        for extra in ["e", "f"]
    ]
    for context in [*contexts, *contexts]:  # the second time from the memo
        assert templates.render("page.html", context) == templates.render("included.html", context)


@fast_only
def test_a_shared_fragment_is_kept_by_the_values_it_reads(tmp_path: Path) -> None:
    templates = _site_templates(tmp_path, {**FRAGMENTS, "page.html": '{{ shared("frag.html") }}'})
    assert set(templates.inputs("frag.html") or ()) >= {"root", "extra"}  # extra: read in the macro it imports
    assert templates.inputs("dynamic.html") is None
    feeds = [Markup("<i>a</i>")]
    first = templates.render("page.html", {"root": "", "n": feeds, "extra": "e", "unread": 1})
    assert templates.render("page.html", {"root": "", "n": feeds, "extra": "e", "unread": 2}) == first
    assert len(templates._shared) == 1
    assert templates.render("page.html", {"root": "", "n": feeds, "extra": "f", "unread": 1}) != first
    assert len(templates._shared) == 2


def test_a_page_depends_on_the_templates_its_shared_fragments_load(tmp_path: Path) -> None:
    theme_only = Templates(tmp_path, ".", NullTranslations()).fingerprint("incident.html")
    overridden = _site_templates(tmp_path, {"_subscribe.html": "{% macro feed_links(feeds) %}{% endmacro %}"})
    assert overridden.fingerprint("incident.html") != theme_only
    assert "_feed_links.html" in [r for r in references(overridden.env.parse('{{ shared("_feed_links.html") }}'))]


def test_the_format_memo_keeps_days_and_minutes_not_moments() -> None:
    """Ten years of history must not leave one memo entry for every moment a page showed."""
    fmt = Formatter(ZoneInfo("Europe/Berlin"), "de", NullTranslations())
    start = datetime(2026, 3, 1, tzinfo=UTC)
    moments = [start + timedelta(minutes=7 * n) for n in range(20_000)]  # 97 days, every minute-of-day many times
    for moment in moments:
        assert fmt.full(moment) == fmt.full(moment)
        fmt.forget_moments()
    days = {m.astimezone(fmt.zone).date() for m in moments}
    assert len(fmt._formatted) <= len(days) + 24 * 60
    summer_time_begins = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert fmt.full(summer_time_begins) == "29. März 2026, 03:30 CEST"


# -- rows of list pages -------------------------------------------------------------

ROW_MACROS = (
    "{% macro item_row(item) -%}"
    '<li><a href="{{ root }}{{ item.id }}/">{{ item.title }}</a> {{ tail }}{{ root }}</li>'
    "{%- endmacro %}"
)


@dataclass(frozen=True)
class Row:
    id: str
    title: str


@pytest.mark.parametrize("autoescape", [True, False])
def test_a_listed_row_is_what_the_item_row_macro_renders(tmp_path: Path, autoescape: bool) -> None:
    name = "page.html" if autoescape else "page.txt"
    templates = _site_templates(
        tmp_path,
        {
            "_macros.html": ROW_MACROS,
            name: "{% for item in items %}{{ listed(item) }}{% endfor %}",
            "rows." + name.split(".")[1]: "{{ listed_rows(items) }}",
            "slow." + name.split(".")[1]: (
                '{% from "_macros.html" import item_row with context %}'
                "{% for item in items %}{{ item_row(item) }}{% endfor %}"
            ),
        },
    )
    items = [Row("a", "A & B"), Row("b", "<script>"), Row("c", "\x00 not a mark \x00")]
    contexts = [
        {"root": root, "items": items, "tail": tail}
        for root in ["", "../", "../../../", "<&>"]
        for tail in ["t", Markup("<b>t</b>")]
    ]
    for context in [*contexts, *contexts]:  # the second time from the memo
        slow = templates.render("slow." + name.split(".")[1], context)
        assert templates.render(name, context) == slow
        assert templates.render("rows." + name.split(".")[1], context) == slow
    if not templates.stock:
        sets = templates.rows.sets.values()
        assert [len(rows) for _, rows in sets] == [len(items)] * 2  # per item and tail, not root


def test_a_listed_row_is_kept_only_for_the_same_item(tmp_path: Path) -> None:
    templates = _site_templates(tmp_path, {"_macros.html": ROW_MACROS, "page.html": "{{ listed(item) }}"})
    first = templates.render("page.html", {"root": "../", "item": Row("a", "One"), "tail": ""})
    # an equal-looking item made later may reuse the first's id: it is rendered again, not served stale
    assert templates.render("page.html", {"root": "../", "item": Row("a", "Two"), "tail": ""}) != first
    assert "listed" in templates.env.globals and "_macros.html" in references(templates.env.parse("{{ listed(x) }}"))


# -- the fast paths are taken, and the switch turns them off -------------------------------


@fast_only
def test_gettext_of_a_plain_text_is_looked_up_once_per_setting(tmp_path: Path) -> None:
    """The fast ``_`` (a ``pass_context`` function) is what a page calls: a plain text is translated once."""
    looked_up: list[str] = []

    class Counting(NullTranslations):
        def gettext(self, message: str) -> str:
            looked_up.append(message)
            return message.upper()

    env = Templates(tmp_path, ".", Counting()).env
    assert isinstance(env, SpeedEnvironment)
    page = env.from_string("{{ _(name) }}|{{ _(name) }}|{{ gettext(name) }}")
    assert page.render(name="Impact") == "IMPACT|IMPACT|IMPACT"
    assert page.render(name="Impact") == "IMPACT|IMPACT|IMPACT"
    assert looked_up == ["Impact"]  # Jinja's own _ would have asked six times


def test_the_switch_gives_stock_jinja_and_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = [*GETTEXT_CASES[:11], *CALLS]
    values = {"markup": Markup("<b>{time}</b>"), "name": "Resolved", "shout": str.upper, **CALL_VALUES}
    monkeypatch.delenv(STOCK_SWITCH, raising=False)
    fast = Templates(tmp_path, ".", i18n.translations("de"))
    monkeypatch.setenv(STOCK_SWITCH, "1")
    stock = Templates(tmp_path, ".", i18n.translations("de"))
    assert type(fast.env) is SpeedEnvironment and type(stock.env) is jinja2.Environment
    assert stock.env.context_class is jinja2.runtime.Context and stock.env.template_class is jinja2.Template
    assert fast.stock is False and stock.stock is True
    for env in (fast.env, stock.env):
        env.undefined = jinja2.Undefined
    for source in sources:
        assert fast.env.from_string(source).render(values) == stock.env.from_string(source).render(values)


@fast_only
def test_a_templates_globals_are_one_dict_with_every_global_and_its_own(tmp_path: Path) -> None:
    """Each page copies its template's globals into its context: a dict, not Jinja's ChainMap, is copied in C."""
    env = Templates(tmp_path, ".", i18n.translations("en")).env
    template = env.get_template("incident.html")
    assert type(template.globals) is dict
    assert template.globals == dict(env.globals)
    own = env.from_string(
        "{{ g }}|{{ range(2)|list }}|{{ lipsum }}|{{ _('Resolved') }}", globals={"g": "<x>", "lipsum": 1}
    )
    assert type(own.globals) is dict and "g" not in env.globals and env.globals["lipsum"] != 1
    assert own.render() == "&lt;x&gt;|[0, 1]|1|Resolved"
