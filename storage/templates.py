"""Shift templates and the concrete shifts they expand into.

A template is a recurrence rule plus the details every occurrence starts with. Expanding it
creates one :class:`~storage.models.Shift` per date of the rolling horizon that has none yet;
each gets its own copy of the details, so that one occurrence can later be changed on its own.

- Expansion is idempotent: the dates of *all* the template's shifts count as existing, cancelled
  ones included (a shift a coordinator cancelled is not recreated), and the
  ``(template_id, occurs_on)`` unique constraint backs that up against a concurrent run.
- An occurrence whose start has already passed (a template added on Saturday afternoon for
  Saturday mornings) is not created.
- Editing or removing a template touches only occurrences that are still to come and have not
  been announced: what people have been told is changed through ``/shift edit|cancel``, which
  tells them. Changes go through :func:`storage.shifts.change_shift`, so people already booked
  on an occurrence keep fitting in it; an occurrence that cannot take the change is kept as it
  was and reported.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from planner.dates import shift_window
from planner.recurrence import Recurrence, dates_to_create, occurrences, parse_rule
from planner.registration import InvalidChoice
from storage.models import Shift, ShiftDetails, ShiftStatus, ShiftTemplate, Site
from storage.shifts import EditRefusal, cancel_shift, change_shift, seats_taken

log = logging.getLogger(__name__)

DETAIL_FIELDS: tuple[str, ...] = tuple(ShiftDetails.model_fields)
TEMPLATE_FIELDS = frozenset(
    {"name", "rule", "anchor_date", "exceptions", "start_time", "end_time"}
)
EDITABLE_FIELDS = TEMPLATE_FIELDS | frozenset(DETAIL_FIELDS)
_RULE_FIELDS = frozenset({"rule", "anchor_date", "exceptions"})
_TIME_FIELDS = frozenset({"start_time", "end_time"})

# Cancel reasons written by this module. An occurrence a rule change cancelled comes back when a
# later edit produces its date again; one a coordinator cancelled by hand never does.
TEMPLATE_CHANGED = "template changed"
TEMPLATE_REMOVED = "template removed"


def details_of(source: ShiftDetails) -> dict[str, Any]:
    """A deep copy of the shift details of a template or shift, field by field."""
    return {name: copy.deepcopy(getattr(source, name)) for name in DETAIL_FIELDS}


def exception_dates(template: ShiftTemplate) -> frozenset[date]:
    return frozenset(date.fromisoformat(day) for day in template.exceptions)


def rule_of(template: ShiftTemplate) -> Recurrence:
    return parse_rule(template.rule)


def _window(
    template: ShiftTemplate, day: date, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """UTC start and end on ``day``; None when the wall-clock range does not exist that day."""
    try:
        return shift_window(day, template.start_time, template.end_time, zone)
    except InvalidChoice:
        return None


async def add_template(
    *,
    session: AsyncSession,
    site: Site,
    name: str,
    rule: Recurrence,
    anchor_date: date,
    start_time: time,
    end_time: time,
    details: Mapping[str, Any],
    exceptions: Collection[date] = (),
    created_by: str,
    now: datetime,
) -> ShiftTemplate:
    """Store a template (not yet expanded). ``details`` are :class:`ShiftDetails` fields and must
    include ``headcount``; the title defaults to the template's name."""
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"not shift details: {sorted(unknown)}")
    if "headcount" not in details:
        raise ValueError("a template needs a headcount")
    if end_time <= start_time:
        raise ValueError(f"a template must end after it starts: {start_time}-{end_time}")
    assert site.id is not None
    fields = {"title": name, **copy.deepcopy(dict(details))}
    template = ShiftTemplate(
        site_id=site.id,
        name=name,
        rule=rule.canonical,
        anchor_date=anchor_date,
        exceptions=sorted({day.isoformat() for day in exceptions}),
        start_time=start_time,
        end_time=end_time,
        created_by=created_by,
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(template)
    await session.flush()
    return template


async def find_template(*, session: AsyncSession, template_id: int) -> ShiftTemplate | None:
    return await session.get(ShiftTemplate, template_id)


async def list_templates(
    *, session: AsyncSession, site_id: int | None = None, include_inactive: bool = False
) -> list[tuple[ShiftTemplate, Site]]:
    """Templates with their site, by site code then id; removed ones only when asked."""
    statement = (
        select(ShiftTemplate, Site)
        .join(Site, col(Site.id) == col(ShiftTemplate.site_id))
        .order_by(col(Site.code), col(ShiftTemplate.id))
    )
    if site_id is not None:
        statement = statement.where(ShiftTemplate.site_id == site_id)
    if not include_inactive:
        statement = statement.where(col(ShiftTemplate.active).is_(True))
    return [(template, site) for template, site in (await session.exec(statement)).all()]


async def _existing_dates(session: AsyncSession, template_id: int) -> frozenset[date]:
    result = await session.exec(
        select(col(Shift.occurs_on)).where(Shift.template_id == template_id)
    )
    return frozenset(result.all())


async def expand_template(
    *,
    session: AsyncSession,
    template: ShiftTemplate,
    site: Site,
    today: date,
    zone: ZoneInfo,
    horizon: timedelta,
    created_by: str,
    now: datetime,
) -> list[Shift]:
    """Create the occurrences from ``today`` to the end of the horizon that have no shift yet.

    Returns the new shifts in date order; run twice, the second run returns nothing.
    """
    if not template.active:
        return []
    assert template.id is not None
    assert site.id == template.site_id, "the template's own site"
    days = dates_to_create(
        rule_of(template),
        template.anchor_date,
        today,
        await _existing_dates(session, template.id),
        exceptions=exception_dates(template),
        horizon=horizon,
    )
    created: list[Shift] = []
    for day in days:
        window = _window(template, day, zone)
        if window is None:
            log.warning("no such time on that day", extra={"template": template.id, "day": day})
            continue
        starts_at, ends_at = window
        if starts_at <= now:
            continue
        shift = Shift(
            site_id=site.id,
            template_id=template.id,
            occurs_on=day,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=created_by,
            created_at=now,
            updated_at=now,
            **details_of(template),
        )
        session.add(shift)
        created.append(shift)
    last_day = today + horizon - timedelta(days=1)
    if template.expanded_until is None or template.expanded_until < last_day:
        template.expanded_until = last_day
        session.add(template)
    await session.flush()
    return created


async def expand_all_templates(
    *,
    session: AsyncSession,
    today: date,
    zone: ZoneInfo,
    horizon: timedelta,
    created_by: str,
    now: datetime,
) -> dict[int, list[Shift]]:
    """Roll every active template forward; template id -> the shifts created (when any)."""
    created: dict[int, list[Shift]] = {}
    for template, site in await list_templates(session=session):
        assert template.id is not None
        new = await expand_template(
            session=session,
            template=template,
            site=site,
            today=today,
            zone=zone,
            horizon=horizon,
            created_by=created_by,
            now=now,
        )
        if new:
            created[template.id] = new
    return created


async def _future_shifts(
    session: AsyncSession, template_id: int, now: datetime, status: ShiftStatus
) -> list[Shift]:
    """The template's shifts still to start, locked, in time order."""
    result = await session.exec(
        select(Shift)
        .where(Shift.template_id == template_id)
        .where(col(Shift.starts_at) > now)
        .where(Shift.status == status)
        .order_by(col(Shift.starts_at), col(Shift.id))
        .with_for_update()
    )
    return list(result.all())


@dataclass(frozen=True)
class KeptShift:
    """An occurrence left as it was because the change would not fit the people booked on it."""

    shift: Shift
    refusal: EditRefusal
    """``below_booked``, ``overlap`` (see :class:`EditRefusal`) or ``no_such_time``."""


@dataclass
class TemplateEdit:
    updated: list[Shift] = field(default_factory=list)
    """Future unannounced occurrences that took the change."""
    kept: list[KeptShift] = field(default_factory=list)
    cancelled: list[Shift] = field(default_factory=list)
    """Future unannounced occurrences whose date the changed rule no longer produces."""
    cancelled_with_people: int = 0
    """How many of ``cancelled`` had someone holding a seat."""
    created: list[Shift] = field(default_factory=list)
    """Occurrences the changed rule produces, new or brought back."""
    announced: list[Shift] = field(default_factory=list)
    """Future announced occurrences, left alone."""


async def edit_template(
    *,
    session: AsyncSession,
    template: ShiftTemplate,
    site: Site,
    changes: Mapping[str, Any],
    today: date,
    zone: ZoneInfo,
    horizon: timedelta,
    changed_by: str,
    now: datetime,
    min_rest: timedelta,
) -> TemplateEdit:
    """Change the template, then its future unannounced occurrences to match.

    ``changes`` are template attributes (:data:`EDITABLE_FIELDS`; ``rule`` canonical,
    ``exceptions`` ISO dates). Detail and time changes are copied onto the occurrences, and only
    those: an occurrence's own edits to other fields stay. A changed rule, first date or list of
    exceptions cancels the occurrences no longer produced and creates the newly produced ones.
    """
    copied = _change_template(template, changes, now)
    session.add(template)
    await session.flush()
    assert template.id is not None
    future = await _future_shifts(session, template.id, now, ShiftStatus.SCHEDULED)
    unannounced = [shift for shift in future if shift.announced_at is None]
    wanted: frozenset[date] | None = None
    if _RULE_FIELDS & set(changes):
        last_day = max(
            [today + horizon - timedelta(days=1)] + [shift.occurs_on for shift in unannounced]
        )
        wanted = frozenset(
            occurrences(
                rule_of(template), template.anchor_date, today, last_day, exception_dates(template)
            )
        )
    report = TemplateEdit(announced=[shift for shift in future if shift.announced_at is not None])
    for shift in unannounced:
        assert shift.id is not None
        if wanted is not None and shift.occurs_on not in wanted:
            if await seats_taken(session=session, shift_id=shift.id):
                report.cancelled_with_people += 1
            await cancel_shift(
                session=session,
                shift=shift,
                reason=TEMPLATE_CHANGED,
                changed_by=changed_by,
                now=now,
            )
            report.cancelled.append(shift)
            continue
        outcome = await _copy_onto(
            session,
            template,
            shift,
            fields=copied,
            zone=zone,
            changed_by=changed_by,
            now=now,
            min_rest=min_rest,
        )
        if isinstance(outcome, EditRefusal):
            report.kept.append(KeptShift(shift, outcome))
        elif outcome:
            report.updated.append(shift)
    if wanted is not None:
        report.created += await _bring_back(
            session,
            template,
            wanted=wanted,
            zone=zone,
            changed_by=changed_by,
            now=now,
            min_rest=min_rest,
        )
    report.created += await expand_template(
        session=session,
        template=template,
        site=site,
        today=today,
        zone=zone,
        horizon=horizon,
        created_by=changed_by,
        now=now,
    )
    report.created.sort(key=lambda shift: shift.starts_at)
    return report


def _change_template(
    template: ShiftTemplate, changes: Mapping[str, Any], now: datetime
) -> frozenset[str]:
    """Set ``changes`` on the template; returns the shift attributes to copy onto occurrences
    (detail fields, and ``starts_at``/``ends_at`` standing for a changed time)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable on a template: {sorted(unknown)}")
    start = changes.get("start_time", template.start_time)
    end = changes.get("end_time", template.end_time)
    if end <= start:
        raise ValueError(f"a template must end after it starts: {start}-{end}")
    for name, value in changes.items():
        setattr(template, name, copy.deepcopy(value))
    copied = {name for name in DETAIL_FIELDS if name in changes}
    if "name" in changes and "title" not in changes:
        template.title = template.name
        copied.add("title")
    if _TIME_FIELDS & set(changes):
        copied |= {"starts_at", "ends_at"}
    template.updated_at = now
    return frozenset(copied)


async def _copy_onto(
    session: AsyncSession,
    template: ShiftTemplate,
    shift: Shift,
    *,
    fields: frozenset[str],
    zone: ZoneInfo,
    changed_by: str,
    now: datetime,
    min_rest: timedelta,
) -> EditRefusal | bool:
    """Copy the template's ``fields`` onto one occurrence: whether it changed, or why not."""
    changes = {
        name: copy.deepcopy(getattr(template, name))
        for name in fields - {"starts_at", "ends_at"}
        if getattr(shift, name) != getattr(template, name)
    }
    if "starts_at" in fields:
        window = _window(template, shift.occurs_on, zone)
        if window is None:
            return EditRefusal("no_such_time")
        if (shift.starts_at, shift.ends_at) != window:
            changes["starts_at"], changes["ends_at"] = window
    if not changes:
        return False
    # Only unannounced shifts follow their template: nobody on them has been told anything yet,
    # so there is nothing to show them (shown={}).
    refusal = await change_shift(
        session=session,
        shift=shift,
        changes=changes,
        shown={},
        changed_by=changed_by,
        now=now,
        min_rest=min_rest,
    )
    return True if refusal is None else refusal


async def _bring_back(
    session: AsyncSession,
    template: ShiftTemplate,
    *,
    wanted: frozenset[date],
    zone: ZoneInfo,
    changed_by: str,
    now: datetime,
    min_rest: timedelta,
) -> list[Shift]:
    """Reschedule occurrences an earlier rule change cancelled whose date is wanted again.

    Only those nobody holds a seat on: whoever was on one may have been booked elsewhere since.
    """
    assert template.id is not None
    result = await session.exec(
        select(Shift)
        .where(Shift.template_id == template.id)
        .where(Shift.status == ShiftStatus.CANCELLED)
        .where(Shift.cancel_reason == TEMPLATE_CHANGED)
        .where(col(Shift.announced_at).is_(None))
        .where(col(Shift.occurs_on).in_(sorted(wanted)))
        .order_by(col(Shift.occurs_on))
        .with_for_update()
    )
    revived: list[Shift] = []
    for shift in result.all():
        assert shift.id is not None
        window = _window(template, shift.occurs_on, zone)
        if window is None or window[0] <= now:
            continue
        if await seats_taken(session=session, shift_id=shift.id):
            continue
        changes: dict[str, Any] = {
            "status": ShiftStatus.SCHEDULED,
            "cancel_reason": "",
            "starts_at": window[0],
            "ends_at": window[1],
            **details_of(template),
        }
        refusal = await change_shift(
            session=session,
            shift=shift,
            changes=changes,
            shown={},
            changed_by=changed_by,
            now=now,
            min_rest=min_rest,
        )
        if refusal is None:
            revived.append(shift)
    return revived


@dataclass(frozen=True)
class TemplateRemoval:
    cancelled: list[Shift]
    """Future unannounced occurrences, now cancelled."""
    cancelled_with_people: int
    """How many of them had someone holding a seat."""
    announced: Sequence[Shift]
    """Future announced occurrences, left for a coordinator to cancel (which tells people)."""


async def remove_template(
    *, session: AsyncSession, template: ShiftTemplate, changed_by: str, now: datetime
) -> TemplateRemoval:
    """Stop the template (kept, inactive, for the record) and cancel what nobody was told of."""
    assert template.id is not None
    template.active = False
    template.updated_at = now
    session.add(template)
    future = await _future_shifts(session, template.id, now, ShiftStatus.SCHEDULED)
    cancelled: list[Shift] = []
    with_people = 0
    for shift in future:
        if shift.announced_at is not None:
            continue
        assert shift.id is not None
        if await seats_taken(session=session, shift_id=shift.id):
            with_people += 1
        await cancel_shift(
            session=session, shift=shift, reason=TEMPLATE_REMOVED, changed_by=changed_by, now=now
        )
        cancelled.append(shift)
    await session.flush()
    announced = [shift for shift in future if shift.announced_at is not None]
    return TemplateRemoval(cancelled, with_people, announced)
