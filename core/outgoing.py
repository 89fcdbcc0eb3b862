"""What the bot sends later: one typed message per kind, and the outbox row each becomes.

A message is decided (and its row written) inside the transaction that decided it; the outbox
sender (bot/outbox.py) reads the row back as the same typed message and delivers it. A row keeps
the message's kind and routing in columns and the rest in its JSON ``payload``;
:func:`outbox_row` and :func:`outgoing_message` are the only two places that know the split.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from core.cards import Card, card_variables, without_highlights
from core.incoming import ChatMessage
from core.messages import Language, bilingual
from core.router import Reply
from storage.models import OutboxMessage

# The notification title of a reply: the product's name, the same in every language.
REPLY_TITLE = "DingShift"
MAX_MSG_PARAM_BYTES = 15_000
"""DingTalk refuses a robot message whose ``msgParam`` (``{"title", "text"}`` as JSON) is longer;
the session webhook's limit is not documented and is taken to be the same (unverified)."""
# Kept free for what the sender adds to a reply's text: the @-mention line naming the sender.
MENTION_ROOM = 200
# A line is cut rather than dropped when at least this much of it still fits.
MIN_CUT_LINE = 200
# People one private card is delivered to in one call; DingTalk's limit on spaces is not
# documented, so this stays at its robot-message batch size (oToMessages/batchSend: 20).
MAX_PRIVATE_CARD_SPACES = 20


class OutboxKind(StrEnum):
    """The ``kind`` column of an outbox row: which message its payload holds."""

    REPLY = "reply"
    GROUP = "group"
    CARD = "card"
    CARD_UPDATE = "card_update"


# Outbox row columns that route a message; a message kind declares those it uses as fields.
ROUTING_COLUMNS = frozenset(
    {"conversation_id", "user_ids", "session_webhook", "session_webhook_expires_at"}
)


class _Outgoing(BaseModel):
    # Extra keys are ignored because a row hands every routing column to every kind.
    model_config = ConfigDict(frozen=True, extra="ignore")


class ReplyMessage(_Outgoing):
    """An answer to a message: through its session webhook while that lives, else the OpenAPI
    (the group send API into ``conversation_id``, or the 1:1 send API to ``user_ids``)."""

    kind: Literal[OutboxKind.REPLY] = OutboxKind.REPLY
    title: str
    text: str
    at_user_ids: list[str] = Field(default_factory=list)
    """People the webhook reply @-mentions (the sender of a group message)."""
    conversation_id: str | None = None
    user_ids: list[str] = Field(default_factory=list)
    session_webhook: str | None = None
    session_webhook_expires_at: datetime | None = None


class GroupMessage(_Outgoing):
    """A markdown robot message into a group: its read status can be asked for later."""

    kind: Literal[OutboxKind.GROUP] = OutboxKind.GROUP
    conversation_id: str
    title: str
    text: str


class CardDelivery(_Outgoing):
    """An interactive card delivered into a group (``conversation_id``) or, without one, into the
    1:1 robot chats of the people in ``user_ids``; its outTrackId makes a retry the same card."""

    kind: Literal[OutboxKind.CARD] = OutboxKind.CARD
    out_track_id: str
    public: dict[str, str]
    private: dict[str, dict[str, str]]
    mentions: dict[str, str]
    conversation_id: str | None = None
    user_ids: list[str] = Field(default_factory=list)
    redelivery: bool = False
    """The card exists already; this delivers it into a space its first delivery missed."""

    @model_validator(mode="after")
    def _one_kind_of_space(self) -> Self:
        if (self.conversation_id is None) == (not self.user_ids):
            raise ValueError("a card goes either into a group or to people")
        if len(self.user_ids) > MAX_PRIVATE_CARD_SPACES:
            raise ValueError(f"a private card goes to at most {MAX_PRIVATE_CARD_SPACES} people")
        return self


