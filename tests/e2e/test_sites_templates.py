"""``/site``, ``/template`` and ``/avail`` through the real SDK and the sandbox.

The bot runs on the real clock, so dates are worked out from today in the organisation's zone,
and templates start tomorrow (``from=``) so that no occurrence can be on the verge of starting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import SQLModel, col, select

from bot.app import BotApp
from core.settings import Settings
from planner.recurrence import occurrences, parse_rule
from sandbox import Sandbox
from services.render import day_label
from storage.models import Shift, ShiftStatus, ShiftTemplate, Site, Volunteer
from storage.roles import grant_role
from storage.sites import find_site_by_code
from storage.templates import expand_template
from tests.e2e.clock import E2E_START

Row = TypeVar("Row", bound=SQLModel)
HK = ZoneInfo("Asia/Hong_Kong")
HORIZON_WEEKS = 8
COORD = "u-coco"
VIEWER = "u-vera"
VOLUNTEER = "u-val"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    schedule = settings.schedule.model_copy(update={"horizon_weeks": HORIZON_WEEKS})
    return settings.model_copy(update={"schedule": schedule})


def _today() -> date:
    return E2E_START.astimezone(HK).date()


async def _say(sb: Sandbox, cid: str, who: str, message: str) -> str:
    """Post ``message`` as ``who`` and return the bot's reply."""
    before = len(sb.sent_messages(cid))
    sb.post_message(cid, who, message)
    replies = await sb.wait_for_messages(before + 1, cid)
    return replies[before].text


async def _grant(bot: BotApp, staff_id: str, role: str, regions: Sequence[str] = ()) -> None:
    async with bot.sessions.begin() as session:
        await grant_role(
            session=session,
            staff_id=staff_id,
            role=role,
            regions=regions,
            granted_by="test",
            now=bot.clock.now(),
        )


async def _people_and_groups(sb: Sandbox, bot: BotApp) -> tuple[str, str]:
    """A coordinator, a Kwun Tong viewer and a volunteer; the SSP and KT groups."""
    sb.add_user(nick="Coco", staff_id=COORD)
    sb.add_user(nick="Vera", staff_id=VIEWER)
    sb.add_user(nick="Val", staff_id=VOLUNTEER)
    ssp = sb.add_group(title="SSP 深水埗", members=[COORD, VIEWER, VOLUNTEER])
    kt = sb.add_group(title="KT 觀塘", members=[COORD, VIEWER])
    await _grant(bot, COORD, "coordinator")
    await _grant(bot, VIEWER, "viewer", ["kwun-tong"])
    return ssp.conversation_id, kt.conversation_id


async def _with_site(sb: Sandbox, bot: BotApp) -> str:
    ssp, _ = await _people_and_groups(sb, bot)
    reply = await _say(sb, ssp, COORD, "/site add SSP 深水埗派米站 district=ssp")
    assert "已新增地點" in reply
    return ssp


async def _rows(bot: BotApp, model: type[Row]) -> list[Row]:
    """Every row of ``model``, in the order they were added."""
    async with bot.sessions() as session:
        rows = (await session.exec(select(model))).all()
    return sorted(rows, key=lambda row: getattr(row, "id", 0) or 0)


async def _shifts(bot: BotApp) -> list[Shift]:
    async with bot.sessions() as session:
        statement = select(Shift).order_by(col(Shift.occurs_on))
        return list((await session.exec(statement)).all())


# -- sites ----------------------------------------------------------------------------------------


