"""The catalogue: every key in both languages with the same placeholders; every key the code uses
written out whole (so that this file can find it), present, and every entry used; the tables that
choose a key by value cover every value."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import get_args

import pytest

from core.messages import CATALOGUE, LANGUAGES, UnknownMessage, bilingual, placeholders, text
from core.messages.assignments import BOOKING_REFUSALS, ROSTER_STATE_NAMES
from core.messages.catalogue import FAMILIES
from core.messages.lifecycle import REBOOK_REFUSALS
from core.messages.roles import ROLE_NAMES
from core.messages.shifts import FIELD_NAMES
from core.messages.templates import DAY_NAMES, DAY_SHORT_NAMES, KEPT_REASONS, ORDINALS
from handlers.details import DETAIL_OPTIONS
from planner.conflicts import RefusalReason
from planner.lifecycle import Step
from planner.permissions import Role
from planner.recurrence import parse_rule
from planner.registration import InvalidChoice
from storage.models import AssignmentState
from storage.shifts import EditRefusalReason

ROOT = Path(__file__).resolve().parents[2]
# The packages that speak to people; storage and planner name no sentences.
SPEAKING = ("bot", "core", "services", "handlers", "jobs")
PREFIXES = "|".join(sorted({key.split(".")[0] for key in CATALOGUE}))
# A family's prefix and a dot: how every key starts (``role.admin``, ``rule.nth.-1``).
KEY_START = re.compile(rf"(?:{PREFIXES})\.")
KEY_LIKE = re.compile(rf"(?:{PREFIXES})\.[\w.\-]+")
# Callables whose first argument is a key, and the keyword arguments that hold one.
TAKES_A_KEY = {"text", "bilingual", "Phrase", "UsageError", "ParseError"}
KEY_KEYWORDS = {"summary_key", "details_key", "message_key", "error_key"}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for package in SPEAKING:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            yield str(path.relative_to(ROOT)), ast.parse(source)


def _used_strings(tree: ast.Module) -> set[str]:
    """Every string literal in the module except a family's own ``ENTRIES``: defining a key is
    not using it."""
    definitions = {
        id(inner)
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "ENTRIES"
        for inner in ast.walk(node)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in definitions
    }


def _is_built(node: ast.expr) -> bool:
    """An f-string, ``+``/``%`` or ``.format``: a string put together at run time."""
    formats = isinstance(node, ast.Call) and (
        isinstance(node.func, ast.Attribute) and node.func.attr == "format"
    )
    return isinstance(node, ast.JoinedStr | ast.BinOp) or formats


def _literal_start(node: ast.expr) -> str:
    """The text a built string starts with, as far as it is written out."""
    if isinstance(node, ast.JoinedStr):
        node = node.values[0] if node.values else node
    elif isinstance(node, ast.BinOp):
        node = node.left
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def _key_arguments(call: ast.Call) -> list[ast.expr]:
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
    first = call.args[:1] if name in TAKES_A_KEY else []
    return first + [word.value for word in call.keywords if word.arg in KEY_KEYWORDS]


def built_keys(tree: ast.AST) -> list[str]:
    """Keys put together at run time, which no scan can check: any built string that starts like
    a key, and anything built that is passed where a key goes."""
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.expr) and _is_built(node)
        if KEY_START.match(_literal_start(node))
    ]
    found += [
        argument
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        for argument in _key_arguments(call)
        if _is_built(argument) and argument not in found
    ]
    return [f"line {node.lineno}: {ast.unparse(node)}" for node in found]


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_exists_in_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = CATALOGUE[key]
    assert set(entry) == set(LANGUAGES)
    assert placeholders(entry["zh-HK"]) == placeholders(entry["en"])


def test_no_two_families_define_the_same_key() -> None:
    seen: dict[str, str] = {}
    for family in FAMILIES:
        for key in family.ENTRIES:
            assert key not in seen, f"{key} is in {seen[key]} and {family.__name__}"
            seen[key] = family.__name__
    assert seen.keys() == CATALOGUE.keys()


def test_every_key_is_written_out_whole() -> None:
    built = {path: found for path, tree in _modules() if (found := built_keys(tree))}
    assert not built, built


@pytest.mark.parametrize(
    "source",
    [
        'text(f"role.{role}", language)',
        'key = f"card.rebook_{refusal.reason}"',
        'Phrase("rule.day." + day)',
        'raise UsageError("shift.field.%s" % option)',
        'text("roster.state.{}".format(state), language)',
        'bilingual(f"{family}.title", language)',
        'CommandSpec(name="x", summary_key=f"command.{name}")',
    ],
)
def test_the_scan_finds_a_key_built_at_run_time(source: str) -> None:
    assert built_keys(ast.parse(source))


@pytest.mark.parametrize(
    "source",
    [
        'text("role.granted", language, who=f"@{nick}")',
        'queue_notice(kind=f"change_{change.revision}")',
        'label = f"{hours:g}h" + "*"',
    ],
)
def test_the_scan_leaves_other_strings_alone(source: str) -> None:
    assert built_keys(ast.parse(source)) == []


def test_every_key_used_in_code_is_in_the_catalogue() -> None:
    unknown = {
        f"{path}: {key}"
        for path, tree in _modules()
        for key in _used_strings(tree)
        if KEY_LIKE.fullmatch(key) and key not in CATALOGUE
    }
    assert not unknown, sorted(unknown)


def test_every_catalogue_entry_is_used() -> None:
    used = set().union(*(_used_strings(tree) for _, tree in _modules()))
    assert CATALOGUE.keys() <= used, sorted(CATALOGUE.keys() - used)


@pytest.mark.parametrize(
    ("table", "values"),
    [
        (ROLE_NAMES, set(Role)),
        (BOOKING_REFUSALS, set(get_args(RefusalReason))),
        (REBOOK_REFUSALS, set(get_args(RefusalReason))),
        (KEPT_REASONS, set(get_args(EditRefusalReason))),
        (ROSTER_STATE_NAMES, set(AssignmentState)),
        # What /shift edit can change (the date, the time, its options) and the lifecycle steps.
        (FIELD_NAMES, {"date", "time"} | DETAIL_OPTIONS | set(Step)),
    ],
    ids=["roles", "booking", "rebook", "kept", "roster", "fields"],
)
def test_a_table_names_every_value_by_its_own_key(
    table: Mapping[object, str], values: set[object]
) -> None:
    assert set(table) == values
    for value, key in table.items():
        assert re.search(rf"[._]{re.escape(str(value))}$", key), (value, key)


def test_there_is_an_ordinal_for_every_nth_weekday_a_rule_accepts() -> None:
    accepted = set()
    for nth in range(-7, 8):
        try:
            parse_rule(f"month:{nth}sat")
        except InvalidChoice:
            continue
        accepted.add(nth)
    assert set(ORDINALS) == accepted
    for nth, key in ORDINALS.items():
        assert key.endswith(f".{nth}")


def test_day_names_are_in_weekday_order() -> None:
    monday = date(2026, 12, 7)
    for day in (monday + timedelta(days=offset) for offset in range(7)):
        assert text(DAY_NAMES[day.weekday()], "en") == f"{day:%A}"
        assert text(DAY_SHORT_NAMES[day.weekday()], "en") == f"{day:%a}"


def test_bilingual_puts_the_readers_language_first() -> None:
    zh_first = bilingual("error.unknown_command", "zh-HK", command="/x")
    en_first = bilingual("error.unknown_command", "en", command="/x")
    assert zh_first.splitlines() == [
        text("error.unknown_command", "zh-HK", command="/x"),
        text("error.unknown_command", "en", command="/x"),
    ]
    assert en_first.splitlines()[0].startswith("I don't know")


def test_an_unknown_key_is_an_error() -> None:
    with pytest.raises(UnknownMessage):
        text("no.such.key", "en")
