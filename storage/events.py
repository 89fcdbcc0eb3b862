"""Processed platform events: the record that makes every handler idempotent."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ProcessedEvent


class DuplicateEvent(Exception):
    """Another transaction recorded this event first; this one must roll back."""


async def find_processed(*, session: AsyncSession, key: str) -> ProcessedEvent | None:
    return await session.get(ProcessedEvent, key)


async def find_processed_among(
    *, session: AsyncSession, keys: Collection[str]
) -> dict[str, ProcessedEvent]:
    """The recorded events among ``keys``, by key: one query for a whole batch."""
    result = await session.exec(select(ProcessedEvent).where(col(ProcessedEvent.key).in_(keys)))
    return {event.key: event for event in result}


async def record_processed(
    *, session: AsyncSession, key: str, ack: str, processed_at: datetime
) -> ProcessedEvent:
    """Claim ``key`` inside the caller's transaction.

    The insert is flushed at once so that a concurrent delivery of the same event blocks on, or
    fails against, this row instead of doing the work a second time.
    """
    event = ProcessedEvent(key=key, ack=ack, processed_at=processed_at)
    await record_all_processed(session=session, events=[event])
    return event


async def record_all_processed(*, session: AsyncSession, events: Sequence[ProcessedEvent]) -> None:
    """Claim every event's key inside the caller's transaction, in one flush; raises
    :class:`DuplicateEvent` if any of them was recorded by another transaction first."""
    session.add_all(events)
    try:
        await session.flush()
    except IntegrityError as error:
        raise DuplicateEvent(", ".join(event.key for event in events)) from error
