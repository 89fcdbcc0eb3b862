"""Keeps the bot's long-running work alive through failures, and says how each piece is doing.

A database that refuses writes (disk full, read-only, a lock timeout) must not end the outbox
sender or a job for good while the bot goes on taking commands. Every long-running task runs under
one :class:`Supervisor`: a failure is logged, the task waits (exponential, capped) and is started
again; a scheduled job's failed tick is logged and tried again at its next tick. Each task's
:class:`TaskStatus` (running, backing off with its last error and since when, stopped) is what the
health view shows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from core.clock import Clock

log = logging.getLogger(__name__)

FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 60.0

Sleep = Callable[[float], Awaitable[None]]
Argument = TypeVar("Argument")


class TaskState(StrEnum):
    RUNNING = "running"
    BACKING_OFF = "backing off"
    STOPPED = "stopped"


@dataclass(frozen=True)
class TaskStatus:
    name: str
    state: TaskState
    since: datetime
    """When the task entered ``state``."""
    failures: int = 0
    """Failures in a row; a task that ran well for a while starts counting afresh."""
    failing_since: datetime | None = None
    """The first failure of those in a row."""
    last_error: str | None = None
    last_failure_at: datetime | None = None
    retry_in_seconds: float | None = None
    """While backing off: how long the wait was set to when it began."""

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": str(self.state),
            "since": self.since.isoformat(),
            "failures": self.failures,
            "failing_since": self.failing_since.isoformat() if self.failing_since else None,
            "last_error": self.last_error,
            "last_failure_at": self.last_failure_at.isoformat() if self.last_failure_at else None,
            "retry_in_seconds": self.retry_in_seconds,
        }


def backoff_seconds(failures: int, *, first: float, cap: float) -> float:
    """``first``, twice that, four times ... up to ``cap``, for the ``failures``-th failure."""
    return min(cap, first * 2.0 ** min(max(failures - 1, 0), 30))


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


class Supervisor:
    """Runs tasks and guards job ticks; ``sleep`` and ``monotonic`` are injected for tests."""

    def __init__(
        self,
        *,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        first_delay: float = FIRST_DELAY_SECONDS,
        max_delay: float = MAX_DELAY_SECONDS,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._monotonic = monotonic
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._statuses: dict[str, TaskStatus] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def statuses(self) -> list[TaskStatus]:
        return list(self._statuses.values())

    def status(self, name: str) -> TaskStatus:
        return self._statuses[name]

    def start(self, name: str, work: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run ``work`` until it returns; each time it raises, log, back off and run it again."""
        task = asyncio.create_task(self.keep_running(name, work), name=name)
        self._tasks[name] = task
        return task

    async def keep_running(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        self._enter(name, TaskState.RUNNING)
        try:
            while True:
                started = self._monotonic()
                try:
                    await work()
                except Exception as error:
                    # A run that lasted longer than the longest wait was healthy for a while:
                    # the next wait starts short again.
                    if self._monotonic() - started >= self._max_delay:
                        self._recovered(name)
                    delay = self._failed(name, error, retry="after backoff")
                    await self._sleep(delay)
                    self._enter(name, TaskState.RUNNING)
                else:
                    return
        finally:
            self._enter(name, TaskState.STOPPED)

    def guard_tick(
        self, name: str, run: Callable[[Argument], Awaitable[int]]
    ) -> Callable[[Argument], Awaitable[int]]:
        """``run`` (a scheduled job) as a tick that never raises: a failure is logged and shown
        as backing off, and the job's next tick is its retry."""
        self._enter(name, TaskState.RUNNING)

        async def tick(argument: Argument) -> int:
            try:
                done = await run(argument)
            except Exception as error:
                self._failed(name, error, retry="at the next tick")
                return 0
            if self._statuses[name].state is not TaskState.RUNNING:
                self._enter(name, TaskState.RUNNING)
            self._recovered(name)
            return done

        return tick

    async def stop(self) -> None:
        """Cancel every task started here that is still running."""
        running = [task for task in self._tasks.values() if not task.done()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def _recovered(self, name: str) -> None:
        self._statuses[name] = replace(self._statuses[name], failures=0, failing_since=None)

    def _failed(self, name: str, error: Exception, *, retry: str) -> float:
        previous = self._statuses[name]
        failures = previous.failures + 1
        delay = backoff_seconds(failures, first=self._first_delay, cap=self._max_delay)
        log.exception(
            "%s failed; retried %s",
            name,
            retry,
            extra={"task": name, "failures": failures, "retry_in_seconds": delay},
        )
        now = self._clock.now()
        self._statuses[name] = TaskStatus(
            name=name,
            state=TaskState.BACKING_OFF,
            since=now,
            failures=failures,
            failing_since=previous.failing_since or now,
            last_error=describe(error),
            last_failure_at=now,
            retry_in_seconds=delay,
        )
        return delay

    def _enter(self, name: str, state: TaskState) -> None:
        previous = self._statuses.get(name)
        now = self._clock.now()
        if previous is None:
            self._statuses[name] = TaskStatus(name=name, state=state, since=now)
            return
        # The last error stays visible after recovery: "running, last failed at ...".
        self._statuses[name] = replace(previous, state=state, since=now, retry_in_seconds=None)
