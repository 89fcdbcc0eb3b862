"""The health view: stream, tasks, outbox backlog and the month's API usage.

The running bot keeps its live state (the stream's and the supervisor's) in memory, serves it on an
optional local HTTP endpoint, and writes it every ``health.snapshot_seconds`` to the database.
``dingshift status``, a separate process, reads that snapshot (and says how old it is) and reads
the outbox and usage tables itself, so it still answers when the bot is down.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web

from bot.supervisor import Supervisor, TaskState
from core.clock import Clock
from core.outgoing import month_of
from core.settings import Settings
from storage.database import SessionFactory
from storage.health import latest_snapshot, save_snapshot
from storage.inbox import unhandled_count
from storage.models import OutboxStatus
from storage.outbox import outbox_backlog
from storage.usage import usage_for

log = logging.getLogger(__name__)

HEALTH_PATH = "/health"


class StreamProbe(Protocol):
    """What the health view reads of bot.stream.StreamConnection (from any thread)."""

    connected: threading.Event

    def last_frame_age_seconds(self) -> float | None: ...

    def thread_alive(self) -> bool: ...

    @property
    def last_system_ping_interval(self) -> float | None: ...


LiveState = Callable[[], dict[str, Any]]
"""The stream's and the tasks' state now, as JSON."""


def live_state(stream: StreamProbe, supervisor: Supervisor) -> dict[str, Any]:
    return {
        "stream": {
            "connected": stream.connected.is_set(),
            "last_frame_age_seconds": stream.last_frame_age_seconds(),
            "thread_alive": stream.thread_alive(),
            "system_ping_interval_seconds": stream.last_system_ping_interval,
        },
        "tasks": [status.as_json() for status in supervisor.statuses()],
    }


def stale_after_seconds(settings: Settings) -> float:
    """A snapshot older than this (three missed writes) means the bot is not running, or cannot
    write to its database."""
    return 3 * settings.health.snapshot_seconds


async def database_health(
    sessions: SessionFactory, settings: Settings, now: datetime
) -> dict[str, Any]:
    """Messages received and not yet answered, the outbox rows by status (partial card
    deliveries show as failed or pending rows) and the month's metered calls against the
    budget."""
    month = month_of(now, settings.org.zone)
    async with sessions() as session:
        unanswered = await unhandled_count(session=session)
        backlog = await outbox_backlog(session=session)
        usage = await usage_for(session=session, month=month)
    oldest = backlog.oldest_pending_at
    return {
        "inbox": {"unanswered": unanswered},
        "outbox": {
            **{str(status): backlog.by_status.get(status, 0) for status in OutboxStatus},
            "oldest_pending_age_seconds": (now - oldest).total_seconds() if oldest else None,
        },
        "api_usage": {
            "month": month,
            "metered_api_calls": usage.metered_api_calls,
            "budget": settings.limits.monthly_api_budget,
        },
    }


async def write_snapshot(sessions: SessionFactory, live: LiveState, wall_clock: Clock) -> None:
    async with sessions.begin() as session:
        await save_snapshot(session=session, written_at=wall_clock.now(), state=live())


async def write_snapshots(
    sessions: SessionFactory, live: LiveState, wall_clock: Clock, every_seconds: float
) -> None:
    """Write the live state every ``every_seconds``, for ever (the first one is written at
    start-up, before anything else runs). A failed write raises: the supervisor shows this task
    backing off and starts it again."""
    while True:
        await asyncio.sleep(every_seconds)
        await write_snapshot(sessions, live, wall_clock)


async def status_report(
    settings: Settings, sessions: SessionFactory, clock: Clock
) -> dict[str, Any]:
    """What ``dingshift status`` shows: the bot's last snapshot (and its age) plus the tables."""
    now = clock.now()
    async with sessions() as session:
        snapshot = await latest_snapshot(session=session)
    report: dict[str, Any] = {"checked_at": now.isoformat()}
    if snapshot is None:
        report["bot"] = {"running": False, "snapshot_age_seconds": None}
    else:
        age = max(0.0, (now - snapshot.written_at).total_seconds())
        report["bot"] = {
            "running": age <= stale_after_seconds(settings),
            "snapshot_age_seconds": age,
        }
        report |= snapshot.state
        frame_age = report["stream"].get("last_frame_age_seconds")
        if frame_age is not None:
            report["stream"]["last_frame_age_seconds"] = frame_age + age
    return report | await database_health(sessions, settings, now)


