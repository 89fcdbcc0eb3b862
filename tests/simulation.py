"""A stretch of an organisation's life on simulated time: the soak tests and the month benchmark.

- :class:`Scenario` and :func:`seed_org`: sites (each with its sandbox group), volunteers and one
  shift a day per site with its people booked, written straight into the bot's database with the
  storage functions; the people and groups are added to the sandbox.
- :func:`plan_taps`, :func:`plan_messages`, :func:`plan_publications`: what people do and when
  (seeded): tap Confirm / Can't make it on the confirm card, send ``/me`` or ``/help``, and the
  coordinator's ``/shift publish``. Backfill offers are the bot's to make, so taps on them
  (``take``) are planned as the offers appear (:class:`OfferTaking`).
- :class:`Simulation`: moves the bot's clock in steps (30 minutes by default). At every step it
  lets the bot settle: every frame pushed has an ACK with code 200 (a frame without one is pushed
  again after a while, as DingTalk redelivers) and every message received is answered, a whole
  due-work pass has run since, no lifecycle step is due and no outbox row is due. Then it performs
  the actions due and settles again, and before the next step it moves the clock to each outbox
  retry that falls due in between. It
  drives a bot in this process (:class:`InProcessBot`, on a :class:`core.clock.ManualClock`) or in
  another one (:class:`FileClockBot`, see ``tests/simulated_bot.py``), whose deaths it waits out:
  the clock never moves on before the bot has caught up.
- :func:`match_deliveries`: each outbox row against what the sandbox received for it, for the
  soak tests' exactly-once and at-least-once checks; :func:`row_label` and :func:`metered` for
  the month's bill.

Nothing here imports the dingtalk-stream SDK, so it can be imported before the sandbox's address
is known.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import TYPE_CHECKING, Protocol
from unittest import mock
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select

import sandbox.state
from core.cards import new_installation_tag, out_track_id, wire_id
from core.outgoing import CardDelivery, CardUpdate, GroupMessage, ReplyMessage, outgoing_message
from core.settings import ScheduleSettings
from jobs.lifecycle import shifts_due
from planner.conflicts import Refusal
from planner.lifecycle import Offsets
from sandbox import RequestRecord, Sandbox, SentMessage, is_metered
from storage.database import SessionFactory
from storage.inbox import unhandled_count
from storage.installation import installation_tag
from storage.models import (
    Assignment,
    Offer,
    OutboxMessage,
    OutboxStatus,
    Shift,
    ShiftStep,
    Volunteer,
)
from storage.outbox import next_attempt_at
from storage.shifts import add_shift, book
from storage.sites import add_site
from storage.volunteers import register_volunteer
from tests.simulated_bot import FileClock, read_passes

if TYPE_CHECKING:
    from bot.app import BotApp
    from core.clock import ManualClock

ZONE = ZoneInfo("Asia/Hong_Kong")
STEP = timedelta(minutes=30)
TEMPLATE_ID = "dingshift-simulation.schema"
COORDINATOR = "u-coord"
BY = "simulation"
CARD_CREATE_PATH = "/v1.0/card/instances/createAndDeliver"
DISTRICTS = (
    "sham-shui-po",
    "kwun-tong",
    "wong-tai-sin",
    "yau-tsim-mong",
    "kwai-tsing",
    "tuen-mun",
    "yuen-long",
    "sha-tin",
)
DEFAULT_OFFSETS = ScheduleSettings().offsets()


def local(day: date, at: clock_time) -> datetime:
    return datetime.combine(day, at, tzinfo=ZONE).astimezone(UTC)


# -- the organisation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    sites: int
    volunteers_per_site: int
    headcount: int
    first_day: date
    """The local date of the first shifts."""
    days: int
    """One shift per site on each of ``days`` days from ``first_day``."""
    shift_start: clock_time = clock_time(9)
    shift_end: clock_time = clock_time(12)
    english_share: float = 0.0
    """Volunteers whose ``language_preference`` is English: the private notices (reminders,
    nudges) are private cards, one per language for up to 20 people each."""
    seed: int = 20260301


@dataclass(frozen=True)
class SeededShift:
    id: int
    starts_at: datetime
    staff_ids: tuple[str, ...]


@dataclass(frozen=True)
class Org:
    groups: tuple[str, ...]
    """The sandbox conversation id of each site's group, by site index."""
    volunteers: dict[str, int]
    """staff id -> site index."""
    shifts: tuple[SeededShift, ...]


