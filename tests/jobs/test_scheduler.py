"""The scheduler is the table: one APScheduler job per row, each with today's guarantees (a
start-up run, no misfire grace, coalesced catch-up, one instance at a time, the org's zone).
That the jobs really fire on their own: tests/e2e/test_scheduler.py."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs.runner import JobDeps
from jobs.scheduler import build_scheduler
from jobs.table import DUE_WORK_JOB, JOBS, TEMPLATES_JOB
from tests.jobs.conftest import NOW


def test_the_scheduler_has_one_job_per_table_row(deps: JobDeps) -> None:
    scheduler = build_scheduler(JOBS, deps, first_run=NOW)
    scheduled = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(scheduled) == sorted(job.name for job in JOBS)
    assert len(scheduled) == len(JOBS)
    for row in JOBS:
        job = scheduled[row.name]
        assert (job.func, job.args) == (row.run, (deps,))
        assert job.next_run_time == NOW
        assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, None)
        assert job.trigger.timezone == deps.settings.org.zone
    assert scheduler.timezone == deps.settings.org.zone


def test_due_work_ticks_and_templates_roll_forward_at_three_at_night(deps: JobDeps) -> None:
    scheduler = build_scheduler(JOBS, deps, first_run=NOW)
    due_work = scheduler.get_job(DUE_WORK_JOB).trigger
    assert isinstance(due_work, IntervalTrigger)
    assert due_work.interval == timedelta(seconds=deps.settings.schedule.tick_seconds)
    templates = scheduler.get_job(TEMPLATES_JOB).trigger
    assert isinstance(templates, CronTrigger)
    after = NOW.astimezone(deps.settings.org.zone)
    fire = templates.get_next_fire_time(None, after)
    assert (fire.date(), fire.hour, fire.minute) == (after.date() + timedelta(days=1), 3, 0)
