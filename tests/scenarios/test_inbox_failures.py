"""A received message whose answer fails: tried again, given up after a few failures of its own
with an apology so the messages behind it are answered, never given up for a database that is
down; and one message that cannot be received fails its own ACK alone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.exc import DataError, OperationalError

import bot.dispatch
import bot.inbox
from bot.dispatch import MESSAGE_ACK, Outcome
from core.incoming import ChatMessage, chat_message_payload
from core.messages import bilingual
from core.outgoing import reply_row
from core.router import Reply
from storage.models import InboxMessage, OutboxMessage
from tests.scenario import Scenario


def _refuse_replies(monkeypatch: pytest.MonkeyPatch, error: Exception, times: int) -> None:
    """The first ``times`` replies naming ``/zzboom`` fail with ``error`` as they are queued."""
    left = [times]

    def refusing(message: ChatMessage, reply: Reply, **options: Any) -> OutboxMessage:
        if "zzboom" in reply.text and left[0] > 0:
            left[0] -= 1
            raise error
        return reply_row(message, reply, **options)

    monkeypatch.setattr(bot.dispatch, "reply_row", refusing)


async def _work_off(scenario: Scenario) -> None:
    for _ in range(10):
        if not await scenario.inbox.handle_received():
            return
    raise AssertionError("the inbox never ran out of work")


async def test_a_message_failing_on_its_own_is_given_up_with_an_apology_after_three_tries(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refuse_replies(monkeypatch, DataError("INSERT", {}, Exception("too long")), times=100)
    boom = scenario.message("/zzboom")
    after = scenario.message("/help")
    await scenario.inbox.receive(boom)
    await scenario.inbox.receive(after)

    await _work_off(scenario)

    [apology] = await scenario.replies_to(boom)
    assert apology == bilingual("error.internal", "zh-HK")
    [answer] = await scenario.replies_to(after)
    assert "/join district=" in answer
    rows = await scenario.rows(InboxMessage)
    assert all(row.handled_at is not None for row in rows)
    assert sorted(row.attempts for row in rows) == [0, 3]


async def test_a_message_that_fails_twice_then_succeeds_gets_its_own_answer(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refuse_replies(monkeypatch, ValueError("a bug"), times=2)
    boom = scenario.message("/zzboom")
    await scenario.inbox.receive(boom)

    await _work_off(scenario)

    [answer] = await scenario.replies_to(boom)
    assert "/zzboom" in answer
    [row] = await scenario.rows(InboxMessage)
    assert row.attempts == 2


async def test_a_message_whose_apology_cannot_be_written_either_is_given_up_silently(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refusing(message: ChatMessage, reply: Reply, **options: Any) -> OutboxMessage:
        if message.text == "/zzboom":
            raise DataError("INSERT", {}, Exception("too long"))
        return reply_row(message, reply, **options)

    monkeypatch.setattr(bot.dispatch, "reply_row", refusing)
    boom = scenario.message("/zzboom")
    after = scenario.message("/help")
    await scenario.inbox.receive(boom)
    await scenario.inbox.receive(after)

    await _work_off(scenario)

    assert await scenario.replies_to(boom) == []
    [answer] = await scenario.replies_to(after)
    assert "/join district=" in answer
    rows = await scenario.rows(InboxMessage)
    assert all(row.handled_at is not None for row in rows)


async def test_a_database_that_is_down_never_counts_against_the_message(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = OperationalError("INSERT", {}, Exception("database is locked"))
    _refuse_replies(monkeypatch, locked, times=5)
    boom = scenario.message("/zzboom")
    await scenario.inbox.receive(boom)

    # Each failure ends the worker (its supervisor starts it again after a wait).
    for _ in range(5):
        with pytest.raises(OperationalError):
            await scenario.inbox.handle_received()
    await _work_off(scenario)

    [answer] = await scenario.replies_to(boom)
    assert "/zzboom" in answer
    [row] = await scenario.rows(InboxMessage)
    assert row.attempts == 0


async def test_one_message_that_cannot_be_written_fails_only_its_own_ack(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unstorable_for_bad(message: ChatMessage) -> dict[str, Any]:
        payload = chat_message_payload(message)
        if message.text == "/bad":
            payload["text"] = object()  # not JSON: the insert fails
        return payload

    monkeypatch.setattr(bot.inbox, "chat_message_payload", unstorable_for_bad)
    messages = [scenario.message(text) for text in ("/help", "/bad", "/me", "/help sites")]

    # Submitted together: one receipt batch.
    outcomes = await asyncio.gather(
        *(scenario.inbox.receive(message) for message in messages), return_exceptions=True
    )

    assert outcomes[0] == outcomes[2] == outcomes[3] == Outcome(ack=MESSAGE_ACK)
    assert isinstance(outcomes[1], Exception)
    received = {row.msg_id for row in await scenario.rows(InboxMessage)}
    assert received == {messages[0].msg_id, messages[2].msg_id, messages[3].msg_id}
