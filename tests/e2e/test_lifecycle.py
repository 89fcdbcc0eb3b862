"""A shift's lifecycle through the real SDK and the sandbox, on a clock the test moves: publish
-> announcement -> confirm card at T−48 h -> taps -> nudge at T−36 h -> reminder at T−24 h."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest
from sqlmodel import select

from bot.app import BotApp
from core.clock import ManualClock
from core.outgoing import CardDelivery, outgoing_message
from core.settings import Settings
from sandbox import Sandbox
from services.render import day_label
from storage.models import OutboxMessage, ShiftStep
from tests.e2e.chat import (
    COORDINATOR,
    ZONE,
    Chat,
    coordinator_settings,
    notices,
    site_group,
)

TEMPLATE_ID = "dingshift-lifecycle.schema"
PEOPLE = {"u-ada": "Ada", "u-ben": "Ben", "u-cat": "Cat"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return coordinator_settings(settings, card_template_id=TEMPLATE_ID)


async def _tap(sb: Sandbox, staff_id: str, out_track_id: str, action: str, shift_id: int) -> None:
    await sb.wait_for_ack(
        sb.tap_card(staff_id, out_track_id, {"action": action, "shift_id": shift_id})
    )


async def _optional_cards(app: BotApp) -> list[str]:
    """The cards queued as optional (dropped first when the monthly API budget is spent)."""
    async with app.sessions() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    optional = [outgoing_message(row) for row in rows if not row.essential]
    return [
        app.card_on_wire(message.out_track_id)
        for message in optional
        if isinstance(message, CardDelivery)
    ]


async def _steps(app: BotApp, shift_id: int) -> dict[str, str]:
    async with app.sessions() as session:
        rows = await session.exec(select(ShiftStep).where(ShiftStep.shift_id == shift_id))
        return {row.step: row.outcome for row in rows.all()}


async def _shift_with_people(
    sb: Sandbox, app: BotApp, clock: ManualClock, days: int, timing: str = ""
) -> tuple[Chat, int, datetime]:
    chat = await site_group(sb, app, template_id=TEMPLATE_ID, people=PEOPLE)
    day = clock.now().astimezone(ZONE).date() + timedelta(days=days)
    details = f"meet=港鐵C2出口 equipment=手套,圍裙 health=yes {timing}"
    shift_id = await chat.add_shift(day, hours="10:00-13:00", need=3, extra=details)
    await chat.say(f"/assign {shift_id} @Ada @Ben @Cat", at=tuple(PEOPLE))
    return chat, shift_id, datetime.combine(day, time(10), tzinfo=ZONE)


async def _carded_shift(
    sb: Sandbox, app: BotApp, clock: ManualClock
) -> tuple[Chat, int, datetime]:
    """A shift four days out, published, at T−47 h: announced and its card out."""
    chat, shift_id, starts = await _shift_with_people(sb, app, clock, days=4)
    await chat.say(f"/shift publish {starts.date()}")
    clock.set(starts - timedelta(hours=47))
    assert await app.run_due_work() == 2  # announcement and card, one run
    await app.wait_until_outbox_empty()
    return chat, shift_id, starts


async def test_a_published_shift_goes_through_its_lifecycle_as_the_clock_moves(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    chat, shift_id, starts = await _shift_with_people(sb, app, clock, days=4)

    published = await chat.say(f"/shift publish {starts.date()}")
    assert f"#{shift_id}" in published
    assert await app.run_due_work() == 1
    await app.wait_until_outbox_empty()
    [announcement] = [m for m in sb.sent_messages(chat.cid) if m.via == "group_send"]
    assert "新更公佈" in announcement.text
    assert "Ada、Ben、Cat" in announcement.text
    async with app.sessions() as session:
        row = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.dedup_key == f"announce:{shift_id}")
            )
        ).one()
    assert row.process_query_key == announcement.process_query_key
    assert sb.card(app.card_on_wire(f"ds-confirm-{shift_id}")) is None

    clock.set(starts - timedelta(hours=47, minutes=59))
    assert await app.run_due_work() == 1
    await app.wait_until_outbox_empty()
    out_track_id = app.card_on_wire(f"ds-confirm-{shift_id}")
    card = sb.card(out_track_id)
    assert card is not None
    # Told of the card, and highlighted on it.
    assert (set(card.at_user_ids), set(card.highlighted_user_ids)) == (set(PEOPLE), set(PEOPLE))
    await _tap(sb, "u-ada", out_track_id, "confirm", shift_id)
    await _tap(sb, "u-ben", out_track_id, "decline", shift_id)
    assert sb.card_view(out_track_id, "u-cat")["status"] == "已確認 1/3"

    clock.set(starts - timedelta(hours=35, minutes=59))
    assert await app.run_due_work() == 1
    await app.wait_until_outbox_empty()
    [nudge] = notices(sb, "u-cat")
    assert "你仲未回覆" in nudge.text
    assert [b["label"] for b in json.loads(nudge.view["buttons"])] == ["確認出席", "嚟唔到"]
    assert notices(sb, "u-ada") == [] and notices(sb, "u-ben") == []  # noqa: PT018
    # Ben's decline left nobody eligible to offer the seat to (backfill), and said so at once.
    nobody, summary = notices(sb, COORDINATOR)
    assert nobody.title == f"#{shift_id} 搵唔到人頂"
    assert "未回覆 1 人：Cat" in summary.text
    assert "仲缺 1 人" in summary.text
    # Only the coordinators' summary may be dropped once the month's API budget is spent.
    assert await _optional_cards(app) == [summary.out_track_id]

    clock.set(starts - timedelta(hours=23, minutes=59))
    assert await app.run_due_work() == 1
    await app.wait_until_outbox_empty()
    [reminder] = notices(sb, "u-ada")
    assert "你已確認出席以下呢更" in reminder.text
    assert "港鐵C2出口" in reminder.text
    assert "手套、圍裙" in reminder.text
    assert "健康申報" in reminder.text
    assert len(notices(sb, "u-cat")) == 1
    assert notices(sb, "u-ben") == []

    sent_before = len(sb.sent_messages())
    assert await app.run_due_work() == 0
    await app.wait_until_outbox_empty()
    assert len(sb.sent_messages()) == sent_before
    assert await _steps(app, shift_id) == {
        "announce": "sent",
        "confirm": "sent",
        "nudge": "sent",
        "remind": "sent",
    }


async def test_after_downtime_only_what_still_makes_sense_is_sent(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    chat, shift_id, starts = await _shift_with_people(sb, app, clock, days=4)
    await chat.say(f"/shift publish {starts.date()}")
    assert await app.run_due_work() == 1

    # Down from before T−48 h until T−20 h: no stale 48 h or 36 h messages, one card that says
    # the shift is close, and no separate reminder before anyone could confirm.
    clock.set(starts - timedelta(hours=20))
    assert await app.run_due_work() == 3
    await app.wait_until_outbox_empty()
    card = sb.card(app.card_on_wire(f"ds-confirm-{shift_id}"))
    assert card is not None
    assert "好快開始" in card.public["body"]
    assert [notices(sb, staff_id) for staff_id in PEOPLE] == [[], [], []]
    assert await _steps(app, shift_id) == {
        "announce": "sent",
        "confirm": "sent",
        "nudge": "skipped",
        "remind": "merged",
    }


async def test_people_on_an_announced_shift_are_told_of_changes_and_its_card_follows(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    chat, shift_id, _ = await _carded_shift(sb, app, clock)
    out_track_id = app.card_on_wire(f"ds-confirm-{shift_id}")

    edited = await chat.say(f"/shift edit {shift_id} time=11:00-14:00 meet=「港鐵B出口」")
    assert "11:00–14:00" in edited
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    for staff_id in PEOPLE:
        [told] = notices(sb, staff_id)
        assert "有以下改動" in told.text
        assert "10:00–13:00" in told.text
        assert "11:00–14:00" in told.text
    view = sb.card_view(out_track_id, "u-ada")
    assert "11:00–14:00" in view["title"]
    assert "港鐵B出口" in view["body"]
    assert view["my_status"] == "請撳掣確認你會唔會嚟"  # private answers are left alone

    await chat.say(f"/shift cancel {shift_id} 天文台八號風球")
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    cancelled = notices(sb, "u-ben")[-1]
    assert "已取消" in cancelled.text
    assert "天文台八號風球" in cancelled.text
    view = sb.card_view(out_track_id, "u-ben")
    assert view["status"] == "❌ 呢更已取消"
    assert view["buttons"] == "[]"
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    assert len(notices(sb, "u-ben")) == 2  # told once of each change


async def test_a_shift_with_its_own_timing_gets_its_steps_when_it_says(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    chat, shift_id, starts = await _shift_with_people(
        sb, app, clock, days=5, timing="confirm=3d nudge=2d"
    )
    assert "📝 未發佈" in await chat.say(f"/roster {shift_id}")
    published = await chat.say(f"/shift publish {starts.date()}")
    assert f"- #{shift_id}: 確認卡、催覆、提醒：開更前 72h、48h、24h*" in published
    assert "⏭️ 下一步：群組公佈，即將發出" in await chat.say(f"/roster {shift_id}")
    assert await app.run_due_work() == 1  # the announcement
    await app.wait_until_outbox_empty()
    card_at = starts - timedelta(hours=72)
    expected = f"⏭️ 下一步：確認卡，{day_label(card_at.date(), 'zh-HK')} {card_at:%H:%M}"
    assert expected in await chat.say(f"/roster {shift_id}")

    clock.set(starts - timedelta(hours=71, minutes=59))  # the organisation's 48 h is a day off
    assert await app.run_due_work() == 1
    await app.wait_until_outbox_empty()
    assert sb.card(app.card_on_wire(f"ds-confirm-{shift_id}")) is not None

    clock.set(starts - timedelta(hours=47, minutes=59))
    assert await app.run_due_work() == 1
    await app.wait_until_outbox_empty()
    assert await _steps(app, shift_id) == {"announce": "sent", "confirm": "sent", "nudge": "sent"}
    assert notices(sb, "u-ada") != []

    # The reminder keeps the organisation's 24 h; moving it later than the nudge is refused.
    refused = await chat.say(f"/shift edit {shift_id} remind=49h")
    assert "時間次序唔啱" in refused
    assert "The timing is out of order" in refused
    clock.set(starts - timedelta(hours=24, minutes=1))
    assert await app.run_due_work() == 0
    clock.set(starts - timedelta(hours=23, minutes=59))
    assert await app.run_due_work() == 1


async def test_volunteers_answer_on_their_nudge_and_withdraw_from_their_reminder(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    chat, shift_id, starts = await _carded_shift(sb, app, clock)
    group_card = app.card_on_wire(f"ds-confirm-{shift_id}")
    await _tap(sb, "u-ben", group_card, "confirm", shift_id)

    clock.set(starts - timedelta(hours=35))
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    [nudge] = notices(sb, "u-cat")
    assert [b["label"] for b in json.loads(nudge.view["buttons"])] == ["確認出席", "嚟唔到"]
    await _tap(sb, "u-cat", nudge.out_track_id, "confirm", shift_id)
    await app.wait_until_outbox_empty()
    thanks = "✅ 你已確認出席，多謝！"
    assert sb.card_view(nudge.out_track_id, "u-cat")["my_status"] == thanks
    group_view = sb.card_view(group_card, "u-cat")
    assert (group_view["status"], group_view["my_status"]) == ("已確認 2/3", thanks)
    assert (await chat.states(shift_id))["Cat"] == "confirmed"

    clock.set(starts - timedelta(hours=23))
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    reminder = notices(sb, "u-cat")[-1]
    assert [b["label"] for b in json.loads(reminder.view["buttons"])] == ["臨時嚟唔到"]
    card = sb.card(reminder.out_track_id)
    assert card is not None
    assert sorted(card.spaces) == [("IM_ROBOT", "u-ben"), ("IM_ROBOT", "u-cat")]  # one call
    await _tap(sb, "u-cat", reminder.out_track_id, "decline", shift_id)
    await app.wait_until_outbox_empty()
    assert (await chat.states(shift_id))["Cat"] == "declined"
    assert sb.card_view(group_card, "u-ada")["status"] == "已確認 1/3"
    sorry = "已收到，你今次嚟唔到。我哋會搵人補上。"
    assert sb.card_view(group_card, "u-cat")["my_status"] == sorry
    assert sb.card_view(reminder.out_track_id, "u-cat")["my_status"] == sorry
    assert sb.card_view(reminder.out_track_id, "u-ben")["my_status"] == thanks
    # Nobody else is free: the coordinators hear of the open seat at once.
    assert notices(sb, COORDINATOR)[-1].title == f"#{shift_id} 搵唔到人頂"


async def test_a_reminder_that_misses_one_person_reaches_them_after_all_and_nobody_twice(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    chat, shift_id, starts = await _carded_shift(sb, app, clock)
    group_card = app.card_on_wire(f"ds-confirm-{shift_id}")
    for staff_id in PEOPLE:
        await _tap(sb, staff_id, group_card, "confirm", shift_id)
    clock.set(starts - timedelta(hours=35))
    await app.run_due_work()
    await app.wait_until_outbox_empty()

    sb.fail_card_space_next("u-ben")  # DingTalk reports Ben's chat failed, once
    clock.set(starts - timedelta(hours=23))
    await app.run_due_work()
    await app.wait_until_outbox_empty()

    reminders = {staff_id: notices(sb, staff_id) for staff_id in PEOPLE}
    assert {staff_id: len(cards) for staff_id, cards in reminders.items()} == dict.fromkeys(
        PEOPLE, 1
    )
    [reminder] = reminders["u-ben"]
    assert "提提你" in reminder.title
    card = sb.card(reminder.out_track_id)
    assert card is not None
    assert sorted(card.spaces) == [("IM_ROBOT", staff_id) for staff_id in sorted(PEOPLE)]
    assert [change.kind for change in card.history] == ["create", "deliver"]
    assert [m for m in sb.sent_messages() if m.via == "oto_send"] == []  # no fallback needed
    # The card Ben got late answers like any other.
    await _tap(sb, "u-ben", reminder.out_track_id, "decline", shift_id)
    await app.wait_until_outbox_empty()
    assert (await chat.states(shift_id))["Ben"] == "declined"
