"""Scenario tests in-process: the commands and card taps without the SDK, the sandbox or the
outbox sender, in milliseconds.

:class:`Scenario` builds the dispatcher with ``bot.app.build_dispatcher`` and the inbox in front of
it, as the bot does, on a real, migrated database and a :class:`~core.clock.ManualClock`, and feeds
them the frozen values the SDK adapter would hand over (:class:`~core.incoming.ChatMessage` into
the inbox, which is then worked off; :class:`~core.incoming.CardTap` to the dispatcher). What the
bot answers is read back, through the typed outgoing messages, from the outbox rows it queued
(:func:`read_outbox`). tests/e2e/ keeps checking the wire.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import SQLModel, col, select

from bot.app import build_dispatcher
from bot.inbox import Inbox
from core.cards import wire_id
from core.clock import ManualClock
from core.incoming import CardAction, CardTap, ChatMessage, Sender
from core.installation import InstallationTag
from core.openapi import OpenApiClient
from core.outgoing import (
    CardDelivery,
    CardUpdate,
    GroupMessage,
    OutboxKind,
    OutgoingMessage,
    ReplyMessage,
    outgoing_message,
)
from core.settings import Settings, load_settings
from jobs.runner import JobDeps
from jobs.table import DUE_WORK_JOB, job_named
from storage.database import SessionFactory
from storage.models import Assignment, OutboxMessage, Shift, Volunteer

Row = TypeVar("Row", bound=SQLModel)

ZONE = ZoneInfo("Asia/Hong_Kong")
START = datetime(2026, 11, 27, 10, 0, tzinfo=ZONE)
"""Where every scenario's clock starts: a Friday morning in Hong Kong."""
COORDINATOR = "u-coord"
"""An admin by configuration (``org.admins``)."""
GROUP = "cid-ssp"
"""The group chat a scenario talks in unless told otherwise."""
CARD_TEMPLATE_ID = "dingshift-scenario.schema"
WEEKDAYS_ZH = "一二三四五六日"


def scenario_settings() -> Settings:
    """The settings of every scenario: the coordinator an admin, a card template set."""
    return load_settings(
        None,
        dingtalk={
            "client_id": "ding-scenario",
            "client_secret": "demo-secret",
            "card_template_id": CARD_TEMPLATE_ID,
        },
        org={"admins": [COORDINATOR]},
        demo_mode=True,
    )


def _nothing_to_wake() -> None:
    """No outbox sender runs in a scenario: the queued rows are what is checked."""


@dataclass(frozen=True)
class Queued:
    """One outbox row as a scenario reads it."""

    dedup_key: str
    kind: str
    conversation_id: str | None
    user_ids: tuple[str, ...]
    text: str
    """A reply's or group message's text; empty for cards."""
    out_track_id: str
    """A card's or card update's id; empty for messages."""
    public: Mapping[str, str] = field(default_factory=dict)
    """A card's public variables."""
    private: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """A card's private variables, per staffId."""

    def buttons(self) -> list[dict[str, str]]:
        """A card's buttons, each with the params DingTalk hands back when it is tapped."""
        buttons: list[dict[str, str]] = json.loads(self.public.get("buttons", "[]"))
        return buttons

    def button(self, action: str) -> Mapping[str, str]:
        for button in self.buttons():
            if button["action"] == action:
                return button
        raise AssertionError(f"{self.out_track_id} has no {action} button: {self.public}")


async def read_outbox(sessions: SessionFactory) -> list[Queued]:
    """Every outbox row, in the order queued: the one place scenarios read the outbox."""
    async with sessions() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return [_queued(row.dedup_key, outgoing_message(row)) for row in rows]


def _queued(dedup_key: str, message: OutgoingMessage) -> Queued:
    match message:
        case ReplyMessage() | GroupMessage():
            people = message.user_ids if isinstance(message, ReplyMessage) else []
            return Queued(
                dedup_key,
                message.kind,
                message.conversation_id,
                tuple(people),
                text=message.text,
                out_track_id="",
            )
        case CardDelivery():
            return Queued(
                dedup_key,
                message.kind,
                message.conversation_id,
                tuple(message.user_ids),
                text="",
                out_track_id=message.out_track_id,
                public=message.public,
                private=message.private,
            )
        case CardUpdate():
            return Queued(
                dedup_key,
                message.kind,
                None,
                (),
                text="",
                out_track_id=message.out_track_id,
                public=message.public,
                private=message.private,
            )


@dataclass(frozen=True)
class Ack:
    """A card tap's ACK as the tapper sees it."""

    status: str | None
    """The card's new public status; None when the tap leaves it as it was."""
    my_status: str
    result: str
    """``ok`` or ``refused``."""