def staff_id_of(site: int, index: int) -> str:
    return f"s{site}v{index:02d}"


async def seed_org(
    *, sessions: SessionFactory, sb: Sandbox, scenario: Scenario, now: datetime
) -> Org:
    """Everything before the first step, in one transaction; nothing is published yet.

    Each site's shift on day ``d`` books the site's volunteers round-robin (seats ``d * headcount``
    onwards), so nobody is on two shifts a day; the coordinator is in every group.
    """
    rng = random.Random(scenario.seed)
    sb.add_user(nick="Coordinator", staff_id=COORDINATOR)
    groups: list[str] = []
    volunteers: dict[str, int] = {}
    shifts: list[SeededShift] = []
    refused: list[str] = []
    async with sessions.begin() as session:
        for site_index in range(scenario.sites):
            staff_ids = [staff_id_of(site_index, n) for n in range(scenario.volunteers_per_site)]
            for staff_id in staff_ids:
                sb.add_user(nick=f"Vol {staff_id}", staff_id=staff_id)
            group = sb.add_group(title=f"Site S{site_index}", members=[COORDINATOR, *staff_ids])
            groups.append(group.conversation_id)
            site = await add_site(
                session=session,
                code=f"S{site_index}",
                name=f"Site {site_index}",
                district=DISTRICTS[site_index % len(DISTRICTS)],
                conversation_id=group.conversation_id,
                created_by=BY,
                now=now,
            )
            assert site.id is not None
            volunteer_ids: list[int] = []
            for staff_id in staff_ids:
                volunteer, _ = await register_volunteer(
                    session=session,
                    staff_id=staff_id,
                    dingtalk_id="",
                    nickname=f"Vol {staff_id}",
                    districts=[site.district],
                    languages=["yue"],
                    availability=None,
                    now=now,
                )
                if rng.random() < scenario.english_share:
                    volunteer.language_preference = "en"
                    session.add(volunteer)
                assert volunteer.id is not None
                volunteer_ids.append(volunteer.id)
                volunteers[staff_id] = site_index
            for offset in range(scenario.days):
                day = scenario.first_day + timedelta(days=offset)
                shift = await add_shift(
                    session=session,
                    shift=Shift(
                        site_id=site.id,
                        occurs_on=day,
                        starts_at=local(day, scenario.shift_start),
                        ends_at=local(day, scenario.shift_end),
                        headcount=scenario.headcount,
                        meeting_point="Main entrance",
                        created_by=BY,
                        created_at=now,
                        updated_at=now,
                    ),
                )
                assert shift.id is not None
                seats = [
                    (offset * scenario.headcount + seat) % len(staff_ids)
                    for seat in range(scenario.headcount)
                ]
                for seat in seats:
                    booked = await book(
                        session=session,
                        shift_id=shift.id,
                        volunteer_id=volunteer_ids[seat],
                        assigned_by=BY,
                        now=now,
                        min_rest=timedelta(0),
                    )
                    if isinstance(booked, Refusal):
                        refused.append(f"{staff_ids[seat]} on #{shift.id}: {booked.reason}")
                shifts.append(
                    SeededShift(
                        id=shift.id,
                        starts_at=shift.starts_at,
                        staff_ids=tuple(staff_ids[seat] for seat in seats),
                    )
                )
    if refused:
        raise RuntimeError(f"seeding: bookings refused: {', '.join(refused)}")
    return Org(groups=tuple(groups), volunteers=volunteers, shifts=tuple(shifts))


