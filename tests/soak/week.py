"""The simulated week both soak tests run, and what is checked afterwards.

Two sites of 10 volunteers, one shift a day at each for 7 days (5 people each, a fifth of them
reading English), all published by the coordinator at the start. About 85% of the people answer
their card, a fifth of those change their mind later, all before T−26 h; a decline opens the seat
to backfill offers, and 40% of the offers are taken within four hours, before T−24 h. So the
reminder's recipients are known: whoever the bot last told "confirmed". 20 volunteers each send
``/me`` once.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from core.outgoing import GroupMessage, ReplyMessage, outgoing_message
from sandbox import Sandbox
from storage.database import SessionFactory
from storage.models import HOLDS_A_SEAT, Assignment, Offer, OutboxStatus, Shift
from tests.simulation import (
    DEFAULT_OFFSETS,
    ZONE,
    Action,
    Answering,
    Deliveries,
    OfferTaking,
    Org,
    Scenario,
    Simulation,
    assignment_states,
    match_deliveries,
    plan_messages,
    plan_publications,
    plan_taps,
    recipients,
    step_outcomes,
)

START = datetime(2026, 3, 2, tzinfo=ZONE)  # a Monday, local midnight
SCENARIO = Scenario(
    sites=2,
    volunteers_per_site=10,
    headcount=5,
    first_day=START.date() + timedelta(days=2),  # the first card goes out at START + 9 h
    days=7,
    english_share=0.2,
    seed=7,
)
ANSWERING = Answering(
    confirm=0.6,
    decline=0.25,
    within=timedelta(hours=22),
    change_mind=0.2,
    change_within=timedelta(hours=22),
)
OFFERS = OfferTaking(share=0.4, within=timedelta(hours=4), before_start=DEFAULT_OFFSETS.remind)
MESSAGES = 20
ALL_SENT = {"announce": "sent", "confirm": "sent", "nudge": "sent", "remind": "sent"}
# Cards as DingTalk names them: ds-<installation>-<kind>-<shift>...
CONFIRM_CARD = re.compile(r"ds-[0-9a-f]{8}-confirm-[0-9]+")
OFFER_CARD = re.compile(r"ds-[0-9a-f]{8}-offer-.+")
STATE_AFTER = {"confirm": "confirmed", "decline": "declined", "take": "confirmed"}


def week_actions(org: Org, seed: int) -> tuple[list[Action], datetime]:
    """The week's planned actions (offers are taken as they come: :data:`OFFERS`) and the
    instant the simulation ends (the last shift's start)."""
    until = max(shift.starts_at for shift in org.shifts)
    last_day = SCENARIO.first_day + timedelta(days=SCENARIO.days - 1)
    actions: list[Action] = [
        *plan_publications(org, [(START, SCENARIO.first_day, last_day)]),
        *plan_taps(org, ANSWERING, seed=seed),
        *plan_messages(
            org,
            count=MESSAGES,
            between=(START + timedelta(minutes=30), until),
            texts=[("/me", 1.0)],
            once_each=True,
            seed=seed + 1,
        ),
    ]
    return actions, until


@dataclass
class WeekReport:
    deliveries: Deliveries
    outbox: Counter[str]
    shifts: int
    confirm_cards: int
    offer_cards: int
    offers: int
    steps_not_sent: dict[int, dict[str, str]]
    lost_answers: list[str]
    """Taps the bot answered "ok" to that the assignment does not show (the last one counts)."""
    unanswered: int
    """Taps without an ACK with code 200 (the driver redelivers until there is one)."""
    overfull: list[int]
    taps: Counter[str] = field(default_factory=Counter)
    """By action and by what the bot answered: ``confirm ok``, ``take refused`` ..."""
    reminders: Counter[str] = field(default_factory=Counter)
    """delivered / missing / unexpected / repeated reminders, counted per person and shift."""
    nudges: Counter[str] = field(default_factory=Counter)
    messages_in: int = 0
    left_over: int = 0

    @property
    def messages(self) -> int:
        """Chat messages the bot queued (not cards or card updates)."""
        chat = (outgoing_message(row) for row in self.deliveries.rows)
        return sum(1 for message in chat if isinstance(message, ReplyMessage | GroupMessage))

    def line(self) -> str:
        delivered = sum(len(copies) for copies in self.deliveries.copies.values())
        return (
            f"{self.shifts} shifts: confirm cards {self.confirm_cards}, offers {self.offers}"
            f" (cards {self.offer_cards}); outbox rows {len(self.deliveries.rows)}"
            f" {dict(self.outbox)}: {dict(sorted(self.deliveries.by_label().items()))}"
            f"\n  chat messages {self.messages}; sandbox saw {delivered} deliveries for the"
            f" rows, {len(self.deliveries.repeated())} rows more than once,"
            f" {len(self.deliveries.missing())} never, {len(self.deliveries.stray)} unasked"
            f"\n  reminders {dict(self.reminders)}, nudges {dict(self.nudges)} (per person and"
            f" shift); taps {dict(sorted(self.taps.items()))}, messages in {self.messages_in};"
            f" confirmations lost {len(self.lost_answers)}"
        )


def _compare(expected: set[str], got: Counter[str], into: Counter[str]) -> None:
    for person in expected | set(got):
        copies = got[person]
        if person in expected and copies == 0:
            into["missing"] += 1
        elif person not in expected and copies:
            into["unexpected"] += 1
        if copies:
            into["delivered"] += 1
        if copies > 1:
            into["repeated"] += copies - 1


async def _overfull(sessions: SessionFactory) -> list[int]:
    async with sessions() as session:
        rows = await session.exec(
            select(Shift.id, Shift.headcount, func.count())
            .join(Assignment, col(Assignment.shift_id) == col(Shift.id))
            .where(col(Assignment.state).in_(HOLDS_A_SEAT))
            .group_by(col(Shift.id), col(Shift.headcount))
        )
        return [shift_id or 0 for shift_id, headcount, held in rows.all() if held > headcount]


async def week_report(
    sessions: SessionFactory, sb: Sandbox, org: Org, simulation: Simulation
) -> WeekReport:
    deliveries = await match_deliveries(sessions, sb)
    outcomes = await step_outcomes(sessions)
    states = await assignment_states(sessions)
    answers = simulation.answers()
    async with sessions() as session:
        offers = int((await session.exec(select(func.count()).select_from(Offer))).one())
    accepted: dict[tuple[int, str], str] = {}
    for answer in answers:
        if answer.result == "ok":
            accepted[(answer.tap.shift_id, answer.tap.staff_id)] = answer.tap.action
    lost = [
        f"{staff_id} on #{shift_id}: last accepted {action}, assignment"
        f" {states.get((shift_id, staff_id))}"
        for (shift_id, staff_id), action in accepted.items()
        if states.get((shift_id, staff_id)) != STATE_AFTER[action]
    ]
    cards = sb.cards
    report = WeekReport(
        deliveries=deliveries,
        outbox=Counter(row.status for row in deliveries.rows),
        shifts=len(org.shifts),
        confirm_cards=sum(1 for card in cards if CONFIRM_CARD.fullmatch(card)),
        offer_cards=sum(1 for card in cards if OFFER_CARD.fullmatch(card)),
        offers=offers,
        steps_not_sent={
            shift.id: outcomes.get(shift.id, {})
            for shift in org.shifts
            if outcomes.get(shift.id, {}) != ALL_SENT
        },
        lost_answers=lost,
        unanswered=sum(1 for answer in answers if answer.result is None),
        overfull=await _overfull(sessions),
        taps=Counter(f"{answer.tap.action} {answer.result}" for answer in answers),
        messages_in=simulation.stats.messages,
        left_over=simulation.stats.left_over,
    )
    reminded = recipients(deliveries, "remind")
    nudged = recipients(deliveries, "nudge")
    for shift in org.shifts:
        nudge_at = shift.starts_at - DEFAULT_OFFSETS.nudge
        tapped_before_nudge = {
            answer.tap.staff_id
            for answer in answers
            if answer.tap.shift_id == shift.id and answer.tap.at < nudge_at
        }
        confirmed = {
            staff_id
            for (shift_id, staff_id), action in accepted.items()
            if shift_id == shift.id and STATE_AFTER[action] == "confirmed"
        }
        _compare(confirmed, reminded.get(shift.id, Counter()), report.reminders)
        waiting = set(shift.staff_ids) - tapped_before_nudge
        _compare(waiting, nudged.get(shift.id, Counter()), report.nudges)
    return report


def assert_week_complete(report: WeekReport) -> None:
    """What must hold whatever happened on the way: nothing lost, nothing left undone."""
    sent_only = Counter({OutboxStatus.SENT: len(report.deliveries.rows)})
    assert report.outbox == sent_only, report.line()
    assert report.steps_not_sent == {}, report.line()
    assert report.unanswered == 0, report.line()
    assert report.left_over == 0, report.line()
    assert report.lost_answers == [], report.lost_answers
    assert report.overfull == [], report.overfull
    assert report.confirm_cards == report.shifts, report.line()
    assert report.offer_cards == report.offers, report.line()
    assert report.deliveries.missing() == [], report.deliveries.missing()
    assert report.deliveries.stray == [], report.deliveries.stray
    assert report.deliveries.ambiguous == [], report.deliveries.ambiguous
    assert report.reminders["missing"] == report.reminders["unexpected"] == 0, report.line()
    assert report.nudges["missing"] == report.nudges["unexpected"] == 0, report.line()
    # The week must exercise what it claims to: answers, offers, reminders and nudges.
    assert report.reminders["delivered"] > 0, report.line()
    assert report.nudges["delivered"] > 0, report.line()
    assert report.taps["confirm ok"], report.line()
    assert report.taps["decline ok"], report.line()
    assert report.offers > 0, report.line()
