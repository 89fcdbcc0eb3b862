"""What every job is given, and the one way a job works through its rows.

A job is an async function of :class:`JobDeps`; it reads what is due without locking anything,
then handles each row in a transaction of its own (:func:`each_in_own_transaction`), so one
row's failure leaves the others' work standing and is retried on the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.openapi import OpenApiClient
from core.settings import Settings
from storage.database import SessionFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobDeps:
    sessions: SessionFactory
    settings: Settings
    clock: Clock
    client: OpenApiClient
    """For jobs that ask DingTalk something themselves rather than queue a message."""
    wake_outbox: Callable[[], None]
    """Call after committing outbox rows, so they are sent now rather than at the next poll."""


async def each_in_own_transaction(
    sessions: SessionFactory,
    ids: Iterable[int],
    step: Callable[[AsyncSession, int], Awaitable[int]],
    *,
    what: str,
    id_name: str,
) -> int:
    """Run ``step`` for each id in a transaction of its own; returns the sum of what they did.

    A failing step is rolled back and logged with ``what`` and the id (as ``id_name``), and the
    next id goes on: its row is still due, so the next run tries it again.
    """
    done = 0
    for row_id in ids:
        try:
            async with sessions.begin() as session:
                done += await step(session, row_id)
        except Exception:
            log.exception("%s failed; retried next run", what, extra={id_name: row_id})
    return done
