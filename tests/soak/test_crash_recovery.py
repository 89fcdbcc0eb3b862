"""Crash recovery: the bot process is SIGKILLed at random moments of a simulated week, and
restarted each time; afterwards nothing is lost and nothing is done twice, except what the
architecture admits (below), which is measured and reported.

The bot runs as ``python -m tests.simulated_bot`` (a real process, on the test's database) with
its clock in a file; the sandbox runs here, so it outlives every kill, and the driver
(tests.simulation) moves simulated time, taps cards and sends messages through it. At each busy
moment (a step with work due, actions just pushed, a retry falling due) the killer draws whether
to SIGKILL the bot after a random delay of up to half a second, and sometimes kills it again while
it is starting up. The driver never moves the clock on before the bot has caught up, so a kill
delays work but never makes a step late: every step must end "sent", not merged or skipped.

What the architecture guarantees, and so what is asserted:

- Incoming frames: a tap or message is handled in one transaction with its dedup record and its
  replies, and ACKed after it commits. A kill before the commit loses nothing (DingTalk, here the
  driver, redelivers an unACKed frame); a kill after it makes the redelivery a no-op answered
  from the dedup record. So every tap the bot answered "ok" shows in the roster, and no event
  is applied twice.
- Due work: each lifecycle step is recorded in the transaction that queues its messages, so a
  step is queued exactly once, however the kills fall.
- Outgoing: a row is marked sent after DingTalk accepted it. A kill between the two leaves the
  row pending and the restarted bot sends it again, with a window of one HTTP response plus one
  commit. So a repeated call is allowed only where a kill fell between two copies, within
  ``AT_LEAST_ONCE_WINDOW_S`` of the first; each is counted and printed. For a card (the group's
  confirm card, and every nudge, reminder, offer and coordinator notice, which are private cards)
  the repeat is a second createAndDeliver of the same outTrackId: DingTalk keeps one card, so
  people see one. Only robot messages, which have no idempotency key, can be seen twice: the
  group announcement and replies to commands. Any other kind shown twice fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from core.cards import SHIPPED_CARD_TEMPLATE
from core.outgoing import GroupMessage, ReplyMessage, outgoing_message
from sandbox import Sandbox
from storage.database import SessionFactory
from tests.simulated_bot import FileClock, SimulatedBotProcess
from tests.simulation import (
    COORDINATOR,
    TEMPLATE_ID,
    FileClockBot,
    Simulation,
    row_label,
    sandbox_on_simulated_time,
    seed_org,
)
from tests.soak.week import (
    OFFERS,
    SCENARIO,
    START,
    assert_week_complete,
    week_actions,
    week_report,
)

pytestmark = pytest.mark.soak

SEED = 20260303
MIN_KILLS = 20
KILL_CHANCE = 0.3
"""Per busy moment, the chance that the bot is killed shortly after it."""
KILL_DELAY_S = 0.15
STARTUP_KILL_CHANCE = 0.2
"""After a restart, the chance that the bot is killed again while it starts up."""
STARTUP_KILL_S = (0.2, 2.0)
ROBOT_MESSAGES = {"announce", "reply"}
"""The only rows sent as robot messages (no idempotency key): anything else is a card."""
AT_LEAST_ONCE_WINDOW_S = 2.0
"""How long after a copy reached DingTalk a kill may still cause a repeat: the bot only has to
read the HTTP response and commit one row, which takes milliseconds; two seconds is generous
for a loaded CI machine and still far shorter than the time between kills."""


@dataclass
class Kill:
    at: float
    moment: str
    """The driver's phase it followed (``advanced``, ``acted``, ``retry``), or ``startup``."""
    working: bool = False
    """Whether the restarted bot had something to finish: a frame without ACK, an outbox row
    due or a lifecycle step due when the bot died."""


