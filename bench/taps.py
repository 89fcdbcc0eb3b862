"""320 volunteers tapping Confirm / Can't make it within 10 s, through the real SDK.

The reference NGO's size on a SQLite file: 8 sites, each with its own sandbox group holding its 40
volunteers, one shift per site two days ahead (head count 40, all 40 booked) and that shift's
confirm card delivered to the group (``jobs.steps.queue_confirm_card``, template registered in the
sandbox from the shipped builder file). The set-up writes the database directly; only the cards go
through the bot's outbox.

A driver thread then sends one tap per volunteer, spread evenly over 10 s (about 85% confirm, 15%
decline), with about 5% extra redeliveries of a random earlier tap (``Sandbox.redeliver``: the very
same frame again). Once every push has been ACKed it reports the ACK latencies (the sandbox's
``AckRecord.latency_s``), taps whose last answer the database does not show, double bookings,
whether redelivered taps got the same ACK as the first time, and the bot's own usage counters.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import TYPE_CHECKING

from sqlmodel import col, select

from bench.harness import bot_on_sandbox, spread
from core.cards import out_track_id
from planner.conflicts import Refusal
from sandbox import AckRecord, Sandbox
from storage.models import HOLDS_A_SEAT, Assignment, AssignmentState, Shift, ShiftStatus, Volunteer
from tests.simulation import ZONE, local

if TYPE_CHECKING:
    from bot.app import BotApp
    from storage.models import MonthlyUsage

TEMPLATE_ID = "dingshift-bench.schema"
SITES = 8
PER_SITE = 40
WINDOW_S = 10.0
DECLINE_SHARE = 0.15
REDELIVERY_SHARE = 0.05
SEED = 20240601
BY = "bench"


@dataclass(frozen=True)
class Tap:
    staff_id: str
    shift_id: int
    out_track_id: str
    action: str  # "confirm" or "decline"


@dataclass
class Sent:
    """One push the driver made: a tap, or a redelivery of an earlier tap's frame."""

    message_id: str
    tap: Tap
    redelivery: bool
    at: float
    first_ack_in: bool = False
    """For a redelivery: whether the original's ACK had arrived when it was pushed again."""


def _latency_line(label: str, acks: list[AckRecord]) -> str:
    millis = [ack.latency_s * 1000 for ack in acks if ack.latency_s is not None]
    if not millis:
        return f"{label:<30} none"
    return f"{label:<30} n={len(millis):<4} {spread(millis)}"


async def _set_up_rosters(sandbox: Sandbox, app: BotApp) -> list[tuple[int, list[str]]]:
    """Sites, groups, volunteers, shifts and bookings; returns (shift id, staff ids) per site."""
    from storage.shifts import add_shift, book
    from storage.sites import add_site
    from storage.volunteers import register_volunteer

    now = datetime.now(UTC)
    day = now.astimezone(ZONE).date() + timedelta(days=2)
    rosters: list[tuple[int, list[str]]] = []
    refused: list[str] = []
    async with app.sessions.begin() as session:
        for site_index in range(SITES):
            staff_ids = [f"v{site_index}{seat:02d}" for seat in range(PER_SITE)]
            users = [
                sandbox.add_user(nick=f"Volunteer {staff_id}", staff_id=staff_id)
                for staff_id in staff_ids
            ]
            group = sandbox.add_group(title=f"Site S{site_index}", members=users)
            site = await add_site(
                session=session,
                code=f"S{site_index}",
                name=f"Site {site_index}",
                district=f"district-{site_index}",
                conversation_id=group.conversation_id,
                created_by=BY,
                now=now,
            )
            assert site.id is not None
            shift = await add_shift(
                session=session,
                shift=Shift(
                    site_id=site.id,
                    occurs_on=day,
                    starts_at=local(day, clock_time(9)),
                    ends_at=local(day, clock_time(12)),
                    headcount=PER_SITE,
                    meeting_point="Main entrance",
                    created_by=BY,
                    created_at=now,
                    updated_at=now,
                ),
            )
            assert shift.id is not None
            for user in users:
                assert user.staff_id is not None
                volunteer, _ = await register_volunteer(
                    session=session,
                    staff_id=user.staff_id,
                    dingtalk_id=user.dingtalk_id,
                    nickname=user.nick,
                    districts=[site.district],
                    languages=["yue"],
                    availability=None,
                    now=now,
                )
                assert volunteer.id is not None
                booked = await book(
                    session=session,
                    shift_id=shift.id,
                    volunteer_id=volunteer.id,
                    assigned_by=BY,
                    now=now,
                    min_rest=app.settings.schedule.min_rest,
                )
                if isinstance(booked, Refusal):
                    refused.append(f"{user.staff_id}: {booked.reason}")
            rosters.append((shift.id, staff_ids))
    if refused:
        raise RuntimeError(f"set-up bookings refused: {', '.join(refused)}")
    return rosters


