"""Shifts: one-off shifts, the list for the days ahead, edits and cancellations.

- ``/shift add site=<code> date=<date> time=HH:MM-HH:MM need=<n> [title=...] [lang=cmn:1,...]
  [meet=...] [contact=...] [equipment=a,b] [tasks=a,b] [health=yes]`` (``/更 新增``): a one-off
  shift; the reply gives its id (``#42``). It must start in the future.
- ``/shift list [site] [from..to]`` (``/shift``, ``/更``, ``/更表``): one line per shift,
  grouped by day, ``#42 六 12-06 09:00–12:00 SSP 3/6 ⚠️`` (people booked / needed; ⚠️ marks
  vacancies). Default: today and the six days after it, in the organisation's zone. The dates
  may also be one day (``sat``). Regional viewers see only their regions' sites. Cancelled
  shifts are left out.
- ``/shift edit <id> key=value ...`` (``/更 修改``): keys ``date``, ``time`` and the shift details
  (``need``, ``title``, ``lang``, ``meet``, ``contact``, ``equipment``, ``tasks``, ``health``).
  Refused when the head count would fall below the people booked, or when a new date or time would
  put someone on it into two overlapping shifts (the reply names them and the other shift).
- ``/shift cancel <id> [reason]`` (``/更 取消``): the words after the id are the reason.

A shift that has started (or ended) or is cancelled cannot be edited, cancelled or staffed.
Shift ids are typed as ``42`` or ``#42``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from core.messages import Markdown, Phrase, text
from core.messages.shifts import FIELD_NAMES
from core.router import CommandContext, CommandSpec, Reply, UsageError
from handlers.details import (
    DETAIL_FIELDS,
    DETAIL_OPTIONS,
    OFFSET_OPTIONS,
    OPTION_OF_FIELD,
    check_length,
    check_offsets,
    details_from,
    hours_label,
    invalid,
    parse_id,
    timing_line,
)
from planner.dates import parse_date, parse_date_range, parse_time_range, shift_window
from planner.permissions import Role, sees_district
from planner.registration import InvalidChoice
from services.render import day_label, local_window, neutral_when, shift_line, when_label
from storage.lifecycle import publish
from storage.models import Shift, ShiftStatus, Site
from storage.shifts import (
    ShiftSummary,
    add_shift,
    cancel_shift,
    change_shift,
    find_shift,
    seats_taken,
    shifts_between,
)
from storage.sites import find_site, find_site_by_code
from storage.volunteers import find_volunteer_by_id

DEFAULT_LIST_DAYS = 7
MAX_LIST_LINES = 60
"""Beyond this a list stops and asks for a narrower range: a phone screen is short."""
MAX_REASON = 256
EDIT_KEYS = ("date", "time", *DETAIL_FIELDS)


def is_past(shift: Shift, now: datetime) -> bool:
    """Started or over: too late to change or staff."""
    return shift.starts_at <= now


# -- finding the shift a command is about ------------------------------------------------------


async def shift_from_words(ctx: CommandContext, *, for_update: bool) -> Shift:
    """The shift named by the command's first word, or a :class:`UsageError`."""
    if not ctx.command.words:
        raise UsageError("shift.missing_id")
    shift_id = parse_id(ctx.command.words[0], "shift.bad_id")
    shift = await find_shift(session=ctx.session, shift_id=shift_id, for_update=for_update)
    if shift is None:
        raise UsageError("shift.not_found", id=shift_id)
    return shift


def refuse_unless_open(shift: Shift, now: datetime) -> None:
    """Cancelled or started shifts are history: no edits, no bookings."""
    if shift.status == ShiftStatus.CANCELLED:
        raise UsageError("shift.cancelled", id=shift.id)
    if is_past(shift, now):
        raise UsageError("shift.past", id=shift.id)


async def site_of(ctx: CommandContext, shift: Shift) -> Site:
    site = await find_site(session=ctx.session, site_id=shift.site_id)
    assert site is not None  # a foreign key
    return site


def may_see(ctx: CommandContext, site: Site) -> bool:
    """Regional viewers see only their regions' sites; everyone else sees every site."""
    return ctx.role != Role.VIEWER or sees_district(ctx.regions, site.district)


# -- /shift add --------------------------------------------------------------------------------