@dataclass
class Killer:
    """Kills and restarts the bot at random moments; the driver's observer."""

    bot: SimulatedBotProcess
    rng: random.Random
    kills: list[Kill] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    simulation: Simulation | None = None
    _task: asyncio.Task[None] | None = None

    def phase(self, name: str, at: datetime, busy: bool) -> None:
        del at
        if self.bot.crashed() is not None:
            self.crashes.append(f"exit {self.bot.crashed()}: {self.bot.log_tail()}")
            self.bot.start()
        if not busy or (self._task is not None and not self._task.done()):
            return
        if self.rng.random() < KILL_CHANCE:
            delay = self.rng.uniform(0, KILL_DELAY_S)
            self._task = asyncio.get_running_loop().create_task(self._kill_after(name, delay))

    async def _kill_after(self, moment: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._kill_and_restart(moment)
        if self.rng.random() < STARTUP_KILL_CHANCE:
            await asyncio.sleep(self.rng.uniform(*STARTUP_KILL_S))
            await self._kill_and_restart("startup")

    async def _kill_and_restart(self, moment: str) -> None:
        if not self.bot.running:
            self.crashes.append(f"exit {self.bot.crashed()}: {self.bot.log_tail()}")
        else:
            self.bot.kill()
            kill = Kill(time.monotonic(), moment)
            self.kills.append(kill)
            if self.simulation is not None:
                kill.working = await _unfinished(self.simulation)
        self.bot.start()

    async def finish(self) -> None:
        if self._task is not None:
            await self._task


async def _unfinished(simulation: Simulation) -> bool:
    return bool(
        simulation.unacknowledged()
        or await simulation.lifecycle_due()
        or await simulation.pending_count(due=True)
    )


async def test_killing_the_bot_at_random_loses_nothing_and_repeats_only_in_flight_sends(
    sb: Sandbox, database_url: str, sessions: SessionFactory, tmp_path: Path
) -> None:
    started = time.monotonic()
    sb.register_card_template_file(TEMPLATE_ID, SHIPPED_CARD_TEMPLATE)
    clock = FileClock(tmp_path / "clock")
    clock.set(START)
    org = await seed_org(sessions=sessions, sb=sb, scenario=SCENARIO, now=START)
    actions, until = week_actions(org, SEED)
    bot = SimulatedBotProcess(
        database_url=database_url,
        clock_file=clock.path,
        sandbox_url=sb.base_url,
        log_dir=tmp_path,
        client_id=sb.client_id,
        client_secret=sb.client_secret,
        card_template_id=TEMPLATE_ID,
        admins=(COORDINATOR,),
        tick=0.02,
    )
    killer = Killer(bot, random.Random(SEED))
    simulation = Simulation(
        sb, sessions, FileClockBot(clock), actions, offers=OFFERS, seed=SEED, observer=killer
    )
    killer.simulation = simulation
    bot.start()
    try:
        with sandbox_on_simulated_time(clock.now):
            await simulation.run(START, until)
            await killer.finish()
            await simulation.settle()
    finally:
        with contextlib.suppress(asyncio.CancelledError):
            await killer.finish()
        exit_code = await asyncio.to_thread(bot.stop)
    report = await week_report(sessions, sb, org, simulation)

    deliveries = report.deliveries
    kill_times = sorted(kill.at for kill in killer.kills)
    window_hits: list[tuple[str, float]] = []
    unexplained: list[str] = []
    for row in deliveries.repeated():
        assert row.id is not None
        for first, again in pairwise(sorted(deliveries.copies[row.id])):
            kill = next((k for k in kill_times if first <= k <= again), None)
            if kill is None or kill - first > AT_LEAST_ONCE_WINDOW_S:
                unexplained.append(f"{row.dedup_key}: copies at {first:.3f} and {again:.3f}")
            else:
                window_hits.append((row_label(row), kill - first))
    moments = Counter(kill.moment for kill in killer.kills)
    working = sum(1 for kill in killer.kills if kill.working)
    shown_twice = Counter(label for label, _ in window_hits if not label.startswith("card"))
    repeated_calls = Counter(label for label, _ in window_hits if label.startswith("card"))
    slowest = max((delay for _, delay in window_hits), default=0.0)
    print(  # noqa: T201 - the numbers are the point of a soak test
        f"\ncrash recovery ({make_url(database_url).get_backend_name()}):"
        f" {len(killer.kills)} SIGKILLs at {dict(moments)} moments, {working} of them with work"
        f" unfinished; {bot.starts - 1} restarts, {len(killer.crashes)} crashes of its own;"
        f" {simulation.stats.redeliveries} unACKed frames redelivered"
        f"\n  at-least-once window hit {len(window_hits)} times (each kill within"
        f" {slowest * 1000:.0f} ms of the first copy): chat messages shown twice"
        f" {dict(shown_twice)}, card calls repeated {dict(repeated_calls)} (people see one card)"
        f"\n  {report.line()}\n  {time.monotonic() - started:.1f} s"
    )
    assert killer.crashes == []
    assert exit_code == 0, bot.log_tail()
    assert len(killer.kills) >= MIN_KILLS
    assert working >= MIN_KILLS // 4, "kills should catch the bot with work to finish"
    assert_week_complete(report)
    assert unexplained == [], unexplained
    robot_messages = {
        row_label(row)
        for row in deliveries.rows
        if isinstance(outgoing_message(row), ReplyMessage | GroupMessage)
    }
    assert robot_messages <= ROBOT_MESSAGES, robot_messages
    assert set(shown_twice) <= ROBOT_MESSAGES, shown_twice
