"""OutboxSender with a real database, the sandbox and a ManualClock.

Time only moves when a test moves the clock; ``send_due()`` is one step of the worker.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.outbox import OutboxSender, RateLimiter, retry_delay
from core.cards import MAX_OUT_TRACK_ID, Button, Card
from core.clock import ManualClock
from core.incoming import ChatMessage, Sender
from core.installation import InstallationTag
from core.openapi import OpenApiClient
from core.outgoing import (
    CardDelivery,
    CardUpdate,
    GroupMessage,
    OutboxKind,
    OutgoingMessage,
    ReplyMessage,
    card_row,
    card_update_row,
    group_row,
    month_of,
    outbox_row,
    outgoing_message,
    reply_row,
)
from core.router import Reply
from core.settings import Settings, load_settings
from sandbox import Sandbox
from storage.database import SessionFactory
from storage.models import Installation, MonthlyUsage, OutboxMessage, OutboxStatus
from storage.outbox import enqueue
from storage.usage import add_usage, usage_for
from tests.conftest import Inbox
from tests.databases import refusing_first_insert

GROUP_SEND = "/v1.0/robot/groupMessages/send"
WEBHOOK = "/robot/sendBySession"
QPS_LIMIT = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
START = datetime(2025, 3, 8, 10, 0, tzinfo=UTC)  # 18:00 on a Saturday in Hong Kong
ORG_ZONE = ZoneInfo("Asia/Hong_Kong")  # the default org.timezone


def _settings(sb: Sandbox, **limits: Any) -> Settings:
    return load_settings(
        None,
        dingtalk={
            "client_id": sb.client_id,
            "client_secret": sb.client_secret,
            "card_template_id": "dingshift.schema",
        },
        limits={"outbound_per_second": 1000, **limits},
        demo_mode=True,
    )


@dataclass
class Outbox:
    """The database, the OpenAPI client, the clock and a sandbox group ("u-ada", "u-bob")."""

    sb: Sandbox
    sessions: SessionFactory
    client: OpenApiClient
    clock: ManualClock
    cid: str

    def sender(self, **limits: Any) -> OutboxSender:
        return OutboxSender(
            sessions=self.sessions,
            client=self.client,
            settings=_settings(self.sb, **limits),
            clock=self.clock,
            installation=InstallationTag(self.sessions, self.clock),
        )

    async def add(self, *rows: OutboxMessage) -> None:
        async with self.sessions.begin() as session:
            for row in rows:
                assert await enqueue(session=session, message=row)

    async def rows(self) -> dict[str, OutboxMessage]:
        async with self.sessions() as session:
            rows = (await session.exec(select(OutboxMessage))).all()
        return {row.dedup_key: row for row in rows}

    async def only_row(self) -> OutboxMessage:
        [row] = (await self.rows()).values()
        return row

    async def usage(self, month: str | None = None) -> MonthlyUsage:
        async with self.sessions() as session:
            return await usage_for(
                session=session, month=month or month_of(self.clock.now(), ORG_ZONE)
            )

    async def spend(self, month: str, metered_api_calls: int) -> None:
        async with self.sessions.begin() as session:
            await add_usage(session=session, month=month, metered_api_calls=metered_api_calls)


@pytest.fixture
async def ob(sb: Sandbox, sessions: SessionFactory) -> AsyncIterator[Outbox]:
    for staff_id in ("u-ada", "u-bob"):
        sb.add_user(nick=staff_id.removeprefix("u-").title(), staff_id=staff_id)
    cid = sb.add_group(title="SSP 深水埗", members=["u-ada", "u-bob"]).conversation_id
    async with OpenApiClient(_settings(sb).dingtalk) as client:
        yield Outbox(sb, sessions, client, ManualClock(START), cid)


def _group_row(
    key: str, cid: str, *, due: datetime, essential: bool = True, attempts: int = 0
) -> OutboxMessage:
    """A group message queued at ``due`` or, with ``attempts``, a retry scheduled for then (a
    first attempt is always due)."""
    message = GroupMessage(conversation_id=cid, title="DingShift", text=key)
    row = outbox_row(message, dedup_key=key, now=due, essential=essential)
    row.attempts = attempts
    return row


def _message(
    cid: str, *, webhook: str, expires_at: datetime, now: datetime, is_group: bool = True
) -> ChatMessage:
    """A message as parsed from a frame, for webhooks the sandbox did not hand out."""
    return ChatMessage(
        msg_id="msg-1",
        conversation_id=cid,
        is_group=is_group,
        conversation_title="SSP 深水埗",
        sender=Sender(dingtalk_id="$:LWCP_v1:$ada", nick="Ada", staff_id="u-ada"),
        mentioned_staff_ids=(),
        text="/help",
        session_webhook=webhook,
        session_webhook_expires_at=expires_at,
        sent_at=now,
    )


# -- sending in order, and counting ---------------------------------------------------------------


async def test_due_rows_are_sent_oldest_first_and_metered(sb: Sandbox, ob: Outbox) -> None:
    # A private reply: no session webhook, so the OpenAPI.
    private = outbox_row(
        ReplyMessage(title="DingShift", text="private", user_ids=["u-bob"]),
        dedup_key="private",
        now=START - timedelta(seconds=30),
    )
    await ob.add(
        _group_row("first", ob.cid, due=START - timedelta(minutes=2)),
        _group_row("second", ob.cid, due=START - timedelta(minutes=1)),
        # A retry still waiting (nothing is scheduled further ahead than the longest retry).
        _group_row("later", ob.cid, due=START + timedelta(minutes=4), attempts=1),
        private,
        _group_row("due-now", ob.cid, due=START),
    )
    sender = ob.sender()

    assert await sender.send_due() == 4

    sent = sb.sent_messages()
    assert [m.text for m in sent] == ["first", "second", "private", "due-now"]
    assert [m.via for m in sent] == ["group_send", "group_send", "oto_send", "group_send"]
    assert {(m.msg_key, m.title) for m in sent} == {("sampleMarkdown", "DingShift")}
    assert sent[2].user_ids == ("u-bob",)
    rows = await ob.rows()
    for key in ("first", "second", "private", "due-now"):
        assert (rows[key].status, rows[key].attempts, rows[key].sent_at) == (
            OutboxStatus.SENT,
            1,
            START,
        )
        assert rows[key].last_error is None
    assert (rows["later"].status, rows["later"].attempts) == (OutboxStatus.PENDING, 1)
    usage = await ob.usage()
    assert (usage.metered_api_calls, usage.session_replies) == (4, 0)
    assert sb.api_call_count == 4

    assert await sender.send_due() == 0
    assert len(sb.sent_messages()) == 4


async def test_a_row_falls_due_when_the_clock_reaches_it(sb: Sandbox, ob: Outbox) -> None:
    await ob.add(_group_row("later", ob.cid, due=START + timedelta(minutes=5), attempts=1))
    sender = ob.sender()

    assert await sender.send_due() == 0
    ob.clock.advance(timedelta(minutes=5) - timedelta(microseconds=1))
    assert await sender.send_due() == 0
    ob.clock.advance(timedelta(microseconds=1))
    assert await sender.send_due() == 1
    assert [m.text for m in sb.sent_messages(ob.cid)] == ["later"]
    assert (await ob.rows())["later"].sent_at == START + timedelta(minutes=5)


async def test_a_reply_through_a_live_session_webhook_is_not_metered(
    sb: Sandbox,
    ob: Outbox,
    inbox: Inbox,
) -> None:
    message = await inbox.post(ob.cid, "u-ada", "/help")
    ob.clock.set(message.sent_at)
    await ob.add(
        reply_row(
            message, Reply("**你好** hello"), sequence=0, now=ob.clock.now(), language="zh-HK"
        )
    )

    assert await ob.sender().send_due() == 1

    [sent] = sb.sent_messages(ob.cid)
    assert sent.via == "session_webhook"
    assert (sent.msgtype, sent.title) == ("markdown", "DingShift")
    assert sent.text == "@u-ada\n\n**你好** hello"
    assert sent.at_user_ids == ("u-ada",)
    usage = await ob.usage()
    assert (usage.metered_api_calls, usage.session_replies) == (0, 1)
    assert sb.api_call_count == 0
    row = await ob.only_row()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)


async def test_a_refused_session_webhook_falls_back_to_the_openapi(
    sb: Sandbox, ob: Outbox
) -> None:
    message = _message(
        ob.cid,
        webhook=f"{sb.base_url}{WEBHOOK}?session=nope",
        expires_at=START + timedelta(hours=1),
        now=START,
    )
    await ob.add(reply_row(message, Reply("**hi**"), sequence=0, now=START, language="zh-HK"))

    assert await ob.sender().send_due() == 1

    assert [r.status for r in sb.requests(WEBHOOK)] == [200]  # with errcode 300001
    [sent] = sb.sent_messages(ob.cid)
    assert (sent.via, sent.title, sent.text) == ("group_send", "DingShift", "**hi**")
    usage = await ob.usage()
    assert (usage.metered_api_calls, usage.session_replies) == (1, 0)
    row = await ob.only_row()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 1, None)


@pytest.mark.parametrize(
    "expires_in",
    [timedelta(minutes=-1), timedelta(seconds=30), timedelta(seconds=60)],
    ids=["expired", "inside-safety-margin", "at-safety-margin"],
)
async def test_a_reply_with_an_expiring_webhook_goes_straight_to_the_openapi(
    sb: Sandbox,
    ob: Outbox,
    inbox: Inbox,
    expires_in: timedelta,
) -> None:
    # A webhook that would still work: only its recorded expiry keeps the sender off it.
    message = await inbox.post(ob.cid, "u-ada", "/help")
    assert message.session_webhook_expires_at is not None
    ob.clock.set(message.session_webhook_expires_at - expires_in)
    await ob.add(
        reply_row(message, Reply("**hi**"), sequence=0, now=ob.clock.now(), language="zh-HK")
    )

    assert await ob.sender().send_due() == 1

    assert sb.requests(WEBHOOK) == []
    [sent] = sb.sent_messages(ob.cid)
    assert (sent.via, sent.text) == ("group_send", "**hi**")
    usage = await ob.usage()
    assert (usage.metered_api_calls, usage.session_replies) == (1, 0)


async def test_a_webhook_just_outside_the_safety_margin_is_used(
    sb: Sandbox,
    ob: Outbox,
    inbox: Inbox,
) -> None:
    message = await inbox.post(ob.cid, "u-ada", "/help")
    assert message.session_webhook_expires_at is not None
    ob.clock.set(message.session_webhook_expires_at - timedelta(seconds=61))
    await ob.add(
        reply_row(message, Reply("**hi**"), sequence=0, now=ob.clock.now(), language="zh-HK")
    )

    assert await ob.sender().send_due() == 1

    [sent] = sb.sent_messages(ob.cid)
    assert sent.via == "session_webhook"


async def test_a_reply_in_a_one_to_one_chat_without_its_webhook_goes_one_to_one(
    sb: Sandbox, ob: Outbox
) -> None:
    message = _message(
        "cid-of-the-1:1-chat",
        webhook=f"{sb.base_url}{WEBHOOK}?session=nope",
        expires_at=START + timedelta(seconds=30),  # inside the safety margin: not trusted
        now=START,
        is_group=False,
    )
    row = reply_row(message, Reply("only for you"), sequence=1, now=START, language="zh-HK")
    await ob.add(row)

    assert await ob.sender().send_due() == 1

    assert sb.requests(WEBHOOK) == []
    [sent] = sb.sent_messages()
    assert (sent.via, sent.user_ids, sent.text) == ("oto_send", ("u-ada",), "only for you")
    assert sb.sent_messages(ob.cid) == []


# -- rows and typed messages ---------------------------------------------------------------------


def _built(kind: OutboxKind) -> tuple[OutboxMessage, OutgoingMessage, dict[str, Any]]:
    """A row of ``kind`` from its builder, the message it must read back as, and its payload as
    stored (rows queued before the typed messages have it too, and must still be sent)."""
    expires = START + timedelta(minutes=90)
    payload: dict[str, Any]
    match kind:
        case OutboxKind.REPLY:
            chat = _message("cid-1", webhook="https://hook", expires_at=expires, now=START)
            reply = ReplyMessage(
                title="DingShift",
                text="hi",
                at_user_ids=["u-ada"],
                conversation_id="cid-1",
                session_webhook="https://hook",
                session_webhook_expires_at=expires,
            )
            payload = {"title": "DingShift", "text": "hi", "at_user_ids": ["u-ada"]}
            return (
                reply_row(chat, Reply("hi"), sequence=0, now=START, language="zh-HK"),
                reply,
                payload,
            )
        case OutboxKind.GROUP:
            row = group_row(
                "announce:7",
                title="T",
                body="B",
                conversation_id="cid-1",
                now=START,
                language="zh-HK",
            )
            payload = {"title": "T", "text": "B"}
            return row, GroupMessage(conversation_id="cid-1", title="T", text="B"), payload
        case OutboxKind.CARD:
            card = Card(
                out_track_id="ds-confirm-7",
                title="Sat",
                body="Food bank",
                status="1/2",
                shift_id=7,
                buttons=[Button("OK", "confirm", 7)],
                private={"u-ada": {"my_status": "confirmed"}},
                mentions={"u-ada": "Ada"},
            )
            row = card_row(card, language="en", now=START, staff_ids=["u-ada", "u-bob"])
            payload = {
                "out_track_id": "ds-confirm-7",
                "public": card.public_variables("en"),
                "private": {"u-ada": {"my_status": "confirmed"}},
                "mentions": {"u-ada": "Ada"},
                "redelivery": False,
            }
            delivery = CardDelivery(**payload, user_ids=["u-ada", "u-bob"])
            return row, delivery, payload
        case OutboxKind.CARD_UPDATE:
            row = card_update_row(
                "ds-confirm-7", public={"status": "2/2"}, version="v2", now=START
            )
            update = CardUpdate(out_track_id="ds-confirm-7", public={"status": "2/2"})
            payload = {"out_track_id": "ds-confirm-7", "public": {"status": "2/2"}, "private": {}}
            return row, update, payload


@pytest.mark.parametrize("kind", list(OutboxKind))
async def test_a_built_row_reads_back_as_its_typed_message(ob: Outbox, kind: OutboxKind) -> None:
    row, message, payload = _built(kind)
    await ob.add(row)

    stored = await ob.only_row()

    assert (stored.kind, stored.payload) == (kind, payload)
    assert outgoing_message(stored) == message


async def test_an_unreadable_row_is_given_up_and_the_rest_still_go_out(
    sb: Sandbox, ob: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    broken_card, _, _ = _built(OutboxKind.CARD)
    broken_card.payload = {"out_track_id": "ds-confirm-7"}  # no variables
    unknown = _group_row("from a newer version", ob.cid, due=START)
    unknown.kind = "sticker"
    await ob.add(broken_card, unknown, _group_row("fine", ob.cid, due=START))

    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        assert await ob.sender().send_due() == 3

    rows = await ob.rows()
    for key in ("card:ds-confirm-7", "from a newer version"):
        assert rows[key].status == OutboxStatus.FAILED
        assert rows[key].last_error is not None
    assert "public" in (rows["card:ds-confirm-7"].last_error or "")
    assert "sticker" in (rows["from a newer version"].last_error or "")
    assert rows["fine"].status == OutboxStatus.SENT
    assert [m.text for m in sb.sent_messages()] == ["fine"]
    assert sb.requests("/v1.0/card/") == []
    assert caplog.text.count("outbox message cannot be sent") == 2


# -- retries --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [(503, "ServiceUnavailable"), (500, "InternalError"), (403, QPS_LIMIT)],
)
async def test_a_transient_error_is_retried_later_and_sent_exactly_once(
    sb: Sandbox,
    ob: Outbox,
    status: int,
    code: str,
) -> None:
    await ob.add(_group_row("flaky", ob.cid, due=START))
    sender = ob.sender()
    sb.fail_next(GROUP_SEND, status=status, code=code)

    assert await sender.send_due() == 1

    row = await ob.only_row()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.last_error is not None
    assert f"{status} {code}" in row.last_error
    # The first retry waits 1 s, jittered down to no less than half of it.
    assert START + timedelta(seconds=0.5) <= row.next_attempt_at <= START + timedelta(seconds=1)
    assert sb.sent_messages() == []

    assert await sender.send_due() == 0  # not due yet: the clock has not moved
    ob.clock.set(row.next_attempt_at)
    assert await sender.send_due() == 1
    assert await sender.send_due() == 0
    ob.clock.advance(timedelta(hours=1))
    assert await sender.send_due() == 0

    assert [m.text for m in sb.sent_messages(ob.cid)] == ["flaky"]
    assert [r.status for r in sb.requests(GROUP_SEND)] == [status, 200]
    row = await ob.only_row()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, None)
    assert row.sent_at == row.next_attempt_at


async def test_a_transient_webhook_error_is_retried_without_falling_back(
    sb: Sandbox,
    ob: Outbox,
    inbox: Inbox,
) -> None:
    message = await inbox.post(ob.cid, "u-ada", "/help")
    ob.clock.set(message.sent_at)
    await ob.add(
        reply_row(message, Reply("**hi**"), sequence=0, now=ob.clock.now(), language="zh-HK")
    )
    sender = ob.sender()
    sb.session_webhook_errcode_next(130101, "send too fast")

    assert await sender.send_due() == 1
    assert sb.sent_messages() == []
    assert sb.requests(GROUP_SEND) == []
    row = await ob.only_row()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)

    ob.clock.set(row.next_attempt_at)
    assert await sender.send_due() == 1
    [sent] = sb.sent_messages(ob.cid)
    assert sent.via == "session_webhook"
    usage = await ob.usage()
    assert (usage.metered_api_calls, usage.session_replies) == (0, 1)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "InvalidParameter"),
        (403, "Forbidden.AccessDenied.AccessTokenPermissionDenied"),
        (403, "Forbidden.AccessDenied.ApiCountLimitForOrg"),
    ],
)
async def test_a_client_error_fails_the_row_for_good(
    sb: Sandbox,
    ob: Outbox,
    status: int,
    code: str,
) -> None:
    await ob.add(_group_row("doomed", ob.cid, due=START), _group_row("fine", ob.cid, due=START))
    sender = ob.sender()
    sb.fail_next(GROUP_SEND, status=status, code=code)

    assert await sender.send_due() == 2

    rows = await ob.rows()
    assert (rows["doomed"].status, rows["doomed"].attempts) == (OutboxStatus.FAILED, 1)
    assert rows["doomed"].last_error is not None
    assert code in rows["doomed"].last_error
    assert rows["fine"].status == OutboxStatus.SENT  # one bad row does not block the others
    ob.clock.advance(timedelta(days=1))
    assert await sender.send_due() == 0
    assert [r.status for r in sb.requests(GROUP_SEND)] == [status, 200]
    assert [m.text for m in sb.sent_messages(ob.cid)] == ["fine"]
    usage = await ob.usage()
    assert usage.metered_api_calls == 1


async def test_a_used_up_monthly_quota_fails_the_row_and_says_so(
    sb: Sandbox, ob: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    await ob.add(_group_row("late in the month", ob.cid, due=START))
    sb.fail_next(GROUP_SEND, status=403, code="Forbidden.AccessDenied.ApiCountLimitForOrg")

    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        assert await ob.sender().send_due() == 1

    assert (await ob.only_row()).status == OutboxStatus.FAILED
    assert "DingTalk's monthly API quota is used up" in caplog.text


async def test_an_unknown_conversation_fails_without_retries(sb: Sandbox, ob: Outbox) -> None:
    await ob.add(_group_row("nowhere", "cid-gone", due=START))
    sender = ob.sender()

    assert await sender.send_due() == 1
    ob.clock.advance(timedelta(days=1))
    assert await sender.send_due() == 0

    row = await ob.only_row()
    assert row.status == OutboxStatus.FAILED
    assert row.last_error is not None
    assert "invalid.openConversationId" in row.last_error
    assert len(sb.requests(GROUP_SEND)) == 1


async def test_the_row_fails_after_max_attempts_transient_errors(sb: Sandbox, ob: Outbox) -> None:
    await ob.add(_group_row("hopeless", ob.cid, due=START))
    sender = ob.sender(outbox_max_attempts=4)
    sb.fail_next(GROUP_SEND, status=503, count=10)
    delays: list[timedelta] = []

    for attempt in range(1, 5):
        assert await sender.send_due() == 1
        row = await ob.only_row()
        assert row.attempts == attempt
        if attempt < 4:
            assert row.status == OutboxStatus.PENDING
            delays.append(row.next_attempt_at - ob.clock.now())
            ob.clock.set(row.next_attempt_at)

    assert row.status == OutboxStatus.FAILED
    assert row.last_error is not None
    assert "503 ServiceUnavailable" in row.last_error
    # 1 s, 2 s, 4 s, each jittered into its upper half.
    for delay, base in zip(delays, (1, 2, 4), strict=True):
        assert timedelta(seconds=base / 2) <= delay <= timedelta(seconds=base)
    ob.clock.advance(timedelta(days=1))
    assert await sender.send_due() == 0
    assert len(sb.requests(GROUP_SEND)) == 4
    assert sb.sent_messages() == []


async def test_a_long_retried_row_still_gets_a_capped_delay(sb: Sandbox, ob: Outbox) -> None:
    # With a generous outbox_max_attempts the attempt count passes 1024, where 2.0 ** n overflows;
    # the error must not escape send_due() and stop the worker.
    row = _group_row("stubborn", ob.cid, due=START)
    row.attempts = 1500
    await ob.add(row)
    sb.fail_next(GROUP_SEND, status=503)

    assert await ob.sender(outbox_max_attempts=10_000).send_due() == 1

    row = await ob.only_row()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1501)
    wait = row.next_attempt_at - START
    assert timedelta(seconds=150) <= wait <= timedelta(seconds=300)


# -- the monthly budget ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("used", "expected_optional"),
    [(0, OutboxStatus.SENT), (1, OutboxStatus.DROPPED), (5, OutboxStatus.DROPPED)],
)
async def test_optional_messages_are_dropped_once_the_budget_is_used_up(
    sb: Sandbox,
    ob: Outbox,
    used: int,
    expected_optional: OutboxStatus,
) -> None:
    await ob.spend("2025-03", used)
    await ob.add(
        _group_row("optional", ob.cid, due=START - timedelta(seconds=1), essential=False),
        _group_row("essential", ob.cid, due=START),
    )
    sender = ob.sender(monthly_api_budget=1)

    assert await sender.send_due() == 2

    rows = await ob.rows()
    assert rows["optional"].status == expected_optional
    assert rows["optional"].attempts == 1
    assert rows["essential"].status == OutboxStatus.SENT
    if expected_optional == OutboxStatus.DROPPED:
        assert rows["optional"].last_error is not None
        assert "budget" in rows["optional"].last_error
        assert [m.text for m in sb.sent_messages(ob.cid)] == ["essential"]
        assert sb.api_call_count == 1
        assert (await ob.usage()).metered_api_calls == used + 1
    else:
        assert [m.text for m in sb.sent_messages(ob.cid)] == ["optional", "essential"]
        assert (await ob.usage()).metered_api_calls == 2
    ob.clock.advance(timedelta(days=1))
    assert await sender.send_due() == 0


async def test_the_budget_month_is_the_organisations_month(sb: Sandbox, ob: Outbox) -> None:
    # 31 March 16:30 UTC is already 1 April 00:30 in Hong Kong: March's spending no longer counts.
    ob.clock.set(datetime(2025, 3, 31, 16, 30, tzinfo=UTC))
    await ob.spend("2025-03", 99)
    await ob.add(_group_row("april", ob.cid, due=ob.clock.now(), essential=False))

    assert await ob.sender(monthly_api_budget=1).send_due() == 1

    assert [m.text for m in sb.sent_messages(ob.cid)] == ["april"]
    assert (await ob.usage("2025-04")).metered_api_calls == 1
    assert (await ob.usage("2025-03")).metered_api_calls == 99


# -- the worker loop ------------------------------------------------------------------------------


async def test_run_sends_what_is_due_and_returns_after_finish(sb: Sandbox, ob: Outbox) -> None:
    await ob.add(
        _group_row("now-1", ob.cid, due=START - timedelta(seconds=1)),
        _group_row("now-2", ob.cid, due=START),
        _group_row("retry-later", ob.cid, due=START + timedelta(minutes=4), attempts=1),
    )
    sender = ob.sender()
    sender.finish()

    await asyncio.wait_for(sender.run(), timeout=5)

    assert [m.text for m in sb.sent_messages(ob.cid)] == ["now-1", "now-2"]
    assert (await ob.rows())["retry-later"].status == OutboxStatus.PENDING


async def test_run_wakes_for_new_rows_and_drains_retries_before_returning(
    sb: Sandbox, ob: Outbox
) -> None:
    sender = ob.sender()
    worker = asyncio.create_task(sender.run())
    try:
        await ob.add(_group_row("woken", ob.cid, due=START))
        sender.wake()
        await sb.wait_for_messages(1, ob.cid)

        sb.fail_next(GROUP_SEND, status=503)
        await ob.add(_group_row("retried", ob.cid, due=START))
        sender.finish()
        await asyncio.wait_for(worker, timeout=5)
    finally:
        worker.cancel()

    # finish() returns once nothing is due now; the retry waits for its (manual) time.
    rows = await ob.rows()
    assert rows["woken"].status == OutboxStatus.SENT
    assert (rows["retried"].status, rows["retried"].attempts) == (OutboxStatus.PENDING, 1)
    assert [m.text for m in sb.sent_messages(ob.cid)] == ["woken"]


# -- pacing ---------------------------------------------------------------------------------------


def test_retry_delays_double_up_to_five_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.outbox.random.uniform", lambda _low, high: high)
    longest = [retry_delay(n).total_seconds() for n in range(12)]
    assert longest == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    monkeypatch.setattr("bot.outbox.random.uniform", lambda low, _high: low)
    assert [retry_delay(n).total_seconds() for n in (-3, 0, 3, 9)] == [0.5, 0.5, 4, 150]


@given(st.integers(min_value=-10, max_value=10**6))
def test_retry_delay_stays_within_its_jittered_band(attempts: int) -> None:
    # Worked out from the promise, not the code: 1 s doubling per attempt (a negative count is the
    # first attempt), never more than five minutes, then jittered down to as little as half.
    base = min(300, 2 ** max(attempts, 0))
    delay = retry_delay(attempts).total_seconds()
    assert 0.5 * base <= delay <= base


async def test_the_rate_limiter_spaces_calls() -> None:
    loop = asyncio.get_running_loop()
    limiter = RateLimiter(per_second=100)
    started = loop.time()
    for _ in range(20):
        await limiter.wait()
    elapsed = loop.time() - started
    assert 0.185 <= elapsed < 1.0


async def test_throttling_widens_the_gap_and_success_narrows_it_back() -> None:
    loop = asyncio.get_running_loop()
    limiter = RateLimiter(per_second=100)
    await limiter.wait()
    limiter.throttled()
    limiter.throttled()
    limiter.throttled()  # 10 ms -> 80 ms
    started = loop.time()
    await limiter.wait()
    await limiter.wait()
    throttled_gap = loop.time() - started
    for _ in range(100):
        limiter.succeeded()  # back to, and never below, 10 ms
    await limiter.wait()
    started = loop.time()
    for _ in range(5):
        await limiter.wait()
    recovered = loop.time() - started
    assert throttled_gap >= 0.075
    assert 0.045 <= recovered < 0.5


CREATE_CARD = "/v1.0/card/instances/createAndDeliver"
REDELIVERY = "card-redeliver:"  # the dedup keys of the rows for spaces a card missed


def _private_card(card_id: str = "ds-remind-7-en") -> Card:
    return Card(
        out_track_id=card_id,
        title="Reminder: Sat",
        body="Food bank, 10:00",
        status="2/2 confirmed",
        shift_id=7,
        buttons=[Button("Can't make it", "decline", 7)],
    )


async def _queue_card_that_misses_bob(sb: Sandbox, ob: Outbox, *, misses: int = 1) -> None:
    """Ada's and Bob's reminder card queued; its next ``misses`` deliveries into Bob's chat
    fail."""
    sb.fail_card_space_next("u-bob", count=misses)
    await ob.add(card_row(_private_card(), language="en", now=START, staff_ids=["u-ada", "u-bob"]))


async def _tag(ob: Outbox) -> str:
    async with ob.sessions() as session:
        found = await session.get(Installation, 1)
    assert found is not None
    return found.tag


async def test_a_card_goes_to_dingtalk_under_this_installations_id(
    sb: Sandbox, ob: Outbox
) -> None:
    await ob.add(card_row(_private_card(), language="en", now=START, staff_ids=["u-ada"]))
    await ob.sender().send_due()

    tag = await _tag(ob)
    assert re.fullmatch(r"[0-9a-f]{8}", tag)
    assert list(sb.cards) == [f"ds-{tag}-remind-7-en"]
    assert (await ob.only_row()).status == OutboxStatus.SENT


async def test_a_card_dingtalk_already_has_is_delivered_on_a_retry_but_a_collision_first_time(
    sb: Sandbox, ob: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    card = card_row(_private_card(), language="en", now=START, staff_ids=["u-ada"])
    await ob.add(card)
    sender = ob.sender()
    await sender.send_due()
    # The same card again: as a retry whose first answer was lost, as a repeat after the bot
    # stopped between the create and recording it, and as a first attempt.
    retry = card_row(_private_card(), language="en", now=START, staff_ids=["u-ada"])
    retry.dedup_key, retry.attempts = "retry", 1
    after_crash = card_row(_private_card(), language="en", now=START, staff_ids=["u-ada"])
    after_crash.dedup_key, after_crash.card_created_at = "after crash", START
    first = card_row(_private_card(), language="en", now=START, staff_ids=["u-ada"])
    first.dedup_key = "first"
    await ob.add(retry, after_crash, first)

    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        assert await sender.send_due() == 3

    rows = await ob.rows()
    assert rows["retry"].status == rows["after crash"].status == OutboxStatus.SENT
    assert rows["first"].status == OutboxStatus.FAILED
    assert "param.cardAlreadyExist" in (rows["first"].last_error or "")
    assert "card id already taken at DingTalk" in caplog.text
    assert [r.status for r in sb.requests(CREATE_CARD)] == [200, 400, 400, 400]
    assert len(sb.cards) == 1


async def test_a_person_a_private_card_missed_gets_it_on_a_row_of_their_own(
    sb: Sandbox, ob: Outbox
) -> None:
    await _queue_card_that_misses_bob(sb, ob)
    sender = ob.sender()

    assert await sender.send_due() == 1  # the card, which misses Bob
    assert await sender.send_due() == 1  # Bob's own row, due at once
    rows = await ob.rows()
    assert rows["card:ds-remind-7-en"].status == OutboxStatus.SENT
    redelivery = rows["card-redeliver:ds-remind-7-en:u-bob"]
    assert (redelivery.status, redelivery.user_ids) == (OutboxStatus.SENT, ["u-bob"])
    [on_dingtalk] = sb.cards.values()
    assert on_dingtalk.spaces == (("IM_ROBOT", "u-ada"), ("IM_ROBOT", "u-bob"))
    assert [change.kind for change in on_dingtalk.history] == ["create", "deliver"]
    assert sb.sent_messages() == []


async def test_a_person_the_card_never_reaches_gets_its_words_and_the_row_shows_failed(
    sb: Sandbox, ob: Outbox
) -> None:
    await _queue_card_that_misses_bob(sb, ob, misses=3)
    sender = ob.sender(outbox_max_attempts=2)

    await sender.send_due()  # the card, which misses Bob
    await sender.send_due()  # Bob's first retry, which misses too
    retrying = (await ob.rows())["card-redeliver:ds-remind-7-en:u-bob"]
    assert (retrying.status, retrying.attempts) == (OutboxStatus.PENDING, 1)
    ob.clock.set(retrying.next_attempt_at)
    await sender.send_due()  # Bob's last retry, then the robot message instead
    await sender.send_due()

    rows = await ob.rows()
    assert rows["card-redeliver:ds-remind-7-en:u-bob"].status == OutboxStatus.FAILED
    assert rows["card-fallback:ds-remind-7-en:u-bob"].status == OutboxStatus.SENT
    [fallback] = sb.sent_messages()
    assert (fallback.via, fallback.user_ids) == ("oto_send", ("u-bob",))
    assert fallback.title == "Reminder: Sat"
    assert "Food bank, 10:00" in fallback.text


@pytest.mark.parametrize(
    "stored_id",
    [
        # Queued before the installation tag shortened our ids: too long for DingTalk with it.
        "ds-remind-7-" + "x" * (MAX_OUT_TRACK_ID + 1 - len("ds-remind-7-")),
        "not-one-of-ours",
    ],
)
async def test_a_card_row_whose_id_cannot_go_on_the_wire_fails_and_the_rest_go_out(
    sb: Sandbox, ob: Outbox, caplog: pytest.LogCaptureFixture, stored_id: str
) -> None:
    old = card_row(_private_card(), language="en", now=START, staff_ids=["u-ada"])
    old.payload = {**old.payload, "out_track_id": stored_id}
    await ob.add(old, _group_row("behind it", ob.cid, due=START))

    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        assert await ob.sender().send_due() == 2

    rows = await ob.rows()
    assert rows["card:ds-remind-7-en"].status == OutboxStatus.FAILED
    assert stored_id in (rows["card:ds-remind-7-en"].last_error or "")
    assert rows["behind it"].status == OutboxStatus.SENT
    assert sb.requests(CREATE_CARD) == []
    assert "outbox message cannot be sent" in caplog.text


async def test_a_missed_space_is_redelivered_though_the_database_refused_the_first_record(
    sb: Sandbox, ob: Outbox
) -> None:
    await _queue_card_that_misses_bob(sb, ob)
    sender = ob.sender()

    with (
        refusing_first_insert(ob.sessions.kw["bind"], REDELIVERY),
        pytest.raises(OperationalError),
    ):
        await sender.send_due()  # DingTalk created the card, missing Bob; the record failed
    await sender.send_due()  # the same sender, after the supervisor's restart
    await sender.send_due()  # Bob's own row

    rows = await ob.rows()
    assert rows["card:ds-remind-7-en"].status == OutboxStatus.SENT
    assert rows["card-redeliver:ds-remind-7-en:u-bob"].status == OutboxStatus.SENT
    [on_dingtalk] = sb.cards.values()
    assert on_dingtalk.spaces == (("IM_ROBOT", "u-ada"), ("IM_ROBOT", "u-bob"))
    assert len(sb.requests(CREATE_CARD)) == 1


@pytest.mark.parametrize("bob_missed_again", [False, True])
async def test_a_card_created_before_a_crash_is_delivered_again_to_all_its_spaces(
    sb: Sandbox, ob: Outbox, bob_missed_again: bool
) -> None:
    await _queue_card_that_misses_bob(sb, ob, misses=2 if bob_missed_again else 1)

    with (
        refusing_first_insert(ob.sessions.kw["bind"], REDELIVERY),
        pytest.raises(OperationalError),
    ):
        await ob.sender().send_due()  # created, missing Bob; then the bot stopped
    restarted = ob.sender()  # nothing in memory from before
    await restarted.send_due()  # cardAlreadyExist: delivered again to Ada and Bob
    await restarted.send_due()  # Bob's own row, if he was missed again

    rows = await ob.rows()
    assert rows["card:ds-remind-7-en"].status == OutboxStatus.SENT
    [on_dingtalk] = sb.cards.values()
    assert on_dingtalk.spaces == (("IM_ROBOT", "u-ada"), ("IM_ROBOT", "u-bob"))
    redelivered = rows.get("card-redeliver:ds-remind-7-en:u-bob")
    assert (redelivered is not None) == bob_missed_again
    assert len(sb.requests(CREATE_CARD)) == 2


async def test_a_group_the_card_never_reaches_gets_its_words_without_card_markup(
    sb: Sandbox, ob: Outbox
) -> None:
    sb.fail_card_space_next(ob.cid, count=2)
    asked = Card(
        out_track_id="ds-confirm-7",
        title="Please confirm: Sat",
        body="Food bank, 10:00",
        status="0/2 confirmed",
        shift_id=7,
        buttons=[Button("Confirm", "confirm", 7), Button("Can't make it", "decline", 7)],
        mentions={"u-ada": "Ada", "u-bob": "Bob"},
    )
    await ob.add(card_row(asked, language="en", now=START, conversation_id=ob.cid))
    sender = ob.sender(outbox_max_attempts=1)

    await sender.send_due()  # the card, which misses the group
    await sender.send_due()  # the group's one redelivery, which misses too
    await sender.send_due()  # the robot message instead

    [fallback] = sb.sent_messages()
    assert fallback.conversation_id == ob.cid
    assert "Food bank, 10:00" in fallback.text
    assert "atId" not in fallback.text
    assert "@Ada, @Bob" in fallback.text
    assert "tell a coordinator" in fallback.text
    assert "請話俾統籌知" in fallback.text


async def test_a_card_without_buttons_falls_back_without_the_answering_hint(
    sb: Sandbox, ob: Outbox
) -> None:
    sb.fail_card_space_next("u-bob", count=2)
    notice = Card(
        out_track_id="ds-nsum-7-en",
        title="Not answered: Sat",
        body="Not answered (1): Bob",
        status="",
        shift_id=7,
        buttons=[],
    )
    await ob.add(card_row(notice, language="en", now=START, staff_ids=["u-bob"]))
    sender = ob.sender(outbox_max_attempts=1)
    for _ in range(3):
        await sender.send_due()

    [fallback] = sb.sent_messages()
    assert fallback.text == "Not answered (1): Bob"
