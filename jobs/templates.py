"""The nightly roll-forward: every active template's shifts are kept ``schedule.horizon_weeks``
ahead, so a template made once goes on making its shifts week after week."""

from __future__ import annotations

from datetime import timedelta

from jobs.runner import JobDeps
from storage.templates import expand_all_templates

ROLLED_FORWARD_BY = "dingshift"
"""``created_by`` of the shifts this job makes (a coordinator's name on those made by hand)."""


async def roll_templates_forward(deps: JobDeps) -> int:
    """Create every template's shifts due within the horizon from today; returns how many.

    Expanding only makes the dates that have no shift yet, so running twice makes nothing more.
    """
    now = deps.clock.now()
    zone = deps.settings.org.zone
    async with deps.sessions.begin() as session:
        created = await expand_all_templates(
            session=session,
            today=now.astimezone(zone).date(),
            zone=zone,
            horizon=timedelta(weeks=deps.settings.schedule.horizon_weeks),
            created_by=ROLLED_FORWARD_BY,
            now=now,
        )
    return sum(len(shifts) for shifts in created.values())