class CardUpdate(_Outgoing):
    """New values for some variables of a card already delivered (merged by key)."""

    kind: Literal[OutboxKind.CARD_UPDATE] = OutboxKind.CARD_UPDATE
    out_track_id: str
    public: dict[str, str]
    private: dict[str, dict[str, str]] = Field(default_factory=dict)


OutgoingMessage = Annotated[
    ReplyMessage | GroupMessage | CardDelivery | CardUpdate, Field(discriminator="kind")
]
_OUTGOING_MESSAGE: TypeAdapter[OutgoingMessage] = TypeAdapter(OutgoingMessage)


class UnreadableRow(ValueError):
    """An outbox row whose kind or payload is not a message this version can send."""


def outbox_row(
    message: OutgoingMessage, *, dedup_key: str, now: datetime, essential: bool = True
) -> OutboxMessage:
    """The row that queues ``message``, due ``now``; ``dedup_key`` names the logical message."""
    routed_by = ROUTING_COLUMNS & type(message).model_fields.keys()
    routing = {column: getattr(message, column) for column in routed_by}
    return OutboxMessage(
        dedup_key=dedup_key,
        kind=message.kind,
        payload=message.model_dump(mode="json", exclude={"kind", *ROUTING_COLUMNS}),
        essential=essential,
        next_attempt_at=now,
        created_at=now,
        **routing,
    )


def outgoing_message(row: OutboxMessage) -> OutgoingMessage:
    """The typed message ``row`` holds; :class:`UnreadableRow` when it holds none."""
    fields: dict[str, Any] = {column: getattr(row, column) for column in ROUTING_COLUMNS}
    try:
        return _OUTGOING_MESSAGE.validate_python({**row.payload, **fields, "kind": row.kind})
    except ValidationError as error:
        raise UnreadableRow(f"outbox row {row.id} ({row.kind!r}): {error}") from error


def _json_bytes(value: str) -> int:
    """What ``value`` takes inside a JSON string, as the OpenAPI client encodes it."""
    return len(json.dumps(value, ensure_ascii=False).encode()) - 2


def _cut_to(line: str, budget: int) -> str:
    """The longest start of ``line`` taking at most ``budget`` bytes in JSON, with ``…``."""
    low, high = 0, len(line)
    while low < high:
        middle = (low + high + 1) // 2
        if _json_bytes(line[:middle] + "…") <= budget:
            low = middle
        else:
            high = middle - 1
    return line[:low] + "…"


def fit_message(title: str, text: str, language: Language) -> str:
    """``text`` as it fits in one robot message titled ``title``: whole when it fits, else the
    lines that fit (the next one cut, if enough of it fits) and a bilingual line saying how many
    were not shown in full (the cut one included). Every reply and group message passes through
    here on its way to the outbox."""
    limit = MAX_MSG_PARAM_BYTES - MENTION_ROOM
    if len(json.dumps({"title": title, "text": text}, ensure_ascii=False).encode()) <= limit:
        return text
    lines = text.split("\n")
    # The note's count has at most as many digits as the number of lines.
    note = "\n\n" + bilingual("reply.cut", language, count=len(lines))
    budget = limit - len(json.dumps({"title": title, "text": note}, ensure_ascii=False).encode())
    whole = 0
    for line in lines:
        cost = _json_bytes(line) + 2  # and its escaped line break
        if cost > budget:
            break
        whole += 1
        budget -= cost
    # Not every line fitted, or the whole text would have.
    kept = lines[:whole]
    if budget >= MIN_CUT_LINE:
        kept.append(_cut_to(lines[whole], budget - 2))
    left_out = bilingual("reply.cut", language, count=len(lines) - whole)
    return "\n".join(kept) + "\n\n" + left_out


