"""What every job is given, and the one way a job works through its rows.

A job is an async function of :class:`JobDeps`. :func:`each_in_own_transaction` reads which rows
are due without locking anything, then handles each in a transaction of its own, so one row's
failure leaves the others' work standing and is retried on the next run. A pass with failed rows
ends in :class:`RowsFailed` once every row was tried, so the tick is reported as failed.
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


class RowsFailed(Exception):
    """Some rows of a pass failed (each one logged); ``done`` is what the other rows did."""

    def __init__(self, done: int, failures: list[str]) -> None:
        super().__init__(f"{len(failures)} row(s) failed: {'; '.join(failures)}"[:500])
        self.done = done
        self.failures = failures


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
    next id goes on: the failed row is still due, so the next run tries it again. If any failed,
    :class:`RowsFailed` is raised after the last id.
    """
    async with deps.sessions() as session:
        ids = await due(session)
    done = 0
    failures: list[str] = []
    for row_id in ids:
        try:
            async with deps.sessions.begin() as session:
                done += await step(session, row_id, deps.settings, now)
        except Exception as error:
            log.exception("%s failed; retried next run", what, extra={id_name: row_id})
            failures.append(f"{what} {id_name} {row_id}: {type(error).__name__}: {error}")
    if failures:
        raise RowsFailed(done, failures)
    return done
