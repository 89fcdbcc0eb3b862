"""Backfill through the real SDK and the sandbox, on a clock the test moves: a decline opens the
vacancy, private offer cards go to the best-ranked eligible volunteers, the first tap wins, the
other cards and the group's card follow, and offers nobody takes expire to the coordinators."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from sqlmodel import col, select

from bot.app import BotApp
from core.clock import ManualClock
from core.settings import Settings
from sandbox import Sandbox
from storage.models import Offer, OfferState, Volunteer
from storage.volunteers import register_volunteer
from tests.e2e.chat import (
    COORDINATOR,
    ZONE,
    Chat,
    coordinator_settings,
    notices,
    site_group,
)

TEMPLATE_ID = "dingshift-backfill.schema"
ON_SHIFT = {"u-ada": "Ada", "u-ben": "Ben", "u-cat": "Cat"}
# staffId -> (nickname, districts, languages, availability). The shift is on a Saturday morning
# at a Sham Shui Po site and needs a Mandarin speaker once Ben (the only one) drops out.
PEOPLE = {
    "u-ada": ("Ada", ["sham-shui-po"], ["yue"], []),
    "u-ben": ("Ben", ["sham-shui-po"], ["cmn"], []),
    "u-cat": ("Cat", ["sham-shui-po"], ["yue"], []),
    "u-dora": ("Dora", ["sham-shui-po"], ["cmn"], ["sat-am"]),  # district, language, time
    "u-eli": ("Eli", ["sham-shui-po"], ["yue"], ["sat-am"]),  # district, time
    "u-fay": ("Fay", ["kwun-tong"], ["cmn", "en"], []),  # language
    "u-gus": ("Gus", ["sham-shui-po"], ["cmn"], ["sat-am"]),  # best match, but booked meanwhile
    "u-hal": ("Hal", ["islands"], ["en"], []),  # nothing: fourth, so not asked
}
OFFERED = ("u-dora", "u-eli", "u-fay")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return coordinator_settings(settings, card_template_id=TEMPLATE_ID)


@dataclass
class World:
    app: BotApp
    clock: ManualClock
    chat: Chat
    shift_id: int
    other_shift_id: int
    starts: datetime

    def offer_card_id(self, staff_id: str) -> str:
        return self.app.card_on_wire(f"ds-offer-{self.shift_id}-{staff_id}")

    @property
    def confirm_card_id(self) -> str:
        return self.app.card_on_wire(f"ds-confirm-{self.shift_id}")


def _next_saturday(after: date) -> date:
    return after + timedelta(days=(5 - after.weekday()) % 7 or 7)


async def _offers(app: BotApp, shift_id: int) -> dict[str, tuple[str, datetime]]:
    """staffId -> (state, deadline) of each offer on the shift, in the order they were made."""
    async with app.sessions() as session:
        rows = await session.exec(
            select(Volunteer.staff_id, Offer)
            .join(Offer, col(Offer.volunteer_id) == col(Volunteer.id))
            .where(Offer.shift_id == shift_id)
            .order_by(col(Offer.id))
        )
        return {staff_id: (offer.state, offer.deadline) for staff_id, offer in rows.all()}


async def _tap(sb: Sandbox, world: World, staff_id: str, card_id: str, action: str) -> str:
    tap = sb.tap_card(staff_id, card_id, {"action": action, "shift_id": world.shift_id})
    [ack] = await sb.wait_for_ack(tap)
    assert ack.code == 200
    return sb.card_view(card_id, staff_id)["my_status"]


async def _world(sb: Sandbox, app: BotApp, clock: ManualClock) -> World:
    """A published Saturday-morning shift with Ada, Ben and Cat booked, needing one Mandarin
    speaker; Gus booked at the same time on another shift; the confirm cards out (T−48 h)."""
    chat = await site_group(sb, app, template_id=TEMPLATE_ID, people={})
    for staff_id, (nick, districts, languages, slots) in PEOPLE.items():
        sb.add_members(chat.cid, [sb.add_user(nick=nick, staff_id=staff_id)])
        async with app.sessions.begin() as session:
            await register_volunteer(
                session=session,
                staff_id=staff_id,
                dingtalk_id="",
                nickname=nick,
                districts=districts,
                languages=languages,
                availability=slots,
                now=clock.now(),
            )
    day = _next_saturday(clock.now().astimezone(ZONE).date() + timedelta(days=3))
    shift_id = await chat.add_shift(
        day, hours="09:00-12:00", need=3, extra="lang=cmn:1 meet=港鐵C2出口"
    )
    other_id = await chat.add_shift(day, hours="10:00-13:00", need=2)
    assert "✅" in await chat.say(f"/assign {shift_id} @Ada @Ben @Cat", at=tuple(ON_SHIFT))
    assert "✅" in await chat.say(f"/assign {other_id} @Gus", at=("u-gus",))
    assert f"#{shift_id}" in await chat.say(f"/shift publish {day}")
    starts = datetime.combine(day, time(9), tzinfo=ZONE)
    clock.set(starts - timedelta(hours=47, minutes=59))
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    world = World(app, clock, chat, shift_id, other_id, starts)
    assert sb.card(world.confirm_card_id) is not None
    return world


async def _world_with_offers(sb: Sandbox, app: BotApp, clock: ManualClock) -> World:
    """The world after Ben declined: his seat offered to Dora, Eli and Fay."""
    world = await _world(sb, app, clock)
    await _tap(sb, world, "u-ben", world.confirm_card_id, "decline")
    await app.wait_until_outbox_empty()
    return world


def _check_the_offer_card(sb: Sandbox, world: World, staff_id: str) -> None:
    """Delivered privately into the 1:1 robot chat, with the shift's details and one button."""
    card = sb.card(world.offer_card_id(staff_id))
    assert card is not None
    assert card.open_space_id == f"dtv1.card//IM_ROBOT.{staff_id}"
    assert card.at_user_ids == ()
    assert "有位要人頂" in card.public["title"]
    assert "港鐵C2出口" in card.public["body"]
    assert json.loads(card.public["buttons"]) == [
        {"label": "我可以頂上", "action": "take", "shift_id": str(world.shift_id)}
    ]
    assert sb.card_view(world.offer_card_id(staff_id), staff_id)["my_status"].startswith("撳")
    create = next(
        r
        for r in sb.requests("/v1.0/card/instances/createAndDeliver")
        if r.body["outTrackId"] == world.offer_card_id(staff_id)
    )
    assert create.body["imRobotOpenSpaceModel"] == {"supportForward": False}
    assert create.body["imRobotOpenDeliverModel"] == {
        "spaceType": "IM_ROBOT",
        "robotCode": sb.robot_code,
    }


