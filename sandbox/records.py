"""Immutable snapshots handed to tests.

The sandbox's live state is shared with its server thread; handing out frozen copies means a test
can hold on to a record while the bot keeps talking, without taking the lock or seeing it change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

SendVia = Literal["session_webhook", "group_send", "oto_send"]
CardChangeKind = Literal["create", "deliver", "update", "ack", "ack_ignored"]


@dataclass(frozen=True)
class Bot:
    """The app's identity inside the sandbox organisation, as it appears in pushed frames."""

    robot_code: str
    app_id: str
    corp_id: str
    chatbot_user_id: str


@dataclass(frozen=True)
class User:
    """A DingTalk account; `staff_id` is None for people outside the bot's organisation."""

    nick: str
    staff_id: str | None
    dingtalk_id: str


@dataclass(frozen=True)
class Group:
    conversation_id: str
    title: str
    members: tuple[User, ...]


@dataclass(frozen=True)
class SentMessage:
    """One message the bot put into a chat, whichever of the three send routes it used.

    `msgtype` is normalised to "text"/"markdown" so assertions need not care about the route;
    `msg_key` keeps the spelling the bot actually sent ("sampleMarkdown", "markdown", ...).
    """

    via: SendVia
    conversation_id: str | None
    user_ids: tuple[str, ...]
    msgtype: Literal["text", "markdown"]
    msg_key: str
    title: str | None
    text: str
    at_user_ids: tuple[str, ...]
    at_all: bool
    process_query_key: str | None
    at: float


@dataclass(frozen=True)
class PushedFrame:
    """A frame written to a websocket; `attempt` > 1 marks automatic or explicit redelivery."""

    message_id: str
    type: Literal["CALLBACK", "SYSTEM"]
    topic: str
    frame: dict[str, Any]
    connection_id: str
    attempt: int
    at: float


@dataclass(frozen=True)
class AckRecord:
    """An ACK from the bot; `latency_s` pairs the n-th ACK of a message with its n-th push."""

    message_id: str
    topic: str | None
    code: int
    message: str
    data: Any
    response: Any
    latency_s: float | None
    connection_id: str
    at: float


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    at: float


@dataclass(frozen=True)
class CardChange:
    kind: CardChangeKind
    payload: dict[str, Any]
    at: float


@dataclass(frozen=True)
class CardState:
    """A card instance as DingTalk stores it; what a person sees is `Sandbox.card_view`."""

    out_track_id: str
    template_id: str
    public: dict[str, str]
    private: dict[str, dict[str, str]]
    open_space_id: str
    spaces: tuple[tuple[str, str], ...]
    at_user_ids: tuple[str, ...]
    history: tuple[CardChange, ...]
    card_at_user_ids: tuple[str, ...] = ()
    """Whom the card's own text highlights (``cardAtUserIds``), beside the notified
    ``at_user_ids``."""
