"""Every command as people really type it: full-width characters, Chinese aliases, dates in
words, and the mistakes. A mistake is answered in both languages with the command's usage line
and changes nothing; the rest succeed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, select

from bot.app import BotApp
from core.settings import Settings
from sandbox import Sandbox
from storage.models import (
    Assignment,
    RoleGrant,
    Shift,
    ShiftChange,
    ShiftTemplate,
    Site,
    Volunteer,
)
from tests.e2e.chat import COORDINATOR, Chat, coordinator_settings, day_ahead

VOLUNTEER = "u-ada"
UNREGISTERED = "u-newbie"


@dataclass(frozen=True)
class Row:
    text: str
    expect: str
    """A phrase the reply must contain."""
    at: tuple[str, ...] = ()
    sender: str = COORDINATOR
    usage: str = ""
    """For mistakes: the start of the usage line that must be shown."""


MISTAKES = [
    Row("/site add KT 觀塘中心", "district=", usage="/site add <code>"),
    Row("/site add KT 觀塘中心 district=旺角", "旺角", usage="/site add <code>"),
    Row("／地點　新增　ＳＳＰ　重複　district＝ssp", "SSP", usage="/site add <code>"),
    Row(
        "/範本 新增 早更 site=SSP every=someday time=09:00-12:00 need=2",
        "someday",
        usage="/template add",
    ),
    Row(
        "/template add 早更 site=NOPE every=sat time=09:00-12:00 need=2",
        "NOPE",
        usage="/template add",
    ),
    Row(
        "/template add 早更 site=SSP every=sat time=12:00-09:00 need=2",
        "12:00-09:00",
        usage="/template add",
    ),
    Row("/shift add site=SSP date=someday time=09:00-12:00 need=2", "someday", usage="/shift add"),
    Row("/更 新增 site=SSP date=聽日 time=09:00-12:00 need=0", "need=", usage="/shift add"),
    Row("/shift add site=SSP date=sat time=09:00-12:00", "need=", usage="/shift add"),
    Row(
        "/shift add site=SSP date=tomorrow time=09:00-12:00 need=2 colour=red",
        "colour=",
        usage="/shift add",
    ),
    Row("/assign 9999 @Ada", "9999", at=(VOLUNTEER,), usage="/assign"),
    Row("/編更 {shift}", "@", usage="/assign"),
    Row("/編更 {shift} @Newbie", "Newbie", at=(UNREGISTERED,), usage="/assign"),
    Row("/shift edit {shift}", "need", usage="/shift edit"),
    Row("/shift edit {shift} remind=50h", "提醒（50h）"),
    Row("/shift edit {shift} confirm=soon", "confirm=“soon”"),
    Row(
        "/template add 早更 site=SSP every=sat time=09:00-12:00 need=2 confirm=30h",
        "the nudge (36h*)",
    ),
    Row("/更 取消 abc", "abc", usage="/shift cancel"),
    Row("/roster 9999999999", "「9999999999」唔係更份編號", usage="/roster"),
    Row("/role grant @Ada king", "king", at=(VOLUNTEER,), usage="/role grant"),
    Row(
        "/權限 授予 @Ada viewer region=atlantis", "atlantis", at=(VOLUNTEER,), usage="/role grant"
    ),
    Row("/avail someday", "someday", sender=VOLUNTEER, usage="/avail"),
    Row("/roster", "請寫更份編號", usage="/roster"),
    Row('/join district="Sham Shui Po lang=yue', "引號未有收尾", sender=VOLUNTEER),
]

SUCCESSES = [
    Row("／ｓｈｉｆｔ　ａｄｄ　site＝ＳＳＰ　date＝聽日　time＝14:00-17:00　need＝２", "✅"),
    Row("/更 新增 site=SSP date=後日 time=09:00-12:00 need=3 lang=普通話:1", "✅"),
    Row("/地點", "SSP"),
    Row("/更表", "SSP"),
    Row("/編更 {shift} @Ada", "✅", at=(VOLUNTEER,)),
    Row("/名單 {shift}", "Ada"),
    Row("/更 修改 {shift} confirm=3d nudge=2d", "確認卡：48h* → 72h"),
    Row("/有空 星期六上午", "星期六上午", sender=VOLUNTEER),
    Row("/權限 授予 @Ada 地區協調員 region=深水埗", "Ada", at=(VOLUNTEER,)),
    Row("/權限", "Ada"),
    Row("/help 更 新增", "用法：/shift add"),
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return coordinator_settings(settings)


@pytest.fixture
async def chat(sb: Sandbox, bot: BotApp) -> tuple[Chat, int]:
    sb.add_user(nick="美姐", staff_id=COORDINATOR)
    sb.add_user(nick="Ada", staff_id=VOLUNTEER)
    sb.add_user(nick="Newbie", staff_id=UNREGISTERED)
    group = sb.add_group(title="SSP", members=[COORDINATOR, VOLUNTEER, UNREGISTERED])
    chat = Chat(sb, bot, group.conversation_id)
    assert "✅" in await chat.say("/site add SSP 深水埗派米站 district=ssp")
    assert "多謝登記" in await chat.say("/join district=ssp lang=yue,cmn", sender=VOLUNTEER)
    shift_id = await chat.add_shift(day_ahead(3))
    return chat, shift_id


async def _row_counts(bot: BotApp) -> dict[str, object]:
    tables: list[type[SQLModel]] = [Site, ShiftTemplate, Shift, Assignment, RoleGrant, ShiftChange]
    async with bot.sessions() as session:
        counts: dict[str, object] = {
            table.__name__: (await session.exec(select(func.count()).select_from(table))).one()
            for table in tables
        }
        volunteers = (await session.exec(select(Volunteer))).all()
    counts["volunteers"] = [(v.staff_id, v.districts, v.availability) for v in volunteers]
    return counts


@pytest.mark.parametrize("row", MISTAKES, ids=[row.text for row in MISTAKES])
async def test_a_mistake_is_explained_in_both_languages_and_changes_nothing(
    chat: tuple[Chat, int], bot: BotApp, row: Row
) -> None:
    room, shift_id = chat
    before = await _row_counts(bot)
    reply = await room.say(row.text.format(shift=shift_id), sender=row.sender, at=row.at)
    assert row.expect in reply
    assert "乜都冇改到" in reply
    assert "Nothing was changed" in reply
    if row.usage:
        assert f"用法：{row.usage}" in reply
    assert await _row_counts(bot) == before


async def test_the_same_commands_typed_right_succeed(chat: tuple[Chat, int], bot: BotApp) -> None:
    room, shift_id = chat
    for row in SUCCESSES:
        reply = await room.say(row.text.format(shift=shift_id), sender=row.sender, at=row.at)
        assert row.expect in reply, (row.text, reply)
        assert "Nothing was changed" not in reply, (row.text, reply)
