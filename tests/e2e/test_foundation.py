"""The bot through the real SDK and the sandbox: commands, dedup, errors, shutdown, reconnects."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from sqlmodel import select

from bot.app import BotApp
from core.settings import Settings
from sandbox import Sandbox
from storage.models import OutboxMessage, OutboxStatus, ProcessedEvent, Volunteer
from tests.e2e.clock import E2E_START, RunningClock
from tests.e2e.conftest import StartBot


async def _volunteers(app: BotApp) -> list[Volunteer]:
    async with app.sessions() as session:
        return list((await session.exec(select(Volunteer))).all())


async def test_help_in_a_group_reaches_the_bot_and_the_reply_arrives(
    sb: Sandbox, bot: BotApp
) -> None:
    ada = sb.add_user(nick="Ada 陳", staff_id="u-ada")
    group = sb.add_group(title="SSP 深水埗", members=[ada.staff_id])

    message_id = sb.post_message(group.conversation_id, "u-ada", "/help")

    [reply] = await sb.wait_for_messages(1, group.conversation_id)
    assert reply.via == "session_webhook"
    assert reply.at_user_ids == ("u-ada",)
    assert "/join district=" in reply.text
    assert "@-mention me" not in reply.text  # zh-HK is the organisation's language
    assert "喺群組 @我" in reply.text
    [ack] = await sb.wait_for_ack(message_id)
    assert ack.code == 200
    assert {"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"} in sb.subscriptions


async def test_a_bare_mention_and_an_unknown_command_get_the_short_help(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="Ben", staff_id="u-ben")
    group = sb.add_group(title="KT", members=["u-ben"])
    sb.post_message(group.conversation_id, "u-ben", "")
    await sb.wait_for_messages(1, group.conversation_id)
    sb.post_message(group.conversation_id, "u-ben", "/shfit list")
    bare, unknown = await sb.wait_for_messages(2, group.conversation_id)
    assert "/help [command]" in bare.text
    assert "我唔識「/shfit」呢個指令。" in unknown.text
    assert "I don't know the command “/shfit”." in unknown.text
    assert "/join district=" in unknown.text
    # Ben is a volunteer: his own commands, no coordinator's, and where the rest are.
    assert "/shift add" not in unknown.text
    assert "`/help all`" in unknown.text


async def test_the_same_frame_twice_is_processed_once_and_acked_twice(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="Carmen", staff_id="u-carmen")
    group = sb.add_group(title="TM", members=["u-carmen"])

    message_id = sb.post_message(group.conversation_id, "u-carmen", "/join district=tm lang=yue")
    await sb.wait_for_ack(message_id)
    sb.redeliver(message_id)
    first, second = await sb.wait_for_ack(message_id, count=2)
    # A later command's reply proves the duplicate had its chance to produce one.
    sb.post_message(group.conversation_id, "u-carmen", "/me")
    replies = await sb.wait_for_messages(2, group.conversation_id)

    assert (first.code, first.response) == (second.code, second.response) == (200, "OK")
    assert "多謝登記" in replies[0].text
    assert "屯門" in replies[1].text
    assert len(sb.sent_messages(group.conversation_id)) == 2
    assert len(await _volunteers(bot)) == 1
    async with bot.sessions() as session:
        events = (await session.exec(select(ProcessedEvent))).all()
    assert len(events) == 2


async def test_join_with_bad_input_explains_in_both_languages_and_stores_nothing(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="Daisy", staff_id="u-daisy")
    group = sb.add_group(title="SSP", members=["u-daisy"])
    cid = group.conversation_id

    sb.post_message(cid, "u-daisy", '/join district="Mong Kok" lang=yue')
    sb.post_message(cid, "u-daisy", "/join district=ssp")
    sb.post_message(cid, "u-daisy", "/join district=ssp lang=yue avail=someday")
    sb.post_message(cid, "u-daisy", "/join district=ssp lang=yue colour=blue")
    sb.post_message(cid, "u-daisy", '/join district="ssp lang=yue')
    replies = await sb.wait_for_messages(5, cid, timeout=10)

    texts = sorted(reply.text for reply in replies)
    for reply_text in texts:
        assert "乜都冇改到" in reply_text
        assert "Nothing was changed" in reply_text
    joined = "\n".join(texts)
    assert "district=「Mong Kok」唔啱" in joined
    assert "district=“Mong Kok” is not valid" in joined
    assert "缺少 lang=" in joined
    assert "lang=... is missing." in joined
    assert "avail=“someday” is not valid" in joined
    assert "colour= is not an option of this command." in joined
    assert "A quotation mark is not closed" in joined
    assert joined.count("用法：/join district=<district>") == 4
    assert await _volunteers(bot) == []


async def test_a_failed_update_leaves_the_registration_as_it_was(sb: Sandbox, bot: BotApp) -> None:
    sb.add_user(nick="Eric", staff_id="u-eric")
    group = sb.add_group(title="SSP", members=["u-eric"])
    cid = group.conversation_id
    sb.post_message(cid, "u-eric", "/join district=ssp lang=yue avail=sat-am")
    await sb.wait_for_messages(1, cid)
    sb.post_message(cid, "u-eric", "/join district=kt lang=martian")
    await sb.wait_for_messages(2, cid)

    [eric] = await _volunteers(bot)
    assert (eric.districts, eric.languages, eric.availability) == (
        ["sham-shui-po"],
        ["yue"],
        ["sat-am"],
    )


async def test_register_in_chinese_with_full_width_input_then_read_it_back(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="嘉欣", staff_id="u-kayan")
    group = sb.add_group(title="SSP", members=["u-kayan"])
    cid = group.conversation_id
    sb.post_message(
        cid, "u-kayan", "／登記　district＝深水埗，觀塘　lang＝粵語，英文　avail＝星期六上午"
    )
    await sb.wait_for_messages(1, cid)
    sb.post_message(cid, "u-kayan", "/我")
    joined, profile = await sb.wait_for_messages(2, cid)

    assert "多謝登記，嘉欣！" in joined.text
    assert "地區：深水埗、觀塘" in profile.text
    assert "語言：粵語、英文" in profile.text
    assert "有空時段：星期六上午" in profile.text
    [volunteer] = await _volunteers(bot)
    assert volunteer.staff_id == "u-kayan"
    assert volunteer.districts == ["sham-shui-po", "kwun-tong"]


async def test_people_outside_the_organisation_get_a_polite_explanation(
    sb: Sandbox, bot: BotApp
) -> None:
    guest = sb.add_user(nick="Visitor", staff_id=None)
    sb.add_user(nick="Mei", staff_id="u-mei")
    group = sb.add_group(title="SSP", members=["u-mei", guest])
    sb.post_message(group.conversation_id, guest, "/join district=ssp lang=en")
    [reply] = await sb.wait_for_messages(1, group.conversation_id)
    assert "ask a coordinator to invite you" in reply.text
    assert "請聯絡統籌" in reply.text
    assert await _volunteers(bot) == []


async def test_a_private_chat_is_answered_privately(sb: Sandbox, bot: BotApp) -> None:
    sb.add_user(nick="Felix", staff_id="u-felix")
    sb.post_private_message("u-felix", "/me")
    await sb.wait_until(lambda: len(sb.sent_messages()) == 1)
    [reply] = sb.sent_messages()
    assert "你仲未登記" in reply.text
    assert reply.at_user_ids == ()


async def test_the_bot_stops_within_five_seconds_with_the_outbox_flushed(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="Gigi", staff_id="u-gigi")
    group = sb.add_group(title="SSP", members=["u-gigi"])
    message_id = sb.post_message(group.conversation_id, "u-gigi", "/help")
    await sb.wait_for_ack(message_id)

    started = time.monotonic()
    await bot.stop()
    assert time.monotonic() - started < 5
    assert len(sb.sent_messages(group.conversation_id)) == 1
    await sb.wait_until(lambda: sb.connection_count == 0)


async def test_what_cannot_be_sent_at_shutdown_stays_queued_and_goes_out_after_restart(
    sb: Sandbox, start_bot: StartBot
) -> None:
    bot = await start_bot()
    sb.add_user(nick="Hugo", staff_id="u-hugo")
    group = sb.add_group(title="SSP", members=["u-hugo"])
    sb.fail_next("/robot/sendBySession", status=503, count=1000)
    sb.fail_next("/v1.0/robot/groupMessages/send", status=503, count=1000)
    message_id = sb.post_message(group.conversation_id, "u-hugo", "/help")
    await sb.wait_for_ack(message_id)

    started = time.monotonic()
    await bot.stop()
    assert time.monotonic() - started < 5
    async with bot.sessions() as session:
        [row] = (await session.exec(select(OutboxMessage))).all()
    assert row.status == OutboxStatus.PENDING
    assert row.attempts >= 1

    sb.reset_faults()
    await start_bot()
    [reply] = await sb.wait_for_messages(1, group.conversation_id, timeout=10)
    assert "/join district=" in reply.text


async def test_the_bot_reconnects_after_disconnect_and_after_a_server_error_close(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="Ivy", staff_id="u-ivy")
    group = sb.add_group(title="SSP", members=["u-ivy"])
    cid = group.conversation_id
    opened = sb.connections_opened

    sb.send_disconnect(close_after=0.5)
    await sb.wait_until(lambda: sb.connections_opened == opened + 1, timeout=10)
    await sb.wait_until(lambda: sb.connection_count == 1)
    sb.post_message(cid, "u-ivy", "/help")
    await sb.wait_for_messages(1, cid)

    sb.close_connections(code=1011)
    await sb.wait_until(lambda: sb.connections_opened == opened + 2, timeout=10)
    await sb.wait_until(lambda: sb.connection_count == 1)
    sb.post_message(cid, "u-ivy", "/me")
    replies = await sb.wait_for_messages(2, cid)
    assert "你仲未登記" in replies[1].text


async def test_a_slow_reconnect_does_not_lose_messages_posted_meanwhile(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="Jay", staff_id="u-jay")
    group = sb.add_group(title="SSP", members=["u-jay"])
    opened = sb.connections_opened
    sb.close_connections(code=1011)
    # After an error close the bot waits about a second before reconnecting: the message below
    # is posted while it has no connection at all.
    await sb.wait_until(lambda: sb.connection_count == 0, timeout=5)
    message_id = sb.post_message(group.conversation_id, "u-jay", "/help")
    [reply] = await asyncio.wait_for(
        sb.wait_for_messages(1, group.conversation_id, timeout=10), 12
    )
    assert "喺群組 @我" in reply.text
    assert "/join district=" in reply.text
    [ack] = await sb.wait_for_ack(message_id)
    assert ack.code == 200
    assert sb.connections_opened == opened + 1, "the bot did not open exactly one new connection"
    assert sb.connection_count == 1


async def test_system_pings_keep_a_connection_and_when_they_stop_it_is_replaced(
    sb: Sandbox, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    quiet = settings.model_copy(
        update={"dingtalk": settings.dingtalk.model_copy(update={"stream_idle_seconds": 0.6})}
    )
    app = BotApp(quiet, clock=RunningClock(E2E_START))
    await app.start()
    try:
        await app.wait_until_connected()
        settled = sb.connections_opened
        # Pings are frames too: while they arrive, the connection is kept.
        with caplog.at_level(logging.INFO, logger="bot.stream"):
            for _ in range(6):
                sb.send_ping()
                await asyncio.sleep(0.2)
        assert sb.connections_opened == settled
        interval = app.stream.last_system_ping_interval
        assert interval is not None
        assert 0.15 < interval < 0.5
        assert any("SYSTEM ping every" in r.getMessage() for r in caplog.records)

        # Once DingTalk has been heard pinging, its silence means a stale connection.
        await sb.wait_until(lambda: sb.connections_opened > settled, timeout=5)
    finally:
        await app.stop()


async def test_a_failing_handler_still_answers_and_changes_nothing(
    sb: Sandbox, bot: BotApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(**_: object) -> None:
        raise RuntimeError("simulated bug")

    sb.add_user(nick="Kit", staff_id="u-kit")
    group = sb.add_group(title="SSP", members=["u-kit"])
    monkeypatch.setattr("handlers.volunteers.register_volunteer", broken)
    message_id = sb.post_message(group.conversation_id, "u-kit", "/join district=ssp lang=yue")

    [reply] = await sb.wait_for_messages(1, group.conversation_id)
    [ack] = await sb.wait_for_ack(message_id)
    assert "處理呢個指令時出錯" in reply.text
    assert "something went wrong" in reply.text
    assert ack.code == 200
    assert await _volunteers(bot) == []