async def test_sites_belong_to_the_group_they_were_added_in(sb: Sandbox, bot: BotApp) -> None:
    ssp, kt = await _people_and_groups(sb, bot)

    added = await _say(
        sb, ssp, COORD, '/site add ssp 深水埗派米站 district=深水埗 address="北河街 100 號"'
    )
    assert "✅ 已新增地點 **SSP** 深水埗派米站（深水埗）" in added
    assert "SSP 嘅公告同卡片會發去呢個群組。" in added
    assert "/template add 星期六早更 site=SSP" in added
    added = await _say(sb, kt, COORD, "／地點　新增　kt Kwun Tong Centre district=kt")
    assert "**KT** Kwun Tong Centre（觀塘）" in added

    sites = await _rows(bot, Site)
    assert [(s.code, s.name, s.district, s.conversation_id) for s in sites] == [
        ("SSP", "深水埗派米站", "sham-shui-po", ssp),
        ("KT", "Kwun Tong Centre", "kwun-tong", kt),
    ]
    assert sites[0].address == "北河街 100 號"
    assert sites[0].created_by == COORD


async def test_bad_site_adds_are_explained_in_both_languages_and_store_nothing(
    sb: Sandbox, bot: BotApp
) -> None:
    ssp, _ = await _people_and_groups(sb, bot)
    await _say(sb, ssp, COORD, "/site add SSP 深水埗派米站 district=ssp")

    duplicate = await _say(sb, ssp, COORD, "/site add Ssp Another district=ssp")
    assert "地點代號 SSP 已經有人用咗" in duplicate
    assert "The site code SSP is already taken" in duplicate
    bad_district = await _say(sb, ssp, COORD, "/site add MK 旺角 district=mongkok")
    assert "district=「mongkok」唔啱" in bad_district
    assert "district=“mongkok” is not valid" in bad_district
    bad_code = await _say(sb, ssp, COORD, "/site add S 太短 district=ssp")
    assert "地點代號「S」唔啱" in bad_code
    assert "The site code “S” is not valid" in bad_code
    no_name = await _say(sb, ssp, COORD, "/site add TM district=tm")
    assert "Please write the site's name after the code TM." in no_name
    two_districts = await _say(sb, ssp, COORD, "/site add TM 屯門 district=tm,yl")
    assert "A site belongs to exactly one district." in two_districts
    for reply in (duplicate, bad_district, bad_code, no_name, two_districts):
        assert "乜都冇改到" in reply
        assert "Nothing was changed" in reply
        assert "用法：/site add <code> <name> district=<district>" in reply
    refused = await _say(sb, ssp, VOLUNTEER, "/site add VV Val's place district=ssp")
    assert "/site add 只限統籌或以上使用。" in refused
    assert [site.code for site in await _rows(bot, Site)] == ["SSP"]


async def test_site_list_shows_viewers_only_their_regions(sb: Sandbox, bot: BotApp) -> None:
    ssp, kt = await _people_and_groups(sb, bot)
    await _say(sb, ssp, COORD, '/site add SSP 深水埗派米站 district=ssp contact="陳姑娘"')
    await _say(sb, kt, COORD, "/site add KT 觀塘中心 district=kt")

    everything = await _say(sb, ssp, COORD, "/site list")
    assert "**地點**（2）" in everything
    assert "- **KT** 觀塘中心 · 觀塘" in everything
    assert "- **SSP** 深水埗派米站 · 深水埗 · 聯絡：陳姑娘" in everything
    regional = await _say(sb, ssp, VIEWER, "/地點")
    assert "**KT** 觀塘中心" in regional
    assert "SSP" not in regional
    refused = await _say(sb, ssp, VOLUNTEER, "/site")
    assert "只限地區協調員或以上使用" in refused


# -- templates ------------------------------------------------------------------------------------

RULE_WORDS = {
    "sat": "逢星期六",
    "2w:sat": "每 2 個星期嘅星期六",
    "month:1sat": "每月第一個星期六",
}


