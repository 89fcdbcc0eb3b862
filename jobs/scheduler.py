"""APScheduler 3.x in the organisation's zone, one job per row of jobs.table: the jobs are thin
triggers; the state is in the database, so nothing is lost when the process stops and nothing is
stored here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from jobs.runner import JobDeps
from jobs.table import Job


def build_scheduler(
    jobs: Iterable[Job], deps: JobDeps, *, first_run: datetime
) -> AsyncIOScheduler:
    """Each job on its own trigger, and first at ``first_run`` (the real time the bot is built:
    APScheduler runs on the wall clock, whatever clock the bot's rules are given), to catch up
    after downtime at once. However late the scheduler starts after that, the first runs still
    happen (no misfire grace limit); runs missed meanwhile are coalesced into one, and a job
    never runs twice at once."""
    scheduler = AsyncIOScheduler(timezone=deps.settings.org.zone)
    for job in jobs:
        scheduler.add_job(
            job.run,
            job.trigger(deps.settings),
            args=(deps,),
            id=job.name,
            next_run_time=first_run,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
    return scheduler