async def handle_add(ctx: CommandContext) -> list[Reply]:
    options = ctx.command.options
    zone = ctx.settings.org.zone
    site = await find_site_by_code(session=ctx.session, code=options["site"])
    if site is None:
        raise UsageError("shift.unknown_site", code=options["site"])
    fields = details_from(options)
    check_offsets(ctx.settings.schedule, fields)
    try:
        day = parse_date(options["date"], ctx.today)
        start, end = parse_time_range(options["time"])
        starts_at, ends_at = shift_window(day, start, end, zone)
    except InvalidChoice as error:
        raise invalid(error) from error
    if starts_at <= ctx.now:
        raise UsageError("shift.starts_in_past", when=f"{day} {start:%H:%M}")
    assert site.id is not None
    shift = await add_shift(
        session=ctx.session,
        shift=Shift(
            site_id=site.id,
            occurs_on=day,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=ctx.staff_id,
            created_at=ctx.now,
            updated_at=ctx.now,
            **fields,
        ),
    )
    label = f"{site.code}「{shift.title}」" if shift.title else site.code
    lines = [
        text(
            "shift.added",
            ctx.language,
            id=shift.id,
            when=when_label(shift, zone, ctx.language),
            site=label,
            need=shift.headcount,
        ),
        text("shift.added_next", ctx.language, id=shift.id),
    ]
    return [Reply("\n\n".join(lines))]


# -- /shift list -------------------------------------------------------------------------------


async def _list_filters(ctx: CommandContext) -> tuple[Site | None, date, date]:
    today = ctx.today
    site: Site | None = None
    first, last = today, today + timedelta(days=DEFAULT_LIST_DAYS - 1)
    dates_given = False
    for word in ctx.command.words:
        found = None if site else await find_site_by_code(session=ctx.session, code=word)
        if found is not None:
            if not may_see(ctx, found):
                raise UsageError("shift.outside_region", code=found.code)
            site = found
            continue
        if dates_given:
            raise UsageError("shift.unknown_site", code=word)
        try:
            first, last = parse_date_range(word, today)
        except InvalidChoice:
            try:
                first = last = parse_date(word, today)
            except InvalidChoice:
                raise UsageError("shift.unknown_site_or_dates", value=word) from None
        dates_given = True
    return site, first, last


def _day_of(summary: ShiftSummary, zone: ZoneInfo) -> date:
    return summary.shift.starts_at.astimezone(zone).date()


async def handle_list(ctx: CommandContext) -> list[Reply]:
    zone = ctx.settings.org.zone
    site, first, last = await _list_filters(ctx)
    summaries = await shifts_between(
        session=ctx.session,
        first_day=first,
        last_day=last,
        site_ids=None if site is None else [site.id or 0],
    )
    summaries = [summary for summary in summaries if may_see(ctx, summary.site)]
    header = text(
        "shift.list_header",
        ctx.language,
        first=day_label(first, ctx.language),
        last=day_label(last, ctx.language),
    )
    if site is not None:
        header += f" · {site.code}"
    if not summaries:
        return [Reply(f"**{header}**\n\n" + text("shift.list_empty", ctx.language))]
    shown = summaries[:MAX_LIST_LINES]
    blocks = [
        "\n".join(
            "- " + shift_line(item.shift, item.site, item.seats_taken, zone, ctx.language)
            for item in day_items
        )
        for _, day_items in groupby(shown, key=lambda item: _day_of(item, zone))
    ]
    short = [item for item in summaries if item.seats_taken < item.shift.headcount]
    if short:
        missing = sum(item.shift.headcount - item.seats_taken for item in short)
        footer = text("shift.list_short", ctx.language, shifts=len(short), seats=missing)
    else:
        footer = text("shift.list_all_staffed", ctx.language)
    if len(summaries) > len(shown):
        footer += "\n" + text("shift.list_more", ctx.language, count=len(summaries) - len(shown))
    return [Reply("\n\n".join([f"**{header}**", *blocks, footer]))]


async def handle_publish(ctx: CommandContext) -> list[Reply]:
    """Start the lifecycle of the listed shifts: announcement now, cards and reminders on time."""
    site, first, last = await _list_filters(ctx)
    summaries = await shifts_between(
        session=ctx.session,
        first_day=first,
        last_day=last,
        site_ids=None if site is None else [site.id or 0],
    )
    upcoming = [item.shift for item in summaries if not is_past(item.shift, ctx.now)]
    published = await publish(session=ctx.session, shifts=upcoming, now=ctx.now)
    if not published:
        return [Reply(text("shift.publish_none", ctx.language))]
    ids = Markdown(", ".join(f"#{shift.id}" for shift in published))
    schedule = ctx.settings.schedule
    lines = [
        text(
            "shift.published",
            ctx.language,
            count=len(published),
            ids=ids,
            confirm=f"{schedule.confirm_hours_before:g}",
            remind=f"{schedule.remind_hours_before:g}",
        )
    ]
    for shift in published:
        timing = timing_line(shift, schedule, ctx.language)
        if timing is not None:
            lines.append(f"- #{shift.id}: {timing}")
    return [Reply("\n".join(lines))]