def read_ack(response: object) -> Ack:
    assert isinstance(response, dict), response
    mine = response["userPrivateData"]["cardParamMap"]
    public = response.get("cardData", {}).get("cardParamMap", {})
    return Ack(
        status=public.get("status"), my_status=mine["my_status"], result=mine["last_result"]
    )


def day_ahead(days: int) -> date:
    """The day ``days`` after the scenario's first day (a Friday)."""
    return START.date() + timedelta(days=days)


def label(day: date) -> str:
    """How the replies show a day: ``六 11-28``."""
    return f"{WEEKDAYS_ZH[day.weekday()]} {day:%m-%d}"


def starts(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=ZONE)


def shift_add(
    day: date, hours: str = "09:00-12:00", need: int = 6, site: str = "SSP", extra: str = ""
) -> str:
    """The ``/shift add`` command for a shift on ``day``; ``extra`` holds further options."""
    return f"/shift add site={site} date={day} time={hours} need={need} {extra}"


def added_shift_id(reply: str) -> int:
    """The id in ``/shift add``'s reply (in zh-HK), which must say the shift was added."""
    assert "✅ 已新增 **#" in reply, reply
    return int(reply.split("**#")[1].split("**", maxsplit=1)[0])


def assert_nothing_changed(replies: Sequence[str], usage: str = "") -> None:
    """Each reply refuses bad input in both languages, says nothing changed, shows ``usage``."""
    for reply in replies:
        assert "乜都冇改到" in reply, reply
        assert "Nothing was changed" in reply, reply
        assert usage in reply, reply


