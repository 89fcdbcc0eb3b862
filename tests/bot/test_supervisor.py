"""The supervisor on an injected sleep, monotonic time and clock: failure -> backoff -> resume."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.supervisor import Supervisor, TaskState, TaskStatus, backoff_seconds
from core.clock import ManualClock

START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


class Sleeper:
    """Records each wait and moves the clock and monotonic time by it instead of sleeping."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.monotonic_now = 0.0
        self.waits: list[float] = []
        self.states_while_waiting: list[TaskState] = []
        self.supervisor: Supervisor | None = None

    async def sleep(self, seconds: float) -> None:
        assert self.supervisor is not None
        self.states_while_waiting.append(self.supervisor.status("work").state)
        self.waits.append(seconds)
        self.pass_time(seconds)

    def pass_time(self, seconds: float) -> None:
        self.monotonic_now += seconds
        self.clock.advance(timedelta(seconds=seconds))

    def monotonic(self) -> float:
        return self.monotonic_now


@pytest.fixture
def sleeper() -> Sleeper:
    return Sleeper(ManualClock(START))


@pytest.fixture
def supervisor(sleeper: Sleeper) -> Supervisor:
    supervisor = Supervisor(
        clock=sleeper.clock,
        sleep=sleeper.sleep,
        monotonic=sleeper.monotonic,
        first_delay=1.0,
        max_delay=8.0,
    )
    sleeper.supervisor = supervisor
    return supervisor


def test_backoff_doubles_from_the_first_delay_up_to_the_cap() -> None:
    delays = [backoff_seconds(failures, first=1.0, cap=60.0) for failures in range(1, 9)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert backoff_seconds(10_000, first=1.0, cap=60.0) == 60.0


async def test_a_failing_task_backs_off_and_resumes_until_it_returns(
    supervisor: Supervisor, sleeper: Sleeper, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[TaskState] = []

    async def work() -> None:
        runs.append(supervisor.status("work").state)
        if len(runs) <= 5:
            raise OSError("database or disk is full")

    with caplog.at_level(logging.ERROR, logger="bot.supervisor"):
        await supervisor.start("work", work)

    assert runs == [TaskState.RUNNING] * 6, "each run starts with the task shown running"
    assert sleeper.waits == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert sleeper.states_while_waiting == [TaskState.BACKING_OFF] * 5
    assert [record.getMessage() for record in caplog.records] == [
        "work failed; retried after backoff"
    ] * 5
    assert caplog.records[0].exc_info is not None
    status = supervisor.status("work")
    assert status.state is TaskState.STOPPED
    assert status.last_error == "OSError: database or disk is full"
    assert status.failures == 5
    assert status.failing_since == START
    assert status.last_failure_at == START + timedelta(seconds=15)


async def test_backing_off_shows_the_error_since_when_and_the_wait(sleeper: Sleeper) -> None:
    seen: list[TaskStatus] = []

    async def record_state(seconds: float) -> None:
        seen.append(watching.status("work"))
        sleeper.pass_time(seconds)

    watching = Supervisor(clock=sleeper.clock, sleep=record_state, monotonic=sleeper.monotonic)
    failures = iter([RuntimeError("locked"), RuntimeError("still locked")])

    async def work() -> None:
        error = next(failures, None)
        if error is not None:
            raise error

    await watching.start("work", work)
    first, second = seen
    assert (first.state, first.since, first.failures) == (TaskState.BACKING_OFF, START, 1)
    assert (first.last_error, first.retry_in_seconds) == ("RuntimeError: locked", 1.0)
    later = START + timedelta(seconds=1)
    assert (second.since, second.failing_since, second.failures) == (later, START, 2)
    assert second.retry_in_seconds == 2.0


async def test_a_task_that_ran_well_for_a_while_starts_its_backoff_afresh(
    supervisor: Supervisor, sleeper: Sleeper
) -> None:
    runs = 0

    async def work() -> None:
        nonlocal runs
        runs += 1
        if runs == 3:
            sleeper.pass_time(30.0)  # healthy for longer than the longest wait
        if runs <= 4:
            raise ConnectionError("reset")

    await supervisor.start("work", work)
    assert sleeper.waits == [1.0, 2.0, 1.0, 2.0]


async def test_a_cancelled_task_is_shown_stopped(supervisor: Supervisor) -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    supervisor.start("work", forever)
    await started.wait()
    assert supervisor.status("work").state is TaskState.RUNNING
    await supervisor.stop()
    assert supervisor.status("work").state is TaskState.STOPPED


async def test_a_failing_tick_is_logged_shown_backing_off_and_recovers_on_the_next(
    supervisor: Supervisor, sleeper: Sleeper, caplog: pytest.LogCaptureFixture
) -> None:
    outcomes: list[Exception | int] = [PermissionError("readonly database"), OSError("full"), 3]

    async def job(argument: str) -> int:
        assert argument == "deps"
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    tick = supervisor.guard_tick("due-work", job)
    assert supervisor.status("due-work").state is TaskState.RUNNING

    with caplog.at_level(logging.ERROR, logger="bot.supervisor"):
        assert await tick("deps") == 0
        sleeper.pass_time(60)
        assert await tick("deps") == 0
    assert [record.getMessage() for record in caplog.records] == [
        "due-work failed; retried at the next tick"
    ] * 2
    failing = supervisor.status("due-work")
    assert failing.state is TaskState.BACKING_OFF
    assert (failing.failures, failing.failing_since) == (2, START)
    assert failing.last_error == "OSError: full"

    sleeper.pass_time(60)
    assert await tick("deps") == 3
    recovered = supervisor.status("due-work")
    assert recovered.state is TaskState.RUNNING
    assert recovered.since == START + timedelta(seconds=120)
    assert (recovered.failures, recovered.failing_since) == (0, None)
    assert recovered.last_error == "OSError: full", "the last error stays visible"
    assert sleeper.waits == [], "a tick never sleeps: its next tick is the retry"