def healthy(report: dict[str, Any]) -> bool:
    """Running, connected, and every task running: what ``dingshift status`` exits 0 for."""
    if not report["bot"]["running"]:
        return False
    return bool(
        report["stream"]["connected"]
        and all(task["state"] == TaskState.RUNNING for task in report["tasks"])
    )


def render_status(report: dict[str, Any]) -> list[str]:
    """The report as lines for a person at a terminal."""
    bot = report["bot"]
    lines: list[str] = []
    if bot["snapshot_age_seconds"] is None:
        lines.append("bot: not running (it has never written a health snapshot)")
    else:
        age = _duration(bot["snapshot_age_seconds"])
        if bot["running"]:
            lines.append(f"bot: running (health snapshot {age} old)")
        else:
            lines.append(
                f"bot: not running, or it cannot write to the database (health snapshot {age}"
                " old); below is what it last said"
            )
    if "stream" in report:
        stream = report["stream"]
        frame_age = stream["last_frame_age_seconds"]
        last_frame = "never" if frame_age is None else f"{_duration(frame_age)} ago"
        connected = "connected" if stream["connected"] else "NOT connected"
        line = f"stream: {connected}, last frame {last_frame}"
        pings = stream.get("system_ping_interval_seconds")
        if pings is not None:
            line += f", DingTalk pings every {_duration(pings)}"
        lines.append(line)
        lines.extend(_task_line(task) for task in report["tasks"])
    lines.append(f"inbox: {report['inbox']['unanswered']} received, not yet answered")
    outbox = report["outbox"]
    oldest = outbox["oldest_pending_age_seconds"]
    oldest_text = "" if oldest is None else f" (oldest {_duration(oldest)})"
    lines.append(
        f"outbox: {outbox[OutboxStatus.PENDING]} pending{oldest_text},"
        f" {outbox[OutboxStatus.SENT]} sent, {outbox[OutboxStatus.FAILED]} failed,"
        f" {outbox[OutboxStatus.DROPPED]} dropped"
    )
    usage = report["api_usage"]
    lines.append(
        f"API usage {usage['month']}: {usage['metered_api_calls']} of {usage['budget']}"
        " metered calls"
    )
    return lines


def _task_line(task: dict[str, Any]) -> str:
    line = f"task {task['name']}: {task['state']} since {task['since']}"
    if task["state"] == TaskState.BACKING_OFF:
        line += (
            f" ({task['failures']} failure(s) in a row since {task['failing_since']};"
            f" retry in {_duration(task['retry_in_seconds'])}; last error: {task['last_error']})"
        )
    elif task["last_error"]:
        line += f" (last failed {task['last_failure_at']}: {task['last_error']})"
    return line


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass
class HealthEndpoint:
    """``GET /health`` on 127.0.0.1: the live state plus the tables, as JSON."""

    settings: Settings
    sessions: SessionFactory
    live: LiveState
    clock: Clock
    _runner: web.AppRunner | None = field(default=None, init=False)

    async def start(self, port: int) -> int:
        """Listen on ``port`` (0 picks a free one); returns the port."""
        app = web.Application()
        app.router.add_get(HEALTH_PATH, self._health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        bound: int = self._runner.addresses[0][1]
        log.info("health endpoint listening", extra={"port": bound})
        return bound

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _health(self, _request: web.Request) -> web.Response:
        report: dict[str, Any] = {"bot": {"running": True, "snapshot_age_seconds": 0.0}}
        report |= self.live()
        try:
            report |= await database_health(self.sessions, self.settings, self.clock.now())
        except Exception as error:
            # The endpoint is most wanted when the database is failing.
            report["database_error"] = f"{type(error).__name__}: {error}"
        return web.json_response(report, dumps=lambda value: json.dumps(value, default=str))
