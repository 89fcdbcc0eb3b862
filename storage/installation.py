"""The installation's tag, generated the first time it is asked for and kept for good."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Installation


async def installation_tag(*, session: AsyncSession, new_tag: str, now: datetime) -> str:
    """The stored tag; ``new_tag`` becomes it when there is none yet. Two processes starting
    at once agree: the insert does nothing when the row exists, and both read it back."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.exec(
        insert(Installation)
        .values(id=1, tag=new_tag, created_at=now)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    row = await session.get(Installation, 1)
    assert row is not None  # inserted above, or already there
    return row.tag
