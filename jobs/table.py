"""Every scheduled job, one row each: its name, when it runs, and the function it runs.

Adding a job is its function (taking :class:`jobs.runner.JobDeps`), a row here and a test; the
scheduler (jobs.scheduler) and ``BotApp.run_job`` take every job from this table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.settings import Settings
from jobs.lifecycle import run_due_work
from jobs.runner import JobDeps
from jobs.templates import roll_templates_forward


@dataclass(frozen=True)
class Job:
    name: str
    trigger: Callable[[Settings], BaseTrigger]
    """When it runs after its start-up run, in the organisation's zone."""
    run: Callable[[JobDeps], Awaitable[int]]
    """Does what is due at the deps' clock's now; returns how much it did."""


def every_tick(settings: Settings) -> BaseTrigger:
    return IntervalTrigger(seconds=settings.schedule.tick_seconds, timezone=settings.org.zone)


def nightly(settings: Settings) -> BaseTrigger:
    """03:00, when nobody is on a shift or typing commands."""
    return CronTrigger(hour=3, timezone=settings.org.zone)


DUE_WORK_JOB = "due-work"
TEMPLATES_JOB = "expand-templates"

JOBS: tuple[Job, ...] = (
    Job(DUE_WORK_JOB, every_tick, run_due_work),
    Job(TEMPLATES_JOB, nightly, roll_templates_forward),
)


def job_named(name: str) -> Job:
    [job] = [job for job in JOBS if job.name == name]
    return job
