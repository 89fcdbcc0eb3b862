"""The options shared by ``/template add`` and ``/shift add|edit``: a shift's details.

``need=6 lang=cmn:1 meet="MTR exit A" contact=... equipment=gloves,apron tasks=... health=yes``
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.router import UsageError
from planner.needs import parse_headcount, parse_items, parse_language_needs, parse_yes_no
from planner.registration import InvalidChoice

DETAIL_OPTIONS = frozenset({"need", "title", "lang", "meet", "contact", "equipment", "tasks",
                            "health"})  # fmt: skip
MAX_TEXT = 256


def _text(option: str, value: str, limit: int = MAX_TEXT) -> str:
    if len(value) > limit:
        raise UsageError("error.too_long", option=option, limit=limit)
    return value


def details_from(options: Mapping[str, str]) -> dict[str, Any]:
    """The ShiftDetails fields that ``options`` set, parsed; raises :class:`UsageError`."""
    fields: dict[str, Any] = {}
    try:
        if "need" in options:
            fields["headcount"] = parse_headcount(options["need"])
        if "lang" in options:
            fields["language_needs"] = parse_language_needs(options["lang"])
        if "equipment" in options:
            fields["equipment"] = parse_items(options["equipment"])
        if "tasks" in options:
            fields["tasks"] = parse_items(options["tasks"])
        if "health" in options:
            fields["health_declaration"] = parse_yes_no(options["health"], "health")
    except InvalidChoice as error:
        raise invalid(error) from error
    for option, field, limit in (("title", "title", 128), ("meet", "meeting_point", MAX_TEXT),
                                 ("contact", "contact", 128)):  # fmt: skip
        if option in options:
            fields[field] = _text(option, options[option], limit)
    return fields


def invalid(error: InvalidChoice) -> UsageError:
    """The reply for a value the planner's parsers refused."""
    return UsageError(
        "error.invalid_choice", field=error.field, value=error.value, accepted=error.accepted
    )
