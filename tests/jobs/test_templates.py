"""The nightly roll-forward on a real database: a week later each template has one more
occurrence, made by the bot, and a second run the same night makes nothing."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlmodel import col, select

from core.clock import ManualClock
from jobs.runner import JobDeps
from jobs.templates import roll_templates_forward
from planner.recurrence import parse_rule
from storage.database import SessionFactory
from storage.models import Shift
from storage.templates import add_template
from tests.jobs.conftest import NOW, site_with_group


async def _made(sessions: SessionFactory) -> list[tuple[date, str]]:
    async with sessions() as session:
        rows = await session.exec(
            select(col(Shift.occurs_on), col(Shift.created_by)).order_by(col(Shift.occurs_on))
        )
        return list(rows.all())


async def test_a_week_later_the_template_has_one_more_saturday(
    deps: JobDeps, clock: ManualClock
) -> None:
    today = NOW.astimezone(deps.settings.org.zone).date()
    async with deps.sessions.begin() as session:
        site = await site_with_group(session)
        await add_template(
            session=session,
            site=site,
            name="Saturday packing",
            rule=parse_rule("sat"),
            anchor_date=today,
            start_time=time(9),
            end_time=time(12),
            details={"headcount": 2},
            created_by="u-coord",
            now=NOW,
        )

    weeks = deps.settings.schedule.horizon_weeks
    assert await roll_templates_forward(deps) == weeks
    first = await _made(deps.sessions)
    assert len(first) == weeks
    assert all(day.weekday() == 5 for day, _ in first)

    clock.advance(timedelta(weeks=1))
    assert await roll_templates_forward(deps) == 1
    made = await _made(deps.sessions)
    assert made == [*first, (first[-1][0] + timedelta(weeks=1), "dingshift")]

    assert await roll_templates_forward(deps) == 0
    assert await _made(deps.sessions) == made
