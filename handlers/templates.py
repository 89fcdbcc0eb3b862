"""Shift templates: repeating shifts, expanded into concrete shifts over the rolling horizon.

- ``/template add <name> site=<code> every=<rule> time=HH:MM-HH:MM need=<n> [lang=<code:min>,...]
  [meet=...] [contact=...] [equipment=a,b] [tasks=a,b] [health=yes] [from=<date>]
  [except=<date,date>]`` (``/範本 新增``): add a template and create its shifts for the next
  ``schedule.horizon_weeks`` weeks at once. ``every=`` takes ``sat``, ``mon,wed``, ``2w:sat``
  (every 2 weeks, counted from ``from=``), ``month:1sat`` (first Saturday), ``month:-1sun`` (last
  Sunday), ``month:15``. ``from=`` is the first day it may occur (default today); ``except=``
  lists days it does not. The name is the shifts' title.
- ``/template list [site]`` (``/template``, ``/範本``): the active templates.
- ``/template edit <id> key=value ...`` (``/範本 修改``): the same keys as ``add`` except
  ``site=``, plus ``name=``. Shifts still to come that have not been announced follow the change;
  announced ones are changed with ``/shift edit``, which tells the people on them.
- ``/template remove <id>`` (``/範本 刪除``): no more shifts from it; its unannounced future
  shifts are cancelled, announced ones stay for ``/shift cancel``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, time, timedelta
from typing import Any

from core.messages import Language, Phrase, join_list, text
from core.messages.templates import DAY_NAMES, KEPT_REASONS, ORDINALS
from core.router import CommandContext, CommandSpec, Reply, UsageError
from core.settings import ScheduleSettings
from handlers.details import (
    DETAIL_OPTIONS,
    check_length,
    check_offsets,
    details_from,
    invalid,
    parse_id,
    timing_line,
)
from planner.dates import parse_date, parse_time_range
from planner.needs import MAX_ITEMS
from planner.permissions import sees_district
from planner.recurrence import Recurrence, parse_rule
from planner.registration import InvalidChoice
from services.render import day_label, details_lines
from storage.models import Shift, ShiftTemplate, Site
from storage.sites import find_site, find_site_by_code
from storage.templates import (
    TEMPLATE_FIELDS,
    TemplateEdit,
    add_template,
    edit_template,
    expand_template,
    find_template,
    list_templates,
    remove_template,
    rule_of,
)

SHOWN_DATES = 5
MAX_NAME = 128
DETAIL_KEYS = DETAIL_OPTIONS - {"title"}  # a template's name is its shifts' title
TEMPLATE_KEYS = frozenset({"every", "time", "from", "except"})
ADD_OPTIONS = DETAIL_KEYS | TEMPLATE_KEYS | {"site"}
EDIT_OPTIONS = DETAIL_KEYS | TEMPLATE_KEYS | {"name"}


# -- how templates read ---------------------------------------------------------------------------


def rule_words(rule: Recurrence, language: Language) -> str:
    """``2w:sat`` -> 每 2 個星期嘅星期六 / every 2 weeks on Saturday."""
    if rule.month_day is not None:
        if rule.month_day == -1:
            return text("rule.month_last_day", language)
        if rule.month_day < 0:
            return text("rule.month_day_from_end", language, n=-rule.month_day)
        return text("rule.month_day", language, day=rule.month_day)
    if rule.nth is not None:
        day = Phrase(DAY_NAMES[rule.weekdays[0]])
        return text("rule.nth_weekday", language, nth=Phrase(ORDINALS[rule.nth]), day=day)
    days = join_list([text(DAY_NAMES[day], language) for day in rule.weekdays], language)
    if rule.every_weeks == 1:
        return text("rule.weekly", language, days=days)
    return text("rule.every_weeks", language, weeks=rule.every_weeks, days=days)


def time_range(start: time, end: time) -> str:
    return f"{start:%H:%M}–{end:%H:%M}"


def summary(template: ShiftTemplate, language: Language) -> str:
    return text(
        "template.summary",
        language,
        rule=rule_words(rule_of(template), language),
        time=time_range(template.start_time, template.end_time),
        need=template.headcount,
    )


def detail_lines(
    template: ShiftTemplate, schedule: ScheduleSettings, language: Language
) -> list[str]:
    """The template's details as a shift has them, its own timing, and the days it skips."""
    lines = details_lines(template, language)
    timing = timing_line(template, schedule, language)
    if timing is not None:
        lines.append("- " + timing)
    if template.exceptions:
        days = [date.fromisoformat(day) for day in template.exceptions]
        shown = join_list([f"{day:%m-%d}" for day in days], language)
        lines.append("- " + text("template.detail.except", language, value=shown))
    return lines