# -- what people do -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tap:
    at: datetime
    staff_id: str
    shift_id: int
    action: str
    """``confirm`` or ``decline`` on the shift's confirm card, ``take`` on an offer card."""
    card: str = ""
    """The card tapped; empty for the shift's confirm card."""

    @property
    def out_track_id(self) -> str:
        return self.card or out_track_id("confirm", self.shift_id)


@dataclass(frozen=True)
class Say:
    at: datetime
    staff_id: str
    conversation_id: str
    text: str


Action = Tap | Say


@dataclass(frozen=True)
class Answering:
    """How people answer their confirm card."""

    confirm: float
    """Share whose first answer is Confirm."""
    decline: float
    """Share whose first answer is Can't make it; the rest never answer."""
    within: timedelta
    """First answers come at a random step within this long after the card."""
    change_mind: float = 0.0
    """Share of those who answered that later tap the other button."""
    change_within: timedelta = timedelta(0)
    """... at a later step, still within this long after the card."""


def _steps_within(span: timedelta, step: timedelta) -> int:
    return int(span / step)


def plan_taps(
    org: Org,
    answering: Answering,
    *,
    offsets: Offsets = DEFAULT_OFFSETS,
    step: timedelta = STEP,
    seed: int,
    published_at: datetime | None = None,
) -> list[Tap]:
    """Taps at step instants from each shift's card: ``starts_at - offsets.confirm``, or when
    the shifts are published (``published_at``, on the step grid) if that is later."""
    rng = random.Random(seed)
    taps: list[Tap] = []
    for shift in org.shifts:
        card_at = shift.starts_at - offsets.confirm
        if published_at is not None:
            card_at = max(card_at, published_at)
        for staff_id in shift.staff_ids:
            draw = rng.random()
            if draw < answering.confirm:
                first = "confirm"
            elif draw < answering.confirm + answering.decline:
                first = "decline"
            else:
                continue
            k = rng.randint(0, _steps_within(answering.within, step))
            taps.append(Tap(card_at + k * step, staff_id, shift.id, first))
            last_k = _steps_within(answering.change_within, step)
            if rng.random() < answering.change_mind and k < last_k:
                other = "decline" if first == "confirm" else "confirm"
                taps.append(
                    Tap(card_at + rng.randint(k + 1, last_k) * step, staff_id, shift.id, other)
                )
    return sorted(taps, key=lambda tap: tap.at)


def plan_messages(
    org: Org,
    *,
    count: int,
    between: tuple[datetime, datetime],
    texts: Sequence[tuple[str, float]],
    seed: int,
    once_each: bool = False,
    step: timedelta = STEP,
    daytime: tuple[int, int] = (8, 22),
) -> list[Say]:
    """``count`` messages from volunteers in their site's group, at random daytime steps.

    ``texts`` are (text, weight); with ``once_each`` no volunteer speaks twice (their replies are
    then told apart by the sender's name in ``/me``).
    """
    rng = random.Random(seed)
    first, last = between
    instants = [first + k * step for k in range(_steps_within(last - first, step))]
    instants = [t for t in instants if daytime[0] <= t.astimezone(ZONE).hour < daytime[1]]
    people = sorted(org.volunteers)
    if once_each:
        if count > len(people):
            raise ValueError(f"{count} messages, once each, from {len(people)} volunteers")
        speakers = rng.sample(people, count)
    else:
        speakers = [rng.choice(people) for _ in range(count)]
    words = [text for text, _ in texts]
    weights = [weight for _, weight in texts]
    says = [
        Say(
            rng.choice(instants),
            staff_id,
            org.groups[org.volunteers[staff_id]],
            rng.choices(words, weights)[0],
        )
        for staff_id in speakers
    ]
    return sorted(says, key=lambda say: say.at)


