"""Backfill below the chat: a rush of takers on one free seat, the weekly cap at the moment of
the tap, and offers opened only where they make sense. End to end: tests/e2e/test_backfill.py.

Every tap runs the way the dispatcher runs it: its own transaction, whose first write is the
event's dedup record, then the shift row locked, then the handler.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.outgoing import OutboxKind
from core.settings import Settings, load_settings
from services.backfill import TakeOutcome, open_vacancy, take_offer
from storage.database import SessionFactory
from storage.events import record_processed
from storage.models import (
    Assignment,
    AssignmentState,
    OfferState,
    OutboxMessage,
    Shift,
    ShiftStatus,
    Site,
    Volunteer,
)
from storage.offers import offers_on
from storage.shifts import find_shift, people_on, seats_taken

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Friday 10:00 in Hong Kong
START = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # Saturday 09:00 in Hong Kong


def _settings(**schedule: object) -> Settings:
    return load_settings(
        None,
        dingtalk={"client_id": "ding-test", "client_secret": "demo-secret"},
        schedule=schedule,
        demo_mode=True,
    )


async def _world(
    sessions: SessionFactory, *, standby: int, headcount: int = 2, published: bool = True
) -> tuple[int, list[int], list[int]]:
    """A shift full with two people (ids returned second) and ``standby`` others."""
    async with sessions.begin() as session:
        site = Site(
            code="SSP",
            name="Site",
            district="sham-shui-po",
            created_by="t",
            created_at=NOW,
            conversation_id="cid-ssp",
        )
        session.add(site)
        await session.flush()
        assert site.id is not None
        shift = Shift(
            site_id=site.id,
            occurs_on=START.date(),
            starts_at=START,
            ends_at=START + timedelta(hours=3),
            headcount=headcount,
            created_by="t",
            created_at=NOW,
            updated_at=NOW,
            published_at=NOW if published else None,
        )
        session.add(shift)
        people = [
            Volunteer(
                staff_id=f"u{number}",
                nickname=f"V{number}",
                districts=["sham-shui-po"],
                registered_at=NOW,
                updated_at=NOW,
            )
            for number in range(2 + standby)
        ]
        session.add_all(people)
        await session.flush()
        assert shift.id is not None
        for volunteer in people[:2]:
            assert volunteer.id is not None
            session.add(
                Assignment(
                    shift_id=shift.id,
                    volunteer_id=volunteer.id,
                    state=AssignmentState.INVITED,
                    assigned_by="t",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        ids = [volunteer.id or 0 for volunteer in people]
        return shift.id, ids[:2], ids[2:]


async def _as_event(session: AsyncSession) -> None:
    await record_processed(
        session=session, key=f"tap:{uuid.uuid4().hex}", ack="{}", processed_at=NOW
    )


async def _decline(
    sessions: SessionFactory, shift_id: int, volunteer_id: int, settings: Settings
) -> list[Volunteer] | None:
    async with sessions.begin() as session:
        await _as_event(session)
        shift = await find_shift(session=session, shift_id=shift_id, for_update=True)
        assert shift is not None
        for assignment, volunteer in await people_on(session=session, shift_id=shift_id):
            if volunteer.id == volunteer_id:
                assignment.state = AssignmentState.DECLINED
                session.add(assignment)
        await session.flush()
        return await open_vacancy(
            session=session, shift=shift, settings=settings, now=NOW, vacated_by=[volunteer_id]
        )


async def _take(
    sessions: SessionFactory, shift_id: int, volunteer_id: int, settings: Settings
) -> TakeOutcome:
    async with sessions.begin() as session:
        await _as_event(session)
        shift = await find_shift(session=session, shift_id=shift_id, for_update=True)
        assert shift is not None
        volunteer = await session.get(Volunteer, volunteer_id)
        return await take_offer(
            session=session, shift=shift, volunteer=volunteer, settings=settings, now=NOW
        )


async def _states(sessions: SessionFactory, shift_id: int) -> dict[str, int]:
    async with sessions() as session:
        counts: dict[str, int] = {}
        for offer, _ in await offers_on(session=session, shift_id=shift_id):
            counts[offer.state] = counts.get(offer.state, 0) + 1
        return counts


async def test_a_rush_of_takers_fills_the_seat_exactly_once(sessions: SessionFactory) -> None:
    settings = _settings(offer_batch=6)
    shift_id, (_, leaving), standby = await _world(sessions, standby=6)
    offered = await _decline(sessions, shift_id, leaving, settings)
    assert offered is not None
    assert len(offered) == 6

    outcomes = await asyncio.gather(
        *(_take(sessions, shift_id, person, settings) for person in standby)
    )
    assert sorted(outcomes) == ["already_taken"] * 5 + ["taken"]
    async with sessions() as session:
        assert await seats_taken(session=session, shift_id=shift_id) == 2
        updates = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.CARD_UPDATE)
            )
        ).all()
    # five lost cards closed; the group card is not out yet, so it is not updated
    assert len(updates) == 5
    assert await _states(sessions, shift_id) == {OfferState.TAKEN: 1, OfferState.LOST: 5}


async def test_two_seats_take_two_takers_and_then_the_rest_are_lost(
    sessions: SessionFactory,
) -> None:
    settings = _settings(offer_batch=2)
    shift_id, leaving, standby = await _world(sessions, standby=4)
    await _decline(sessions, shift_id, leaving[0], settings)
    await _decline(sessions, shift_id, leaving[1], settings)  # two free seats, two more asked
    assert await _states(sessions, shift_id) == {OfferState.OPEN: 4}
    assert await _take(sessions, shift_id, standby[3], settings) == "taken"
    assert await _states(sessions, shift_id) == {OfferState.OPEN: 3, OfferState.TAKEN: 1}
    assert await _take(sessions, shift_id, standby[3], settings) == "yours"
    assert await _take(sessions, shift_id, standby[0], settings) == "taken"
    assert await _states(sessions, shift_id) == {OfferState.TAKEN: 2, OfferState.LOST: 2}
    assert await _take(sessions, shift_id, standby[1], settings) == "already_taken"


async def test_the_weekly_cap_is_checked_again_when_the_offer_is_taken(
    sessions: SessionFactory,
) -> None:
    settings = _settings(weekly_cap=1)
    shift_id, (_, leaving), [dora] = await _world(sessions, standby=1)
    assert [v.id for v in await _decline(sessions, shift_id, leaving, settings) or []] == [dora]
    async with sessions.begin() as session:  # booked elsewhere that week after the offer
        vacancy = await session.get(Shift, shift_id)
        assert vacancy is not None
        sunday = START + timedelta(days=1)
        other = Shift(
            site_id=vacancy.site_id,
            occurs_on=sunday.date(),
            starts_at=sunday,
            ends_at=sunday + timedelta(hours=2),
            headcount=1,
            created_by="t",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(other)
        await session.flush()
        assert other.id is not None
        session.add(
            Assignment(
                shift_id=other.id,
                volunteer_id=dora,
                assigned_by="t",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    assert await _take(sessions, shift_id, dora, settings) == "over_cap"
    assert await _states(sessions, shift_id) == {OfferState.OPEN: 1}


async def test_no_offers_for_an_unpublished_cancelled_or_full_shift(
    sessions: SessionFactory,
) -> None:
    settings = _settings()
    shift_id, (_, leaving), _ = await _world(sessions, standby=2, published=False)
    assert await _decline(sessions, shift_id, leaving, settings) is None
    async with sessions.begin() as session:
        shift = await session.get(Shift, shift_id)
        assert shift is not None
        shift.published_at = NOW
        shift.status = ShiftStatus.CANCELLED
        session.add(shift)
    assert await _decline(sessions, shift_id, leaving, settings) is None
    async with sessions.begin() as session:
        shift = await session.get(Shift, shift_id)
        assert shift is not None
        shift.status = ShiftStatus.SCHEDULED
        shift.headcount = 1  # Ben's decline leaves Ada: still full
        session.add(shift)
    assert await _decline(sessions, shift_id, leaving, settings) is None
    assert await _states(sessions, shift_id) == {}