def dates_line(key: str, shifts: Sequence[Shift], today: date, language: Language) -> str:
    """``key`` (with ``count`` and ``dates``) naming the first few shifts' days."""
    days = sorted(shift.occurs_on for shift in shifts)
    shown = join_list([day_label(day, language, today) for day in days[:SHOWN_DATES]], language)
    if len(days) > SHOWN_DATES:
        shown += " …"
    return text(key, language, count=len(days), dates=shown)


# -- parsing --------------------------------------------------------------------------------------


def _dates(value: str, today: date) -> list[date]:
    words = [word for word in re.split(r"[,、]", value) if word.strip()]
    if len(words) > MAX_ITEMS:
        raise InvalidChoice("except", value, f"at most {MAX_ITEMS} dates, separated by commas")
    return sorted({parse_date(word, today) for word in words})


def template_fields(options: Mapping[str, str], today: date) -> dict[str, Any]:
    """The ShiftTemplate attributes that ``options`` set, parsed; raises :class:`UsageError`."""
    fields: dict[str, Any] = details_from(
        {key: options[key] for key in DETAIL_KEYS & set(options)}
    )
    try:
        if "every" in options:
            fields["rule"] = parse_rule(options["every"]).canonical
        if "time" in options:
            fields["start_time"], fields["end_time"] = parse_time_range(options["time"])
        if "from" in options:
            fields["anchor_date"] = parse_date(options["from"], today)
        if "except" in options:
            fields["exceptions"] = [day.isoformat() for day in _dates(options["except"], today)]
    except InvalidChoice as error:
        raise invalid(error) from error
    if "name" in options:
        fields["name"] = _name(options["name"])
    return fields


def _name(value: str) -> str:
    name = value.strip()
    if not name:
        raise UsageError("template.missing_name")
    return check_length("name", name, MAX_NAME)


def _template_id(ctx: CommandContext) -> int:
    if not ctx.command.words:
        raise UsageError("template.missing_id")
    return parse_id(ctx.command.words[0], "template.bad_id")


async def _active_template(ctx: CommandContext) -> tuple[ShiftTemplate, Site]:
    template_id = _template_id(ctx)
    template = await find_template(session=ctx.session, template_id=template_id)
    site = (
        None
        if template is None
        else await find_site(session=ctx.session, site_id=template.site_id)
    )
    if template is None or site is None or not template.active:
        raise UsageError("template.not_found", id=template_id)
    return template, site


def _horizon(ctx: CommandContext) -> timedelta:
    return timedelta(weeks=ctx.settings.schedule.horizon_weeks)


# -- handlers -------------------------------------------------------------------------------------


async def handle_template_add(ctx: CommandContext) -> list[Reply]:
    options, language, today = ctx.command.options, ctx.language, ctx.today
    name = _name(" ".join(ctx.command.words))
    site = await find_site_by_code(session=ctx.session, code=options["site"])
    if site is None:
        raise UsageError("template.unknown_site", code=options["site"])
    fields = template_fields(options, today)
    details = {key: value for key, value in fields.items() if key not in TEMPLATE_FIELDS}
    check_offsets(ctx.settings.schedule, details)
    staff_id = ctx.staff_id
    template = await add_template(
        session=ctx.session,
        site=site,
        name=name,
        rule=parse_rule(fields["rule"]),
        anchor_date=fields.get("anchor_date", today),
        start_time=fields["start_time"],
        end_time=fields["end_time"],
        details=details,
        exceptions=[date.fromisoformat(day) for day in fields.get("exceptions", [])],
        created_by=staff_id,
        now=ctx.now,
    )
    created = await expand_template(
        session=ctx.session,
        template=template,
        site=site,
        today=today,
        zone=ctx.settings.org.zone,
        horizon=_horizon(ctx),
        created_by=staff_id,
        now=ctx.now,
    )
    lines = [
        text("template.added", language, id=template.id, name=template.name, site=site.code),
        summary(template, language),
        *detail_lines(template, ctx.settings.schedule, language),
    ]
    if created:
        lines.append(dates_line("template.created", created, today, language))
        lines.append(text("template.see_shifts", language, site=site.code))
    else:
        weeks = ctx.settings.schedule.horizon_weeks
        lines.append(text("template.created_none", language, weeks=weeks))
    return [Reply("\n".join(lines))]


async def handle_template_list(ctx: CommandContext) -> list[Reply]:
    language = ctx.language
    site_id = None
    if ctx.command.words:
        code = ctx.command.words[0]
        site = await find_site_by_code(session=ctx.session, code=code)
        if site is None:
            raise UsageError("template.unknown_site", code=code)
        if not sees_district(ctx.regions, site.district):
            raise UsageError("template.outside_region", code=site.code)
        site_id = site.id
    rows = [
        (template, site)
        for template, site in await list_templates(session=ctx.session, site_id=site_id)
        if sees_district(ctx.regions, site.district)
    ]
    if not rows:
        return [Reply(text("template.none", language))]
    lines = [text("template.list_header", language, count=len(rows))]
    for template, site in rows:
        line = text(
            "template.line",
            language,
            id=template.id,
            name=template.name,
            site=site.code,
            summary=summary(template, language),
        )
        lines.append("- " + line)
    return [Reply("\n".join(lines))]


