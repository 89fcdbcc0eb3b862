"""The coordinator's story, typed into a group chat: plan a site, a weekly shift and a one-off
shift, staff them, and be told why one volunteer cannot be booked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, func, select

from bot.app import BotApp
from core.settings import Settings
from sandbox import Sandbox
from storage.models import Assignment, Shift, ShiftTemplate, Site
from tests.e2e.chat import COORDINATOR, Chat, coordinator_settings, day_ahead, label

VOLUNTEERS = {"u-kaming": "家明", "u-bobby": "Bobby", "u-carmen": "Carmen"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return coordinator_settings(settings)


async def test_a_coordinator_plans_and_staffs_a_site_from_the_group_chat(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="美姐", staff_id=COORDINATOR)
    people = [sb.add_user(nick=nick, staff_id=staff_id) for staff_id, nick in VOLUNTEERS.items()]
    group = sb.add_group(title="SSP 深水埗", members=[COORDINATOR, *people])
    chat = Chat(sb, bot, group.conversation_id)
    for staff_id in VOLUNTEERS:
        joined = await chat.say("/登記 district=深水埗 lang=粵語,英文", sender=staff_id)
        assert "多謝登記" in joined

    added = await chat.say('/site add SSP "深水埗派米站" district=ssp address="北河街 1 號"')
    assert "SSP" in added
    saturday = next(day for day in (day_ahead(n) for n in range(2, 9)) if day.weekday() == 5)
    template_reply = await chat.say(
        f"/範本 新增 星期六早更 site=SSP every=sat time=09:00-12:00 need=4 lang=cmn:1"
        f" meet=港鐵C2出口 equipment=手套,圍裙 from={saturday}"
    )
    assert "逢星期六" in template_reply
    async with bot.sessions() as session:
        template = (await session.exec(select(ShiftTemplate))).one()
        first = (
            await session.exec(
                select(Shift).where(Shift.template_id == template.id, Shift.occurs_on == saturday)
            )
        ).one()
    assert first.headcount == 4
    assert (first.meeting_point, first.equipment) == ("港鐵C2出口", ["手套", "圍裙"])

    booked = await chat.say(f"/編更 {first.id} @家明", at=("u-kaming",))
    assert "家明" in booked
    assert "✅" in booked

    one_off = await chat.say(
        f"/更 新增 site=SSP date={saturday} time=10:00-13:00 need=3 title=派米"
    )
    one_off_id = int(one_off.split("**#")[1].split("**")[0])
    staffed = await chat.say(
        f"/assign {one_off_id} @家明 @Bobby @Carmen", at=("u-kaming", "u-bobby", "u-carmen")
    )
    refusal = next(line for line in staffed.splitlines() if "家明" in line)
    assert "❌" in refusal
    assert f"#{first.id}" in refusal
    assert f"{label(saturday)} 09:00–12:00" in refusal
    assert "撞時間" in refusal
    assert "Bobby" in staffed
    assert "Carmen" in staffed

    roster = await chat.say(f"/名單 {one_off_id}")
    assert "Bobby" in roster
    assert "Carmen" in roster
    assert "家明" not in roster
    listing = await chat.say(f"/更表 {saturday}..{saturday + timedelta(days=1)}")
    assert f"#{first.id}" in listing
    assert f"#{one_off_id}" in listing

    async with bot.sessions() as session:
        seats = dict(
            (
                await session.exec(
                    select(Assignment.shift_id, func.count()).group_by(col(Assignment.shift_id))
                )
            ).all()
        )
        sites = (await session.exec(select(Site))).all()
    assert seats == {first.id: 1, one_off_id: 2}
    assert [(site.code, site.conversation_id) for site in sites] == [
        ("SSP", group.conversation_id)
    ]