# -- /shift edit -------------------------------------------------------------------------------


def shown_value(option: str, value: Any) -> str:
    """A field's value as people read it, the same in both languages (recorded for notices)."""
    if option == "lang":
        return ", ".join(f"{code}:{count}" for code, count in value.items())
    if option in ("equipment", "tasks"):
        return ", ".join(value)
    if option == "health":
        return "yes" if value else "no"
    return str(value)


def _window_changes(
    ctx: CommandContext, shift: Shift
) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    options = ctx.command.options
    if "date" not in options and "time" not in options:
        return {}, {}
    zone = ctx.settings.org.zone
    old_start, old_end = local_window(shift, zone)
    try:
        day = parse_date(options["date"], ctx.today) if "date" in options else None
        start, end = (
            parse_time_range(options["time"])
            if "time" in options
            else (old_start.time(), old_end.time())
        )
        new_day = day or old_start.date()
        starts_at, ends_at = shift_window(new_day, start, end, zone)
    except InvalidChoice as error:
        raise invalid(error) from error
    if (starts_at, ends_at) == (shift.starts_at, shift.ends_at):
        return {}, {}
    if starts_at <= ctx.now:
        raise UsageError("shift.starts_in_past", when=f"{new_day} {start:%H:%M}")
    changes: dict[str, Any] = {"starts_at": starts_at, "ends_at": ends_at, "occurs_on": new_day}
    shown: dict[str, tuple[str, str]] = {}
    if new_day != old_start.date():
        shown["date"] = (old_start.date().isoformat(), new_day.isoformat())
    old_times = f"{old_start:%H:%M}–{old_end:%H:%M}"
    new_times = f"{start:%H:%M}–{end:%H:%M}"
    if new_times != old_times:
        shown["time"] = (old_times, new_times)
    return changes, shown


async def _refuse_template_clash(ctx: CommandContext, shift: Shift, new_day: date) -> None:
    """A template has one occurrence a day; moving one onto its sibling's day is refused."""
    if shift.template_id is None or new_day == shift.occurs_on:
        return
    same_day = await shifts_between(
        session=ctx.session, first_day=new_day, last_day=new_day, include_cancelled=True
    )
    for item in same_day:
        if item.shift.template_id == shift.template_id and item.shift.id != shift.id:
            raise UsageError("shift.template_clash", id=shift.id, other=item.shift.id)


async def _explain_edit_refusal(
    ctx: CommandContext, shift: Shift, reason: str, volunteer_id: int | None, other_id: int | None
) -> UsageError:
    if reason == "below_booked":
        taken = await seats_taken(session=ctx.session, shift_id=shift.id or 0)
        return UsageError("shift.below_booked", id=shift.id, booked=taken)
    volunteer = (
        await find_volunteer_by_id(session=ctx.session, volunteer_id=volunteer_id)
        if volunteer_id
        else None
    )
    other = (
        await find_shift(session=ctx.session, shift_id=other_id) if other_id is not None else None
    )
    return UsageError(
        "shift.edit_overlap",
        id=shift.id,
        nick=volunteer.nickname if volunteer else "?",
        other=other_id,
        when=neutral_when(other, ctx.settings.org.zone) if other else "",
    )


