"""Shifts and the people on them.

Booking rules live in :mod:`planner.conflicts`; this module applies them inside the caller's
transaction with the rows locked, so that concurrent bookings cannot break them:

- PostgreSQL: the shift row, then the volunteer row, are locked ``FOR UPDATE`` before the
  volunteer's other bookings and the shift's head count are read (always in that order, so two
  bookings cannot deadlock).
- SQLite: the event's transaction has already written its dedup record, so it holds the database's
  single write lock and nothing else can change the rows it reads.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from planner.conflicts import Refusal, ShiftSlot, booking_refusal, too_close
from storage.models import (
    HOLDS_A_SEAT,
    ON_SHIFT,
    Assignment,
    AssignmentState,
    Shift,
    ShiftChange,
    ShiftStatus,
    ShiftTemplate,
    Site,
    Volunteer,
)


def slot_of(shift: Shift) -> ShiftSlot:
    assert shift.id is not None
    return ShiftSlot(
        shift_id=shift.id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        headcount=shift.headcount,
        cancelled=shift.status == ShiftStatus.CANCELLED,
    )


async def find_shift(
    *, session: AsyncSession, shift_id: int, for_update: bool = False
) -> Shift | None:
    statement = select(Shift).where(Shift.id == shift_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def add_shift(*, session: AsyncSession, shift: Shift) -> Shift:
    session.add(shift)
    await session.flush()
    return shift


async def seats_taken(*, session: AsyncSession, shift_id: int) -> int:
    return await _count(session, shift_id, HOLDS_A_SEAT)


async def _count(
    session: AsyncSession, shift_id: int, states: Collection[str], volunteer_id: int | None = None
) -> int:
    query = (
        select(func.count())
        .select_from(Assignment)
        .where(Assignment.shift_id == shift_id)
        .where(col(Assignment.state).in_(states))
    )
    if volunteer_id is not None:
        query = query.where(Assignment.volunteer_id == volunteer_id)
    result = await session.exec(query)
    return int(result.one())


async def lock_place(
    *, session: AsyncSession, shift_id: int, volunteer_id: int
) -> tuple[Shift, Assignment] | None:
    """The shift, locked so that concurrent changes to it take turns, with the volunteer's
    assignment on it, in one query; None when they have none there. Only the shift's row is
    locked, as :func:`find_shift` locks it, so the order locks are taken in stays the same."""
    statement = (
        select(Shift, Assignment)
        .join(Assignment, col(Assignment.shift_id) == col(Shift.id))
        .where(Shift.id == shift_id)
        .where(Assignment.volunteer_id == volunteer_id)
        .with_for_update(of=Shift)
    )
    found = (await session.exec(statement)).first()
    return None if found is None else (found[0], found[1])


async def bookings_of(
    *, session: AsyncSession, volunteer_id: int, exclude_shift_id: int | None = None
) -> list[Shift]:
    """The scheduled shifts the volunteer holds a seat on."""
    statement = (
        select(Shift)
        .join(Assignment, col(Assignment.shift_id) == col(Shift.id))
        .where(Assignment.volunteer_id == volunteer_id)
        .where(col(Assignment.state).in_(HOLDS_A_SEAT))
        .where(Shift.status == ShiftStatus.SCHEDULED)
    )
    if exclude_shift_id is not None:
        statement = statement.where(Shift.id != exclude_shift_id)
    return list((await session.exec(statement)).all())


async def lock_volunteer(*, session: AsyncSession, volunteer_id: int) -> None:
    """Lock the volunteer's row (PostgreSQL) until the transaction ends: their bookings and
    weekly count cannot change between a check and the booking."""
    await session.exec(select(Volunteer.id).where(Volunteer.id == volunteer_id).with_for_update())


async def find_assignment(
    *, session: AsyncSession, shift_id: int, volunteer_id: int
) -> Assignment | None:
    result = await session.exec(
        select(Assignment)
        .where(Assignment.shift_id == shift_id)
        .where(Assignment.volunteer_id == volunteer_id)
    )
    return result.first()


async def book(
    *,
    session: AsyncSession,
    shift_id: int,
    volunteer_id: int,
    assigned_by: str,
    now: datetime,
    min_rest: timedelta,
) -> Assignment | Refusal:
    """Put the volunteer on the shift (state ``invited``), unless a booking rule forbids it."""
    shift = await find_shift(session=session, shift_id=shift_id, for_update=True)
    if shift is None:
        raise LookupError(f"shift {shift_id} does not exist")
    await lock_volunteer(session=session, volunteer_id=volunteer_id)
    bookings = await bookings_of(session=session, volunteer_id=volunteer_id)
    refusal = booking_refusal(
        slot_of(shift),
        [slot_of(other) for other in bookings],
        await seats_taken(session=session, shift_id=shift_id),
        now,
        min_rest,
    )
    if refusal is not None:
        return refusal
    assignment = await find_assignment(
        session=session, shift_id=shift_id, volunteer_id=volunteer_id
    )
    if assignment is None:
        assignment = Assignment(
            shift_id=shift_id,
            volunteer_id=volunteer_id,
            assigned_by=assigned_by,
            created_at=now,
            updated_at=now,
        )
    assignment.state = AssignmentState.INVITED
    assignment.assigned_by = assigned_by
    assignment.updated_at = now
    assignment.responded_at = None
    session.add(assignment)
    await session.flush()
    return assignment


async def unbook(
    *, session: AsyncSession, shift_id: int, volunteer_id: int, now: datetime
) -> bool:
    """Take the volunteer off the shift (kept as ``withdrawn``); False if they were not on it."""
    await find_shift(session=session, shift_id=shift_id, for_update=True)
    assignment = await find_assignment(
        session=session, shift_id=shift_id, volunteer_id=volunteer_id
    )
    if assignment is None or assignment.state not in ON_SHIFT:
        return False
    assignment.state = AssignmentState.WITHDRAWN
    assignment.updated_at = now
    session.add(assignment)
    await session.flush()
    return True


# ``below_booked`` (fewer seats than people), ``overlap``, or ``no_such_time`` (a template's new
# time does not exist on the day, as a clock change can make it).
EditRefusalReason = Literal["below_booked", "overlap", "no_such_time"]


@dataclass(frozen=True)
class EditRefusal:
    """An edit that would break a booking rule for the people already on the shift."""

    reason: EditRefusalReason
    volunteer_id: int | None = None
    conflicting_shift_id: int | None = None


async def change_shift(
    *,
    session: AsyncSession,
    shift: Shift,
    changes: dict[str, Any],
    shown: dict[str, tuple[str, str]],
    changed_by: str,
    now: datetime,
    min_rest: timedelta,
) -> EditRefusal | None:
    """Apply ``changes`` (attribute -> new value) to a shift locked by the caller.

    Refused when the people on it would no longer fit or would end up in overlapping shifts.
    ``shown`` (field -> (before, after) as people read them) is recorded for announced shifts, so
    that the shift lifecycle can tell everyone on it.
    """
    assert shift.id is not None
    people = await people_on(session=session, shift_id=shift.id)
    holding = [volunteer for assignment, volunteer in people if assignment.state in HOLDS_A_SEAT]
    if changes.get("headcount", shift.headcount) < len(holding):
        return EditRefusal("below_booked")
    edited = shift.model_copy(update=changes)
    for volunteer in sorted(holding, key=lambda person: person.id or 0):
        assert volunteer.id is not None
        await lock_volunteer(session=session, volunteer_id=volunteer.id)
        others = await bookings_of(
            session=session, volunteer_id=volunteer.id, exclude_shift_id=shift.id
        )
        for other in others:
            if too_close(slot_of(other), slot_of(edited), min_rest):
                return EditRefusal("overlap", volunteer.id, other.id)
    moved_from = shift.occurs_on
    for name, value in changes.items():
        setattr(shift, name, value)
    if shift.template_id is not None and shift.occurs_on != moved_from:
        await _remember_moved_occurrence(session, shift.template_id, moved_from)
    await _record_change(session, shift, kind="edit", shown=shown, changed_by=changed_by, now=now)
    return None


async def _remember_moved_occurrence(
    session: AsyncSession, template_id: int, moved_from: date
) -> None:
    """Make the day an occurrence moved away from an exception of its template, so that rolling
    the horizon forward does not create the occurrence a second time on its old day."""
    template = await session.get(ShiftTemplate, template_id)
    if template is not None and moved_from.isoformat() not in template.exceptions:
        template.exceptions = [*template.exceptions, moved_from.isoformat()]
        session.add(template)


async def cancel_shift(
    *, session: AsyncSession, shift: Shift, reason: str, changed_by: str, now: datetime
) -> None:
    shift.status = ShiftStatus.CANCELLED
    shift.cancel_reason = reason
    shown = {"status": ("scheduled", "cancelled")}
    await _record_change(
        session, shift, kind="cancel", shown=shown, changed_by=changed_by, now=now
    )


async def _record_change(
    session: AsyncSession,
    shift: Shift,
    *,
    kind: str,
    shown: dict[str, tuple[str, str]],
    changed_by: str,
    now: datetime,
) -> None:
    assert shift.id is not None
    shift.revision += 1
    shift.updated_at = now
    session.add(shift)
    if shift.announced_at is not None and shown:
        session.add(
            ShiftChange(
                shift_id=shift.id,
                revision=shift.revision,
                kind=kind,
                changes={name: list(pair) for name, pair in shown.items()},
                changed_by=changed_by,
                changed_at=now,
            )
        )
    await session.flush()


async def people_on(*, session: AsyncSession, shift_id: int) -> list[tuple[Assignment, Volunteer]]:
    """Everyone with an assignment on the shift, in the order they were added."""
    result = await session.exec(
        select(Assignment, Volunteer)
        .join(Volunteer, col(Volunteer.id) == col(Assignment.volunteer_id))
        .where(Assignment.shift_id == shift_id)
        .order_by(col(Assignment.created_at), col(Assignment.id))
    )
    return list(result.all())


@dataclass(frozen=True)
class ShiftSummary:
    shift: Shift
    site: Site
    seats_taken: int


async def shifts_between(
    *,
    session: AsyncSession,
    first_day: date,
    last_day: date,
    site_ids: Sequence[int] | None = None,
    include_cancelled: bool = False,
) -> list[ShiftSummary]:
    """Shifts on local dates ``first_day``..``last_day`` with their site and seats taken."""
    taken = (
        select(Assignment.shift_id, func.count().label("taken"))
        .where(col(Assignment.state).in_(HOLDS_A_SEAT))
        .group_by(col(Assignment.shift_id))
        .subquery()
    )
    statement = (
        select(Shift, Site, func.coalesce(taken.c.taken, 0))
        .join(Site, col(Site.id) == col(Shift.site_id))
        .outerjoin(taken, taken.c.shift_id == col(Shift.id))
        .where(col(Shift.occurs_on) >= first_day)
        .where(col(Shift.occurs_on) <= last_day)
        .order_by(col(Shift.starts_at), col(Shift.id))
    )
    if site_ids is not None:
        statement = statement.where(col(Shift.site_id).in_(site_ids))
    if not include_cancelled:
        statement = statement.where(Shift.status == ShiftStatus.SCHEDULED)
    result = await session.exec(statement)
    return [ShiftSummary(shift, site, int(count)) for shift, site, count in result.all()]


async def respond(
    *, session: AsyncSession, assignment: Assignment, state: AssignmentState, now: datetime
) -> None:
    """Record a volunteer's answer (confirmed / declined) on their assignment."""
    assignment.state = state
    assignment.responded_at = now
    assignment.updated_at = now
    session.add(assignment)
    await session.flush()


async def count_in_state(*, session: AsyncSession, shift_id: int, state: AssignmentState) -> int:
    return await _count(session, shift_id, [state])
