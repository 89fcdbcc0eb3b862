"""The due-work job: move every published shift through announce -> confirm -> nudge -> remind.

What is due comes from the database and the clock alone (planner.lifecycle), so the job can run
as often as it likes, after any downtime, and does each step once: the step is recorded in the
same transaction that queues its messages.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from core.settings import ScheduleSettings, Settings
from jobs.changes import notify_changes
from jobs.offers import expire_offers
from jobs.runner import JobDeps, RowsFailed, each_in_own_transaction
from jobs.steps import queue_announcement, queue_confirm_card, queue_nudges, queue_reminders
from planner.dates import MAX_HOURS_BEFORE
from planner.lifecycle import DuePlan, Step, due_steps
from services.timing import lifecycle_offsets, shift_progress
from storage.lifecycle import handled_steps, record_steps, shifts_in_lifecycle
from storage.models import Shift
from storage.shifts import find_shift

log = logging.getLogger(__name__)

# What each step queues, besides CONFIRM (whose card may carry the reminder: see _advance).
QUEUE: dict[Step, Callable[..., Awaitable[object]]] = {
    Step.ANNOUNCE: queue_announcement,
    Step.NUDGE: queue_nudges,
    Step.REMIND: queue_reminders,
}


# The longest a template or shift may ask for its confirm card before the start.
LONGEST_OFFSET = timedelta(hours=MAX_HOURS_BEFORE)


def plan_for(
    shift: Shift, done: frozenset[str], schedule: ScheduleSettings, now: datetime
) -> DuePlan:
    return due_steps(shift_progress(shift, done), lifecycle_offsets(shift, schedule), now)


async def shifts_due(
    *, session: AsyncSession, schedule: ScheduleSettings, now: datetime
) -> list[int]:
    """The shifts with a lifecycle step due at ``now``, read without locking anything."""
    horizon = max(schedule.offsets().confirm, LONGEST_OFFSET)
    candidates = await shifts_in_lifecycle(session=session, now=now, earliest_step=horizon)
    return [
        shift.id
        for shift, done in candidates
        if shift.id is not None and plan_for(shift, done, schedule, now).handled
    ]


async def run_due_work(deps: JobDeps) -> int:
    """The due-work job: tell people of changes, do every lifecycle step due now and expire
    offers past their deadline; returns how much was handled."""
    now = deps.clock.now()
    handled = 0
    failures: list[str] = []
    # Backfill offers past their deadline are a pass of their own (jobs.offers). A pass with
    # failed rows does not keep the others from running, nor what was queued from going out.
    for run_pass in (notify_changes, advance_shifts, expire_offers):
        try:
            handled += await run_pass(deps, now)
        except RowsFailed as failed:
            handled += failed.done
            failures += failed.failures
    if handled:
        deps.wake_outbox()
    if failures:
        raise RowsFailed(handled, failures)
    return handled


async def advance_shifts(deps: JobDeps, now: datetime) -> int:
    """Every lifecycle step due at ``now``; returns how many shifts were advanced."""
    # One transaction a shift: a failure on one shift leaves the others' progress standing.
    return await each_in_own_transaction(
        deps,
        now=now,
        due=lambda session: shifts_due(session=session, schedule=deps.settings.schedule, now=now),
        step=_advance,
        what="lifecycle step",
        id_name="shift",
    )


async def _advance(session: AsyncSession, shift_id: int, settings: Settings, now: datetime) -> int:
    # Planned again under the shift's lock: a concurrent pass may have done it meanwhile.
    shift = await find_shift(session=session, shift_id=shift_id, for_update=True)
    if shift is None:
        return 0
    done = await handled_steps(session=session, shift_id=shift_id)
    plan = plan_for(shift, done, settings.schedule, now)
    for step in plan.send:
        if step == Step.CONFIRM:
            await queue_confirm_card(
                session=session,
                shift=shift,
                settings=settings,
                now=now,
                reminder=plan.reminder_in_card,
            )
        else:
            await QUEUE[step](session=session, shift=shift, settings=settings, now=now)
    outcomes = {step.value: "sent" for step in plan.send}
    outcomes |= {step.value: "merged" for step in plan.merged}
    outcomes |= {step.value: "skipped" for step in plan.skip}
    await record_steps(session=session, shift_id=shift_id, outcomes=outcomes, now=now)
    if outcomes:
        log.info("lifecycle steps", extra={"shift": shift_id, "steps": outcomes})
    return len(outcomes)
