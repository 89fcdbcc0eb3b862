"""The durable outbox: messages are rows first and are sent after their transaction commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxMessage, OutboxStatus


async def enqueue(*, session: AsyncSession, message: OutboxMessage) -> bool:
    """Add ``message`` unless its ``dedup_key`` is already queued or sent; True if added."""
    if await is_queued(session=session, dedup_key=message.dedup_key):
        return False
    session.add(message)
    await session.flush()
    return True


async def is_queued(*, session: AsyncSession, dedup_key: str) -> bool:
    """Whether a row with ``dedup_key`` was ever queued (whatever became of it)."""
    existing = await session.exec(
        select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)
    )
    return existing.first() is not None


async def due_messages(
    *, session: AsyncSession, now: datetime, limit: int, horizon: timedelta
) -> list[OutboxMessage]:
    """Pending rows whose attempt is due at ``now``, oldest first.

    A wall clock stepped back (an NTP correction) must not hold rows back. A first attempt is
    never scheduled ahead, so it is due whatever its time says; and nothing is ever scheduled
    more than ``horizon`` ahead, so a retry beyond ``now + horizon`` was scheduled before the
    step: it is due now too. Oldest means queued first (the id), which a step cannot reorder.
    """
    result = await session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .where(
            or_(
                col(OutboxMessage.attempts) == 0,
                col(OutboxMessage.next_attempt_at) <= now,
                col(OutboxMessage.next_attempt_at) > now + horizon,
            )
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    return list(result.all())


async def next_attempt_at(*, session: AsyncSession) -> datetime | None:
    result = await session.exec(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING
        )
    )
    return result.one()


@dataclass(frozen=True)
class OutboxBacklog:
    """How many rows are in each status, and when the oldest pending one was queued."""

    by_status: dict[str, int]
    oldest_pending_at: datetime | None


async def outbox_backlog(*, session: AsyncSession) -> OutboxBacklog:
    counts = await session.exec(
        select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    )
    oldest = await session.exec(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING
        )
    )
    return OutboxBacklog(by_status=dict(counts.all()), oldest_pending_at=oldest.one())


async def pending_messages(*, session: AsyncSession) -> list[OutboxMessage]:
    result = await session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(col(OutboxMessage.id))
    )
    return list(result.all())


async def mark_sent(
    *,
    session: AsyncSession,
    message_id: int,
    now: datetime,
    process_query_key: str | None = None,
) -> None:
    message = await _get(session, message_id)
    message.process_query_key = process_query_key
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.attempts += 1
    message.last_error = None


async def mark_card_created(*, session: AsyncSession, message_id: int, now: datetime) -> None:
    """Before a card row's first create: whatever happens next, the card may exist."""
    message = await _get(session, message_id)
    message.card_created_at = now


async def schedule_retry(
    *, session: AsyncSession, message_id: int, now: datetime, delay: timedelta, error: str
) -> None:
    message = await _get(session, message_id)
    message.attempts += 1
    message.next_attempt_at = now + delay
    message.last_error = error


async def mark_given_up(
    *, session: AsyncSession, message_id: int, status: OutboxStatus, error: str
) -> None:
    message = await _get(session, message_id)
    message.status = status
    message.attempts += 1
    message.last_error = error


async def _get(session: AsyncSession, message_id: int) -> OutboxMessage:
    message = await session.get(OutboxMessage, message_id)
    if message is None:
        raise LookupError(f"outbox message {message_id} vanished")
    return message
