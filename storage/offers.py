"""Backfill offers: a vacancy offered privately to a few volunteers, the first to tap takes it.

The ranking is :mod:`planner.matching`; :func:`backfill_candidates` reads what it needs inside
the caller's transaction. Offers are only changed with the shift row locked (the tap handler and
the deadline job both lock it first), so "first tap wins" holds on PostgreSQL as on SQLite.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from planner.conflicts import ShiftSlot
from planner.matching import Candidate
from storage.models import (
    HOLDS_A_SEAT,
    Assignment,
    Offer,
    OfferState,
    Shift,
    ShiftStatus,
    Volunteer,
)
from storage.shifts import slot_of


async def add_offer(
    *,
    session: AsyncSession,
    shift_id: int,
    volunteer_id: int,
    out_track_id: str,
    now: datetime,
    deadline: datetime,
) -> Offer:
    offer = Offer(
        shift_id=shift_id,
        volunteer_id=volunteer_id,
        out_track_id=out_track_id,
        state=OfferState.OPEN,
        offered_at=now,
        deadline=deadline,
    )
    session.add(offer)
    await session.flush()
    return offer


async def find_offer(*, session: AsyncSession, shift_id: int, volunteer_id: int) -> Offer | None:
    result = await session.exec(
        select(Offer).where(Offer.shift_id == shift_id).where(Offer.volunteer_id == volunteer_id)
    )
    return result.first()


async def offers_on(
    *, session: AsyncSession, shift_id: int, state: OfferState | None = None
) -> list[tuple[Offer, Volunteer]]:
    """The shift's offers with their volunteers, oldest first; only ``state`` ones if given."""
    statement = (
        select(Offer, Volunteer)
        .join(Volunteer, col(Volunteer.id) == col(Offer.volunteer_id))
        .where(Offer.shift_id == shift_id)
        .order_by(col(Offer.offered_at), col(Offer.id))
    )
    if state is not None:
        statement = statement.where(Offer.state == state)
    return list((await session.exec(statement)).all())


async def close_offers(
    *, session: AsyncSession, offers: Sequence[Offer], state: OfferState, now: datetime
) -> None:
    """Mark open ``offers`` taken, lost or expired."""
    for offer in offers:
        offer.state = state
        offer.answered_at = now
        session.add(offer)
    await session.flush()


async def shifts_with_expired_offers(*, session: AsyncSession, now: datetime) -> list[int]:
    """Shifts with an open offer whose deadline has passed, soonest deadline first."""
    result = await session.exec(
        select(Offer.shift_id, func.min(Offer.deadline))
        .where(Offer.state == OfferState.OPEN)
        .where(Offer.deadline <= now)
        .group_by(col(Offer.shift_id))
        .order_by(func.min(Offer.deadline), col(Offer.shift_id))
    )
    return [shift_id for shift_id, _ in result.all()]


async def expired_offers(
    *, session: AsyncSession, shift_id: int, now: datetime
) -> list[tuple[Offer, Volunteer]]:
    return [
        (offer, volunteer)
        for offer, volunteer in await offers_on(
            session=session, shift_id=shift_id, state=OfferState.OPEN
        )
        if offer.deadline <= now
    ]


def _week_window(shift: Shift, zone: ZoneInfo, min_rest: timedelta) -> tuple[datetime, datetime]:
    """From the start of the shift's local ISO week (or its start, if earlier, less the rest) to
    the end of that week (or its end, if later, plus the rest): every booking that could clash
    with it or count towards its week's cap lies in between."""
    local_day = shift.starts_at.astimezone(zone).date()
    monday = local_day - timedelta(days=local_day.weekday())
    week_start = datetime.combine(monday, time(0), tzinfo=zone)
    week_end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
    return min(week_start, shift.starts_at) - min_rest, max(week_end, shift.ends_at) + min_rest


async def backfill_candidates(
    *, session: AsyncSession, shift: Shift, zone: ZoneInfo, min_rest: timedelta
) -> list[Candidate]:
    """Every registered, active volunteer as :func:`planner.matching.rank` needs them: their
    bookings near the shift's week, their state on the shift, whether they were offered it and
    when they were last offered anything. The volunteers stay in the session's identity map."""
    assert shift.id is not None
    volunteers = list(
        (
            await session.exec(
                select(Volunteer)
                .where(col(Volunteer.active).is_(True))
                .order_by(col(Volunteer.id))
            )
        ).all()
    )
    low, high = _week_window(shift, zone, min_rest)
    bookings: dict[int, list[ShiftSlot]] = defaultdict(list)
    booked = await session.exec(
        select(Assignment.volunteer_id, Shift)
        .join(Shift, col(Shift.id) == col(Assignment.shift_id))
        .where(col(Assignment.state).in_(HOLDS_A_SEAT))
        .where(Shift.status == ShiftStatus.SCHEDULED)
        .where(col(Shift.ends_at) > low)
        .where(col(Shift.starts_at) < high)
    )
    for volunteer_id, other in booked.all():
        bookings[volunteer_id].append(slot_of(other))
    states = dict(
        (
            await session.exec(
                select(Assignment.volunteer_id, Assignment.state).where(
                    Assignment.shift_id == shift.id
                )
            )
        ).all()
    )
    offered = set(
        (await session.exec(select(Offer.volunteer_id).where(Offer.shift_id == shift.id))).all()
    )
    last_offered = dict(
        (
            await session.exec(
                select(Offer.volunteer_id, func.max(Offer.offered_at)).group_by(
                    col(Offer.volunteer_id)
                )
            )
        ).all()
    )
    candidates = []
    for volunteer in volunteers:
        assert volunteer.id is not None
        candidates.append(
            Candidate(
                volunteer_id=volunteer.id,
                active=volunteer.active,
                districts=tuple(volunteer.districts),
                languages=tuple(volunteer.languages),
                availability=tuple(volunteer.availability),
                bookings=tuple(bookings.get(volunteer.id, ())),
                state_on_shift=states.get(volunteer.id),
                offered_this_shift=volunteer.id in offered,
                last_offered_at=last_offered.get(volunteer.id),
            )
        )
    return candidates
