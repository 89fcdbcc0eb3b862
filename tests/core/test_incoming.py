"""The stream frame envelope: what can be answered, what must be skipped, and why."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import String, TypeDecorator
from sqlmodel import SQLModel

from core.incoming import (
    MAX_CONVERSATION_ID_CHARS,
    MAX_MSG_ID_CHARS,
    MalformedFrame,
    UnreadableFrame,
    parse_chat_message,
    read_stream_frame,
)
from core.outgoing import reply_row
from core.router import Reply
from storage.models import InboxMessage, OutboxMessage, ProcessedEvent, Site

TOPIC = "/v1.0/im/bot/messages/get"


def _frame(**fields: object) -> str:
    frame: dict[str, object] = {
        "type": "CALLBACK",
        "headers": {"messageId": "m-1", "topic": TOPIC},
        "data": json.dumps({"msgId": "x"}),
    }
    frame.update(fields)
    return json.dumps(frame)


def test_a_good_frame_is_read_with_its_data_decoded() -> None:
    frame = read_stream_frame(_frame().encode())
    assert (frame.type, frame.message_id, frame.topic) == ("CALLBACK", "m-1", TOPIC)
    assert frame.data == {"msgId": "x"}


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        b"\xff\xfe",
        "[1, 2]",
        '"a string"',
        json.dumps({"type": "CALLBACK", "headers": "m-1", "data": "{}"}),
        _frame(headers={"messageId": 42, "topic": TOPIC}),
        _frame(headers={"messageId": "", "topic": TOPIC}),
        _frame(headers={"topic": TOPIC}),
    ],
)
def test_a_frame_that_names_no_message_cannot_be_answered(raw: str | bytes) -> None:
    with pytest.raises(UnreadableFrame) as caught:
        read_stream_frame(raw)
    assert caught.value.message_id is None


@pytest.mark.parametrize(
    "raw",
    [
        _frame(headers={"messageId": "m-1"}),
        _frame(headers={"messageId": "m-1", "topic": ["a"]}),
        _frame(type=7),
        _frame(data="{not json"),
        _frame(data="[1, 2]"),
        _frame(data=json.dumps("text")),
        _frame(data={"msgId": "x"}),
    ],
)
def test_a_broken_frame_with_a_message_id_can_be_refused_by_name(raw: str) -> None:
    with pytest.raises(UnreadableFrame) as caught:
        read_stream_frame(raw)
    assert caught.value.message_id == "m-1"


@pytest.mark.parametrize("create_at", ["soon", 10**30, [1]])
def test_an_unreadable_time_is_a_malformed_message(create_at: object) -> None:
    data = {"msgId": "m", "conversationId": "c", "createAt": create_at}
    with pytest.raises(MalformedFrame):
        parse_chat_message(data, datetime(2026, 1, 1, tzinfo=UTC))


def test_a_session_webhook_that_is_not_text_is_ignored() -> None:
    data = {"msgId": "m", "conversationId": "c", "sessionWebhook": {"url": "x"}}
    message = parse_chat_message(data, datetime(2026, 1, 1, tzinfo=UTC))
    assert message.session_webhook is None


@pytest.mark.parametrize(
    "data",
    [
        {"msgId": "m" * (MAX_MSG_ID_CHARS + 1), "conversationId": "c"},
        {"msgId": "m", "conversationId": "c" * (MAX_CONVERSATION_ID_CHARS + 1)},
    ],
)
def test_an_id_longer_than_its_columns_is_a_malformed_message(data: dict[str, str]) -> None:
    # Taken, it would be received but fail every answer: its keys do not fit their columns.
    with pytest.raises(MalformedFrame):
        parse_chat_message(data, datetime(2026, 1, 1, tzinfo=UTC))


def _length(model: type[SQLModel], column: str) -> int:
    column_type = model.metadata.tables[str(model.__tablename__)].c[column].type
    if isinstance(column_type, TypeDecorator):  # SQLModel's AutoString
        column_type = column_type.impl_instance
    assert isinstance(column_type, String)
    assert column_type.length is not None
    return column_type.length


def test_the_longest_ids_taken_fit_every_column_and_key_built_from_them() -> None:
    data = {
        "msgId": "m" * MAX_MSG_ID_CHARS,
        "conversationId": "c" * MAX_CONVERSATION_ID_CHARS,
        "conversationType": "2",
        "senderStaffId": "u-1",
    }
    message = parse_chat_message(data, datetime(2026, 1, 1, tzinfo=UTC))
    # A hundred replies to one message is far more than any command gives.
    reply = reply_row(
        message, Reply("ok"), sequence=99, now=datetime(2026, 1, 1, tzinfo=UTC), language="en"
    )

    assert len(message.msg_id) <= _length(InboxMessage, "msg_id")
    assert len(f"msg:{message.msg_id}") <= _length(ProcessedEvent, "key")
    assert len(reply.dedup_key) <= _length(OutboxMessage, "dedup_key")
    for model in (InboxMessage, OutboxMessage, Site):
        assert _length(model, "conversation_id") >= MAX_CONVERSATION_ID_CHARS
