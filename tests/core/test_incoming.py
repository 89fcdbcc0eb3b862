"""The stream frame envelope: what can be answered, what must be skipped, and why."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from core.incoming import MalformedFrame, UnreadableFrame, parse_chat_message, read_stream_frame

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
