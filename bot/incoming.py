"""Typed, frozen values for what DingTalk delivers, parsed from the stream frames' ``data``.

The parsers are pure and forgiving where DingTalk is inconsistent, strict where a missing field
would make the message unanswerable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GROUP_CONVERSATION = "2"


class MalformedFrame(ValueError):
    pass


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
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def _required(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedFrame(f"bot message without {key}")
    return value


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
        msg_id=_required(data, "msgId"),
        conversation_id=_required(data, "conversationId"),
        is_group=str(data.get("conversationType")) == GROUP_CONVERSATION,
        conversation_title=str(data.get("conversationTitle") or ""),
        sender=Sender(
            dingtalk_id=str(data.get("senderId") or ""),
            nick=str(data.get("senderNick") or ""),
            staff_id=str(staff_id) if staff_id else None,
        ),
        mentioned_staff_ids=mentions,
        text=str(text),
        session_webhook=data.get("sessionWebhook") or None,
        session_webhook_expires_at=_millis(data.get("sessionWebhookExpiredTime")),
        sent_at=_millis(data.get("createAt")) or received_at,
    )