async def rosters_with_cards(sandbox: Sandbox, app: BotApp) -> list[tuple[int, list[str]]]:
    """The organisation set up, each shift's confirm card in its group and nothing left to send;
    returns (shift id, staff ids) per site."""
    rosters = await _set_up_rosters(sandbox, app)
    await _deliver_confirm_cards(sandbox, app, [shift_id for shift_id, _ in rosters])
    await app.wait_until_outbox_empty()
    return rosters


async def _deliver_confirm_cards(sandbox: Sandbox, app: BotApp, shift_ids: list[int]) -> None:
    from jobs.steps import queue_confirm_card
    from storage.shifts import find_shift

    async with app.sessions.begin() as session:
        for shift_id in shift_ids:
            shift = await find_shift(session=session, shift_id=shift_id)
            assert shift is not None
            queued = await queue_confirm_card(
                session=session, shift=shift, settings=app.settings, now=datetime.now(UTC)
            )
            if not queued:
                raise RuntimeError(f"confirm card of shift {shift_id} was not queued")
    app.outbox.wake()
    cards = [app.card_on_wire(out_track_id("confirm", shift_id)) for shift_id in shift_ids]
    await sandbox.wait_until(lambda: all(sandbox.card(card) is not None for card in cards), 30)


def _plan(app: BotApp, rosters: list[tuple[int, list[str]]]) -> list[Tap | None]:
    """Every volunteer's tap in a random order; None marks a redelivery of an earlier tap."""
    rng = random.Random(SEED)
    taps = [
        Tap(staff_id, shift_id, app.card_on_wire(out_track_id("confirm", shift_id)), "confirm")
        for shift_id, staff_ids in rosters
        for staff_id in staff_ids
    ]
    rng.shuffle(taps)
    decliners = set(rng.sample(range(len(taps)), round(DECLINE_SHARE * len(taps))))
    plan: list[Tap | None] = [
        Tap(tap.staff_id, tap.shift_id, tap.out_track_id, "decline") if index in decliners else tap
        for index, tap in enumerate(taps)
    ]
    # Redeliveries go after the first tap; inserting from the back keeps the positions valid.
    for position in sorted(
        rng.sample(range(1, len(taps) + 1), round(REDELIVERY_SHARE * len(taps))), reverse=True
    ):
        plan.insert(position, None)
    return plan


def _drive(sandbox: Sandbox, plan: list[Tap | None]) -> list[Sent]:
    """Runs on its own thread: the sandbox's calls block, and the bot's loop must keep going."""
    rng = random.Random(SEED + 1)
    sent: list[Sent] = []
    taps: list[Sent] = []
    step = WINDOW_S / len(plan)
    started = time.monotonic()
    for index, tap in enumerate(plan):
        delay = started + index * step - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if tap is None:
            original = rng.choice(taps)
            first_ack_in = bool(sandbox.acks(original.message_id))
            sandbox.redeliver(original.message_id)
            sent.append(
                Sent(original.message_id, original.tap, True, time.monotonic(), first_ack_in)
            )
            continue
        message_id = sandbox.tap_card(
            tap.staff_id, tap.out_track_id, {"action": tap.action, "shift_id": tap.shift_id}
        )
        record = Sent(message_id, tap, False, time.monotonic())
        taps.append(record)
        sent.append(record)
    return sent


async def _final_states(app: BotApp) -> dict[str, tuple[int, str]]:
    """staff id -> (shift id, assignment state), for every assignment."""
    async with app.sessions() as session:
        rows = await session.exec(
            select(Volunteer.staff_id, Assignment.shift_id, Assignment.state).join(
                Assignment, col(Assignment.volunteer_id) == col(Volunteer.id)
            )
        )
        return {staff_id: (shift_id, state) for staff_id, shift_id, state in rows.all()}


async def _double_bookings(app: BotApp) -> tuple[int, int]:
    """(volunteers on two overlapping shifts, shifts with more seat holders than seats)."""
    async with app.sessions() as session:
        rows = (
            await session.exec(
                select(Assignment.volunteer_id, Shift)
                .join(Shift, col(Shift.id) == col(Assignment.shift_id))
                .where(col(Assignment.state).in_(HOLDS_A_SEAT))
                .where(Shift.status == ShiftStatus.SCHEDULED)
            )
        ).all()
    by_volunteer: dict[int, list[Shift]] = defaultdict(list)
    holders: Counter[int] = Counter()
    shifts: dict[int, Shift] = {}
    for volunteer_id, shift in rows:
        assert shift.id is not None
        by_volunteer[volunteer_id].append(shift)
        holders[shift.id] += 1
        shifts[shift.id] = shift
    overlapping = sum(
        1
        for booked in by_volunteer.values()
        if any(
            one.starts_at < two.ends_at and two.starts_at < one.ends_at
            for index, one in enumerate(booked)
            for two in booked[index + 1 :]
        )
    )
    overfull = sum(1 for shift_id, count in holders.items() if count > shifts[shift_id].headcount)
    return overlapping, overfull