async def handle_edit(ctx: CommandContext) -> list[Reply]:
    shift = await shift_from_words(ctx, for_update=True)
    refuse_unless_open(shift, ctx.now)
    options = ctx.command.options
    if not options:
        raise UsageError("shift.nothing_to_edit", keys=", ".join(EDIT_KEYS))
    changes, shown = _window_changes(ctx, shift)
    if "occurs_on" in changes:
        await _refuse_template_clash(ctx, shift, changes["occurs_on"])
    timing: dict[str, tuple[str, str]] = {}
    for field, value in details_from(options).items():
        before = getattr(shift, field)
        if before != value:
            option = OPTION_OF_FIELD[field]
            changes[field] = value
            if option in OFFSET_OPTIONS:
                default = getattr(ctx.settings.schedule, field)
                timing[option] = (hours_label(before, default), hours_label(value, default))
            else:
                shown[option] = (shown_value(option, before), shown_value(option, value))
    zone = ctx.settings.org.zone
    if not changes:
        return [Reply(text("shift.unchanged", ctx.language, id=shift.id))]
    check_offsets(ctx.settings.schedule, changes, shift)
    refusal = await change_shift(
        session=ctx.session,
        shift=shift,
        changes=changes,
        shown=shown,  # the people on it are told of these; the lifecycle's timing is ours
        changed_by=ctx.staff_id,
        now=ctx.now,
        min_rest=ctx.settings.schedule.min_rest,
    )
    if refusal is not None:
        raise await _explain_edit_refusal(
            ctx, shift, refusal.reason, refusal.volunteer_id, refusal.conflicting_shift_id
        )
    none = text("shift.empty_value", ctx.language)
    changed = [
        text(
            "shift.change_line",
            ctx.language,
            field=Phrase(FIELD_NAMES[option]),
            before=before or none,
            after=after or none,
        )
        for option, (before, after) in (shown | timing).items()
    ]
    site = await site_of(ctx, shift)
    taken = await seats_taken(session=ctx.session, shift_id=shift.id or 0)
    lines = [
        text("shift.edited", ctx.language, id=shift.id),
        "\n".join(changed),
        shift_line(shift, site, taken, zone, ctx.language),
    ]
    return [Reply("\n\n".join(lines))]


# -- /shift cancel -----------------------------------------------------------------------------


async def handle_cancel(ctx: CommandContext) -> list[Reply]:
    shift = await shift_from_words(ctx, for_update=True)
    refuse_unless_open(shift, ctx.now)
    reason = " ".join(ctx.command.words[1:])
    check_length("reason", reason, MAX_REASON)
    await cancel_shift(
        session=ctx.session,
        shift=shift,
        reason=reason,
        changed_by=ctx.staff_id,
        now=ctx.now,
    )
    site = await site_of(ctx, shift)
    zone = ctx.settings.org.zone
    lines = [
        text(
            "shift.cancelled_done",
            ctx.language,
            id=shift.id,
            when=when_label(shift, zone, ctx.language),
            site=site.code,
        )
    ]
    if reason:
        lines.append(text("shift.cancel_reason", ctx.language, reason=reason))
    taken = await seats_taken(session=ctx.session, shift_id=shift.id or 0)
    if taken:
        lines.append(text("shift.cancel_affected", ctx.language, count=taken, id=shift.id))
    return [Reply("\n\n".join(lines))]


SHIFT_LIST = CommandSpec(
    name="shift list",
    aliases=("shift", "shifts", "更", "更表", "更 列表"),
    usage="/shift list [site] [from..to]",
    summary_key="command.shift_list",
    details_key="command.shift_list.details",
    handler=handle_list,
    max_words=2,
)
SHIFT_PUBLISH = CommandSpec(
    name="shift publish",
    aliases=("publish", "發佈", "发布", "更 發佈", "更 发布"),
    usage="/shift publish [site] [from..to]",
    summary_key="command.shift_publish",
    details_key="command.shift_publish.details",
    handler=handle_publish,
    max_words=2,
)
SHIFT_ADD = CommandSpec(
    name="shift add",
    aliases=("更 新增", "更 加"),
    usage="/shift add site=<code> date=<date> time=HH:MM-HH:MM need=<n> [title=...] [lang=...] "
    "[meet=...] [contact=...] [equipment=...] [tasks=...] [health=yes] [confirm=48h] "
    "[nudge=36h] [remind=24h]",
    summary_key="command.shift_add",
    details_key="command.shift_add.details",
    handler=handle_add,
    options=frozenset({"site", "date", "time", *DETAIL_OPTIONS}),
    required=frozenset({"site", "date", "time", "need"}),
)
SHIFT_EDIT = CommandSpec(
    name="shift edit",
    aliases=("更 修改", "更 改"),
    usage="/shift edit <id> key=value ...",
    summary_key="command.shift_edit",
    details_key="command.shift_edit.details",
    handler=handle_edit,
    options=frozenset({"date", "time", *DETAIL_OPTIONS}),
    max_words=1,
)
SHIFT_CANCEL = CommandSpec(
    name="shift cancel",
    aliases=("更 取消",),
    usage="/shift cancel <id> [reason]",
    summary_key="command.shift_cancel",
    handler=handle_cancel,
    max_words=64,
)
