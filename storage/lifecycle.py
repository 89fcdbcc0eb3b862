"""Which shifts are in their lifecycle, and which steps have been handled for each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Shift, ShiftChange, ShiftStatus, ShiftStep


async def shifts_in_lifecycle(
    *, session: AsyncSession, now: datetime, earliest_step: timedelta
) -> list[tuple[Shift, frozenset[str]]]:
    """Published, scheduled shifts that have not started and are either unannounced or within
    ``earliest_step`` (the longest offset any shift may have) of starting: the only ones a step
    can be due for. Each comes with the steps already handled for it."""
    result = await session.exec(
        select(Shift)
        .where(col(Shift.published_at).is_not(None))
        .where(Shift.status == ShiftStatus.SCHEDULED)
        .where(Shift.starts_at > now)
        .where((col(Shift.announced_at).is_(None)) | (col(Shift.starts_at) <= now + earliest_step))
        .order_by(col(Shift.starts_at))
    )
    shifts = list(result.all())
    done: dict[int, set[str]] = defaultdict(set)
    ids = [shift.id for shift in shifts]
    for shift_id, step in (
        await session.exec(
            select(ShiftStep.shift_id, ShiftStep.step).where(col(ShiftStep.shift_id).in_(ids))
        )
    ).all():
        done[shift_id].add(step)
    return [(shift, frozenset(done[shift.id or 0])) for shift in shifts]


async def handled_steps(*, session: AsyncSession, shift_id: int) -> frozenset[str]:
    result = await session.exec(select(ShiftStep.step).where(ShiftStep.shift_id == shift_id))
    return frozenset(result.all())


async def record_steps(
    *, session: AsyncSession, shift_id: int, outcomes: Mapping[str, str], now: datetime
) -> None:
    """Record each step (-> sent / merged / skipped) as handled, once and for good."""
    for step, outcome in outcomes.items():
        session.add(ShiftStep(shift_id=shift_id, step=step, outcome=outcome, handled_at=now))
    await session.flush()


async def publish(*, session: AsyncSession, shifts: Sequence[Shift], now: datetime) -> list[Shift]:
    """Mark the unpublished ones published; returns those it published."""
    published = []
    for shift in shifts:
        if shift.published_at is None and shift.status == ShiftStatus.SCHEDULED:
            shift.published_at = now
            session.add(shift)
            published.append(shift)
    await session.flush()
    return published


async def find_change(*, session: AsyncSession, change_id: int) -> ShiftChange | None:
    """The change, locked until the transaction ends, so that it is told once."""
    return await session.get(ShiftChange, change_id, with_for_update=True)


async def unnotified_changes(*, session: AsyncSession) -> list[int]:
    """Ids of the changes to announced shifts that the people on them have not been told of."""
    result = await session.exec(
        select(ShiftChange.id)
        .where(col(ShiftChange.notified_at).is_(None))
        .order_by(col(ShiftChange.id))
    )
    return [change_id for change_id in result.all() if change_id is not None]