class Scenario:
    """People talking to the bot in its groups and 1:1 chats, and tapping its cards."""

    def __init__(self, sessions: SessionFactory, settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = ManualClock(START)
        self.dispatcher = build_dispatcher(
            sessions=sessions,
            settings=settings,
            clock=self.clock,
            installation=InstallationTag(sessions, self.clock),
            on_committed=_nothing_to_wake,
        )
        self.inbox = Inbox(
            sessions=sessions,
            settings=settings,
            clock=self.clock,
            handle=self.dispatcher.handle_inbox_message,
            give_up=self.dispatcher.give_up_inbox_message,
        )
        # No job here asks DingTalk anything, so the client never opens a connection.
        self.job_deps = JobDeps(
            sessions=sessions,
            settings=settings,
            clock=self.clock,
            client=OpenApiClient(settings.dingtalk),
            wake_outbox=_nothing_to_wake,
        )
        self.people: dict[str, str] = {COORDINATOR: "美姐"}
        """staffId -> nickname of everyone who can speak."""
        self._event_ids = itertools.count(1)

    def person(self, staff_id: str, nick: str) -> str:
        """Someone of the organisation, not registered as a volunteer yet."""
        self.people[staff_id] = nick
        return staff_id

    def message(
        self,
        text: str,
        *,
        as_: str | None = COORDINATOR,
        in_group: str | None = GROUP,
        at: Sequence[str] = (),
    ) -> ChatMessage:
        """``text`` from ``as_`` (None: a guest from outside the organisation, with no staffId)
        in the group ``in_group`` (None: their 1:1 chat with the robot), @-mentioning ``at``.

        As in DingTalk, the text keeps each mention's ``@nickname``; ``at`` says who is meant.
        """
        number = next(self._event_ids)
        nick = self.people[as_] if as_ is not None else "Visitor"
        return ChatMessage(
            msg_id=f"msg-{number}",
            conversation_id=in_group or f"cid-1on1-{as_}",
            is_group=in_group is not None,
            conversation_title="SSP" if in_group else "",
            sender=Sender(dingtalk_id=f"dt-{as_ or 'guest'}", nick=nick, staff_id=as_),
            mentioned_staff_ids=tuple(at),
            text=text,
            session_webhook=None,
            session_webhook_expires_at=None,
            sent_at=self.clock.now(),
        )

    async def replies_to(self, message: ChatMessage) -> list[str]:
        prefix = f"reply:{message.msg_id}:"
        return [
            row.text
            for row in await read_outbox(self.sessions)
            if row.kind == OutboxKind.REPLY and row.dedup_key.startswith(prefix)
        ]

    async def say(
        self,
        text: str,
        *,
        as_: str | None = COORDINATOR,
        in_group: str | None = GROUP,
        at: Sequence[str] = (),
    ) -> list[str]:
        """Handle ``text`` (see :meth:`message`) and return the bot's replies to it."""
        message = self.message(text, as_=as_, in_group=in_group, at=at)
        await self.inbox.receive(message)
        await self.inbox.handle_received()
        return await self.replies_to(message)

    async def say_each(self, posts: Sequence[str], *, as_: str | None = COORDINATOR) -> list[str]:
        """Each of ``posts`` in turn (none @-mentioning anyone); the one reply to each."""
        replies = []
        for post in posts:
            [reply] = await self.say(post, as_=as_)
            replies.append(reply)
        return replies

    async def join(self, staff_id: str, nick: str, options: str = "district=ssp lang=yue") -> str:
        """``staff_id`` registers as a volunteer with ``/join <options>`` in their 1:1 chat."""
        self.person(staff_id, nick)
        [reply] = await self.say(f"/join {options}", as_=staff_id, in_group=None)
        assert "多謝登記" in reply, reply
        return staff_id

    async def grant(self, staff_id: str, role: str, regions: str = "") -> None:
        """The coordinator (an admin) grants ``role`` with ``/role grant``."""
        region = f" region={regions}" if regions else ""
        command = f"/role grant @{self.people[staff_id]} {role}{region}"
        [reply] = await self.say(command, at=[staff_id])
        assert "而家係" in reply, reply

    async def add_site(self, code: str = "SSP", district: str = "ssp", group: str = GROUP) -> str:
        """A site added with ``/site add`` in ``group``: its announcements and cards go there."""
        command = f"/site add {code} {code} food bank district={district}"
        [reply] = await self.say(command, in_group=group)
        assert "已新增地點" in reply, reply
        return code

    async def add_shift(
        self,
        day: date,
        hours: str = "09:00-12:00",
        need: int = 6,
        site: str = "SSP",
        extra: str = "",
    ) -> int:
        """A shift added with ``/shift add``; its id."""
        [reply] = await self.say(shift_add(day, hours, need, site, extra))
        return added_shift_id(reply)

    async def run_due_work(self) -> int:
        """The scheduler's tick at the scenario's clock: lifecycle steps, changes, offers."""
        return await job_named(DUE_WORK_JOB).run(self.job_deps)

    async def group_messages(self) -> list[Queued]:
        """The robot's own messages into groups (announcements), in order."""
        return [row for row in await read_outbox(self.sessions) if row.kind == OutboxKind.GROUP]

    async def cards(self) -> list[Queued]:
        """Every card queued for delivery, in order (updates to delivered cards aside)."""
        return [row for row in await read_outbox(self.sessions) if row.kind == OutboxKind.CARD]

    async def card(self, out_track_id: str) -> Queued:
        [found] = [card for card in await self.cards() if card.out_track_id == out_track_id]
        return found

    async def installation_tag(self) -> str:
        """The tag DingTalk sees in every card id (``ds-<tag>-confirm-42``)."""
        return await InstallationTag(self.sessions, self.clock).get()

    async def card_tap(self, card: Queued, action: CardAction, *, as_: str) -> CardTap:
        """``as_`` taps the ``action`` button of ``card``; a redelivery is the same value."""
        button = card.button(action)
        return CardTap(
            event_id=f"tap-{next(self._event_ids)}",
            out_track_id=wire_id(card.out_track_id, await self.installation_tag()),
            staff_id=as_,
            action=action,
            shift_id=int(button["shift_id"]),
        )

    async def tap(self, out_track_id: str, action: CardAction, *, as_: str) -> Ack:
        """``as_`` taps ``action`` on the queued card ``out_track_id``; the ACK they get."""
        tap = await self.card_tap(await self.card(out_track_id), action, as_=as_)
        return read_ack((await self.dispatcher.on_card_tap(tap)).ack)

    async def taps_together(
        self, out_track_id: str, taps: Mapping[str, CardAction]
    ) -> list[Ack | BaseException]:
        """Each of ``taps`` (staffId -> action) at the same moment, as a burst of frames hands
        them over; the ACK each gets, or the exception its frame failed with."""
        card = await self.card(out_track_id)
        frames = [
            await self.card_tap(card, action, as_=staff_id) for staff_id, action in taps.items()
        ]
        answers = await asyncio.gather(
            *(self.dispatcher.on_card_tap(frame) for frame in frames), return_exceptions=True
        )
        return [
            answer if isinstance(answer, BaseException) else read_ack(answer.ack)
            for answer in answers
        ]

    async def rows(self, model: type[Row]) -> list[Row]:
        """Every row of ``model`` (to check what was stored, or that nothing was)."""
        async with self.sessions() as session:
            return list((await session.exec(select(model))).all())

    async def shift(self, shift_id: int) -> Shift:
        async with self.sessions() as session:
            found = await session.get(Shift, shift_id)
        assert found is not None
        return found

    async def states(self, shift_id: int) -> dict[str, str]:
        """Nickname -> assignment state on the shift."""
        async with self.sessions() as session:
            rows = await session.exec(
                select(Volunteer.nickname, Assignment.state)
                .join(Assignment, col(Assignment.volunteer_id) == col(Volunteer.id))
                .where(Assignment.shift_id == shift_id)
            )
            return dict(rows.all())
