"""APScheduler 3.x in the organisation's zone: the jobs are thin triggers; the state is in the
database, so nothing is lost when the process stops and nothing is stored here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.settings import Settings

DUE_WORK_JOB = "due-work"
TEMPLATES_JOB = "expand-templates"


def build_scheduler(
    *,
    settings: Settings,
    due_work: Callable[[], Awaitable[object]],
    expand_templates: Callable[[], Awaitable[object]],
    first_run: datetime,
) -> AsyncIOScheduler:
    """The due-work job every ``schedule.tick_seconds`` and the templates' rolling horizon every
    night at 03:00, both first at ``first_run`` (the real time the bot is built: APScheduler
    runs on the wall clock, whatever clock the bot's rules are given), to catch up after
    downtime at once. However late the scheduler starts after that, the first runs still
    happen (no misfire grace limit); runs missed meanwhile are coalesced into one."""
    scheduler = AsyncIOScheduler(timezone=settings.org.zone)
    scheduler.add_job(
        due_work,
        "interval",
        seconds=settings.schedule.tick_seconds,
        id=DUE_WORK_JOB,
        next_run_time=first_run,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        expand_templates,
        "cron",
        hour=3,
        id=TEMPLATES_JOB,
        next_run_time=first_run,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    return scheduler
