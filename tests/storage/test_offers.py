"""Offers and what the backfill ranking reads from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError

from storage.database import SessionFactory
from storage.models import (
    Assignment,
    AssignmentState,
    OfferState,
    Shift,
    ShiftStatus,
    Site,
    Volunteer,
)
from storage.offers import (
    add_offer,
    backfill_candidates,
    close_offers,
    expired_offers,
    find_offer,
    offers_on,
    shifts_with_expired_offers,
)

HK = ZoneInfo("Asia/Hong_Kong")
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Friday 10:00 in Hong Kong
# Saturday 28 November 2026, 09:00-12:00 in Hong Kong; its ISO week is Mon 23 to Sun 29.
SAT_9 = datetime(2026, 11, 28, 9, 0, tzinfo=HK)


async def _world(sessions: SessionFactory) -> tuple[list[int], list[int]]:
    """A site; shifts: [0] the vacancy Sat 09-12, [1] Sat 11-13, [2] Mon 23 09-12 (same
    week), [3] Mon 30 09-12 (next week), [4] Sat 11-13 cancelled; volunteers Ada, Ben, Cat and
    Dan (inactive)."""
    async with sessions.begin() as session:
        site = Site(
            code="SSP", name="Site", district="sham-shui-po", created_by="t", created_at=NOW
        )
        session.add(site)
        await session.flush()
        assert site.id is not None
        windows = [
            (SAT_9, 3, ShiftStatus.SCHEDULED),
            (SAT_9 + timedelta(hours=2), 2, ShiftStatus.SCHEDULED),
            (SAT_9 - timedelta(days=5), 3, ShiftStatus.SCHEDULED),
            (SAT_9 + timedelta(days=2), 3, ShiftStatus.SCHEDULED),
            (SAT_9 + timedelta(hours=2), 2, ShiftStatus.CANCELLED),
        ]
        shifts = [
            Shift(
                site_id=site.id,
                occurs_on=start.date(),
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                headcount=3,
                status=status,
                created_by="t",
                created_at=NOW,
                updated_at=NOW,
            )
            for start, hours, status in windows
        ]
        session.add_all(shifts)
        people = [
            Volunteer(
                staff_id=f"u-{name.lower()}",
                nickname=name,
                registered_at=NOW,
                updated_at=NOW,
                districts=["sham-shui-po"],
                languages=["yue"],
                availability=["sat-am"],
                active=name != "Dan",
            )
            for name in ("Ada", "Ben", "Cat", "Dan")
        ]
        session.add_all(people)
        await session.flush()
        return [shift.id or 0 for shift in shifts], [person.id or 0 for person in people]


async def _assign(
    sessions: SessionFactory, shift_id: int, volunteer_id: int, state: AssignmentState
) -> None:
    async with sessions.begin() as session:
        session.add(
            Assignment(
                shift_id=shift_id,
                volunteer_id=volunteer_id,
                state=state,
                assigned_by="t",
                created_at=NOW,
                updated_at=NOW,
            )
        )


async def test_an_offer_per_shift_and_person(sessions: SessionFactory) -> None:
    shifts, people = await _world(sessions)
    deadline = NOW + timedelta(hours=6)
    async with sessions.begin() as session:
        for volunteer_id in people[:2]:
            await add_offer(
                session=session,
                shift_id=shifts[0],
                volunteer_id=volunteer_id,
                out_track_id=f"ds-offer-{shifts[0]}-{volunteer_id}",
                now=NOW,
                deadline=deadline,
            )
    async with sessions() as session:
        offer = await find_offer(session=session, shift_id=shifts[0], volunteer_id=people[1])
        assert offer is not None
        assert offer.state == OfferState.OPEN
        assert offer.deadline == deadline
        assert offer.deadline.tzinfo == UTC
        assert (
            await find_offer(session=session, shift_id=shifts[1], volunteer_id=people[1]) is None
        )
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            await add_offer(
                session=session,
                shift_id=shifts[0],
                volunteer_id=people[0],
                out_track_id="ds-offer-other",
                now=NOW,
                deadline=deadline,
            )


async def test_closing_offers_and_finding_the_expired_ones(sessions: SessionFactory) -> None:
    shifts, people = await _world(sessions)
    async with sessions.begin() as session:
        soon = [
            await add_offer(
                session=session,
                shift_id=shifts[3],
                volunteer_id=volunteer_id,
                out_track_id=f"ds-offer-{shifts[3]}-{volunteer_id}",
                now=NOW,
                deadline=NOW + timedelta(hours=1),
            )
            for volunteer_id in people[:2]
        ]
        later = await add_offer(
            session=session,
            shift_id=shifts[0],
            volunteer_id=people[2],
            out_track_id="ds-offer-x",
            now=NOW,
            deadline=NOW + timedelta(hours=3),
        )
    async with sessions() as session:
        assert await shifts_with_expired_offers(session=session, now=NOW) == []
        past_both = NOW + timedelta(hours=3)
        assert await shifts_with_expired_offers(session=session, now=past_both) == [
            shifts[3],
            shifts[0],
        ]  # soonest deadline first
        due = await expired_offers(session=session, shift_id=shifts[3], now=past_both)
        assert [offer.id for offer, _ in due] == [offer.id for offer in soon]
    async with sessions.begin() as session:
        [(first, _), _] = await offers_on(session=session, shift_id=shifts[3])
        await close_offers(session=session, offers=[first], state=OfferState.LOST, now=NOW)
    async with sessions() as session:
        still_open = await offers_on(session=session, shift_id=shifts[3], state=OfferState.OPEN)
        assert [volunteer.nickname for _, volunteer in still_open] == ["Ben"]
        lost = await find_offer(session=session, shift_id=shifts[3], volunteer_id=people[0])
        assert lost is not None
        assert lost.state == OfferState.LOST
        assert lost.answered_at == NOW
        assert later.id is not None


async def test_candidates_carry_what_the_ranking_needs(sessions: SessionFactory) -> None:
    shifts, (ada, ben, cat, _dan) = await _world(sessions)
    await _assign(sessions, shifts[0], ada, AssignmentState.DECLINED)
    await _assign(sessions, shifts[1], ben, AssignmentState.CONFIRMED)  # clashes
    await _assign(sessions, shifts[2], ben, AssignmentState.INVITED)  # same week
    await _assign(sessions, shifts[3], ben, AssignmentState.CONFIRMED)  # next week: not read
    await _assign(sessions, shifts[4], cat, AssignmentState.CONFIRMED)  # cancelled shift
    await _assign(sessions, shifts[2], cat, AssignmentState.WITHDRAWN)  # no seat
    asked_at = NOW - timedelta(days=3)
    async with sessions.begin() as session:
        await add_offer(
            session=session,
            shift_id=shifts[3],
            volunteer_id=cat,
            out_track_id="ds-offer-a",
            now=asked_at - timedelta(days=1),
            deadline=asked_at,
        )
        await add_offer(
            session=session,
            shift_id=shifts[2],
            volunteer_id=cat,
            out_track_id="ds-offer-b",
            now=asked_at,
            deadline=asked_at,
        )
        await add_offer(
            session=session,
            shift_id=shifts[0],
            volunteer_id=ben,
            out_track_id="ds-offer-c",
            now=NOW,
            deadline=NOW,
        )
    async with sessions() as session:
        shift = await session.get(Shift, shifts[0])
        assert shift is not None
        found = await backfill_candidates(
            session=session, shift=shift, zone=HK, min_rest=timedelta(0)
        )
    by_id = {candidate.volunteer_id: candidate for candidate in found}
    assert set(by_id) == {ada, ben, cat}  # Dan is inactive
    assert by_id[ada].state_on_shift == AssignmentState.DECLINED
    assert by_id[ada].last_offered_at is None
    assert by_id[ada].districts == ("sham-shui-po",)
    assert by_id[ada].availability == ("sat-am",)
    assert {slot.shift_id for slot in by_id[ben].bookings} == {shifts[1], shifts[2]}
    assert by_id[ben].offered_this_shift
    assert by_id[ben].state_on_shift is None
    assert by_id[cat].bookings == ()
    assert not by_id[cat].offered_this_shift
    last = by_id[cat].last_offered_at
    assert last == asked_at
    assert last is not None
    assert last.tzinfo is not None
