"""Roster-sized data on a SQLite file: the reference NGO's 8 sites and 320 volunteers.

Two measurements:

- expansion: 8 sites x 3 shift templates expanded over a 52-week horizon into concrete shifts
  (``storage.templates.expand_all_templates``, one transaction), then the same expansion again,
  which must create nothing;
- a week's roster: with a year of daily shifts at every site and the 320 volunteers assigned
  round-robin, the time to list one week's shifts with their seat counts
  (``storage.shifts.shifts_between``), and to list the people on each of them too.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bench.harness import spread
from planner.recurrence import parse_rule
from storage.database import SessionFactory, create_engine, session_factory, upgrade_schema
from storage.models import Assignment, AssignmentState, Shift, Site, Volunteer
from storage.shifts import people_on, shifts_between
from storage.templates import add_template, expand_all_templates
from tests.simulation import DISTRICTS, ZONE, local

SITES = 8
VOLUNTEERS = 320
WEEKS = 52
HEADCOUNT = 6
TEMPLATES = (  # (name, rule, start, end): 3 per site
    ("Sat packing", "sat", clock_time(9), clock_time(12)),
    ("Weekday meals", "mon,wed,fri", clock_time(17), clock_time(20)),
    ("Fortnightly visits", "2w:sun", clock_time(14), clock_time(17)),
)
BY = "bench"


async def _add_sites(session: AsyncSession, now: datetime) -> list[Site]:
    sites = [
        Site(
            code=f"S{index}",
            name=f"Site {index}",
            district=DISTRICTS[index],
            created_by=BY,
            created_at=now,
        )
        for index in range(SITES)
    ]
    session.add_all(sites)
    await session.flush()
    return sites


async def _timed(label: str, work: Callable[[], Awaitable[int]], unit: str) -> float:
    started = time.perf_counter()
    count = await work()
    seconds = time.perf_counter() - started
    print(f"{label:<34} {seconds * 1000:9.1f} ms  ({count} {unit})")
    return seconds


async def bench_expansion(sessions: SessionFactory) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    async with sessions.begin() as session:
        for site in await _add_sites(session, now):
            for name, rule, start, end in TEMPLATES:
                await add_template(
                    session=session,
                    site=site,
                    name=name,
                    rule=parse_rule(rule),
                    anchor_date=today,
                    start_time=start,
                    end_time=end,
                    details={"headcount": HEADCOUNT},
                    created_by=BY,
                    now=now,
                )

    async def expand_all() -> int:
        async with sessions.begin() as session:
            created = await expand_all_templates(
                session=session,
                today=today,
                zone=ZONE,
                horizon=timedelta(weeks=WEEKS),
                created_by=BY,
                now=now,
            )
            return sum(len(shifts) for shifts in created.values())

    label = f"expand {SITES} sites x {len(TEMPLATES)} templates x {WEEKS} weeks"
    await _timed(label, expand_all, "shifts created")
    await _timed("expand again (nothing to create)", expand_all, "shifts created")


async def _seed_roster(sessions: SessionFactory, first_day: date) -> None:
    """A year of one daily shift per site from ``first_day``, volunteers assigned round-robin."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        sites = await _add_sites(session, now)
        session.add_all(
            Volunteer(
                staff_id=f"v{index:03d}",
                nickname=f"Volunteer {index}",
                districts=[DISTRICTS[index % SITES]],
                languages=["yue"],
                registered_at=now,
                updated_at=now,
            )
            for index in range(VOLUNTEERS)
        )
        shifts = []
        for offset in range(WEEKS * 7):
            day = first_day + timedelta(days=offset)
            for site in sites:
                assert site.id is not None
                shifts.append(
                    Shift(
                        site_id=site.id,
                        occurs_on=day,
                        starts_at=local(day, clock_time(9)),
                        ends_at=local(day, clock_time(12)),
                        headcount=HEADCOUNT,
                        created_by=BY,
                        created_at=now,
                        updated_at=now,
                    )
                )
        session.add_all(shifts)
        await session.flush()
        volunteer_ids = list(
            (await session.exec(select(Volunteer.id).order_by(col(Volunteer.id)))).all()
        )
        # Each day's 8 x 6 seats take the next 48 volunteers in turn: nobody twice a day.
        seat = 0
        assignments = []
        for shift in shifts:
            for _ in range(HEADCOUNT):
                assignments.append(
                    {
                        "shift_id": shift.id,
                        "volunteer_id": volunteer_ids[seat % VOLUNTEERS],
                        "state": AssignmentState.INVITED,
                        "assigned_by": BY,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                seat += 1
        # A bulk insert: this is the set-up, not what is measured.
        await (await session.connection()).execute(insert(Assignment), assignments)


def _stats(label: str, seconds: list[float], detail: str) -> None:
    millis = [value * 1000 for value in seconds]
    print(f"{label:<34} {spread(millis, p99=False, decimals=2)}  ({detail}, {len(millis)} runs)")


async def bench_week_roster(sessions: SessionFactory, runs: int = 20) -> None:
    first_day = datetime.now(UTC).astimezone(ZONE).date()
    started = time.perf_counter()
    await _seed_roster(sessions, first_day)
    seeded = time.perf_counter() - started
    shifts_total = WEEKS * 7 * SITES
    print(
        f"{'seed a year of daily shifts':<34} {seeded * 1000:9.1f} ms  ({shifts_total} shifts, "
        f"{shifts_total * HEADCOUNT} assignments, {VOLUNTEERS} volunteers)"
    )
    week = (first_day + timedelta(weeks=20), first_day + timedelta(weeks=20, days=6))
    summary_times, roster_times = [], []
    listed = people = 0
    for _ in range(runs):
        async with sessions() as session:
            started = time.perf_counter()
            summaries = await shifts_between(session=session, first_day=week[0], last_day=week[1])
            summary_times.append(time.perf_counter() - started)
            listed = len(summaries)
        async with sessions() as session:
            started = time.perf_counter()
            summaries = await shifts_between(session=session, first_day=week[0], last_day=week[1])
            people = 0
            for summary in summaries:
                assert summary.shift.id is not None
                people += len(await people_on(session=session, shift_id=summary.shift.id))
            roster_times.append(time.perf_counter() - started)
    _stats("a week's shifts (shifts_between)", summary_times, f"{listed} shifts")
    _stats("a week's roster (+ people_on each)", roster_times, f"{people} assignments")


async def run_roster() -> None:
    print("roster data on SQLite (file database)")
    with tempfile.TemporaryDirectory(prefix="dingshift-bench-") as data_dir:
        for name, bench in (("expand", bench_expansion), ("roster", bench_week_roster)):
            engine = create_engine(f"sqlite+aiosqlite:///{Path(data_dir) / name}.db")
            try:
                await upgrade_schema(engine)
                await bench(session_factory(engine))
            finally:
                await engine.dispose()
