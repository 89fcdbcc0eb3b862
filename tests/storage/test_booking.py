"""The booking rules hold under concurrency: nobody in two overlapping shifts, no shift over full.

Every operation runs the way the dispatcher runs an event: its own transaction, whose first write
is the event's dedup record (on SQLite that takes the database's write lock before anything is
read), then the storage call.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel.ext.asyncio.session import AsyncSession

from planner.conflicts import Refusal, too_close
from storage.database import SessionFactory
from storage.events import record_processed
from storage.models import Shift, ShiftStatus, Site, Volunteer
from storage.shifts import (
    book,
    bookings_of,
    cancel_shift,
    change_shift,
    find_shift,
    seats_taken,
    slot_of,
    unbook,
)

NOW = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
BASE = NOW + timedelta(days=1)
SHIFTS = 4
VOLUNTEERS = 3
TASKS = 4

Op = tuple[Any, ...]
# Bookings are most of the traffic; a cancellation ends a shift's story, so it is rare.
KINDS = ("assign",) * 10 + ("unassign",) * 3 + ("time",) * 4 + ("need",) * 2 + ("cancel",)


@st.composite
def operations(draw: st.DrawFn) -> Op:
    kind = draw(st.sampled_from(KINDS))
    shift = draw(st.integers(0, SHIFTS - 1))
    if kind in ("assign", "unassign"):
        return (kind, shift, draw(st.integers(0, VOLUNTEERS - 1)))
    if kind == "time":  # start hour after BASE, hours long
        return (kind, shift, (draw(st.integers(0, 10)), draw(st.integers(1, 4))))
    if kind == "need":
        return (kind, shift, draw(st.integers(1, 4)))
    return (kind, shift)


async def _event(session: AsyncSession) -> None:
    await record_processed(
        session=session, key=f"test:{uuid.uuid4().hex}", ack='"OK"', processed_at=NOW
    )


async def _world(
    sessions: SessionFactory, windows: Sequence[tuple[int, int, int]], people: int = VOLUNTEERS
) -> tuple[list[int], list[int]]:
    """A site, its shifts and some volunteers, all new (the database is shared by examples)."""
    tag = uuid.uuid4().hex[:10]
    async with sessions.begin() as session:
        site = Site(
            code=f"S{tag}", name="Site", district="sham-shui-po", created_by="t", created_at=NOW
        )
        session.add(site)
        await session.flush()
        assert site.id is not None
        shifts = []
        for start, hours, need in windows:
            starts_at = BASE + timedelta(hours=start)
            shift = Shift(
                site_id=site.id,
                occurs_on=starts_at.date(),
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=hours),
                headcount=need,
                created_by="t",
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(shift)
            shifts.append(shift)
        volunteers = [
            Volunteer(
                staff_id=f"v{tag}-{number}",
                nickname=f"V{number}",
                registered_at=NOW,
                updated_at=NOW,
            )
            for number in range(people)
        ]
        session.add_all(volunteers)
        await session.flush()
        return [shift.id or 0 for shift in shifts], [person.id or 0 for person in volunteers]


async def _run(
    sessions: SessionFactory, op: Op, shift_ids: list[int], people: list[int], rest: timedelta
) -> None:
    kind, shift_id = op[0], shift_ids[op[1]]
    async with sessions.begin() as session:
        await _event(session)
        if kind == "assign":
            await book(
                session=session,
                shift_id=shift_id,
                volunteer_id=people[op[2]],
                assigned_by="t",
                now=NOW,
                min_rest=rest,
            )
            return
        if kind == "unassign":
            await unbook(session=session, shift_id=shift_id, volunteer_id=people[op[2]], now=NOW)
            return
        shift = await find_shift(session=session, shift_id=shift_id, for_update=True)
        assert shift is not None
        if shift.status == ShiftStatus.CANCELLED:
            return  # the handlers refuse to touch a cancelled shift
        if kind == "cancel":
            await cancel_shift(session=session, shift=shift, reason="", changed_by="t", now=NOW)
            return
        if kind == "time":
            start, hours = op[2]
            starts_at = BASE + timedelta(hours=start)
            changes: dict[str, Any] = {
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(hours=hours),
            }
        else:
            changes = {"headcount": op[2]}
        await change_shift(
            session=session,
            shift=shift,
            changes=changes,
            shown={},
            changed_by="t",
            now=NOW,
            min_rest=rest,
        )


async def _check_invariants(
    sessions: SessionFactory, shift_ids: list[int], people: list[int], rest: timedelta
) -> None:
    async with sessions() as session:
        for volunteer_id in people:
            booked = await bookings_of(session=session, volunteer_id=volunteer_id)
            for first, second in itertools.combinations(booked, 2):
                assert not too_close(slot_of(first), slot_of(second), rest), (
                    f"volunteer {volunteer_id} in #{first.id} and #{second.id}"
                )
        for shift_id in shift_ids:
            shift = await find_shift(session=session, shift_id=shift_id)
            assert shift is not None
            taken = await seats_taken(session=session, shift_id=shift_id)
            assert taken <= shift.headcount, f"#{shift_id}: {taken} > {shift.headcount}"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    windows=st.lists(
        st.tuples(st.integers(0, 10), st.integers(1, 4), st.integers(1, 4)),
        min_size=SHIFTS,
        max_size=SHIFTS,
    ),
    ops=st.lists(operations(), min_size=8, max_size=40),
    rest_minutes=st.sampled_from([0, 60]),
)
async def test_concurrent_bookings_edits_and_cancellations_keep_the_rules(
    sessions: SessionFactory,
    windows: list[tuple[int, int, int]],
    ops: list[Op],
    rest_minutes: int,
) -> None:
    rest = timedelta(minutes=rest_minutes)
    shift_ids, people = await _world(sessions, windows)

    async def worker(mine: list[Op]) -> None:
        for op in mine:
            await _run(sessions, op, shift_ids, people, rest)

    await asyncio.gather(*(worker(ops[number::TASKS]) for number in range(TASKS)))
    await _check_invariants(sessions, shift_ids, people, rest)


async def test_a_rush_on_the_last_seats_books_exactly_the_headcount(
    sessions: SessionFactory,
) -> None:
    [shift_id], people = await _world(sessions, [(2, 3, 3)], people=10)

    async def attempt(volunteer_id: int) -> bool:
        async with sessions.begin() as session:
            await _event(session)
            outcome = await book(
                session=session,
                shift_id=shift_id,
                volunteer_id=volunteer_id,
                assigned_by="t",
                now=NOW,
                min_rest=timedelta(0),
            )
            return not isinstance(outcome, Refusal)

    results = await asyncio.gather(*(attempt(volunteer_id) for volunteer_id in people))
    assert sum(results) == 3
    async with sessions() as session:
        assert await seats_taken(session=session, shift_id=shift_id) == 3


async def test_one_person_booked_twice_at_once_gets_one_of_two_overlapping_shifts(
    sessions: SessionFactory,
) -> None:
    shift_ids, people = await _world(sessions, [(0, 3, 5), (2, 3, 5)])

    async def attempt(shift_id: int) -> Refusal | None:
        async with sessions.begin() as session:
            await _event(session)
            outcome = await book(
                session=session,
                shift_id=shift_id,
                volunteer_id=people[0],
                assigned_by="t",
                now=NOW,
                min_rest=timedelta(0),
            )
            return outcome if isinstance(outcome, Refusal) else None

    outcomes = await asyncio.gather(*(attempt(shift_id) for shift_id in shift_ids))
    refusals = [outcome for outcome in outcomes if outcome is not None]
    assert len(refusals) == 1
    assert refusals[0].reason == "overlap"
    async with sessions() as session:
        assert len(await bookings_of(session=session, volunteer_id=people[0])) == 1
