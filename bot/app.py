"""Wiring: database, OpenAPI client, outbox sender, dispatcher and the stream connection.

``BotApp`` lives on the application's event loop; the SDK gets its own thread through
:class:`bot.stream.StreamConnection`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.dispatch import Dispatcher
from bot.health import HealthEndpoint, live_state, write_snapshot, write_snapshots
from bot.inbox import Inbox
from bot.outbox import OutboxSender
from bot.supervisor import Supervisor
from core.cards import wire_id
from core.clock import Clock, SystemClock
from core.installation import InstallationTag
from core.openapi import OpenApiClient
from core.outgoing import month_of
from core.router import Router
from core.settings import Settings
from core.taps import TapRouter
from handlers.registry import ALL_COMMANDS, ALL_TAPS
from jobs.runner import JobDeps
from jobs.scheduler import build_scheduler
from jobs.table import DUE_WORK_JOB, JOBS
from storage.database import SessionFactory, create_engine, session_factory, upgrade_schema
from storage.models import MonthlyUsage
from storage.outbox import pending_messages
from storage.usage import usage_for

log = logging.getLogger(__name__)

INBOX_TASK = "inbox-worker"
OUTBOX_TASK = "outbox-sender"
HEALTH_SNAPSHOT_TASK = "health-snapshot"


def build_dispatcher(
    *,
    sessions: SessionFactory,
    settings: Settings,
    clock: Clock,
    installation: InstallationTag,
    on_committed: Callable[[], None],
) -> Dispatcher:
    """The dispatcher with every command and every card button: the one place that builds it."""
    return Dispatcher(
        sessions=sessions,
        settings=settings,
        clock=clock,
        commands=Router(ALL_COMMANDS),
        taps=TapRouter(ALL_TAPS),
        installation=installation,
        on_committed=on_committed,
    )


class BotApp:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.supervisor = Supervisor(clock=self.clock)
        self.engine = create_engine(settings.database.url)
        self.sessions = session_factory(self.engine)
        self.client = OpenApiClient(settings.dingtalk)
        # One for the whole bot: read (or made) once, by whichever part needs it first.
        self.installation = InstallationTag(self.sessions, self.clock)
        self.outbox = OutboxSender(
            sessions=self.sessions,
            client=self.client,
            settings=settings,
            clock=self.clock,
            installation=self.installation,
        )
        self.dispatcher = build_dispatcher(
            sessions=self.sessions,
            settings=settings,
            clock=self.clock,
            installation=self.installation,
            on_committed=self.outbox.wake,
        )
        self.inbox = Inbox(
            sessions=self.sessions,
            settings=settings,
            clock=self.clock,
            handle=self.dispatcher.handle_inbox_message,
            give_up=self.dispatcher.give_up_inbox_message,
        )
        self._sender_task: asyncio.Task[None] | None = None
        self._inbox_task: asyncio.Task[None] | None = None
        self.job_deps = JobDeps(
            sessions=self.sessions,
            settings=settings,
            clock=self.clock,
            client=self.client,
            wake_outbox=self.outbox.wake,
        )
        # Each tick guarded: a failing job is logged, shown as backing off, and tried next tick.
        self._jobs = {
            job.name: dataclasses.replace(job, run=self.supervisor.guard_tick(job.name, job.run))
            for job in JOBS
        }
        self.scheduler = build_scheduler(
            self._jobs.values(), self.job_deps, first_run=SystemClock().now()
        )
        self.stopped = False
        # This database's tag in every card id DingTalk sees (core.cards.wire_id); set by start().
        self.installation_tag = ""
        # Imported here: the SDK binds DINGTALK_OPENAPI_ENDPOINT when first imported, and callers
        # such as `dingshift demo` set it only after they know the sandbox's port.
        from bot.stream import StreamConnection

        self.stream = StreamConnection(
            settings.dingtalk,
            on_message=self.inbox.receive,
            on_card_tap=self.dispatcher.on_card_tap,
            app_loop=asyncio.get_running_loop(),
            clock=self.clock,
        )
        self.health_endpoint = HealthEndpoint(settings, self.sessions, self.live_state, self.clock)
        self.health_port: int | None = None
        """Where the health endpoint listens, when health.http_port is set."""

    def live_state(self) -> dict[str, Any]:
        """The stream's and every supervised task's state now (the health view's live part)."""
        return live_state(self.stream, self.supervisor)

    async def start(self) -> None:
        await upgrade_schema(self.engine)
        self.installation_tag = await self.installation.get()
        if self.settings.health.http_port:
            # First: a port already taken stops the start before any work has begun.
            self.health_port = await self.health_endpoint.start(self.settings.health.http_port)
        # The snapshot's age is read by another process: real time, whatever self.clock is.
        wall_clock = SystemClock()
        # Written before anything else runs, so that `dingshift status` sees the bot at once.
        try:
            await write_snapshot(self.sessions, self.live_state, wall_clock)
        except SQLAlchemyError:
            log.exception("the first health snapshot could not be written; tried again later")
        self._inbox_task = self.supervisor.start(INBOX_TASK, self.inbox.run)
        self._sender_task = self.supervisor.start(OUTBOX_TASK, self.outbox.run)
        self.supervisor.start(
            HEALTH_SNAPSHOT_TASK,
            lambda: write_snapshots(
                self.sessions, self.live_state, wall_clock, self.settings.health.snapshot_seconds
            ),
        )
        self.scheduler.start()
        self.stream.start()
        log.info(
            "bot started",
            extra={
                "api_base": self.settings.dingtalk.api_base,
                "installation": self.installation_tag,
            },
        )

    def card_on_wire(self, card_id: str) -> str:
        """The id DingTalk knows the card ``card_id`` by (``ds-<installation>-confirm-42``)."""
        return wire_id(card_id, self.installation_tag)

    async def wait_until_connected(self, within_seconds: float = 15.0) -> None:
        if not await asyncio.to_thread(self.stream.connected.wait, within_seconds):
            raise TimeoutError(f"no stream connection within {within_seconds} s")

    async def _finish(self, task: asyncio.Task[None] | None, deadline: float) -> bool:
        """Wait for ``task`` (asked to finish) until the loop's time ``deadline``, else cancel
        it; True if it got through. Whatever it had not done is still in the database."""
        if task is None:
            return True
        timeout = max(0.0, deadline - asyncio.get_running_loop().time())
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if done:
            return True
        # A send in flight may be repeated after the restart; a message being answered rolls
        # back and is answered after the restart.
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False

    async def run_job(self, name: str) -> int:
        """Run the job ``name`` of jobs.table now, as its scheduler tick would (demo and tests):
        supervised, so a failure is logged, shown as backing off and returns 0."""
        return await self._jobs[name].run(self.job_deps)

    async def run_due_work(self) -> int:
        """The due-work job now: what the demo and the tests call after moving the clock."""
        return await self.run_job(DUE_WORK_JOB)

    async def wait_until_outbox_empty(self, within_seconds: float = 10.0) -> None:
        """Until every received message has been answered and every queued message has been
        sent or given up (demo and tests)."""
        async with asyncio.timeout(within_seconds):
            while True:
                if not await self.inbox.unhandled():
                    async with self.sessions() as session:
                        if not await pending_messages(session=session):
                            return
                await asyncio.sleep(0.02)

    async def usage_this_month(self) -> MonthlyUsage:
        return await self.usage_in(month_of(self.clock.now(), self.settings.org.zone))

    async def usage_in(self, month: str) -> MonthlyUsage:
        """The bot's own count of metered calls and stream deliveries in ``month`` (YYYY-MM)."""
        async with self.sessions() as session:
            return await usage_for(session=session, month=month)

    async def stop(self) -> None:
        """Stop taking frames, send what is queued for a moment, keep the rest for next start."""
        self.stopped = True
        self.scheduler.shutdown(wait=False)
        stopped = await asyncio.to_thread(self.stream.stop)
        if not stopped:
            log.warning("stream thread did not end in time; abandoning it (daemon)")
        # Answer what was received, then send what is due, within the flush time. The inbox
        # gets at most half of it, so that after a burst the replies it queued still get time
        # to go out; messages it had no time for are answered after the next start.
        budget = self.settings.limits.shutdown_flush_seconds
        started = asyncio.get_running_loop().time()
        self.inbox.finish()
        answered = await self._finish(self._inbox_task, started + budget / 2)
        self.outbox.finish()
        flushed = await self._finish(self._sender_task, started + budget)
        await self.supervisor.stop()
        await self.health_endpoint.stop()
        await self.client.close()
        await self.engine.dispose()
        log.info("bot stopped", extra={"inbox_answered": answered, "outbox_flushed": flushed})
