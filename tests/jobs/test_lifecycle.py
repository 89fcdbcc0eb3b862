"""The due-work job on a real database: each lifecycle step is queued once, at its moment, and
one shift's failure leaves the others' steps done. Through DingTalk: tests/e2e/test_lifecycle.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from core.clock import ManualClock
from jobs.lifecycle import QUEUE, run_due_work
from jobs.runner import JobDeps, RowsFailed
from planner.lifecycle import Step
from storage.database import SessionFactory
from storage.lifecycle import handled_steps, publish
from storage.models import OutboxMessage, Shift
from storage.shifts import add_shift, book
from storage.volunteers import register_volunteer
from tests.jobs.conftest import NOW, OutboxWakes, site_with_group

START = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # Saturday 09:00 in Hong Kong
PEOPLE = ("u-ada", "u-ben")


async def _published_shifts(sessions: SessionFactory, count: int) -> list[int]:
    """``count`` published Saturday shifts at one site, with Ada and Ben on each."""
    async with sessions.begin() as session:
        site = await site_with_group(session)
        assert site.id is not None
        people = [
            volunteer.id or 0
            for volunteer, _ in [
                await register_volunteer(
                    session=session,
                    staff_id=staff_id,
                    dingtalk_id=staff_id,
                    nickname=staff_id.removeprefix("u-").title(),
                    districts=["sham-shui-po"],
                    languages=["yue"],
                    availability=None,
                    now=NOW,
                )
                for staff_id in PEOPLE
            ]
        ]
        shifts = []
        for number in range(count):
            starts = START + timedelta(hours=4 * number)  # one after another, never overlapping
            shift = await add_shift(
                session=session,
                shift=Shift(
                    site_id=site.id,
                    occurs_on=starts.date(),
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=3),
                    headcount=2,
                    created_by="u-coord",
                    created_at=NOW,
                    updated_at=NOW,
                ),
            )
            assert shift.id is not None
            for volunteer_id in people:
                await book(
                    session=session,
                    shift_id=shift.id,
                    volunteer_id=volunteer_id,
                    assigned_by="u-coord",
                    now=NOW,
                    min_rest=timedelta(0),
                )
            shifts.append(shift)
        await publish(session=session, shifts=shifts, now=NOW)
        return [shift.id or 0 for shift in shifts]


async def _queued(sessions: SessionFactory) -> list[str]:
    """The dedup keys of every outbox row, in the order they were queued."""
    async with sessions() as session:
        rows = await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return [row.dedup_key for row in rows.all()]


async def _steps(sessions: SessionFactory, shift_id: int) -> frozenset[str]:
    async with sessions() as session:
        return await handled_steps(session=session, shift_id=shift_id)


async def test_the_confirm_card_is_queued_once_at_t_minus_48_hours(
    deps: JobDeps, clock: ManualClock, wakes: OutboxWakes
) -> None:
    [shift_id] = await _published_shifts(deps.sessions, 1)

    assert await run_due_work(deps) == 1
    assert await _queued(deps.sessions) == [f"announce:{shift_id}"]
    assert wakes.count == 1

    clock.set(START - timedelta(hours=48, minutes=1))
    assert await run_due_work(deps) == 0
    assert wakes.count == 1, "woken with nothing queued"

    clock.set(START - timedelta(hours=48))
    assert await run_due_work(deps) == 1
    queued = [f"announce:{shift_id}", f"card:ds-confirm-{shift_id}"]
    assert await _queued(deps.sessions) == queued
    assert await _steps(deps.sessions, shift_id) == {"announce", "confirm"}
    assert wakes.count == 2

    clock.advance(timedelta(minutes=1))
    assert await run_due_work(deps) == 0
    assert await _queued(deps.sessions) == queued


def _failing_for(
    shift_id: int, queue: Callable[..., Awaitable[object]]
) -> Callable[..., Awaitable[object]]:
    async def announce(*, shift: Shift, **kwargs: object) -> object:
        if shift.id == shift_id:
            raise RuntimeError("the announcement could not be queued")
        return await queue(shift=shift, **kwargs)

    return announce


async def test_a_failing_shift_leaves_the_others_done_and_is_logged(
    deps: JobDeps, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    first, failing, last = await _published_shifts(deps.sessions, 3)
    monkeypatch.setitem(QUEUE, Step.ANNOUNCE, _failing_for(failing, QUEUE[Step.ANNOUNCE]))

    with (
        caplog.at_level(logging.ERROR, logger="jobs.runner"),
        pytest.raises(RowsFailed) as failed,
    ):
        await run_due_work(deps)
    # The tick is reported as failed, yet the other shifts' work stands.
    assert failed.value.done == 2
    assert await _queued(deps.sessions) == [f"announce:{first}", f"announce:{last}"]
    assert await _steps(deps.sessions, failing) == frozenset()
    [failure] = caplog.records
    assert failure.getMessage() == "lifecycle step failed; retried next run"
    assert failure.__dict__["shift"] == failing
    assert failure.exc_info is not None

    # Its step is still due: the next run does it, and only it.
    monkeypatch.undo()
    assert await run_due_work(deps) == 1
    assert (await _queued(deps.sessions))[-1] == f"announce:{failing}"