def month_of(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m")


def reply_row(
    message: ChatMessage,
    reply: Reply,
    *,
    sequence: int,
    now: datetime,
    language: Language,
) -> OutboxMessage:
    """The outbox row answering ``message``; its dedup key ties it to the message for good.

    Without a live session webhook, a group reply goes through the group send API and a reply
    in a 1:1 chat through the 1:1 send API, to the sender. A reply too long for DingTalk is cut
    (:func:`fit_message`), the line saying so in ``language`` first."""
    sender = message.sender.staff_id
    in_group = message.is_group
    answer = ReplyMessage(
        title=REPLY_TITLE,
        text=fit_message(REPLY_TITLE, reply.text, language),
        at_user_ids=[sender] if sender and in_group else [],
        conversation_id=message.conversation_id if in_group else None,
        user_ids=[sender] if sender and not in_group else [],
        session_webhook=message.session_webhook,
        session_webhook_expires_at=message.session_webhook_expires_at,
    )
    return outbox_row(answer, dedup_key=f"reply:{message.msg_id}:{sequence}", now=now)


def redelivery_rows(
    card: CardDelivery, failed_spaces: Sequence[str], *, now: datetime
) -> list[OutboxMessage]:
    """One row per space ``card`` did not reach: each is retried, and counted, on its own."""
    rows = []
    for space in failed_spaces:
        in_group = card.conversation_id is not None
        again = card.model_copy(
            update={
                "redelivery": True,
                "conversation_id": space if in_group else None,
                "user_ids": [] if in_group else [space],
            }
        )
        key = f"card-redeliver:{card.out_track_id}:{space}"
        rows.append(outbox_row(again, dedup_key=key, now=now))
    return rows


def fallback_row(card: CardDelivery, *, language: Language, now: datetime) -> OutboxMessage:
    """A robot message with a card's words, for the space a redelivery never reached: without
    the card's highlight markup, and for a card with buttons, how to answer without them."""
    parts = [without_highlights(card.public.get("body", "")), card.public.get("status", "")]
    if json.loads(card.public.get("buttons", "[]")):
        shift_id = card.public.get("shift_id", "")
        parts.append(bilingual("card.fallback_answer", language, shift_id=shift_id))
    message = ReplyMessage(
        title=card.public.get("title") or REPLY_TITLE,
        text="\n\n".join(part for part in parts if part),
        conversation_id=card.conversation_id,
        user_ids=card.user_ids,
    )
    space = card.conversation_id or ",".join(card.user_ids)
    return outbox_row(message, dedup_key=f"card-fallback:{card.out_track_id}:{space}", now=now)


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
    delivery = CardDelivery(
        out_track_id=card.out_track_id,
        public=card.public_variables(language),
        private={staff_id: dict(values) for staff_id, values in card.private.items()},
        mentions=dict(card.mentions),
        conversation_id=conversation_id,
        user_ids=list(staff_ids),
    )
    return outbox_row(
        delivery, dedup_key=card_row_key(card.out_track_id), now=now, essential=essential
    )


def group_row(
    dedup_key: str,
    *,
    title: str,
    body: str,
    conversation_id: str,
    now: datetime,
    language: Language,
) -> OutboxMessage:
    """A markdown robot message into a group: its read status can be asked for later. Cut to
    fit as replies are (:func:`fit_message`)."""
    text = fit_message(title, body, language)
    message = GroupMessage(conversation_id=conversation_id, title=title, text=text)
    return outbox_row(message, dedup_key=dedup_key, now=now)


def card_update_row(
    out_track_id: str,
    *,
    public: dict[str, str],
    private: dict[str, dict[str, str]] | None = None,
    version: str,
    now: datetime,
) -> OutboxMessage:
    """The outbox row changing a delivered card; ``version`` tells successive updates apart."""
    update = CardUpdate(
        out_track_id=out_track_id,
        public=card_variables(public),
        private={staff_id: card_variables(values) for staff_id, values in (private or {}).items()},
    )
    return outbox_row(update, dedup_key=f"card-update:{out_track_id}:{version}", now=now)
