"""Processed platform events: the record that makes every handler idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ProcessedEvent


class DuplicateEvent(Exception):
    """Another transaction recorded this event first; this one must roll back."""


async def find_processed(*, session: AsyncSession, key: str) -> ProcessedEvent | None:
    return await session.get(ProcessedEvent, key)


async def record_processed(
    *, session: AsyncSession, key: str, ack: str, processed_at: datetime
) -> ProcessedEvent:
    """Claim ``key`` inside the caller's transaction.

    The insert is flushed at once so that a concurrent delivery of the same event blocks on, or
    fails against, this row instead of doing the work a second time.
    """
    event = ProcessedEvent(key=key, ack=ack, processed_at=processed_at)
    session.add(event)
    try:
        await session.flush()
    except IntegrityError as error:
        raise DuplicateEvent(key) from error
    return event