@pytest.mark.parametrize("rule", sorted(RULE_WORDS))
async def test_template_add_creates_its_shifts_over_the_horizon(
    sb: Sandbox, bot: BotApp, rule: str
) -> None:
    ssp = await _with_site(sb, bot)
    today = _today()
    tomorrow = today + timedelta(days=1)

    reply = await _say(
        sb,
        ssp,
        COORD,
        f'/template add "Sat packing" site=ssp every={rule} time=09:00-12:00 need=6 lang=cmn:1 '
        f'meet="MTR exit A" equipment=gloves,apron tasks=packing health=yes from={tomorrow}',
    )

    expected = occurrences(
        parse_rule(rule), tomorrow, today, today + timedelta(weeks=HORIZON_WEEKS, days=-1)
    )
    assert expected, "eight weeks hold at least one occurrence of each rule"
    [template] = await _rows(bot, ShiftTemplate)
    shifts = await _shifts(bot)
    assert [shift.occurs_on for shift in shifts] == expected
    for shift in shifts:
        assert shift.template_id == template.id
        assert shift.title == "Sat packing"
        assert (shift.headcount, shift.language_needs) == (6, {"cmn": 1})
        assert (shift.meeting_point, shift.equipment, shift.tasks) == (
            "MTR exit A",
            ["gloves", "apron"],
            ["packing"],
        )
        assert shift.health_declaration
        assert shift.starts_at.astimezone(HK).time() == time(9)
        assert shift.ends_at.astimezone(HK).time() == time(12)
    assert (template.rule, template.anchor_date) == (rule, tomorrow)

    assert f"✅ 已新增範本 **#{template.id} Sat packing**（SSP）" in reply
    assert f"{RULE_WORDS[rule]} 09:00–12:00，需要 6 人" in reply
    assert "語言要求：普通話 ≥1" in reply
    assert "裝備：gloves、apron" in reply
    assert f"已開 {len(expected)} 更：{day_label(expected[0], 'zh-HK', today)}" in reply

    # The horizon rolling forward again creates nothing new.
    async with bot.sessions.begin() as session:
        site = await find_site_by_code(session=session, code="SSP")
        stored = await session.get(ShiftTemplate, template.id)
        assert site is not None
        assert stored is not None
        again = await expand_template(
            session=session,
            template=stored,
            site=site,
            today=today,
            zone=HK,
            horizon=timedelta(weeks=HORIZON_WEEKS),
            created_by="test",
            now=bot.clock.now(),
        )
    assert again == []
    assert len(await _shifts(bot)) == len(expected)


async def test_bad_template_adds_are_explained_and_store_nothing(sb: Sandbox, bot: BotApp) -> None:
    ssp = await _with_site(sb, bot)
    base = "/template add Packing site=ssp every=sat time=09:00-12:00 need=6"

    bad_rule = await _say(sb, ssp, COORD, base.replace("every=sat", "every=someday"))
    assert "every=「someday」唔啱" in bad_rule
    assert "every=“someday” is not valid" in bad_rule
    backwards = await _say(sb, ssp, COORD, base.replace("09:00-12:00", "12:00-09:00"))
    assert "time=「12:00-09:00」唔啱" in backwards
    assert "time=“12:00-09:00” is not valid" in backwards
    unknown_site = await _say(sb, ssp, COORD, base.replace("site=ssp", "site=nope"))
    assert "冇「nope」呢個地點代號。用 `/site list` 睇有咩地點。" in unknown_site
    assert "There is no site with the code “nope”. `/site list` shows the sites." in unknown_site
    nobody = await _say(sb, ssp, COORD, base.replace("need=6", "need=0"))
    assert "need=「0」唔啱" in nobody
    assert "need=“0” is not valid" in nobody
    no_name = await _say(sb, ssp, COORD, base.replace(" Packing", ""))
    assert "Give the template a name" in no_name
    for reply in (bad_rule, backwards, unknown_site, nobody, no_name):
        assert "乜都冇改到" in reply
        assert "Nothing was changed" in reply
        assert "用法：/template add <name> site=<code> every=<rule>" in reply
    refused = await _say(sb, ssp, VIEWER, base)
    assert "只限統籌或以上使用" in refused

    assert await _rows(bot, ShiftTemplate) == []
    assert await _shifts(bot) == []