def plan_publications(org: Org, at: Sequence[tuple[datetime, date, date]]) -> list[Say]:
    """The coordinator's ``/shift publish <first>..<last>`` in site 0's group, for each
    (instant, first day, last day)."""
    return [
        Say(instant, COORDINATOR, org.groups[0], f"/shift publish {first}..{last}")
        for instant, first, last in at
    ]


# -- the bot, in this process or another ---------------------------------------------------------


class BotHandle(Protocol):
    async def set_time(self, instant: datetime) -> None:
        """Move the bot's clock to ``instant``."""
        ...

    async def pass_done(self) -> bool:
        """Until the bot has run a whole due-work pass that started after this call (at the
        current time); False if it could not (a bot that is down)."""
        ...


class InProcessBot:
    def __init__(self, app: BotApp, clock: ManualClock) -> None:
        self.app = app
        self.clock = clock

    async def set_time(self, instant: datetime) -> None:
        self.clock.set(instant)
        # The sender sleeps in real seconds until the next retry it knows of: wake it.
        self.app.outbox.wake()

    async def pass_done(self) -> bool:
        await self.app.run_due_work()
        self.app.outbox.wake()
        return True


class FileClockBot:
    """The bot of ``tests/simulated_bot.py``: time is a file; the bot runs its due work every
    tick and notes each pass in :func:`tests.simulated_bot.pass_file`."""

    def __init__(self, clock: FileClock, wait: float = 0.5) -> None:
        self.clock = clock
        self.wait = wait

    async def set_time(self, instant: datetime) -> None:
        self.clock.set(instant)

    async def pass_done(self) -> bool:
        before = read_passes(self.clock.path)
        expected = self.clock.now()
        deadline = time.monotonic() + self.wait
        while time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            now = read_passes(self.clock.path)
            if now is None or now[2] != expected:
                continue
            pid, count, _ = now
            # A pass that started after ``before`` was read: two passes later in the same
            # process, or the second pass of a process started since.
            if before is not None and pid == before[0]:
                if count >= before[1] + 2:
                    return True
            elif count >= 2:
                return True
        return False


@contextmanager
def sandbox_on_simulated_time(now: Callable[[], datetime]) -> Iterator[None]:
    """Session webhooks live 90 minutes on the sandbox's wall clock, but the bot judges them by
    its own (simulated) clock; this puts the sandbox's sessions on the simulated clock too, so that
    replies take the session webhook as they would in real time."""
    with mock.patch.object(sandbox.state, "now_ms") as now_ms:
        now_ms.side_effect = lambda: int(now().timestamp() * 1000)
        yield


# -- the driver ---------------------------------------------------------------------------------


class Observer(Protocol):
    def phase(self, name: str, at: datetime, busy: bool) -> None:
        """Called as the driver moves: ``advanced`` (clock moved to a step; ``busy`` if work is
        due), ``acted`` (frames pushed), ``retry`` (clock moved to an outbox retry)."""
        ...


@dataclass(frozen=True)
class OfferTaking:
    """How people answer a backfill offer card (``ds-offer-...``, action ``take``)."""

    share: float
    """Share of offers someone takes (the first tap wins the seat; later ones are told no)."""
    within: timedelta
    """Taps come at a random step within this long after the offer (and before its deadline)."""
    before_start: timedelta = timedelta(0)
    """No tap later than this long before the shift starts."""


@dataclass
class Pushed:
    message_id: str
    action: Action
    last_at: float
    """When (monotonic) the frame was last pushed."""


@dataclass
class SimulationStats:
    steps: int = 0
    retry_steps: int = 0
    taps: int = 0
    takes: int = 0
    messages: int = 0
    offers_seen: int = 0
    redeliveries: int = 0
    """Frames the driver pushed again because they had no ACK with code 200 in time."""
    left_over: int = 0
    """Actions planned after the end, not performed."""


class SettleTimeout(TimeoutError):
    pass


