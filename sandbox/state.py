"""The sandbox's memory of the conversation, shared by the server thread and the test thread.

Every method takes the one lock and every read returns a copy, so a test can inspect the state
while the bot is talking to the server without either side seeing a half-applied change.
"""

from __future__ import annotations

import copy
import dataclasses
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sandbox.cards import merged
from sandbox.frames import (
    SESSION_WEBHOOK_LIFETIME_MS,
    new_conversation_id,
    new_dingtalk_id,
    now_ms,
)
from sandbox.protocol import DingTalkError
from sandbox.records import (
    AckRecord,
    Bot,
    CardChange,
    CardChangeKind,
    CardState,
    Group,
    PushedFrame,
    RequestRecord,
    SentMessage,
    User,
)

_T = TypeVar("_T")
# A User, or the staff id of someone in the organisation. None is accepted so that
# `user.staff_id` can be passed straight through; it names nobody and raises ValueError.
UserRef = User | str | None
TICKET_LIFETIME_S = 90.0
TOKEN_LIFETIME_S = 7200


@dataclass(frozen=True)
class Session:
    """Where a sessionWebhook reply lands: a group, or the 1:1 chat with `user_ids`."""

    conversation_id: str
    user_ids: tuple[str, ...]
    expires_ms: int


class SandboxState:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.bot = Bot(
            robot_code=client_id,
            app_id=str(uuid.uuid4()),
            corp_id="ding" + secrets.token_hex(8),
            chatbot_user_id=new_dingtalk_id(),
        )
        self._lock = threading.Lock()
        # Credentials and connections outlive reset(): the bot under test keeps its cached token
        # and its websocket from one test to the next, as it would across real conversations.
        self._tokens: dict[str, float] = {}
        self._tickets: dict[str, tuple[list[dict[str, str]], float]] = {}
        self._live_connections = 0
        self._subscriptions: list[dict[str, str]] = []
        self._clear()

    def _clear(self) -> None:
        self._users: dict[str, User] = {}  # by dingtalk_id
        self._staff: dict[str, User] = {}  # by staff_id
        self._groups: dict[str, Group] = {}
        self._private_chats: dict[str, str] = {}  # dingtalk_id -> conversation id
        self._sessions: dict[str, Session] = {}
        self._sent: list[SentMessage] = []
        self._group_sends: dict[str, str] = {}  # processQueryKey -> conversation id
        self._reads: dict[str, list[str]] = {}  # processQueryKey -> staff ids in reading order
        self._templates: dict[str, dict[str, bool]] = {}
        self._cards: dict[str, CardState] = {}
        self._pushes: list[PushedFrame] = []
        self._acks: list[AckRecord] = []
        self._requests: list[RequestRecord] = []
        self._connections_opened = 0
        self._api_calls = 0
        self._redelivery_timeout: float | None = None

    def reset(self) -> None:
        with self._lock:
            self._clear()

    # -- organisation and chats -----------------------------------------------------------------

    def add_user(self, nick: str, staff_id: str | None) -> User:
        user = User(nick=nick, staff_id=staff_id, dingtalk_id=new_dingtalk_id())
        with self._lock:
            if staff_id is not None:
                if staff_id in self._staff:
                    raise ValueError(f"staff id {staff_id!r} already exists")
                self._staff[staff_id] = user
            self._users[user.dingtalk_id] = user
        return user

    def user(self, ref: UserRef) -> User:
        """Resolves a User or a staff id; guests can only be named by their User record."""
        with self._lock:
            return self._user(ref)

    def _user(self, ref: UserRef) -> User:
        if ref is None:
            raise ValueError("a staff id of None names nobody; pass the User of a guest")
        found = self._staff.get(ref) if isinstance(ref, str) else self._users.get(ref.dingtalk_id)
        if found is None:
            raise ValueError(f"unknown user {ref!r}; add it with add_user() first")
        return found

    def add_group(self, title: str, members: Sequence[UserRef]) -> Group:
        with self._lock:
            group = Group(new_conversation_id(), title, self._unique_users(members))
            self._groups[group.conversation_id] = group
        return group

    def add_members(self, conversation_id: str, members: Sequence[UserRef]) -> Group:
        with self._lock:
            group = self._group(conversation_id)
            group = dataclasses.replace(
                group, members=self._unique_users([*group.members, *members])
            )
            self._groups[conversation_id] = group
        return group

    def _unique_users(self, refs: Sequence[UserRef]) -> tuple[User, ...]:
        users = {user.dingtalk_id: user for user in map(self._user, refs)}
        return tuple(users.values())

    def group(self, conversation_id: str) -> Group:
        with self._lock:
            return self._group(conversation_id)

    def _group(self, conversation_id: str) -> Group:
        group = self._groups.get(conversation_id)
        if group is None:
            raise ValueError(f"unknown group {conversation_id!r}")
        return group

    def has_group(self, conversation_id: str) -> bool:
        with self._lock:
            return conversation_id in self._groups

    def staff_ids(self) -> set[str]:
        with self._lock:
            return set(self._staff)

    def private_chat(self, user: User) -> str:
        """The 1:1 conversation id, stable per user as in DingTalk."""
        with self._lock:
            return self._private_chats.setdefault(user.dingtalk_id, new_conversation_id())

    def open_session(self, conversation_id: str, user_ids: tuple[str, ...]) -> tuple[str, int]:
        """A fresh sessionWebhook token for one incoming message, with its creation time."""
        token = secrets.token_hex(16)
        create_at = now_ms()
        session = Session(conversation_id, user_ids, create_at + SESSION_WEBHOOK_LIFETIME_MS)
        with self._lock:
            self._sessions[token] = session
        return token, create_at

    def session(self, token: str) -> Session | None:
        with self._lock:
            session = self._sessions.get(token)
        return session if session is not None and session.expires_ms > now_ms() else None

    # -- what the bot sent ----------------------------------------------------------------------

    def record_sent(self, message: SentMessage) -> None:
        with self._lock:
            self._sent.append(message)
            if message.via == "group_send" and message.process_query_key is not None:
                assert message.conversation_id is not None
                self._group_sends[message.process_query_key] = message.conversation_id
                self._reads[message.process_query_key] = []

    def sent_messages(self, conversation_id: str | None) -> list[SentMessage]:
        with self._lock:
            return [
                m
                for m in self._sent
                if conversation_id is None or m.conversation_id == conversation_id
            ]

    def mark_read(self, process_query_key: str, staff_id: str) -> None:
        with self._lock:
            conversation_id = self._group_sends.get(process_query_key)
            if conversation_id is None:
                raise ValueError(f"no group message has processQueryKey {process_query_key!r}")
            members = {m.staff_id for m in self._groups[conversation_id].members}
            if staff_id not in members:
                raise ValueError(f"{staff_id!r} is not a member of {conversation_id!r}")
            readers = self._reads[process_query_key]
            if staff_id not in readers:
                readers.append(staff_id)

    def readers(self, process_query_key: str, conversation_id: str) -> list[str] | None:
        """Staff ids that read a group message, or None if the key is not from that group."""
        with self._lock:
            if self._group_sends.get(process_query_key) != conversation_id:
                return None
            return list(self._reads[process_query_key])

    # -- cards ----------------------------------------------------------------------------------

    def register_card_template(self, template_id: str, variables: Mapping[str, bool]) -> None:
        with self._lock:
            self._templates[template_id] = dict(variables)

    def template_variables(self, template_id: str) -> dict[str, bool] | None:
        """None while no template is registered: then any template id and variable is accepted."""
        with self._lock:
            if not self._templates:
                return None
            variables = self._templates.get(template_id)
        if variables is None:
            raise DingTalkError(
                400, "param.templateUnpublished", f"template {template_id!r} is not published"
            )
        return dict(variables)

    def create_card(self, card: CardState) -> bool:
        """False, changing nothing, when the outTrackId exists: DingTalk keeps one card per id."""
        with self._lock:
            if card.out_track_id in self._cards:
                return False
            self._cards[card.out_track_id] = card
            return True

    def card(self, out_track_id: str) -> CardState | None:
        with self._lock:
            return copy.deepcopy(self._cards.get(out_track_id))

    def cards(self) -> dict[str, CardState]:
        with self._lock:
            return copy.deepcopy(self._cards)

    def update_card(
        self,
        out_track_id: str,
        kind: CardChangeKind,
        payload: dict[str, Any],
        *,
        public: Mapping[str, str] | None = None,
        public_by_key: bool = False,
        private: Mapping[str, Mapping[str, str]] | None = None,
        private_by_key: bool = False,
    ) -> bool:
        """Applies one update and appends it to the card's history; False for an unknown card."""
        with self._lock:
            card = self._cards.get(out_track_id)
            if card is None:
                return False
            new_public = card.public
            if public is not None:
                new_public = merged(card.public, public, by_key=public_by_key)
            new_private = dict(card.private)
            for user_id, values in (private or {}).items():
                old = new_private.get(user_id, {})
                new_private[user_id] = merged(old, values, by_key=private_by_key)
            change = CardChange(kind, payload, time.monotonic())
            self._cards[out_track_id] = dataclasses.replace(
                card, public=new_public, private=new_private, history=(*card.history, change)
            )
            return True

    def add_spaces(
        self, out_track_id: str, spaces: Sequence[tuple[str, str]], payload: dict[str, Any]
    ) -> bool:
        """Delivers an existing card into more spaces; False for an unknown card."""
        with self._lock:
            card = self._cards.get(out_track_id)
            if card is None:
                return False
            added = tuple(space for space in spaces if space not in card.spaces)
            change = CardChange("deliver", payload, time.monotonic())
            self._cards[out_track_id] = dataclasses.replace(
                card, spaces=(*card.spaces, *added), history=(*card.history, change)
            )
            return True

    def card_view(self, out_track_id: str, staff_id: str) -> dict[str, str]:
        """Private values win, but only for variables a registered template marks private."""
        with self._lock:
            card = self._cards.get(out_track_id)
            if card is None:
                raise ValueError(f"unknown card {out_track_id!r}")
            private = card.private.get(staff_id, {})
            flags = self._templates.get(card.template_id)
            if flags is not None:
                private = {k: v for k, v in private.items() if flags.get(k, False)}
            return {**card.public, **private}

    # -- stream connections ---------------------------------------------------------------------

    def issue_ticket(self, subscriptions: list[dict[str, str]]) -> str:
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets[ticket] = (subscriptions, time.monotonic())
            self._subscriptions = subscriptions
            self._connections_opened += 1
        return ticket

    def redeem_ticket(self, ticket: str) -> list[dict[str, str]]:
        """Tickets are good for one connection within 90 s, as documented."""
        with self._lock:
            entry = self._tickets.pop(ticket, None)
        if entry is None or time.monotonic() - entry[1] > TICKET_LIFETIME_S:
            raise DingTalkError(401, "InvalidTicket", "ticket is unknown, used or expired")
        return entry[0]

    def connection_changed(self, delta: int) -> None:
        with self._lock:
            self._live_connections += delta

    @property
    def connection_count(self) -> int:
        with self._lock:
            return self._live_connections

    @property
    def connections_opened(self) -> int:
        with self._lock:
            return self._connections_opened

    @property
    def subscriptions(self) -> list[dict[str, str]]:
        with self._lock:
            return copy.deepcopy(self._subscriptions)

    @property
    def redelivery_timeout(self) -> float | None:
        with self._lock:
            return self._redelivery_timeout

    @redelivery_timeout.setter
    def redelivery_timeout(self, seconds: float | None) -> None:
        with self._lock:
            self._redelivery_timeout = seconds

    def record_push(self, push: PushedFrame) -> None:
        with self._lock:
            self._pushes.append(push)

    def pushes(self, message_id: str | None = None) -> list[PushedFrame]:
        with self._lock:
            return _matching(self._pushes, message_id, lambda p: p.message_id)

    def record_ack(self, ack: AckRecord) -> None:
        with self._lock:
            self._acks.append(ack)

    def acks(self, message_id: str | None = None) -> list[AckRecord]:
        with self._lock:
            return _matching(self._acks, message_id, lambda a: a.message_id)

    # -- OpenAPI credentials and the request log -------------------------------------------------

    def issue_token(self) -> str:
        token = secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = time.monotonic() + TOKEN_LIFETIME_S
        return token

    def check_token(self, token: str | None) -> None:
        with self._lock:
            expires = self._tokens.get(token or "")
        if expires is None or expires < time.monotonic():
            raise DingTalkError(401, "InvalidAuthentication", "access token is missing or invalid")

    def log_request(self, record: RequestRecord, *, metered: bool) -> None:
        with self._lock:
            self._requests.append(record)
            if metered:
                self._api_calls += 1

    def requests(self, path_prefix: str | None) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self._requests if r.path.startswith(path_prefix or "")]

    @property
    def api_call_count(self) -> int:
        with self._lock:
            return self._api_calls


def _matching(items: list[_T], key: str | None, get: Callable[[_T], str]) -> list[_T]:
    return [item for item in items if key is None or get(item) == key]
