"""A simulated month of the reference NGO, and what it costs against the Standard edition's quota.

The reference case: 8 sites (each with its sandbox group), 40 volunteers each (320), one shift a
day at every site with 6 people booked, published by the coordinator every Sunday evening for the
week after next. The bot runs in this process on a ManualClock, through the real SDK and the
sandbox, on a SQLite file; the driver (tests.simulation) steps through June 2026 in one-hour
steps after a week's warm-up (so that the month starts in a steady state) and plays the people:

- each confirm card: 85% tap Confirm and 10% Can't make it within a day; 5% never answer;
- each backfill offer a decline opens: taken by its volunteer with a chance of 30%, within its
  six hours (the first tap wins the seat);
- about 100 messages a month from volunteers in their groups: 60% ``/me``, 40% ``/help``.

It prints the bot's own counters for June (``BotApp.usage_in``: metered OpenAPI calls, stream
deliveries, session-webhook replies) against the Standard edition's 5,000 calls and 3,000
deliveries a month, the calls broken down by message kind from the outbox rows sent in June, and
the sandbox's own count of both as a cross-check. A month over budget is reported, with the kinds
that dominate; the benchmark never changes the bot to fit.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import select

from bench.harness import bot_on_sandbox
from core.clock import ManualClock
from core.outgoing import ReplyMessage, outgoing_message
from sandbox import Sandbox
from storage.models import MonthlyUsage, OutboxMessage, OutboxStatus
from tests.simulation import (
    COORDINATOR,
    TEMPLATE_ID,
    ZONE,
    Action,
    Answering,
    InProcessBot,
    OfferTaking,
    Scenario,
    Simulation,
    metered,
    metered_requests,
    plan_messages,
    plan_publications,
    plan_taps,
    row_label,
    sandbox_on_simulated_time,
    seed_org,
)

MONTH = "2026-06"
MONTH_START = datetime(2026, 6, 1, tzinfo=ZONE)
MONTH_END = datetime(2026, 7, 1, tzinfo=ZONE)
WARM_UP = datetime(2026, 5, 24, 18, tzinfo=ZONE)  # a Sunday evening
FIRST_DAY = date(2026, 5, 25)
LAST_DAY = date(2026, 7, 12)
API_BUDGET = 5000
STEP = timedelta(hours=1)
"""Coarser than the tests' 30 minutes: the month has 900 steps, and answers within the hour are
as good as on the half hour for counting what they cost."""
STREAM_BUDGET = 3000
SCENARIO = Scenario(
    sites=8,
    volunteers_per_site=40,
    headcount=6,
    first_day=FIRST_DAY,
    days=(LAST_DAY - FIRST_DAY).days + 1,
    seed=20260601,
)
ANSWERING = Answering(confirm=0.85, decline=0.10, within=timedelta(hours=24))
OFFERS = OfferTaking(share=0.3, within=timedelta(hours=6))
MESSAGES = 100
MESSAGE_TEXTS = (("/me", 0.6), ("/help", 0.4))
SEED = 20260601


def _publications() -> list[tuple[datetime, date, date]]:
    """At the start the first two weeks; then every Sunday at 18:00 the week after next."""
    first_monday = FIRST_DAY
    publications = [(WARM_UP, first_monday, first_monday + timedelta(days=13))]
    sunday = WARM_UP + timedelta(days=7)
    while sunday < MONTH_END:
        monday = sunday.date() + timedelta(days=8)
        publications.append((sunday, monday, min(monday + timedelta(days=6), LAST_DAY)))
        sunday += timedelta(days=7)
    return publications


def _share(part: int, whole: int) -> str:
    return f"{part / whole:6.1%}" if whole else "     -"


async def run_month() -> None:
    # The bot's scheduler runs on the wall clock and finds its simulated first run long past.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    clock = ManualClock(WARM_UP)
    async with bot_on_sandbox(
        card_template_id=TEMPLATE_ID,
        clock=clock,
        org={"admins": [COORDINATOR]},
        schedule={"tick_seconds": 3600},
    ) as (sandbox, app):
        started = time.perf_counter()
        org = await seed_org(sessions=app.sessions, sb=sandbox, scenario=SCENARIO, now=WARM_UP)
        until = MONTH_END - STEP
        actions: list[Action] = [
            *plan_publications(org, _publications()),
            *(
                tap
                for tap in plan_taps(
                    org, ANSWERING, step=STEP, seed=SEED, published_at=WARM_UP + STEP
                )
                if tap.at <= until
            ),
            *plan_messages(
                org,
                count=MESSAGES,
                between=(MONTH_START, MONTH_END),
                texts=MESSAGE_TEXTS,
                seed=SEED + 1,
                step=STEP,
            ),
        ]
        seeded = time.perf_counter() - started
        simulation = Simulation(
            sandbox,
            app.sessions,
            InProcessBot(app, clock),
            actions,
            step=STEP,
            offers=OFFERS,
            seed=SEED,
        )
        simulation.mark("month", MONTH_START)
        with sandbox_on_simulated_time(clock.now):
            await simulation.run(WARM_UP, until)
        ended = time.monotonic()
        usage = await app.usage_in(MONTH)
        async with app.sessions() as session:
            rows = list(
                (
                    await session.exec(
                        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
                    )
                ).all()
            )
        wall = time.perf_counter() - started
    june = [
        row
        for row in rows
        if row.sent_at is not None and MONTH_START <= row.sent_at.astimezone(ZONE) < MONTH_END
    ]
    _report(
        MonthRun(sandbox, simulation, usage, june, simulation.marks["month"], ended, seeded, wall)
    )


@dataclass(frozen=True)
class MonthRun:
    sandbox: Sandbox
    simulation: Simulation
    usage: MonthlyUsage
    june: list[OutboxMessage]
    """Outbox rows sent in the month."""
    began: float
    ended: float
    """The month's first and last moment, on the monotonic clock the sandbox's records use."""
    seeded: float
    wall: float


def _report(run: MonthRun) -> None:
    sandbox, simulation, usage, june = run.sandbox, run.simulation, run.usage, run.june
    began, ended = run.began, run.ended
    shifts = SCENARIO.sites * 30
    print(
        f"a simulated month of the reference case: {SCENARIO.sites} sites x"
        f" {SCENARIO.volunteers_per_site} volunteers, one {SCENARIO.headcount}-person shift per"
        f" site per day ({shifts} shifts in {MONTH}), published weekly; in-process on SQLite"
        f" (set-up {run.seeded:.1f} s, whole run {run.wall:.1f} s,"
        f" {simulation.stats.steps} steps)"
    )
    api_left = API_BUDGET - usage.metered_api_calls
    stream_left = STREAM_BUDGET - usage.stream_deliveries
    print(
        f"{'bot counters ' + MONTH:<28} metered API calls"
        f" {usage.metered_api_calls:5d} / {API_BUDGET}"
        f" ({_share(usage.metered_api_calls, API_BUDGET).strip()})"
        f"   stream deliveries {usage.stream_deliveries:5d} / {STREAM_BUDGET}"
        f" ({_share(usage.stream_deliveries, STREAM_BUDGET).strip()})"
        f"   session-webhook replies {usage.session_replies} (free)"
    )
    metered_calls = metered_requests(sandbox, began, ended)
    frames = [
        frame
        for frame in sandbox.frames_pushed()
        if began <= frame.at < ended and frame.type == "CALLBACK" and frame.attempt == 1
    ]
    print(
        f"{'sandbox cross-check':<28} metered API calls {len(metered_calls):5d}"
        f" ({sum(1 for r in metered_calls if r.status != 200)} not 200)"
        f"   frames pushed     {len(frames):5d}"
        f" ({sum(1 for f in frames if 'card' in f.topic)} card taps,"
        f" {sum(1 for f in frames if 'card' not in f.topic)} messages)"
    )
    by_kind: Counter[str] = Counter()
    calls_by_kind: Counter[str] = Counter()
    for row in june:
        label = row_label(row)
        if isinstance(outgoing_message(row), ReplyMessage):
            label += " (webhook)" if not metered(row) else " (OpenAPI)"
        by_kind[label] += 1
        calls_by_kind[label] += metered(row)
    total = sum(calls_by_kind.values())
    print(f"{'metered calls by kind':<28} {'rows':>6} {'calls':>6} {'share':>7}")
    for label, calls in sorted(calls_by_kind.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {label:<26} {by_kind[label]:6d} {calls:6d} {_share(calls, total)}")
    print(f"  {'total':<26} {len(june):6d} {total:6d}")
    card_acks = sum(
        1
        for ack in sandbox.acks()
        if began <= ack.at < ended and ack.topic and "card" in ack.topic
    )
    stats = simulation.stats
    print(
        f"{'people':<28} taps {stats.taps} (of which takes {stats.takes}), messages"
        f" {stats.messages}, offers made {stats.offers_seen} (whole run); card status updates"
        f" carried by tap ACKs in {MONTH}: {card_acks} (free)"
    )
    if total != usage.metered_api_calls:
        print(
            f"{'':<28} note: the outbox rows sent in {MONTH} add up to {total} calls, the bot's"
            f" counter to {usage.metered_api_calls}"
        )
    if api_left >= 0 and stream_left >= 0:
        print(
            f"{'verdict':<28} within the Standard edition: {api_left} calls and {stream_left}"
            f" deliveries to spare ({_share(api_left, API_BUDGET).strip()},"
            f" {_share(stream_left, STREAM_BUDGET).strip()})"
        )
        return
    top = ", ".join(f"{label} {calls}" for label, calls in calls_by_kind.most_common(3))
    if api_left < 0:
        print(
            f"{'verdict':<28} OVER the API budget by {-api_left} calls"
            f" ({_share(-api_left, API_BUDGET).strip()}); largest kinds: {top}"
        )
    if stream_left < 0:
        print(f"{'verdict':<28} OVER the stream budget by {-stream_left} deliveries")