async def _template_with_shifts(sb: Sandbox, bot: BotApp, ssp: str) -> tuple[int, list[Shift]]:
    """A Saturday template starting tomorrow; its first shift announced, its second past."""
    tomorrow = _today() + timedelta(days=1)
    await _say(
        sb,
        ssp,
        COORD,
        f"/template add 早更 site=SSP every=sat time=09:00-12:00 need=6 from={tomorrow}",
    )
    [template] = await _rows(bot, ShiftTemplate)
    assert template.id is not None
    now = bot.clock.now()
    async with bot.sessions.begin() as session:
        shifts = list((await session.exec(select(Shift).order_by(col(Shift.occurs_on)))).all())
        shifts[0].announced_at = now
        shifts[1].starts_at = now - timedelta(hours=3)
        shifts[1].ends_at = now - timedelta(hours=1)
        session.add_all(shifts[:2])
    return template.id, await _shifts(bot)


async def test_template_edit_changes_only_future_unannounced_shifts(
    sb: Sandbox, bot: BotApp
) -> None:
    ssp = await _with_site(sb, bot)
    template_id, before = await _template_with_shifts(sb, bot, ssp)
    assert len(before) == HORIZON_WEEKS

    reply = await _say(
        sb, ssp, COORD, f'/template edit #{template_id} need=9 meet="Hall B" time=10:00-13:00'
    )

    after = await _shifts(bot)
    announced, past, *future = after
    for untouched, original in ((announced, before[0]), (past, before[1])):
        assert (untouched.headcount, untouched.meeting_point) == (6, "")
        assert (untouched.starts_at, untouched.revision) == (original.starts_at, 1)
    for shift in future:
        assert (shift.headcount, shift.meeting_point) == (9, "Hall B")
        assert shift.starts_at.astimezone(HK).time() == time(10)
        assert shift.ends_at.astimezone(HK).time() == time(13)
    assert f"✏️ 已修改範本 **#{template_id} 早更**（SSP）" in reply
    assert "逢星期六 10:00–13:00，需要 9 人" in reply
    assert f"跟住改咗 {len(future)} 更未公布嘅更" in reply
    assert "已公布嘅 1 更冇改" in reply
    [template] = await _rows(bot, ShiftTemplate)
    assert (template.headcount, template.meeting_point, template.start_time) == (
        9,
        "Hall B",
        time(10),
    )

    timed = await _say(sb, ssp, COORD, f"/template edit {template_id} confirm=3d remind=default")
    assert "確認卡、催覆、提醒：開更前 72h、36h*、24h*" in timed
    assert [shift.confirm_hours_before for shift in await _shifts(bot)] == [None, None] + [
        72.0
    ] * len(future)
    untimed = await _say(sb, ssp, COORD, f"/template edit {template_id} confirm=default")
    assert "確認卡、催覆" not in untimed

    nothing = await _say(sb, ssp, COORD, f"/範本 修改 {template_id}")
    assert "要改咩？" in nothing
    assert "What should change?" in nothing
    missing = await _say(sb, ssp, COORD, "/template edit 999 need=3")
    assert "搵唔到範本 #999" in missing
    moved = await _say(sb, ssp, COORD, f"/template edit {template_id} site=KT")
    assert "site= is not an option of this command." in moved
    wrong = await _say(sb, ssp, COORD, f"/template edit {template_id} need=0 meet=X")
    assert "need=“0” is not valid" in wrong
    assert [shift.headcount for shift in await _shifts(bot)][2:] == [9] * len(future)


