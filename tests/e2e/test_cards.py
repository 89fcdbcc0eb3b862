"""Confirm / Can't make it cards through the real SDK and the sandbox: delivery, taps, ACKs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import pytest
from sqlmodel import select

from bot.app import BotApp
from core.settings import Settings
from jobs.steps import queue_confirm_card
from sandbox import Sandbox
from storage.models import Assignment, AssignmentState, Shift, ShiftStatus, Volunteer
from tests.e2e.chat import COORDINATOR, Chat, day_ahead, site_group

TEMPLATE_ID = "dingshift-test.schema"
PEOPLE = {"u-ada": "Ada", "u-ben": "Ben", "u-cat": "Cat"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "org": settings.org.model_copy(update={"admins": [COORDINATOR]}),
            "dingtalk": settings.dingtalk.model_copy(update={"card_template_id": TEMPLATE_ID}),
        }
    )


@pytest.fixture
async def card(sb: Sandbox, bot: BotApp) -> tuple[Chat, int, str]:
    """A shift with Ada and Ben on it (Cat is in the group but not on it) and its confirm card."""
    chat = await site_group(sb, bot, template_id=TEMPLATE_ID, people=PEOPLE)
    shift_id = await chat.add_shift(day_ahead(2), need=3, extra="meet=港鐵C2出口")
    assert "✅" in await chat.say(f"/assign {shift_id} @Ada @Ben", at=("u-ada", "u-ben"))
    async with bot.sessions.begin() as session:
        shift = await session.get(Shift, shift_id)
        assert shift is not None
        assert await queue_confirm_card(
            session=session, shift=shift, settings=bot.settings, now=bot.clock.now()
        )
    bot.outbox.wake()
    out_track_id = bot.card_on_wire(f"ds-confirm-{shift_id}")
    await sb.wait_until(lambda: sb.card(out_track_id) is not None)
    return chat, shift_id, out_track_id


async def _state(bot: BotApp, shift_id: int, staff_id: str) -> tuple[str, datetime | None]:
    async with bot.sessions() as session:
        assignment = (
            await session.exec(
                select(Assignment)
                .join(Volunteer)
                .where(Assignment.shift_id == shift_id, Volunteer.staff_id == staff_id)
            )
        ).one()
    return assignment.state, assignment.responded_at


async def test_the_card_reaches_the_group_mentioning_the_people_on_the_shift(
    sb: Sandbox, card: tuple[Chat, int, str]
) -> None:
    chat, shift_id, out_track_id = card
    delivered = sb.card(out_track_id)
    assert delivered is not None
    assert delivered.template_id == TEMPLATE_ID
    assert delivered.open_space_id == f"dtv1.card//IM_GROUP.{chat.cid}"
    assert set(delivered.at_user_ids) == {"u-ada", "u-ben"}
    assert delivered.public["status"] == "已確認 0/3"
    assert delivered.public["shift_id"] == str(shift_id)
    assert "港鐵C2出口" in delivered.public["body"]
    assert '"action": "confirm"' in delivered.public["buttons"]
    assert sb.card_view(out_track_id, "u-ada")["my_status"] == "請撳掣確認你會唔會嚟"
    [create] = sb.requests("/v1.0/card/instances/createAndDeliver")
    assert create.body["callbackType"] == "STREAM"
    assert sb.requests("/v1.0/im/") == []  # never the closed StandardCard API


@pytest.mark.parametrize("shape", ["content", "value"])
async def test_a_tap_confirms_at_once_and_the_card_shows_the_new_count(
    sb: Sandbox, bot: BotApp, card: tuple[Chat, int, str], shape: Literal["content", "value"]
) -> None:
    _, shift_id, out_track_id = card
    tap = sb.tap_card(
        "u-ada", out_track_id, {"action": "confirm", "shift_id": shift_id}, shape=shape
    )

    [ack] = await sb.wait_for_ack(tap)
    assert ack.code == 200
    assert ack.latency_s is not None
    assert ack.latency_s < 1.0
    assert ack.response["cardUpdateOptions"] == {
        "updateCardDataByKey": True,
        "updatePrivateDataByKey": True,
    }
    assert sb.card_view(out_track_id, "u-ada")["status"] == "已確認 1/3"
    assert sb.card_view(out_track_id, "u-ada")["my_status"] == "✅ 你已確認出席，多謝！"
    assert sb.card_view(out_track_id, "u-ada")["last_result"] == "ok"
    assert sb.card_view(out_track_id, "u-ben")["my_status"] == "請撳掣確認你會唔會嚟"
    assert sb.card_view(out_track_id, "u-ben")["title"].startswith("請確認出席")
    assert (await _state(bot, shift_id, "u-ada"))[0] == AssignmentState.CONFIRMED


async def test_the_same_tap_delivered_twice_changes_the_roster_once(
    sb: Sandbox, bot: BotApp, card: tuple[Chat, int, str]
) -> None:
    _, shift_id, out_track_id = card
    tap = sb.tap_card("u-ben", out_track_id, {"action": "decline", "shift_id": str(shift_id)})
    await sb.wait_for_ack(tap)
    first = await _state(bot, shift_id, "u-ben")
    sb.redeliver(tap)
    one, two = await sb.wait_for_ack(tap, count=2)
    assert one.response == two.response
    assert await _state(bot, shift_id, "u-ben") == first
    assert first[0] == AssignmentState.DECLINED
    assert sb.card_view(out_track_id, "u-ben")["status"] == "已確認 0/3"


async def test_someone_not_on_the_shift_is_told_privately_and_nothing_changes(
    sb: Sandbox, bot: BotApp, card: tuple[Chat, int, str]
) -> None:
    chat, shift_id, out_track_id = card
    sb.add_members(chat.cid, ["u-cat"])
    tap = sb.tap_card("u-cat", out_track_id, {"action": "confirm", "shift_id": shift_id})
    [ack] = await sb.wait_for_ack(tap)
    assert "cardData" not in ack.response
    view = sb.card_view(out_track_id, "u-cat")
    assert view["my_status"] == f"你唔喺 #{shift_id} 呢更嘅名單上，所以乜都冇改到。"
    assert view["last_result"] == "refused"
    assert view["status"] == "已確認 0/3"
    async with bot.sessions() as session:
        states = (await session.exec(select(Assignment.state))).all()
    assert sorted(states) == ["invited", "invited"]


async def test_taps_on_a_cancelled_or_started_shift_change_nothing(
    sb: Sandbox, bot: BotApp, card: tuple[Chat, int, str]
) -> None:
    chat, shift_id, out_track_id = card
    assert "#" in await chat.say(f"/shift cancel {shift_id} rain")
    tap = sb.tap_card("u-ada", out_track_id, {"action": "confirm", "shift_id": shift_id})
    await sb.wait_for_ack(tap)
    assert "已經取消" in sb.card_view(out_track_id, "u-ada")["my_status"]

    async with bot.sessions.begin() as session:
        shift = await session.get(Shift, shift_id)
        assert shift is not None
        shift.status = ShiftStatus.SCHEDULED
        shift.starts_at = bot.clock.now() - timedelta(minutes=5)
        session.add(shift)
    tap = sb.tap_card("u-ben", out_track_id, {"action": "decline", "shift_id": shift_id})
    await sb.wait_for_ack(tap)
    assert "已經開始" in sb.card_view(out_track_id, "u-ben")["my_status"]
    assert (await _state(bot, shift_id, "u-ada"))[0] == AssignmentState.INVITED
    assert (await _state(bot, shift_id, "u-ben"))[0] == AssignmentState.INVITED


async def test_a_volunteer_who_declined_can_still_confirm_while_the_seat_is_free(
    sb: Sandbox, bot: BotApp, card: tuple[Chat, int, str]
) -> None:
    _, shift_id, out_track_id = card
    declined = sb.tap_card("u-ada", out_track_id, {"action": "decline", "shift_id": shift_id})
    await sb.wait_for_ack(declined)
    confirmed = sb.tap_card("u-ada", out_track_id, {"action": "confirm", "shift_id": shift_id})
    await sb.wait_for_ack(confirmed)
    assert (await _state(bot, shift_id, "u-ada"))[0] == AssignmentState.CONFIRMED
    assert sb.card_view(out_track_id, "u-ada")["status"] == "已確認 1/3"


async def test_a_button_forged_to_name_another_shift_changes_nothing(
    sb: Sandbox, bot: BotApp, card: tuple[Chat, int, str]
) -> None:
    """The tap's shift is its card's: Ada, on both shifts, cannot answer for the other one
    through this card by editing the button's shift_id."""
    chat, shift_id, out_track_id = card
    other_id = await chat.add_shift(day_ahead(3), need=2)
    assert "✅" in await chat.say(f"/assign {other_id} @Ada", at=("u-ada",))
    tap = sb.tap_card("u-ada", out_track_id, {"action": "decline", "shift_id": other_id})
    [ack] = await sb.wait_for_ack(tap)
    assert "cardData" not in ack.response
    view = sb.card_view(out_track_id, "u-ada")
    assert view["my_status"] == "呢個掣喺呢張卡用唔到。"
    assert view["last_result"] == "refused"
    assert view["status"] == "已確認 0/3"
    assert (await _state(bot, shift_id, "u-ada")) == (AssignmentState.INVITED, None)
    assert (await _state(bot, other_id, "u-ada")) == (AssignmentState.INVITED, None)
