"""Stream frames and their `data` payloads, shaped like dingtalk-protocol.md §1.3, §1.5, §2.1
and dingtalk-cards.md §2.7, including the quirks the bot must cope with (JSON strings inside JSON,
a leading space before group text, no senderStaffId for people outside the organisation)."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sandbox.records import Bot, CardState, User

CHATBOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_CALLBACK_TOPIC = "/v1.0/card/instances/callback"
SESSION_WEBHOOK_LIFETIME_MS = 5_400_000
TapShape = Literal["content", "value"]


def now_ms() -> int:
    return int(time.time() * 1000)


def _base64ish(size: int) -> str:
    return base64.b64encode(secrets.token_bytes(size)).decode()


def new_dingtalk_id() -> str:
    return "$:LWCP_v1:$" + _base64ish(24)


def new_conversation_id() -> str:
    """Real ids are base64 and may contain '+', '/' and '=': bots must not use them unescaped."""
    return "cid" + _base64ish(16)


def new_process_query_key() -> str:
    return _base64ish(30)


def new_message_id() -> str:
    return f"{secrets.token_hex(4)}_{secrets.randbelow(1000)}_{now_ms():x}_{secrets.token_hex(3)}"


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def callback_frame(
    bot: Bot, topic: str, message_id: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """A CALLBACK frame without `connectionId`, which is filled in per delivery."""
    headers = {
        "appId": bot.app_id,
        "contentType": "application/json",
        "messageId": message_id,
        "time": str(now_ms()),
        "topic": topic,
    }
    return {"specVersion": "1.0", "type": "CALLBACK", "headers": headers, "data": dumps(data)}


def system_frame(topic: str, data: Mapping[str, Any]) -> dict[str, Any]:
    headers = {
        "contentType": "application/json",
        "messageId": new_message_id(),
        "time": str(now_ms()),
        "topic": topic,
    }
    return {"specVersion": "1.0", "type": "SYSTEM", "headers": headers, "data": dumps(data)}


def chat_message(
    *,
    bot: Bot,
    conversation_id: str,
    group_title: str | None,
    sender: User,
    mentioned: Sequence[User],
    text: str,
    session_webhook: str,
    create_at: int,
) -> dict[str, Any]:
    """A bot message; `group_title` None means the sender's 1:1 chat with the bot.

    In a group DingTalk strips the @bot mention but keeps the space after it, and lists the bot
    in atUsers without a staffId; in a 1:1 chat there is no mention, so neither appears.
    """
    data: dict[str, Any] = {"conversationId": conversation_id}
    if group_title is None:
        data["conversationType"] = "1"
    else:
        data["conversationType"] = "2"
        data["conversationTitle"] = group_title
        at_users: list[dict[str, str]] = [{"dingtalkId": bot.chatbot_user_id}]
        for user in mentioned:
            at_user = {"dingtalkId": user.dingtalk_id}
            if user.staff_id is not None:
                at_user["staffId"] = user.staff_id
            at_users.append(at_user)
        data["atUsers"] = at_users
        text = text if text.startswith(" ") else " " + text
    data |= {
        "chatbotCorpId": bot.corp_id,
        "chatbotUserId": bot.chatbot_user_id,
        "robotCode": bot.robot_code,
        "msgId": "msg" + _base64ish(18),
        "msgtype": "text",
        "text": {"content": text},
        "senderNick": sender.nick,
        "senderId": sender.dingtalk_id,
        "senderPlatform": "Win",
        "isAdmin": False,
        "sessionWebhook": session_webhook,
        "sessionWebhookExpiredTime": create_at + SESSION_WEBHOOK_LIFETIME_MS,
        "createAt": create_at,
    }
    if group_title is not None:
        data["isInAtList"] = True
    if sender.staff_id is not None:
        data["senderStaffId"] = sender.staff_id
        data["senderCorpId"] = bot.corp_id
    return data


def card_tap(
    *,
    bot: Bot,
    card: CardState,
    space: tuple[str, str],
    staff_id: str,
    action_ids: Sequence[str],
    params: Mapping[str, Any],
    shape: TapShape,
) -> dict[str, Any]:
    """A tap by `staff_id` on a button of `card` in `space` (one of the card's spaces: the
    tapper's own, for a card delivered to several), in either documented shape: params inside
    `content.cardPrivateData`, or `value` with params beside cardPrivateData
    (dingtalk-cards.md §2.7)."""
    space_type, space_id = space
    data: dict[str, Any] = {
        "type": "actionCallback",
        "outTrackId": card.out_track_id,
        "corpId": bot.corp_id,
        "userId": staff_id,
        "userIdType": 1,
        "spaceType": space_type,
        "spaceId": space_id,
        "extension": "{}",
    }
    if shape == "content":
        private = {"actionIds": list(action_ids), "params": dict(params)}
        data["content"] = dumps({"cardPrivateData": private})
    else:
        data["value"] = dumps(
            {"cardPrivateData": {"actionIds": list(action_ids)}, "params": dict(params)}
        )
    return data