def _edit_report(report: TemplateEdit, today: date, language: Language) -> list[str]:
    lines = []
    if report.updated:
        lines.append(dates_line("template.edit_updated", report.updated, today, language))
    if report.cancelled:
        lines.append(dates_line("template.edit_cancelled", report.cancelled, today, language))
    if report.cancelled_with_people:
        count = report.cancelled_with_people
        lines.append(text("template.cancelled_with_people", language, count=count))
    if report.created:
        lines.append(dates_line("template.edit_created", report.created, today, language))
    if report.kept:
        lines.append(text("template.edit_kept", language, count=len(report.kept)))
        for kept in report.kept:
            reason = text(
                KEPT_REASONS[kept.refusal.reason],
                language,
                other=kept.refusal.conflicting_shift_id,
            )
            when = day_label(kept.shift.occurs_on, language, today)
            line = text("template.kept_line", language, id=kept.shift.id, date=when, reason=reason)
            lines.append("  - " + line)
    if report.announced:
        lines.append(text("template.edit_announced", language, count=len(report.announced)))
    if not lines:
        lines.append(text("template.edit_no_shifts", language))
    return lines


async def handle_template_edit(ctx: CommandContext) -> list[Reply]:
    language, today = ctx.language, ctx.today
    template, site = await _active_template(ctx)
    if not ctx.command.options:
        raise UsageError("template.nothing_to_change")
    fields = template_fields(ctx.command.options, today)
    check_offsets(ctx.settings.schedule, fields, template)
    staff_id = ctx.staff_id
    report = await edit_template(
        session=ctx.session,
        template=template,
        site=site,
        changes=fields,
        today=today,
        zone=ctx.settings.org.zone,
        horizon=_horizon(ctx),
        changed_by=staff_id,
        now=ctx.now,
        min_rest=ctx.settings.schedule.min_rest,
    )
    lines = [
        text("template.edited", language, id=template.id, name=template.name, site=site.code),
        summary(template, language),
        *detail_lines(template, ctx.settings.schedule, language),
        *_edit_report(report, today, language),
    ]
    return [Reply("\n".join(lines))]


async def handle_template_remove(ctx: CommandContext) -> list[Reply]:
    language = ctx.language
    template, site = await _active_template(ctx)
    staff_id = ctx.staff_id
    removal = await remove_template(
        session=ctx.session, template=template, changed_by=staff_id, now=ctx.now
    )
    lines = [
        text("template.removed", language, id=template.id, name=template.name, site=site.code)
    ]
    if removal.cancelled:
        lines.append(text("template.removed_cancelled", language, count=len(removal.cancelled)))
    if removal.cancelled_with_people:
        count = removal.cancelled_with_people
        lines.append(text("template.cancelled_with_people", language, count=count))
    if removal.announced:
        count = len(removal.announced)
        lines.append(text("template.removed_announced", language, count=count))
    return [Reply("\n".join(lines))]


TEMPLATE_ADD = CommandSpec(
    name="template add",
    aliases=("範本 新增", "范本 新增", "範本 加", "范本 加"),
    usage="/template add <name> site=<code> every=<rule> time=HH:MM-HH:MM need=<n> "
    "[lang=<code:min>,...] [meet=...] [contact=...] [equipment=a,b] [tasks=a,b] [health=yes] "
    "[from=<date>] [except=<date,date>] [confirm=48h] [nudge=36h] [remind=24h]",
    summary_key="command.template_add",
    details_key="command.template_add.details",
    handler=handle_template_add,
    options=ADD_OPTIONS,
    required=frozenset({"site", "every", "time", "need"}),
    max_words=12,
)
TEMPLATE_LIST = CommandSpec(
    name="template list",
    aliases=("template", "templates", "範本", "范本", "範本 列表", "范本 列表"),
    usage="/template list [site]",
    summary_key="command.template_list",
    handler=handle_template_list,
    max_words=1,
)
TEMPLATE_EDIT = CommandSpec(
    name="template edit",
    aliases=("範本 修改", "范本 修改", "範本 改", "范本 改"),
    usage="/template edit <id> key=value ...",
    summary_key="command.template_edit",
    details_key="command.template_edit.details",
    handler=handle_template_edit,
    options=EDIT_OPTIONS,
    max_words=1,
)
TEMPLATE_REMOVE = CommandSpec(
    name="template remove",
    aliases=("範本 刪除", "范本 删除", "範本 取消", "范本 取消"),
    usage="/template remove <id>",
    summary_key="command.template_remove",
    handler=handle_template_remove,
    max_words=1,
)
