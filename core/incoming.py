"""Typed, frozen values for what DingTalk delivers, parsed from the stream frames' ``data``.

The parsers are pure and forgiving where DingTalk is inconsistent, strict where a missing field
would make the message unanswerable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

GROUP_CONVERSATION = "2"
MAX_ROW_ID = 2**31 - 1
"""The largest id a row can have (PostgreSQL ``integer``): a larger one in a frame is refused
before it reaches a query, where it would overflow (SQLite's integers are 64-bit)."""
MAX_MSG_ID_CHARS = 128
"""The longest msgId taken: it must fit the inbox row and the keys built from it (``msg:<id>``
and ``reply:<id>:<n>``, 200 characters), or the message could be received but never answered.
DingTalk's own are about 40 characters."""
MAX_CONVERSATION_ID_CHARS = 128
"""The longest conversationId taken: the size of every column that keeps one."""


class MalformedFrame(ValueError):
    pass


class UnreadableFrame(MalformedFrame):
    """A stream frame whose envelope is wrong; ``message_id`` is set when an ACK can name it."""

    def __init__(self, reason: str, message_id: str | None = None) -> None:
        super().__init__(reason)
        self.message_id = message_id


@dataclass(frozen=True)
class StreamFrame:
    """The envelope of one websocket frame: ``{"type", "headers": {...}, "data": "<JSON>"}``."""

    type: str
    message_id: str
    topic: str
    data: Mapping[str, Any]
    """``data`` decoded; DingTalk sends it as a string holding a JSON object."""


def read_stream_frame(raw: str | bytes) -> StreamFrame:
    """One websocket message -> :class:`StreamFrame`, or :class:`UnreadableFrame` saying why.

    Only a frame with a string ``messageId`` can be answered, so that is checked first.
    """
    try:
        frame = json.loads(raw)
    except (ValueError, TypeError) as error:  # also bytes that are not UTF-8
        raise UnreadableFrame(f"not JSON: {error}") from error
    if not isinstance(frame, dict):
        raise UnreadableFrame(f"not a JSON object but {type(frame).__name__}")
    headers = frame.get("headers")
    if not isinstance(headers, dict):
        raise UnreadableFrame("no headers object")
    message_id = headers.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        raise UnreadableFrame(f"messageId is not a string: {message_id!r:.40}")
    kind, topic = frame.get("type"), headers.get("topic")
    if not isinstance(kind, str) or not isinstance(topic, str) or not topic:
        raise UnreadableFrame("type or topic missing or not a string", message_id)
    data = frame.get("data") or "{}"
    try:
        decoded = json.loads(data) if isinstance(data, str) else None
    except ValueError as error:
        raise UnreadableFrame(f"data is not JSON: {error}", message_id) from error
    if not isinstance(decoded, dict):
        raise UnreadableFrame("data is not a JSON object in a string", message_id)
    return StreamFrame(type=kind, message_id=message_id, topic=topic, data=decoded)


@dataclass(frozen=True)
class Sender:
    dingtalk_id: str
    nick: str
    staff_id: str | None
    """None for people outside the organisation: DingTalk gives them no staffId."""


@dataclass(frozen=True)
class ChatMessage:
    msg_id: str
    conversation_id: str
    is_group: bool
    conversation_title: str
    sender: Sender
    mentioned_staff_ids: tuple[str, ...]
    """People @-mentioned besides the bot, in order."""
    text: str
    session_webhook: str | None
    session_webhook_expires_at: datetime | None
    sent_at: datetime


def _millis(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as error:
        raise MalformedFrame(f"not a time in milliseconds: {value!r:.40}") from error


def _required(data: Mapping[str, Any], key: str, *, max_chars: int | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedFrame(f"bot message without {key}")
    if max_chars is not None and len(value) > max_chars:
        raise MalformedFrame(f"{key} longer than {max_chars} characters: {value!r:.40}")
    return value


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_chat_message(data: Mapping[str, Any], received_at: datetime) -> ChatMessage:
    """``data`` of a ``/v1.0/im/bot/messages/get`` frame -> :class:`ChatMessage`.

    Non-text messages (pictures, rich text) become empty text, which the router answers with
    the help. ``atUsers`` entries without a staffId (the bot itself) are not people.
    """
    text_part = data.get("text")
    text = text_part.get("content", "") if isinstance(text_part, Mapping) else ""
    mentions = tuple(
        str(user["staffId"])
        for user in data.get("atUsers") or ()
        if isinstance(user, Mapping) and user.get("staffId")
    )
    staff_id = data.get("senderStaffId") or None
    return ChatMessage(
        msg_id=_required(data, "msgId", max_chars=MAX_MSG_ID_CHARS),
        conversation_id=_required(data, "conversationId", max_chars=MAX_CONVERSATION_ID_CHARS),
        is_group=str(data.get("conversationType")) == GROUP_CONVERSATION,
        conversation_title=str(data.get("conversationTitle") or ""),
        sender=Sender(
            dingtalk_id=str(data.get("senderId") or ""),
            nick=str(data.get("senderNick") or ""),
            staff_id=str(staff_id) if staff_id else None,
        ),
        mentioned_staff_ids=mentions,
        text=str(text),
        session_webhook=_optional_text(data.get("sessionWebhook")),
        session_webhook_expires_at=_millis(data.get("sessionWebhookExpiredTime")),
        sent_at=_millis(data.get("createAt")) or received_at,
    )


_CHAT_MESSAGE = TypeAdapter(ChatMessage)


def chat_message_payload(message: ChatMessage) -> dict[str, Any]:
    """``message`` as plain JSON values, for the inbox row that keeps it until it is handled."""
    payload: dict[str, Any] = _CHAT_MESSAGE.dump_python(message, mode="json")
    return payload


def chat_message_from_payload(payload: Mapping[str, Any]) -> ChatMessage:
    """The :class:`ChatMessage` :func:`chat_message_payload` stored; ``ValueError`` if it is not
    one (a row written by another version)."""
    return _CHAT_MESSAGE.validate_python(payload)


# ``selftest`` is only on the card of `dingshift selftest`, which answers it itself.
CardAction = Literal[
    "confirm", "decline", "take", "checkin", "health_ok", "health_report", "selftest"
]


class TapParams(BaseModel):
    """A button's 回传参数; DingTalk may hand values over as strings or as numbers."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    action: CardAction
    shift_id: int = Field(ge=0, le=MAX_ROW_ID)


@dataclass(frozen=True)
class CardTap:
    event_id: str
    """The stream frame's messageId: a redelivered tap carries the same one."""
    out_track_id: str
    staff_id: str
    action: CardAction
    shift_id: int


def _json_object(raw: Any) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        return raw
    if isinstance(raw, str) and raw:
        decoded = json.loads(raw)
        if isinstance(decoded, Mapping):
            return decoded
    return {}


def parse_card_tap(data: Mapping[str, Any], event_id: str) -> CardTap:
    """``data`` of a ``/v1.0/card/instances/callback`` frame -> :class:`CardTap`.

    Both documented shapes are accepted: ``content`` with the params inside
    ``cardPrivateData``, and ``value`` with the params beside it.
    """
    try:
        payload = _json_object(data.get("content")) or _json_object(data.get("value"))
    except json.JSONDecodeError as error:
        raise MalformedFrame(f"card callback with unreadable content: {error}") from error
    private = _json_object(payload.get("cardPrivateData"))
    params = _json_object(private.get("params")) or _json_object(payload.get("params"))
    try:
        parsed = TapParams.model_validate(params)
    except ValidationError as error:
        raise MalformedFrame(f"card callback with unusable params {dict(params)}") from error
    return CardTap(
        event_id=event_id,
        out_track_id=_required(data, "outTrackId"),
        staff_id=_required(data, "userId"),
        action=parsed.action,
        shift_id=parsed.shift_id,
    )
