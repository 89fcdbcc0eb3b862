"""How shifts read in replies and on cards, in the organisation's zone and the reader's language.

Shared by the command handlers and the scheduled jobs, so that a reply, an announcement and a
card describe a shift the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.messages import Language, inert, join_list, text
from core.messages.templates import DAY_SHORT_NAMES
from core.settings import Settings
from planner.registration import language_name
from storage.models import Shift, ShiftDetails, Site


def weekday_short(day: date, language: Language) -> str:
    """``六`` / ``Sat``."""
    return text(DAY_SHORT_NAMES[day.weekday()], language)


def day_label(day: date, language: Language, today: date | None = None) -> str:
    """``六 12-06`` / ``Sat 12-06``; given ``today``, with the year when it is another year's
    (``六 2027-01-02``). Every reply, card and list writes a day this way."""
    shown = day.isoformat() if today is not None and day.year != today.year else f"{day:%m-%d}"
    return f"{weekday_short(day, language)} {shown}"


def local_window(shift: Shift, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)


def time_label(shift: Shift, zone: ZoneInfo) -> str:
    """``09:00–12:00`` in the organisation's zone."""
    start, end = local_window(shift, zone)
    return f"{start:%H:%M}–{end:%H:%M}"


def when_label(shift: Shift, zone: ZoneInfo, language: Language) -> str:
    """``六 12-06 09:00–12:00``."""
    start, _ = local_window(shift, zone)
    return f"{day_label(start.date(), language)} {time_label(shift, zone)}"


def neutral_when(shift: Shift, zone: ZoneInfo) -> str:
    """``12-06 09:00–12:00``: for sentences shown in both languages at once."""
    start, _ = local_window(shift, zone)
    return f"{start:%m-%d} {time_label(shift, zone)}"


def shift_line(shift: Shift, site: Site, taken: int, zone: ZoneInfo, language: Language) -> str:
    """``#42 六 12-06 09:00–12:00 SSP 3/6 ⚠️``: the marker flags vacancies."""
    marker = " ⚠️" if taken < shift.headcount else ""
    return (
        f"#{shift.id} {when_label(shift, zone, language)} {site.code} "
        f"{taken}/{shift.headcount}{marker}"
    )


def details_lines(details: ShiftDetails, language: Language) -> list[str]:
    """The optional details of a shift or template, one ``- `` line each, only those set."""
    lines = []
    if details.language_needs:
        needs = [
            f"{language_name(code, language)} ≥{count}"
            for code, count in details.language_needs.items()
        ]
        lines.append(text("template.detail.lang", language, value=join_list(needs, language)))
    optional = (
        ("template.detail.meet", details.meeting_point),
        ("template.detail.contact", details.contact),
        ("template.detail.equipment", join_list(details.equipment, language)),
        ("template.detail.tasks", join_list(details.tasks, language)),
    )
    for key, value in optional:
        if value:
            lines.append(text(key, language, value=value))
    if details.health_declaration:
        lines.append(text("template.detail.health", language))
    return ["- " + line for line in lines]


def shift_block(shift: Shift, site: Site, settings: Settings, language: Language) -> str:
    """The shift as one block of lines: ``#42 六 12-06 09:00–12:00 Site``, title, details."""
    when = when_label(shift, settings.org.zone, language)
    lines = [f"**#{shift.id} {when} {inert(site.name)}**"]
    if shift.title:
        lines.append(inert(shift.title))
    return "\n".join(lines + details_lines(shift, language))
