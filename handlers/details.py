"""The options shared by ``/template add`` and ``/shift add|edit``: a shift's details.

``need=6 lang=cmn:1 meet="MTR exit A" contact=... equipment=gloves,apron tasks=... health=yes``
and the lifecycle's timing, ``confirm=72h nudge=48h remind=1d`` (``default`` for the
organisation's ``[schedule]`` value).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from core.messages import Language, Markdown, text
from core.router import UsageError
from core.settings import ScheduleSettings
from planner.dates import parse_hours_before
from planner.needs import parse_headcount, parse_items, parse_language_needs, parse_yes_no
from planner.registration import InvalidChoice
from services.timing import OFFSET_FIELDS
from storage.models import ShiftDetails

# Option -> the ShiftDetails field holding the hours before the start its step falls due.
OFFSET_OPTIONS = dict(zip(("confirm", "nudge", "remind"), OFFSET_FIELDS, strict=True))
# Option -> the ShiftDetails field it sets; the one table ``/shift`` and ``/template`` share.
DETAIL_FIELDS = {
    "need": "headcount",
    "title": "title",
    "lang": "language_needs",
    "meet": "meeting_point",
    "contact": "contact",
    "equipment": "equipment",
    "tasks": "tasks",
    "health": "health_declaration",
    **OFFSET_OPTIONS,
}
OPTION_OF_FIELD = {field: option for option, field in DETAIL_FIELDS.items()}
DETAIL_OPTIONS = frozenset(DETAIL_FIELDS)
MAX_TEXT = 256
log = logging.getLogger(__name__)


def check_length(option: str, value: str, limit: int = MAX_TEXT) -> str:
    """``value`` if it fits in ``limit`` characters; else the bilingual "too long" reply."""
    if len(value) > limit:
        raise UsageError("error.too_long", option=option, limit=limit)
    return value


def parse_id(word: str, error_key: str) -> int:
    """``42`` or ``#42``; ``error_key`` (with ``value``) otherwise. Nine digits at most: ids
    are 32-bit integers in PostgreSQL, and a longer number would fail the query."""
    digits = word.strip().removeprefix("#")
    if not re.fullmatch(r"\d{1,9}", digits):
        raise UsageError(error_key, value=word)
    return int(digits)


def details_from(options: Mapping[str, str]) -> dict[str, Any]:
    """The ShiftDetails fields that ``options`` set, parsed; raises :class:`UsageError`."""
    fields: dict[str, Any] = {}
    try:
        if "need" in options:
            fields["headcount"] = parse_headcount(options["need"])
        if "lang" in options:
            fields["language_needs"] = parse_language_needs(options["lang"])
        if "equipment" in options:
            fields["equipment"] = parse_items(options["equipment"], "equipment")
        if "tasks" in options:
            fields["tasks"] = parse_items(options["tasks"], "tasks")
        if "health" in options:
            fields["health_declaration"] = parse_yes_no(options["health"], "health")
        for option, field in OFFSET_OPTIONS.items():
            if option in options:
                fields[field] = parse_hours_before(options[option], option)
    except InvalidChoice as error:
        raise invalid(error) from error
    for option, field, limit in (
        ("title", "title", 128),
        ("meet", "meeting_point", MAX_TEXT),
        ("contact", "contact", 128),
    ):
        if option in options:
            fields[field] = check_length(option, options[option], limit)
    return fields


def invalid(error: InvalidChoice) -> UsageError:
    """The reply for a value the planner's parsers refused."""
    # What is accepted is the planner's own wording, so it is neither made inert nor cut short.
    return UsageError(
        "error.invalid_choice",
        field=error.field,
        value=error.value,
        accepted=Markdown(error.accepted),
    )


def check_offsets(
    schedule: ScheduleSettings, changes: Mapping[str, Any], current: ShiftDetails | None = None
) -> None:
    """Refuse timing that would card, nudge and remind out of order: ``changes`` (field -> value)
    applied to ``current``'s own hours over the org's. Raises :class:`UsageError`."""
    own = [
        changes[field] if field in changes else getattr(current, field, None)
        for field in OFFSET_FIELDS
    ]
    try:
        schedule.offsets().overridden(*own)
    except ValueError as error:
        defaults = [getattr(schedule, field) for field in OFFSET_FIELDS]
        confirm, nudge, remind = (hours_label(*pair) for pair in zip(own, defaults, strict=True))
        raise UsageError(
            "error.offsets_order", confirm=confirm, nudge=nudge, remind=remind
        ) from error


def hours_label(own: float | None, default: float) -> Markdown:
    """``72h``, or ``48h*`` when it is the organisation's default."""
    hours = default if own is None else own
    return Markdown(f"{hours:g}h" + ("*" if own is None else ""))


def timing_line(
    details: ShiftDetails, schedule: ScheduleSettings, language: Language
) -> str | None:
    """For coordinators: when the lifecycle's steps go out, if this template or shift has its
    own timing; None when it follows the organisation's."""
    own = [getattr(details, field) for field in OFFSET_FIELDS]
    if all(hours is None for hours in own):
        return None
    defaults = [getattr(schedule, field) for field in OFFSET_FIELDS]
    confirm, nudge, remind = (hours_label(*pair) for pair in zip(own, defaults, strict=True))
    return text("template.detail.timing", language, confirm=confirm, nudge=nudge, remind=remind)
