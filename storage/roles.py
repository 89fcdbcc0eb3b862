"""Roles granted in the chat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from planner.permissions import Role
from storage.models import RoleGrant


async def find_grant(
    *, session: AsyncSession, staff_id: str, for_update: bool = False
) -> RoleGrant | None:
    """``for_update`` locks the row until the transaction ends (PostgreSQL), so that two changes
    of one person's role run one after the other."""
    return await session.get(RoleGrant, staff_id, with_for_update=for_update)


async def grant_role(
    *,
    session: AsyncSession,
    staff_id: str,
    role: str,
    regions: Sequence[str],
    granted_by: str,
    now: datetime,
) -> str | None:
    """Give ``staff_id`` ``role``, replacing any role they had (one role per person); returns
    the role they had, if any.

    The grant is locked until the transaction ends (on SQLite the transaction already holds
    the write lock), so two changes of one person's role run one after the other. A concurrent
    first grant of the same person wins the insert; this one then replaces it, as if second."""
    write = partial(
        _write_grant,
        session,
        staff_id=staff_id,
        role=role,
        regions=list(regions),
        granted_by=granted_by,
        now=now,
    )
    try:
        async with session.begin_nested():
            return await write()
    except IntegrityError:
        return await write()


async def _write_grant(
    session: AsyncSession,
    *,
    staff_id: str,
    role: str,
    regions: list[str],
    granted_by: str,
    now: datetime,
) -> str | None:
    """Store the grant over the person's current one, if any; returns the role it replaced."""
    grant = await find_grant(session=session, staff_id=staff_id, for_update=True)
    previous = grant.role if grant is not None else None
    grant = grant or RoleGrant(staff_id=staff_id, role=role, granted_by=granted_by, granted_at=now)
    grant.role, grant.regions, grant.granted_by, grant.granted_at = role, regions, granted_by, now
    session.add(grant)
    await session.flush()
    return previous


async def revoke_role(*, session: AsyncSession, staff_id: str) -> RoleGrant | None:
    """Remove the grant, locked first so that of two revokes at the same moment the second
    finds nothing; returns what was removed, or None if there was none."""
    grant = await find_grant(session=session, staff_id=staff_id, for_update=True)
    if grant is not None:
        await session.delete(grant)
        await session.flush()
    return grant


async def coordinator_ids(*, session: AsyncSession, admins: Sequence[str]) -> list[str]:
    """Who hears about non-responders and vacancies: the admins, then the coordinators."""
    granted = [
        grant.staff_id
        for grant in await list_grants(session=session)
        if grant.role == Role.COORDINATOR
    ]
    return list(dict.fromkeys([*admins, *granted]))


async def list_grants(*, session: AsyncSession) -> list[RoleGrant]:
    result = await session.exec(
        select(RoleGrant).order_by(col(RoleGrant.role), col(RoleGrant.staff_id))
    )
    return list(result.all())
