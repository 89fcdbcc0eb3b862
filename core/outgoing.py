"""The outbox rows each kind of outgoing message becomes, built where the message is decided
and sent later by the outbox sender (bot/outbox.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from core.cards import Card
from core.incoming import ChatMessage
from core.messages import Language
from core.router import Reply
from storage.models import OutboxMessage

KIND_REPLY = "reply"
"""An answer to a message: through its session webhook while that lives, else the OpenAPI."""
# The notification title of a reply: the product's name, the same in every language.
REPLY_TITLE = "DingShift"
KIND_GROUP = "group"
KIND_CARD = "card"
"""An interactive card delivered into a group (``conversation_id``) or, without one, into the
1:1 robot chats of the people in ``user_ids``; its outTrackId makes a retry the same card."""
# People one private card is delivered to in one call; DingTalk's limit on spaces is not
# documented, so this stays at its robot-message batch size (oToMessages/batchSend: 20).
MAX_PRIVATE_CARD_SPACES = 20
KIND_CARD_UPDATE = "card_update"
"""New values for some variables of a card already delivered (merged by key)."""


def month_of(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m")


def reply_row(
    message: ChatMessage, reply: Reply, *, sequence: int, now: datetime
) -> OutboxMessage:
    """The outbox row answering ``message``; its dedup key ties it to the message for good.

    Without a live session webhook, a group reply goes through the group send API and a reply
    in a 1:1 chat through the 1:1 send API, to the sender."""
    sender = message.sender.staff_id
    in_group = message.is_group
    return OutboxMessage(
        dedup_key=f"reply:{message.msg_id}:{sequence}",
        kind=KIND_REPLY,
        conversation_id=message.conversation_id if in_group else None,
        user_ids=[sender] if sender and not in_group else [],
        payload={
            "title": REPLY_TITLE,
            "text": reply.text,
            "at_user_ids": [sender] if sender and in_group else [],
        },
        session_webhook=message.session_webhook,
        session_webhook_expires_at=message.session_webhook_expires_at,
        next_attempt_at=now,
        created_at=now,
    )


def card_row_key(out_track_id: str) -> str:
    """The dedup key of the row delivering card ``out_track_id``."""
    return f"card:{out_track_id}"


def card_row(
    card: Card,
    *,
    language: Language,
    now: datetime,
    conversation_id: str | None = None,
    staff_ids: Sequence[str] = (),
    essential: bool = True,
) -> OutboxMessage:
    """The outbox row delivering ``card`` into a group (``conversation_id``) or privately into
    each of ``staff_ids``' chat with the robot (at most :data:`MAX_PRIVATE_CARD_SPACES`); one
    row per card id, however often it is queued."""
    if (conversation_id is None) == (not staff_ids):
        raise ValueError("a card goes either into a group or to people")
    if len(staff_ids) > MAX_PRIVATE_CARD_SPACES:
        raise ValueError(f"a private card goes to at most {MAX_PRIVATE_CARD_SPACES} people")
    return OutboxMessage(
        dedup_key=card_row_key(card.out_track_id),
        kind=KIND_CARD,
        conversation_id=conversation_id,
        user_ids=list(staff_ids),
        payload={
            "out_track_id": card.out_track_id,
            "public": card.public_variables(language),
            "private": {staff_id: dict(values) for staff_id, values in card.private.items()},
            "mentions": dict(card.mentions),
        },
        essential=essential,
        next_attempt_at=now,
        created_at=now,
    )


def group_row(
    dedup_key: str, *, title: str, body: str, conversation_id: str, now: datetime
) -> OutboxMessage:
    """A markdown robot message into a group: its read status can be asked for later."""
    return OutboxMessage(
        dedup_key=dedup_key,
        kind=KIND_GROUP,
        conversation_id=conversation_id,
        payload={"title": title, "text": body},
        next_attempt_at=now,
        created_at=now,
    )


def card_update_row(
    out_track_id: str,
    *,
    public: dict[str, str],
    private: dict[str, dict[str, str]] | None = None,
    version: str,
    now: datetime,
) -> OutboxMessage:
    """The outbox row changing a delivered card; ``version`` tells successive updates apart."""
    return OutboxMessage(
        dedup_key=f"card-update:{out_track_id}:{version}",
        kind=KIND_CARD_UPDATE,
        payload={"out_track_id": out_track_id, "public": public, "private": private or {}},
        next_attempt_at=now,
        created_at=now,
    )
