"""The inbox: chat messages are rows before they are ACKed, and handled later in arrival order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboxMessage


async def receive_messages(*, session: AsyncSession, messages: Sequence[InboxMessage]) -> int:
    """Insert the messages whose ``msg_id`` is new, in order; returns how many were new.

    A redelivered frame (the same msgId, in this batch or an earlier one) adds no row.
    """
    if not messages:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(InboxMessage)
        .values([message.model_dump(exclude={"id"}) for message in messages])
        .on_conflict_do_nothing(index_elements=["msg_id"])
        .returning(col(InboxMessage.id))
    )
    return len((await session.exec(statement)).all())


async def unhandled_messages(*, session: AsyncSession, limit: int) -> list[InboxMessage]:
    """The oldest messages not handled yet, in arrival order."""
    result = await session.exec(
        select(InboxMessage)
        .where(col(InboxMessage.handled_at).is_(None))
        .order_by(col(InboxMessage.id))
        .limit(limit)
    )
    return list(result.all())


async def unhandled_count(*, session: AsyncSession) -> int:
    result = await session.exec(
        select(func.count())
        .select_from(InboxMessage)
        .where(col(InboxMessage.handled_at).is_(None))
    )
    return int(result.one())


async def mark_handled(*, session: AsyncSession, inbox_id: int, now: datetime) -> None:
    await session.exec(
        update(InboxMessage).where(col(InboxMessage.id) == inbox_id).values(handled_at=now)
    )


async def record_failed_attempt(*, session: AsyncSession, inbox_id: int) -> None:
    await session.exec(
        update(InboxMessage)
        .where(col(InboxMessage.id) == inbox_id)
        .values(attempts=col(InboxMessage.attempts) + 1)
    )