async def test_template_remove_cancels_future_unannounced_shifts(sb: Sandbox, bot: BotApp) -> None:
    ssp = await _with_site(sb, bot)
    template_id, before = await _template_with_shifts(sb, bot, ssp)

    reply = await _say(sb, ssp, COORD, f"/範本 刪除 {template_id}")

    announced, past, *future = await _shifts(bot)
    assert announced.status == past.status == ShiftStatus.SCHEDULED
    assert {shift.status for shift in future} == {ShiftStatus.CANCELLED}
    [template] = await _rows(bot, ShiftTemplate)
    assert not template.active
    assert f"🗑️ 已刪除範本 **#{template_id} 早更**（SSP）" in reply
    assert f"取消咗 {len(before) - 2} 更未公布嘅將來更份" in reply
    assert "已公布嘅 1 更保留" in reply
    assert "仲未有範本" in await _say(sb, ssp, COORD, "/template list")
    again = await _say(sb, ssp, COORD, f"/template remove {template_id}")
    assert f"There is no template #{template_id}." in again


async def test_template_list_by_site_and_region(sb: Sandbox, bot: BotApp) -> None:
    ssp, kt = await _people_and_groups(sb, bot)
    await _say(sb, ssp, COORD, "/site add SSP 深水埗派米站 district=ssp")
    await _say(sb, kt, COORD, "/site add KT 觀塘中心 district=kt")
    await _say(sb, ssp, COORD, "/template add 早更 site=SSP every=sat time=09:00-12:00 need=6")
    await _say(
        sb, kt, COORD, "/template add 晚更 site=KT every=2w:mon,thu time=18:00-21:00 need=4"
    )

    everything = await _say(sb, ssp, COORD, "/範本")
    assert "**範本**（2）" in everything
    assert "早更・SSP・逢星期六 09:00–12:00，需要 6 人" in everything
    assert "晚更・KT・每 2 個星期嘅星期一、星期四 18:00–21:00，需要 4 人" in everything
    only_ssp = await _say(sb, ssp, COORD, "/template list ssp")
    assert "早更" in only_ssp
    assert "晚更" not in only_ssp
    regional = await _say(sb, kt, VIEWER, "/template list")
    assert "晚更" in regional
    assert "早更" not in regional
    elsewhere = await _say(sb, kt, VIEWER, "/template list ssp")
    assert "SSP is outside your regions." in elsewhere
    unknown = await _say(sb, ssp, COORD, "/template list MK")
    assert "There is no site with the code “MK”." in unknown
    help_text = await _say(sb, ssp, COORD, "/help 範本 新增")
    assert "month:1sat（每月第一個星期六）" in help_text


# -- availability ---------------------------------------------------------------------------------


async def test_avail_sets_and_shows_ones_own_availability(sb: Sandbox, bot: BotApp) -> None:
    sb.add_user(nick="Val", staff_id=VOLUNTEER)
    cid = sb.add_group(title="SSP", members=[VOLUNTEER]).conversation_id

    assert "你仲未登記" in await _say(sb, cid, VOLUNTEER, "/avail sat-am")
    await _say(sb, cid, VOLUNTEER, "/join district=ssp lang=yue avail=mon-eve")
    updated = await _say(sb, cid, VOLUNTEER, "/avail sat-am, 星期日下午")
    assert "✅ 已更新你嘅有空時段：星期六上午、星期日下午" in updated
    shown = await _say(sb, cid, VOLUNTEER, "/有空")
    assert "你嘅有空時段：星期六上午、星期日下午" in shown
    bad = await _say(sb, cid, VOLUNTEER, "/avail someday")
    assert "avail=「someday」唔啱" in bad
    assert "avail=“someday” is not valid" in bad
    [volunteer] = await _rows(bot, Volunteer)
    assert volunteer.availability == ["sat-am", "sun-pm"]
    assert volunteer.districts == ["sham-shui-po"]

    cleared = await _say(sb, cid, VOLUNTEER, "/avail none")
    assert "✅ 已更新你嘅有空時段：未填" in cleared
    [volunteer] = await _rows(bot, Volunteer)
    assert volunteer.availability == []