def _usage_line(label: str, usage: MonthlyUsage, sandbox: Sandbox) -> str:
    return (
        f"{label:<30} stream deliveries={usage.stream_deliveries}"
        f"  metered API calls={usage.metered_api_calls}"
        f"  session replies={usage.session_replies}"
        f"  (sandbox counted {sandbox.api_call_count} metered calls,"
        f" {len(sandbox.frames_pushed())} frames pushed)"
    )


def _report_acks(sandbox: Sandbox, sent: list[Sent]) -> None:
    taps = [record for record in sent if not record.redelivery]
    redeliveries = [record for record in sent if record.redelivery]
    first_acks = [sandbox.acks(record.message_id)[0] for record in taps]
    repeated = {record.message_id for record in redeliveries}
    again_acks = {mid: sandbox.acks(mid) for mid in repeated}
    print(_latency_line("ACK latency, taps", first_acks))
    print(
        _latency_line(
            "ACK latency, redeliveries", [ack for acks in again_acks.values() for ack in acks[1:]]
        )
    )
    ok = sum(1 for ack in first_acks if ack.code == 200)
    other = Counter(ack.code for ack in first_acks if ack.code != 200)
    print(
        f"{'taps':<30} sent={len(taps)} over {sent[-1].at - sent[0].at:.2f} s,"
        f" ACKed 200={ok}, other ACK codes={dict(other)}"
    )
    identical = sum(
        1
        for first, *again in again_acks.values()
        for ack in again
        if (ack.code, ack.response) == (first.code, first.response)
    )
    in_flight = sum(1 for record in redeliveries if not record.first_ack_in)
    print(
        f"{'redeliveries':<30} sent={len(redeliveries)}, ACKs identical to the first="
        f"{identical}  ({in_flight} pushed before the original's ACK was in)"
    )


async def _report_roster(app: BotApp, sent: list[Sent]) -> None:
    """Each volunteer's last tap against the database, and the booking rules."""
    last = {record.tap.staff_id: record.tap for record in sent if not record.redelivery}
    states = await _final_states(app)
    wanted = {"confirm": AssignmentState.CONFIRMED, "decline": AssignmentState.DECLINED}
    lost = sum(
        1
        for staff_id, tap in last.items()
        if states.get(staff_id) != (tap.shift_id, wanted[tap.action])
    )
    overlapping, overfull = await _double_bookings(app)
    print(f"{'taps lost':<30} {lost}")
    print(
        f"{'double bookings':<30} {overlapping + overfull}"
        f"  (volunteers on overlapping shifts={overlapping}, shifts over head count={overfull})"
    )
    sent_actions = Counter(tap.action for tap in last.values())
    held = Counter(state for _, state in states.values())
    print(
        f"{'final answers':<30} confirmed={held[AssignmentState.CONFIRMED]}"
        f" (sent {sent_actions['confirm']}), declined={held[AssignmentState.DECLINED]}"
        f" (sent {sent_actions['decline']}), still invited={held[AssignmentState.INVITED]}"
    )


async def run_taps() -> None:
    async with bot_on_sandbox(card_template_id=TEMPLATE_ID) as (sandbox, app):
        volunteers = SITES * PER_SITE
        print(
            f"{volunteers} volunteers tapping within {WINDOW_S:.0f} s through the real SDK"
            f" ({SITES} sites x {PER_SITE}, SQLite file)"
        )
        started = time.perf_counter()
        rosters = await rosters_with_cards(sandbox, app)
        print(
            f"{'set-up':<30} {(time.perf_counter() - started) * 1000:7.1f} ms"
            f"  ({len(sandbox.cards)} cards delivered)"
        )
        print(_usage_line("usage after set-up", await app.usage_this_month(), sandbox))

        sent = await asyncio.to_thread(_drive, sandbox, _plan(app, rosters))
        pushes: Counter[str] = Counter(record.message_id for record in sent)
        await sandbox.wait_until(
            lambda: all(len(sandbox.acks(mid)) >= n for mid, n in pushes.items()), timeout=60
        )
        await app.wait_until_outbox_empty()
        _report_acks(sandbox, sent)
        await _report_roster(app, sent)
        print(_usage_line("usage after taps", await app.usage_this_month(), sandbox))
