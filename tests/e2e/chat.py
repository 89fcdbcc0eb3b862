"""A coordinator's group chat in the sandbox, for end-to-end tests of the roster commands."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.app import BotApp
from core.cards import SHIPPED_CARD_TEMPLATE
from core.settings import Settings
from sandbox import Sandbox
from storage.models import Assignment, AssignmentState, Shift, Site, Volunteer
from storage.volunteers import register_volunteer
from tests.e2e.clock import E2E_START
from tests.scenario import added_shift_id, shift_add

ZONE = ZoneInfo("Asia/Hong_Kong")
COORDINATOR = "u-coord"
WEEKDAYS_ZH = "一二三四五六日"
OFFER_CARD = re.compile(r"ds-[0-9a-f]{8}-offer-.*")


@dataclass(frozen=True)
class Notice:
    """A private card as its one reader sees it: what used to be a private message."""

    out_track_id: str
    title: str
    text: str
    view: dict[str, str]


def notices(sb: Sandbox, staff_id: str) -> list[Notice]:
    """The cards in ``staff_id``'s chat with the robot, oldest first; backfill offers aside."""
    return [
        Notice(card.out_track_id, view["title"], view["body"], view)
        for card in sb.cards.values()
        if ("IM_ROBOT", staff_id) in card.spaces and not OFFER_CARD.fullmatch(card.out_track_id)
        for view in [sb.card_view(card.out_track_id, staff_id)]
    ]


def day_ahead(days: int) -> date:
    """The day ``days`` after the bots' first day (tests.e2e.clock.E2E_START)."""
    return E2E_START.astimezone(ZONE).date() + timedelta(days=days)


def label(day: date) -> str:
    """How the replies show a day: ``六 12-06``."""
    return f"{WEEKDAYS_ZH[day.weekday()]} {day:%m-%d}"


@dataclass
class Chat:
    sb: Sandbox
    bot: BotApp
    cid: str

    async def say(self, text: str, sender: str = COORDINATOR, at: tuple[str, ...] = ()) -> str:
        """Post ``text`` and return the bot's reply to it."""
        before = len(self.sb.sent_messages(self.cid))
        self.sb.post_message(self.cid, sender, text, at=at)
        replies = await self.sb.wait_for_messages(before + 1, self.cid)
        # A group reply @-mentions the sender first (DingTalk needs the name in the text).
        return replies[before].text.removeprefix(f"@{sender}\n\n")

    async def add_site(self, code: str, district: str) -> int:
        async with self.bot.sessions.begin() as session:
            site = Site(
                code=code,
                name=f"{code} food bank",
                district=district,
                created_by=COORDINATOR,
                created_at=self.bot.clock.now(),
            )
            session.add(site)
            await session.flush()
            assert site.id is not None
            return site.id

    async def register(
        self, staff_id: str, nick: str, languages: tuple[str, ...] = ("yue",)
    ) -> None:
        self.sb.add_members(self.cid, [self.sb.add_user(nick=nick, staff_id=staff_id)])
        async with self.bot.sessions.begin() as session:
            await register_volunteer(
                session=session,
                staff_id=staff_id,
                dingtalk_id="",
                nickname=nick,
                districts=["sham-shui-po"],
                languages=languages,
                availability=None,
                now=self.bot.clock.now(),
            )

    async def add_shift(
        self,
        day: date,
        hours: str = "09:00-12:00",
        need: int = 6,
        site: str = "SSP",
        extra: str = "",
    ) -> int:
        return added_shift_id(await self.say(shift_add(day, hours, need, site, extra)))

    async def shift(self, shift_id: int) -> Shift:
        async with self.bot.sessions() as session:
            found = await session.get(Shift, shift_id)
            assert found is not None
            return found

    async def states(self, shift_id: int) -> dict[str, str]:
        """Nickname -> assignment state on the shift."""
        async with self.bot.sessions() as session:
            rows = await session.exec(
                select(Volunteer.nickname, Assignment.state)
                .join(Assignment, col(Assignment.volunteer_id) == col(Volunteer.id))
                .where(Assignment.shift_id == shift_id)
            )
            return dict(rows.all())

    async def set_state(self, shift_id: int, nick: str, state: AssignmentState) -> None:
        async with self.bot.sessions.begin() as session:
            volunteer = (
                await session.exec(select(Volunteer).where(Volunteer.nickname == nick))
            ).one()
            assignment = (
                await session.exec(
                    select(Assignment)
                    .where(Assignment.shift_id == shift_id)
                    .where(Assignment.volunteer_id == volunteer.id)
                )
            ).one()
            assignment.state = state
            session.add(assignment)


def coordinator_settings(settings: Settings, *, card_template_id: str = "") -> Settings:
    """``settings`` with COORDINATOR as admin, a card template, and the scheduler's own ticks
    made rare, so that the test decides when due work runs."""
    return settings.model_copy(
        update={
            "org": settings.org.model_copy(update={"admins": [COORDINATOR]}),
            "dingtalk": settings.dingtalk.model_copy(
                update={"card_template_id": card_template_id}
            ),
            "schedule": settings.schedule.model_copy(update={"tick_seconds": 3600}),
        }
    )


async def site_group(
    sb: Sandbox, bot: BotApp, *, template_id: str, people: Mapping[str, str]
) -> Chat:
    """The SSP site's group, with the coordinator, the shipped card template registered as
    ``template_id``, and ``people`` (staffId -> nickname) registered and in it."""
    sb.register_card_template_file(template_id, SHIPPED_CARD_TEMPLATE)
    sb.add_user(nick="美姐", staff_id=COORDINATOR)
    group = sb.add_group(title="SSP", members=[COORDINATOR])
    chat = Chat(sb, bot, group.conversation_id)
    for staff_id, nick in people.items():
        await chat.register(staff_id, nick)
    assert "✅" in await chat.say("/site add SSP 深水埗派米站 district=ssp")
    return chat
