"""APScheduler 3.x in the organisation's zone: the jobs are thin triggers; the state is in the
database, so nothing is lost when the process stops and nothing is stored here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.settings import Settings

DUE_WORK_JOB = "due-work"
TEMPLATES_JOB = "expand-templates"


def build_scheduler(
    *,
    settings: Settings,
    due_work: Callable[[], Awaitable[object]],
    expand_templates: Callable[[], Awaitable[object]],
    first_run: datetime,
) -> AsyncIOScheduler:
    """The due-work job every ``schedule.tick_seconds`` (first at ``first_run``, to catch up
    after downtime at once) and the templates' rolling horizon at start-up and every night at
    03:00."""
    scheduler = AsyncIOScheduler(timezone=settings.org.zone)
    scheduler.add_job(
        due_work,
        "interval",
        seconds=settings.schedule.tick_seconds,
        id=DUE_WORK_JOB,
        next_run_time=first_run,
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        expand_templates,
        "cron",
        hour=3,
        id=TEMPLATES_JOB,
        next_run_time=first_run,
        max_instances=1,
        coalesce=True,
    )
    return scheduler
