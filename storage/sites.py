"""Sites: the places shifts happen, each with a short code and (usually) its own group chat."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Site


class DuplicateSite(Exception):
    """A site with this code exists already; ``existing`` is it (when it could be read)."""

    def __init__(self, code: str, existing: Site | None = None) -> None:
        super().__init__(f"site code {code!r} is taken")
        self.code = code
        self.existing = existing


def normalise_code(code: str) -> str:
    return code.strip().upper()


async def find_site_by_code(*, session: AsyncSession, code: str) -> Site | None:
    """Codes are compared upper-cased, so ``ssp`` finds ``SSP``."""
    result = await session.exec(select(Site).where(Site.code == normalise_code(code)))
    return result.first()


async def find_site(*, session: AsyncSession, site_id: int) -> Site | None:
    return await session.get(Site, site_id)


async def add_site(
    *,
    session: AsyncSession,
    code: str,
    name: str,
    district: str,
    address: str = "",
    contact: str = "",
    conversation_id: str | None,
    created_by: str,
    now: datetime,
) -> Site:
    """Create the site; raises :class:`DuplicateSite` when the (upper-cased) code is taken.

    The unique index decides a race between two concurrent adds: the loser's insert is undone in
    a savepoint, so the caller's transaction stays usable.
    """
    code = normalise_code(code)
    existing = await find_site_by_code(session=session, code=code)
    if existing is not None:
        raise DuplicateSite(code, existing)
    site = Site(
        code=code,
        name=name,
        district=district,
        address=address,
        contact=contact,
        conversation_id=conversation_id,
        created_by=created_by,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(site)
            await session.flush()
    except IntegrityError as error:
        raise DuplicateSite(code) from error
    return site


async def list_sites(
    *, session: AsyncSession, districts: Collection[str] | None = None
) -> list[Site]:
    """Every site by code; with ``districts``, only the sites in those districts."""
    statement = select(Site).order_by(col(Site.code))
    if districts is not None:
        statement = statement.where(col(Site.district).in_(list(districts)))
    return list((await session.exec(statement)).all())
