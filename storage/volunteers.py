"""Volunteer registrations."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Volunteer


async def find_volunteer_by_id(*, session: AsyncSession, volunteer_id: int) -> Volunteer | None:
    return await session.get(Volunteer, volunteer_id)


async def find_volunteer(*, session: AsyncSession, staff_id: str) -> Volunteer | None:
    result = await session.exec(select(Volunteer).where(Volunteer.staff_id == staff_id))
    return result.first()


async def find_volunteers(
    *, session: AsyncSession, staff_ids: Collection[str]
) -> dict[str, Volunteer]:
    """The registered volunteers among ``staff_ids``, by staffId: one query for a whole batch."""
    result = await session.exec(select(Volunteer).where(col(Volunteer.staff_id).in_(staff_ids)))
    return {volunteer.staff_id: volunteer for volunteer in result}


async def register_volunteer(
    *,
    session: AsyncSession,
    staff_id: str,
    dingtalk_id: str,
    nickname: str,
    districts: Sequence[str],
    languages: Sequence[str],
    availability: Sequence[str] | None,
    now: datetime,
) -> tuple[Volunteer, bool]:
    """Create or update the registration; returns it and whether it is new.

    ``availability=None`` keeps what was registered before, so re-registering a district does not
    erase someone's slots.
    """
    volunteer = await find_volunteer(session=session, staff_id=staff_id)
    created = volunteer is None
    if volunteer is None:
        volunteer = Volunteer(
            staff_id=staff_id, nickname=nickname, registered_at=now, updated_at=now
        )
    volunteer.dingtalk_id = dingtalk_id
    volunteer.nickname = nickname
    volunteer.districts = list(districts)
    volunteer.languages = list(languages)
    if availability is not None:
        volunteer.availability = list(availability)
    volunteer.active = True
    volunteer.updated_at = now
    session.add(volunteer)
    await session.flush()
    return volunteer, created