async def test_a_decline_offers_the_seat_to_the_best_matches_and_the_first_tap_wins(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    world = await _world(sb, app, clock)
    assert (
        await _tap(sb, world, "u-ada", world.confirm_card_id, "confirm")
        == "✅ 你已確認出席，多謝！"
    )
    await _tap(sb, world, "u-ben", world.confirm_card_id, "decline")
    await app.wait_until_outbox_empty()

    # Offered privately, best first: not Gus (booked at the same time), not Hal (fourth), nobody
    # on the shift or who declined it.
    offers = await _offers(app, world.shift_id)
    assert list(offers) == list(OFFERED)
    assert {state for state, _ in offers.values()} == {OfferState.OPEN}
    [deadline] = {deadline for _, deadline in offers.values()}
    assert deadline == clock.now() + timedelta(hours=6)
    for staff_id in ("u-gus", "u-hal", *ON_SHIFT):
        assert sb.card(world.offer_card_id(staff_id)) is None
    _check_the_offer_card(sb, world, "u-dora")

    # Fay is booked meanwhile at the same time: her tap changes nothing.
    assert "✅" in await world.chat.say(f"/assign {world.other_shift_id} @Fay", at=("u-fay",))
    refused = await _tap(sb, world, "u-fay", world.offer_card_id("u-fay"), "take")
    assert "撞時間" in refused
    assert (await world.chat.states(world.shift_id)).get("Fay") is None

    # Dora and Eli tap at the same moment: exactly one gets the seat.
    taps = {
        staff_id: sb.tap_card(
            staff_id,
            world.offer_card_id(staff_id),
            {"action": "take", "shift_id": world.shift_id},
        )
        for staff_id in ("u-dora", "u-eli")
    }
    for tap in taps.values():
        [ack] = await sb.wait_for_ack(tap)
        assert ack.code == 200
    seen = {
        staff_id: sb.card_view(world.offer_card_id(staff_id), staff_id)["my_status"]
        for staff_id in taps
    }
    [winner] = [staff_id for staff_id, mine in seen.items() if mine.startswith("✅ 你已頂上")]
    [loser] = [staff_id for staff_id in taps if staff_id != winner]
    assert seen[loser] == f"#{world.shift_id} 已經有人頂咗，多謝你！乜都冇改到。"
    states = await world.chat.states(world.shift_id)
    assert states[PEOPLE[winner][0]] == "confirmed"
    assert PEOPLE[loser][0] not in states
    assert states["Ben"] == "declined"
    offers = await _offers(app, world.shift_id)
    assert offers[winner][0] == OfferState.TAKEN
    assert offers[loser][0] == offers["u-fay"][0] == OfferState.LOST

    # The other cards say the seat is gone; the group's card shows the new count.
    await app.wait_until_outbox_empty()
    for staff_id in (loser, "u-fay"):
        view = sb.card_view(world.offer_card_id(staff_id), staff_id)
        assert view["status"] == "已經有人頂上"
        assert view["buttons"] == "[]"
        assert "已經有人頂咗" in view["my_status"]
    assert sb.card_view(world.offer_card_id(winner), winner)["status"] == "✅ 已由你頂上"
    assert sb.card_view(world.confirm_card_id, "u-ada")["status"] == "已確認 2/3"
    assert sb.card_view(world.confirm_card_id, winner)["my_status"] == "✅ 你已確認出席，多謝！"

    # A late tap changes nothing either.
    late = await _tap(sb, world, loser, world.offer_card_id(loser), "take")
    assert "已經有人頂咗" in late
    assert await world.chat.states(world.shift_id) == states


async def test_once_the_seat_is_taken_a_second_take_and_a_change_of_heart_change_nothing(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    world = await _world_with_offers(sb, app, clock)
    took = await _tap(sb, world, "u-dora", world.offer_card_id("u-dora"), "take")
    assert took.startswith("✅ 你已頂上")
    await app.wait_until_outbox_empty()
    states = await world.chat.states(world.shift_id)
    assert states["Dora"] == "confirmed"
    assert states["Ben"] == "declined"
    assert sum(state != "declined" for state in states.values()) == 3  # the shift is full
    offers = await _offers(app, world.shift_id)
    assert offers["u-dora"][0] == OfferState.TAKEN
    group_status = sb.card_view(world.confirm_card_id, "u-ada")["status"]
    dora_card = sb.card_view(world.offer_card_id("u-dora"), "u-dora")
    cards, sent = len(sb.cards), len(sb.sent_messages())

    # The winner taps "take" again: told the seat is already theirs, nothing else happens.
    again = await _tap(sb, world, "u-dora", world.offer_card_id("u-dora"), "take")
    assert again == f"你已經頂咗 #{world.shift_id}，多謝！"
    await app.wait_until_outbox_empty()
    assert await world.chat.states(world.shift_id) == states
    assert await _offers(app, world.shift_id) == offers
    assert sb.card_view(world.offer_card_id("u-dora"), "u-dora")["status"] == dora_card["status"]
    assert sb.card_view(world.confirm_card_id, "u-ada")["status"] == group_status

    # Ben changes his mind on the group's confirm card: his seat has gone to Dora.
    refused = await _tap(sb, world, "u-ben", world.confirm_card_id, "confirm")
    assert refused == f"#{world.shift_id} 已經搵到人補上，多謝你！"
    await app.wait_until_outbox_empty()
    assert await world.chat.states(world.shift_id) == states
    assert await _offers(app, world.shift_id) == offers
    assert sb.card_view(world.confirm_card_id, "u-ada")["status"] == group_status
    assert (len(sb.cards), len(sb.sent_messages())) == (cards, sent)


async def test_offers_nobody_takes_expire_and_the_coordinators_are_told(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    world = await _world_with_offers(sb, app, clock)
    assert list(await _offers(app, world.shift_id)) == list(OFFERED)
    before = len(notices(sb, COORDINATOR))

    clock.advance(timedelta(hours=5, minutes=59))
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    assert {state for state, _ in (await _offers(app, world.shift_id)).values()} == {"open"}

    clock.advance(timedelta(minutes=2))
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    offers = await _offers(app, world.shift_id)
    assert {state for state, _ in offers.values()} == {OfferState.EXPIRED}
    [told] = [
        m for m in notices(sb, COORDINATOR)[before:] if m.title == f"#{world.shift_id} 仲未有人頂"
    ]
    assert "問過：Dora、Eli、Fay" in told.text
    assert "仲缺 1 人" in told.text
    assert f"/assign {world.shift_id}" in told.text
    for staff_id in OFFERED:
        view = sb.card_view(world.offer_card_id(staff_id), staff_id)
        assert view["status"] == "邀請已截止"
        assert view["buttons"] == "[]"

    # A tap after the deadline changes nothing; the next run has nothing more to expire.
    late = await _tap(sb, world, "u-dora", world.offer_card_id("u-dora"), "take")
    assert late == f"#{world.shift_id} 嘅邀請已經截止，乜都冇改到。"
    assert "Dora" not in await world.chat.states(world.shift_id)
    told_before = len(notices(sb, COORDINATOR))
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    assert len(notices(sb, COORDINATOR)) == told_before

    # Coordinators can still assign directly.
    assert "✅" in await world.chat.say(f"/assign {world.shift_id} @Dora", at=("u-dora",))


async def test_an_offer_never_outlives_the_shift_start(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    world = await _world(sb, app, clock)
    clock.set(world.starts - timedelta(hours=4))
    await _tap(sb, world, "u-ben", world.confirm_card_id, "decline")
    offers = await _offers(app, world.shift_id)
    assert {deadline for _, deadline in offers.values()} == {world.starts}


async def test_unassigning_offers_the_seat_and_the_reply_says_to_whom(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    world = await _world(sb, app, clock)
    reply = await world.chat.say(f"/unassign {world.shift_id} @Cat", at=("u-cat",))
    # Ben still speaks Mandarin, so the language counts for nobody: Dora and Eli match the district
    # and the time, Gus is busy, and Fay and Hal match nothing: Fay comes first by her id.
    assert "已私下問 3 位義工可唔可以頂上：Dora、Eli、Fay" in reply
    await app.wait_until_outbox_empty()
    assert sb.card(world.offer_card_id("u-cat")) is None
    # Filling the seat directly closes the offers.
    assert "✅" in await world.chat.say(f"/assign {world.shift_id} @Hal", at=("u-hal",))
    await app.wait_until_outbox_empty()
    offers = await _offers(app, world.shift_id)
    assert {state for state, _ in offers.values()} == {OfferState.LOST}
    assert sb.card_view(world.offer_card_id("u-dora"), "u-dora")["status"] == "已經有人頂上"


async def test_open_offers_follow_an_edit_and_close_when_the_shift_is_cancelled(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    world = await _world_with_offers(sb, app, clock)

    edited = await world.chat.say(f"/shift edit {world.shift_id} meet=「港鐵B出口」")
    assert "港鐵B出口" in edited
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    for staff_id in OFFERED:
        view = sb.card_view(world.offer_card_id(staff_id), staff_id)
        assert "港鐵B出口" in view["body"]
        assert "港鐵C2出口" not in view["body"]
        assert json.loads(view["buttons"])[0]["action"] == "take"  # still open
    assert {state for state, _ in (await _offers(app, world.shift_id)).values()} == {"open"}

    await world.chat.say(f"/shift cancel {world.shift_id} 天文台八號風球")
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    offers = await _offers(app, world.shift_id)
    assert {state for state, _ in offers.values()} == {OfferState.EXPIRED}
    for staff_id in OFFERED:
        view = sb.card_view(world.offer_card_id(staff_id), staff_id)
        assert view["status"] == "呢更已經取消"
        assert view["my_status"] == f"#{world.shift_id} 呢更已經取消，唔使再回覆。"
        assert view["buttons"] == "[]"
    late = await _tap(sb, world, "u-dora", world.offer_card_id("u-dora"), "take")
    assert late == f"#{world.shift_id} 呢更已經取消，唔使再回覆。"
    assert "Dora" not in await world.chat.states(world.shift_id)
