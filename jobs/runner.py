"""What every job is given, and the one way a job works through its rows.

A job is an async function of :class:`JobDeps`. :func:`each_in_own_transaction` reads which rows
are due without locking anything, then handles each in a transaction of its own, so one row's
failure leaves the others' work standing and is retried on the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

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


Step = Callable[[AsyncSession, int, Settings, datetime], Awaitable[int]]
"""Handles one row (by id) at ``now`` inside the transaction it is given; returns how much it
did. It locks and reads its row again: the list of due ids was read without locks."""


async def each_in_own_transaction(
    deps: JobDeps,
    *,
    now: datetime,
    due: Callable[[AsyncSession], Awaitable[Iterable[int]]],
    step: Step,
    what: str,
    id_name: str,
) -> int:
    """Read the ids ``due`` (one read, no locks), then run ``step`` for each in a transaction of
    its own; returns the sum of what the steps did.

    A failing step is rolled back and logged with ``what`` and the id (as ``id_name``), and the
    next id goes on: the failed row is still due, so the next run tries it again.
    """
    async with deps.sessions() as session:
        ids = await due(session)
    done = 0
    for row_id in ids:
        try:
            async with deps.sessions.begin() as session:
                done += await step(session, row_id, deps.settings, now)
        except Exception:
            log.exception("%s failed; retried next run", what, extra={id_name: row_id})
    return done