@dataclass
class Simulation:
    sb: Sandbox
    sessions: SessionFactory
    bot: BotHandle
    actions: Sequence[Action]
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    """The bot's ``[schedule]``: which lifecycle steps are due when."""
    step: timedelta = STEP
    offers: OfferTaking | None = None
    seed: int = 0
    redeliver_after: float = 2.0
    """Real seconds without an ACK with code 200 before a frame is pushed again."""
    settle_timeout: float = 120.0
    observer: Observer | None = None
    poll_interval: float = 0.01
    now: datetime = field(default=datetime.min.replace(tzinfo=UTC), init=False)
    stats: SimulationStats = field(default_factory=SimulationStats, init=False)
    pushed: list[Pushed] = field(default_factory=list, init=False)
    marks: dict[str, float] = field(default_factory=dict, init=False)
    """Real (monotonic) instants at which the clock first reached named simulated instants."""
    _queue: list[tuple[datetime, int, Action]] = field(default_factory=list, init=False)
    _order: Iterator[int] = field(default_factory=itertools.count, init=False)
    _outstanding: dict[str, Pushed] = field(default_factory=dict, init=False)
    _mark_at: list[tuple[datetime, str]] = field(default_factory=list, init=False)
    _last_offer: int = field(default=0, init=False)
    _installation: str = field(default="", init=False)
    """The bot's installation tag, which DingTalk sees in every card id."""

    def mark(self, name: str, at: datetime) -> None:
        """Record in :attr:`marks` when the simulation reaches ``at``."""
        self._mark_at.append((at, name))

    def _schedule(self, action: Action) -> None:
        heapq.heappush(self._queue, (action.at, next(self._order), action))

    async def run(self, start: datetime, until: datetime) -> None:
        """Every step from ``start`` to ``until`` included, then the retries still pending."""
        for action in self.actions:
            self._schedule(action)
        # Whichever of the bot and the simulation asks first makes it; both then read the same.
        async with self.sessions.begin() as session:
            self._installation = await installation_tag(
                session=session, new_tag=new_installation_tag(), now=start
            )
        instant = start
        while instant <= until:
            await self._move_to(instant, "advanced")
            due: list[Action] = []
            while self._queue and self._queue[0][0] <= instant:
                due.append(heapq.heappop(self._queue)[2])
            if due:
                self._act(due)
                self._notify("acted", busy=True)
                await self.settle()
            await self._take_offers()
            next_step = instant + self.step
            await self._retries_before(next_step)
            instant = next_step
            self.stats.steps += 1
        self.stats.left_over = len(self._queue)
        await self._retries_before(until + timedelta(days=1))
        if await self.pending_count():
            raise SettleTimeout("outbox rows still pending a day after the simulation ended")

    async def _move_to(self, instant: datetime, phase: str) -> None:
        if instant < self.now:
            raise ValueError(f"time runs forward: {instant} < {self.now}")
        await self.bot.set_time(instant)
        self.now = instant
        for at, name in list(self._mark_at):
            if at <= instant:
                self.marks[name] = time.monotonic()
                self._mark_at.remove((at, name))
        if self.observer is not None:
            busy = bool(await self.lifecycle_due() or await self.pending_count(due=True))
            self._notify(phase, busy=busy)
        await self.settle()

    def _notify(self, phase: str, *, busy: bool) -> None:
        if self.observer is not None:
            self.observer.phase(phase, self.now, busy)

    async def _retries_before(self, limit: datetime) -> None:
        while True:
            async with self.sessions() as session:
                due_at = await next_attempt_at(session=session)
            if due_at is None or due_at >= limit:
                return
            self.stats.retry_steps += 1
            await self._move_to(max(due_at, self.now), "retry")

    async def _take_offers(self) -> None:
        """Plan taps on the offers made since the last look (the bot decides who is offered)."""
        if self.offers is None:
            return
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(Offer, Volunteer.staff_id)
                    .join(Volunteer, col(Volunteer.id) == col(Offer.volunteer_id))
                    .where(col(Offer.id) > self._last_offer)
                    .order_by(col(Offer.id))
                )
            ).all()
            shift_ids = {offer.shift_id for offer, _ in rows}
            shifts = (await session.exec(select(Shift).where(col(Shift.id).in_(shift_ids)))).all()
        starts = {shift.id: shift.starts_at for shift in shifts}
        for offer, staff_id in rows:
            assert offer.id is not None
            self._last_offer = offer.id
            self.stats.offers_seen += 1
            rng = random.Random(f"{self.seed}:{offer.out_track_id}")
            if rng.random() >= self.offers.share:
                continue
            latest = min(
                offer.deadline - self.step,
                self.now + self.offers.within,
                starts[offer.shift_id] - self.offers.before_start - self.step,
            )
            choices = _steps_within(latest - self.now, self.step)
            if choices < 1:
                continue
            at = self.now + rng.randint(1, choices) * self.step
            self._schedule(Tap(at, staff_id, offer.shift_id, "take", offer.out_track_id))

    def _act(self, actions: Sequence[Action]) -> None:
        for action in actions:
            if isinstance(action, Tap):
                card = wire_id(action.out_track_id, self._installation)
                if self.sb.card(card) is None:
                    raise RuntimeError(f"{action}: card {card} has not been delivered")
                message_id = self.sb.tap_card(
                    action.staff_id, card, {"action": action.action, "shift_id": action.shift_id}
                )
                self.stats.taps += 1
                self.stats.takes += action.action == "take"
            else:
                message_id = self.sb.post_message(
                    action.conversation_id, action.staff_id, action.text
                )
                self.stats.messages += 1
            record = Pushed(message_id, action, time.monotonic())
            self.pushed.append(record)
            self._outstanding[message_id] = record

    def unacknowledged(self) -> list[Pushed]:
        for message_id in list(self._outstanding):
            acks = self.sb.acks(message_id)
            if acks and acks[-1].code == 200:
                del self._outstanding[message_id]
        return list(self._outstanding.values())

    async def settle(self) -> None:
        """Until the bot has nothing left to do at :attr:`now`: every frame pushed has an ACK
        with code 200 and every message is answered, a whole due-work pass has run since, no
        lifecycle step is due and no outbox row is due."""
        deadline = time.monotonic() + self.settle_timeout
        need_pass = True
        while True:
            waiting = self.unacknowledged()
            if waiting or await self.unanswered():
                # A message ACKed is answered a moment later (the inbox), and may make work due.
                need_pass = True
            elif need_pass:
                need_pass = not await self.bot.pass_done()
            elif await self.lifecycle_due():
                need_pass = True
            elif not await self.pending_count(due=True):
                return
            now = time.monotonic()
            if waiting and self.sb.connection_count:
                for record in waiting:
                    if now - record.last_at > self.redeliver_after:
                        self.sb.redeliver(record.message_id)
                        record.last_at = now
                        self.stats.redeliveries += 1
            if now > deadline:
                raise SettleTimeout(
                    f"the bot did not settle at {self.now} within {self.settle_timeout} s:"
                    f" frames without ACK {[record.action for record in waiting]},"
                    f" shifts with steps due {await self.lifecycle_due()},"
                    f" outbox rows due {await self.pending_count(due=True)}"
                )
            await asyncio.sleep(self.poll_interval)

    async def unanswered(self) -> int:
        """Messages the bot has received (ACKed) but not answered yet."""
        async with self.sessions() as session:
            return await unhandled_count(session=session)

    async def lifecycle_due(self) -> list[int]:
        """Shifts with a lifecycle step due at :attr:`now` and not yet handled."""
        async with self.sessions() as session:
            return await shifts_due(session=session, schedule=self.schedule, now=self.now)

    async def pending_count(self, *, due: bool = False) -> int:
        statement = (
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        if due:
            statement = statement.where(OutboxMessage.next_attempt_at <= self.now)
        async with self.sessions() as session:
            return int((await session.exec(statement)).one())

    def answers(self) -> list[Answer]:
        """Every tap pushed, with what the bot's ACK told the tapper (``ok`` or ``refused``)."""
        found = []
        for record in self.pushed:
            if not isinstance(record.action, Tap):
                continue
            result = None
            for ack in self.sb.acks(record.message_id):
                if ack.code == 200:
                    result = _tap_result(ack.response)
                    break
            found.append(Answer(record.action, result))
        return found


@dataclass(frozen=True)
class Answer:
    tap: Tap
    result: str | None
    """``ok`` or ``refused`` as the ACK's private ``last_result`` said; None without an ACK."""


def _tap_result(response: object) -> str | None:
    if not isinstance(response, dict):
        return None
    private = response.get("userPrivateData")
    values = private.get("cardParamMap") if isinstance(private, dict) else None
    result = values.get("last_result") if isinstance(values, dict) else None
    return str(result) if result is not None else None


# -- what was delivered -------------------------------------------------------------------------

CARD_UPDATE_PATH = "/v1.0/card/instances"
DeliveryKey = tuple[object, ...]


def row_label(row: OutboxMessage) -> str:
    """The logical kind of a row from its dedup key: ``announce``, ``card confirm``, ``card
    offer``, ``card remind``, ``card-update confirm``, ``reply`` ...; kinds added later show up
    under their own prefix."""
    prefix, _, rest = row.dedup_key.partition(":")
    if prefix in ("card", "card-update"):
        parts = rest.split("-")
        # ds-<kind>[_<occasion>]-<shift>...: the occasion tells notices apart, not kinds.
        return f"{prefix} {parts[1].partition('_')[0]}" if len(parts) > 1 else prefix
    return prefix


def metered(row: OutboxMessage) -> bool:
    """Whether sending the row cost a metered OpenAPI call: all but session-webhook replies
    (stored without a processQueryKey, which only the robot send APIs return)."""
    return not (isinstance(outgoing_message(row), ReplyMessage) and row.process_query_key is None)


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _row_key(row: OutboxMessage) -> DeliveryKey:
    message = outgoing_message(row)
    match message:
        case CardDelivery():
            return ("card", message.out_track_id)
        case CardUpdate():
            public, private = _canonical(message.public), _canonical(message.private)
            return ("update", message.out_track_id, public, private)
        case ReplyMessage() if message.user_ids:
            return ("message", None, tuple(message.user_ids), message.title, message.text)
        case ReplyMessage() | GroupMessage():
            return ("message", message.conversation_id, (), message.title, message.text)


def _message_key(message: SentMessage) -> DeliveryKey:
    text = message.text
    if message.via == "session_webhook" and message.at_user_ids:
        text = text.removeprefix(" ".join(f"@{u}" for u in message.at_user_ids) + "\n\n")
    if message.user_ids:
        return ("message", None, tuple(message.user_ids), message.title, text)
    return ("message", message.conversation_id, (), message.title, text)


def _request_key(request: RequestRecord) -> DeliveryKey | None:
    body = request.body
    if request.status != 200 or not isinstance(body, dict):
        return None
    if request.path == CARD_CREATE_PATH:
        return ("card", _untagged(str(body.get("outTrackId"))))
    if request.path == CARD_UPDATE_PATH and request.method == "PUT":
        public = (body.get("cardData") or {}).get("cardParamMap", {})
        private = {
            staff_id: values.get("cardParamMap", {})
            for staff_id, values in (body.get("privateData") or {}).items()
        }
        return (
            "update",
            _untagged(str(body.get("outTrackId"))),
            _canonical(public),
            _canonical(private),
        )
    return None


def _untagged(on_wire: str) -> str:
    """A card id as its outbox row names it: without the (one) installation's tag."""
    return re.sub(r"^ds-[0-9a-f]{8}-", "ds-", on_wire)


@dataclass(frozen=True)
class Deliveries:
    rows: list[OutboxMessage]
    copies: dict[int, list[float]]
    """Row id -> when (monotonic) each copy reached the sandbox: chat messages as the sandbox
    recorded them, cards and card updates as successful calls. (A repeated createAndDeliver of
    the same outTrackId is refused with ``param.cardAlreadyExist``, as DingTalk does, so it is
    no copy.)"""
    stray: list[DeliveryKey]
    """Deliveries the sandbox received that match no outbox row."""
    ambiguous: list[DeliveryKey]
    """Deliveries that more than one row asks for, so that their copies cannot be told apart."""

    def count(self, row: OutboxMessage) -> int:
        assert row.id is not None
        return len(self.copies[row.id])

    def repeated(self) -> list[OutboxMessage]:
        return [row for row in self.rows if self.count(row) > 1]

    def missing(self) -> list[OutboxMessage]:
        return [row for row in self.rows if self.count(row) == 0]

    def by_label(self) -> Counter[str]:
        return Counter(row_label(row) for row in self.rows)


async def match_deliveries(sessions: SessionFactory, sb: Sandbox) -> Deliveries:
    """Each outbox row against what the sandbox received for it, and what it received unasked."""
    async with sessions() as session:
        rows = list(
            (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
        )
    seen: dict[DeliveryKey, list[float]] = defaultdict(list)
    for message in sb.sent_messages():
        seen[_message_key(message)].append(message.at)
    for request in sb.requests("/v1.0/card/"):
        key = _request_key(request)
        if key is not None:
            seen[key].append(request.at)
    keys = Counter(_row_key(row) for row in rows)
    copies = {row.id or 0: seen.get(_row_key(row), []) for row in rows}
    stray = [key for key in seen if key not in keys]
    ambiguous = [key for key, count in keys.items() if count > 1]
    return Deliveries(rows=rows, copies=copies, stray=stray, ambiguous=ambiguous)


async def assignment_states(sessions: SessionFactory) -> dict[tuple[int, str], str]:
    """(shift id, staff id) -> assignment state, for every assignment."""
    async with sessions() as session:
        rows = await session.exec(
            select(Assignment.shift_id, Volunteer.staff_id, Assignment.state).join(
                Volunteer, col(Volunteer.id) == col(Assignment.volunteer_id)
            )
        )
        return {(shift_id, staff_id): state for shift_id, staff_id, state in rows.all()}


async def step_outcomes(sessions: SessionFactory) -> dict[int, dict[str, str]]:
    """shift id -> {step: outcome} for every shift with a handled step."""
    async with sessions() as session:
        rows = (await session.exec(select(ShiftStep))).all()
    outcomes: dict[int, dict[str, str]] = defaultdict(dict)
    for row in rows:
        outcomes[row.shift_id][row.step] = row.outcome
    return dict(outcomes)


def recipients(deliveries: Deliveries, kind: str) -> dict[int, Counter[str]]:
    """shift id -> how many copies of the ``ds-<kind>-<shift id>-<language>`` cards each person
    received (the private notices), e.g. ``remind`` or ``nudge``."""
    found: dict[int, Counter[str]] = defaultdict(Counter)
    prefix = f"ds-{kind}-"
    for row in deliveries.rows:
        card = outgoing_message(row)
        if not isinstance(card, CardDelivery) or not card.out_track_id.startswith(prefix):
            continue
        shift_id, _, _ = card.out_track_id.removeprefix(prefix).partition("-")
        for staff_id in card.user_ids:
            found[int(shift_id)][staff_id] += deliveries.count(row)
    return dict(found)


def metered_requests(sb: Sandbox, start: float, end: float) -> list[RequestRecord]:
    """The metered OpenAPI calls the sandbox logged between two monotonic instants, failed ones
    included (``Sandbox.api_call_count`` counts the same, but since the last reset)."""
    return [
        request
        for request in sb.requests("/v1.0/")
        if start <= request.at < end and is_metered(request.path)
    ]
