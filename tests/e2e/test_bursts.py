"""Bursts through the real SDK and the sandbox: a chat message is ACKed once its inbox row is
committed and answered after, in arrival order, exactly once, across redeliveries and restarts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.exc import DataError
from sqlmodel import select

from bot import dispatch
from bot.app import BotApp
from bot.dispatch import Dispatcher
from core.incoming import ChatMessage
from core.messages import bilingual
from core.outgoing import group_row, reply_row
from core.router import Reply
from core.settings import Settings
from sandbox import Sandbox
from storage.models import InboxMessage, OutboxMessage
from storage.outbox import enqueue
from tests.e2e.clock import E2E_START
from tests.e2e.conftest import StartBot

BURST = 300


async def _inbox(app: BotApp) -> list[InboxMessage]:
    async with app.sessions() as session:
        return list((await session.exec(select(InboxMessage))).all())


async def test_a_burst_is_acked_without_busy_and_answered_once_each_in_order(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="Ada", staff_id="u-ada")
    group = sb.add_group(title="SSP", members=["u-ada"])
    # Unknown commands: each answer names the command it answers, so order can be read back.
    names = [f"/zz{index:04d}" for index in range(BURST)]

    message_ids = [sb.post_message(group.conversation_id, "u-ada", name) for name in names]

    await sb.wait_until(
        lambda: {ack.message_id for ack in sb.acks()}.issuperset(message_ids), timeout=60
    )
    acks = [ack for mid in message_ids for ack in sb.acks(mid)]
    assert {(ack.code, ack.response) for ack in acks} == {(200, "OK")}
    await bot.wait_until_outbox_empty(within_seconds=120)
    replies = sb.sent_messages(group.conversation_id)
    assert len(replies) == BURST
    answered = [next(name for name in names if name in reply.text) for reply in replies]
    assert answered == names


async def test_a_frame_redelivered_before_and_after_its_answer_makes_one_row_and_one_reply(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="Carmen", staff_id="u-carmen")
    group = sb.add_group(title="TM", members=["u-carmen"])

    message_id = sb.post_message(group.conversation_id, "u-carmen", "/help")
    sb.redeliver(message_id)
    await sb.wait_for_ack(message_id, count=2)
    await bot.wait_until_outbox_empty()
    sb.redeliver(message_id)
    acks = await sb.wait_for_ack(message_id, count=3)
    await bot.wait_until_outbox_empty()

    assert [(ack.code, ack.response) for ack in acks] == [(200, "OK")] * 3
    assert len(sb.sent_messages(group.conversation_id)) == 1
    [row] = await _inbox(bot)
    assert row.handled_at is not None


async def test_a_message_received_but_not_answered_before_a_stop_is_answered_once_after_restart(
    sb: Sandbox, start_bot: StartBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    never = asyncio.Event()

    async def stuck(_dispatcher: Dispatcher, _row: InboxMessage) -> None:
        await never.wait()

    monkeypatch.setattr(Dispatcher, "handle_inbox_message", stuck)
    bot = await start_bot()
    sb.add_user(nick="Hugo", staff_id="u-hugo")
    group = sb.add_group(title="SSP", members=["u-hugo"])

    message_id = sb.post_message(group.conversation_id, "u-hugo", "/help")
    [ack] = await sb.wait_for_ack(message_id)
    await bot.stop()

    assert (ack.code, ack.response) == (200, "OK")
    [row] = await _inbox(bot)
    assert row.handled_at is None
    assert sb.sent_messages(group.conversation_id) == []

    monkeypatch.undo()
    restarted = await start_bot()
    [reply] = await sb.wait_for_messages(1, group.conversation_id, timeout=10)
    await restarted.wait_until_outbox_empty()
    assert "/join district=" in reply.text
    assert len(sb.sent_messages(group.conversation_id)) == 1
    [row] = await _inbox(restarted)
    assert row.handled_at is not None


async def test_a_message_that_fails_every_time_gets_an_apology_and_blocks_no_one_behind_it(
    sb: Sandbox, bot: BotApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused_for_zzboom(message: ChatMessage, reply: Reply, **options: Any) -> OutboxMessage:
        # Outside the handler's savepoint: as a reply the database refuses would fail.
        if "zzboom" in reply.text:
            raise DataError("INSERT INTO outbox_message", {}, Exception("value too long"))
        return reply_row(message, reply, **options)

    monkeypatch.setattr(dispatch, "reply_row", refused_for_zzboom)
    sb.add_user(nick="Ada", staff_id="u-ada")
    group = sb.add_group(title="SSP", members=["u-ada"])

    sb.post_message(group.conversation_id, "u-ada", "/zzboom")
    sb.post_message(group.conversation_id, "u-ada", "/zz0001")
    apology, answer = await sb.wait_for_messages(2, group.conversation_id, timeout=10)
    await bot.wait_until_outbox_empty()

    assert bilingual("error.internal", "zh-HK") in apology.text
    assert "/zz0001" in answer.text
    rows = await _inbox(bot)
    assert all(row.handled_at is not None for row in rows)
    assert [row.attempts for row in rows] == [3, 0]


async def test_the_inbox_leaves_the_sender_half_the_shutdown_time(
    sb: Sandbox, start_bot: StartBot, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long enough that the sender's half is ample on a busy machine.
    monkeypatch.setattr(settings.limits, "shutdown_flush_seconds", 3.0)
    never = asyncio.Event()

    async def stuck(_dispatcher: Dispatcher, _row: InboxMessage) -> None:
        await never.wait()

    monkeypatch.setattr(Dispatcher, "handle_inbox_message", stuck)
    app = await start_bot()
    sb.add_user(nick="Hugo", staff_id="u-hugo")
    group = sb.add_group(title="SSP", members=["u-hugo"])
    message_id = sb.post_message(group.conversation_id, "u-hugo", "/help")
    await sb.wait_for_ack(message_id)
    # Queued just before the stop, the sender not woken: only its last pass can send it.
    async with app.sessions.begin() as session:
        await enqueue(
            session=session,
            message=group_row(
                "announce:1",
                title="DingShift",
                body="queued before the stop",
                conversation_id=group.conversation_id,
                now=E2E_START,
                language="zh-HK",
            ),
        )

    await app.stop()

    [sent] = sb.sent_messages(group.conversation_id)
    assert "queued before the stop" in sent.text
    [row] = await _inbox(app)
    assert row.handled_at is None
