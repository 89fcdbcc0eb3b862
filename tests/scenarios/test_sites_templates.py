"""``/site`` and ``/template`` in-process, on a clock that starts on a Friday.

The same through the SDK and the sandbox: tests/e2e/test_sites_templates.py.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from planner.recurrence import occurrences, parse_rule
from services.render import day_label
from storage.models import Shift, ShiftStatus, ShiftTemplate, Site
from tests.scenario import (
    COORDINATOR,
    GROUP,
    ZONE,
    Scenario,
    assert_nothing_changed,
    day_ahead,
)

KT_GROUP = "cid-kt"
VIEWER = "u-vera"
VOLUNTEER = "u-val"
TEMPLATE = "/template add Packing site=ssp every=sat time=09:00-12:00 need=6"


@pytest.fixture
async def staff(scenario: Scenario) -> Scenario:
    """The coordinator (an admin), Vera viewing Kwun Tong, and Val, a volunteer."""
    scenario.person(VIEWER, "Vera")
    await scenario.grant(VIEWER, "viewer", "kt")
    await scenario.join(VOLUNTEER, "Val")
    return scenario


async def _shifts(scenario: Scenario) -> list[Shift]:
    return sorted(await scenario.rows(Shift), key=lambda shift: shift.occurs_on)


async def test_sites_belong_to_the_group_they_were_added_in(staff: Scenario) -> None:
    [added] = await staff.say('/site add ssp 深水埗派米站 district=深水埗 address="北河街 100 號"')
    [kt] = await staff.say("／地點　新增　kt Kwun Tong Centre district=kt", in_group=KT_GROUP)

    assert "✅ 已新增地點 **SSP** 深水埗派米站（深水埗）" in added
    assert "SSP 嘅公告同卡片會發去呢個群組。" in added
    assert "/template add 星期六早更 site=SSP" in added
    assert "**KT** Kwun Tong Centre（觀塘）" in kt
    sites = sorted(await staff.rows(Site), key=lambda site: site.id or 0)
    assert [(s.code, s.district, s.conversation_id, s.created_by) for s in sites] == [
        ("SSP", "sham-shui-po", GROUP, COORDINATOR),
        ("KT", "kwun-tong", KT_GROUP, COORDINATOR),
    ]
    assert sites[0].address == "北河街 100 號"


async def test_bad_site_adds_are_explained_in_both_languages_and_store_nothing(
    staff: Scenario,
) -> None:
    await staff.add_site()
    posts = (
        "/site add Ssp Another district=ssp",
        "/site add MK 旺角 district=mongkok",
        "/site add S 太短 district=ssp",
        "/site add TM district=tm",
        "/site add TM 屯門 district=tm,yl",
    )
    replies = await staff.say_each(posts)
    [refused] = await staff.say("/site add VV Val's place district=ssp", as_=VOLUNTEER)

    duplicate, bad_district, bad_code, no_name, two_districts = replies
    assert "地點代號 SSP 已經有人用咗" in duplicate
    assert "The site code SSP is already taken" in duplicate
    assert "district=「mongkok」唔啱" in bad_district
    assert "The site code “S” is not valid" in bad_code
    assert "Please write the site's name after the code TM." in no_name
    assert "A site belongs to exactly one district." in two_districts
    assert_nothing_changed(replies, "用法：/site add <code> <name> district=<district>")
    assert "/site add 只限統籌或以上使用。" in refused
    assert [site.code for site in await staff.rows(Site)] == ["SSP"]


async def test_site_list_shows_viewers_only_their_regions(staff: Scenario) -> None:
    await staff.say('/site add SSP 深水埗派米站 district=ssp contact="陳姑娘"')
    await staff.add_site("KT", "kt", group=KT_GROUP)

    [everything] = await staff.say("/site list")
    [regional] = await staff.say("/地點", as_=VIEWER)
    [refused] = await staff.say("/site", as_=VOLUNTEER)

    assert "**地點**（2）" in everything
    assert "- **SSP** 深水埗派米站 · 深水埗 · 聯絡：陳姑娘" in everything
    assert "**KT** KT food bank" in regional
    assert "SSP" not in regional
    assert "只限地區協調員或以上使用" in refused


RULE_WORDS = {
    "sat": "逢星期六",
    "2w:sat": "每 2 個星期嘅星期六",
    "month:1sat": "每月第一個星期六",
}


@pytest.mark.parametrize("rule", sorted(RULE_WORDS))
async def test_template_add_creates_its_shifts_over_the_horizon(
    staff: Scenario, rule: str
) -> None:
    await staff.add_site()
    today, tomorrow = day_ahead(0), day_ahead(1)

    [reply] = await staff.say(
        f'/template add "Sat packing" site=ssp every={rule} time=09:00-12:00 need=6 lang=cmn:1 '
        f'meet="MTR exit A" equipment=gloves,apron tasks=packing health=yes from={tomorrow}'
    )

    horizon = timedelta(weeks=staff.settings.schedule.horizon_weeks, days=-1)
    expected = occurrences(parse_rule(rule), tomorrow, today, today + horizon)
    assert expected
    [template] = await staff.rows(ShiftTemplate)
    shifts = await _shifts(staff)
    assert [shift.occurs_on for shift in shifts] == expected
    for shift in shifts:
        assert (shift.template_id, shift.title, shift.headcount) == (template.id, "Sat packing", 6)
        assert (shift.language_needs, shift.equipment) == ({"cmn": 1}, ["gloves", "apron"])
        assert shift.starts_at.astimezone(ZONE).time() == time(9)
    assert f"✅ 已新增範本 **#{template.id} Sat packing**（SSP）" in reply
    assert f"{RULE_WORDS[rule]} 09:00–12:00，需要 6 人" in reply
    assert "語言要求：普通話 ≥1" in reply
    assert f"已開 {len(expected)} 更：{day_label(expected[0], 'zh-HK', today)}" in reply


async def test_bad_template_adds_are_explained_and_store_nothing(staff: Scenario) -> None:
    await staff.add_site()
    posts = (
        TEMPLATE.replace("every=sat", "every=someday"),
        TEMPLATE.replace("09:00-12:00", "12:00-09:00"),
        TEMPLATE.replace("site=ssp", "site=nope"),
        TEMPLATE.replace("need=6", "need=0"),
        TEMPLATE.replace(" Packing", ""),
    )
    replies = await staff.say_each(posts)
    [refused] = await staff.say(TEMPLATE, as_=VIEWER)

    bad_rule, backwards, unknown_site, nobody, no_name = replies
    assert "every=“someday” is not valid" in bad_rule
    assert "time=「12:00-09:00」唔啱" in backwards
    assert "There is no site with the code “nope”. `/site list` shows the sites." in unknown_site
    assert "need=“0” is not valid" in nobody
    assert "Give the template a name" in no_name
    assert_nothing_changed(replies, "用法：/template add <name> site=<code> every=<rule>")
    assert "只限統籌或以上使用" in refused
    assert await staff.rows(ShiftTemplate) == []
    assert await staff.rows(Shift) == []


async def _template_with_an_announced_shift(scenario: Scenario) -> tuple[int, list[Shift]]:
    """A Saturday template from tomorrow, its first shift announced."""
    await scenario.add_site()
    await scenario.say(f"{TEMPLATE} from={day_ahead(1)}")
    [template] = await scenario.rows(ShiftTemplate)
    first = (await _shifts(scenario))[0]
    async with scenario.sessions.begin() as session:
        first.announced_at = scenario.clock.now()
        session.add(first)
    assert template.id is not None
    return template.id, await _shifts(scenario)


async def test_template_edit_changes_only_future_unannounced_shifts(staff: Scenario) -> None:
    template_id, before = await _template_with_an_announced_shift(staff)

    [reply] = await staff.say(
        f'/template edit #{template_id} need=9 meet="Hall B" time=10:00-13:00'
    )
    [nothing] = await staff.say(f"/範本 修改 {template_id}")
    [missing] = await staff.say("/template edit 999 need=3")
    [moved] = await staff.say(f"/template edit {template_id} site=KT")

    announced, *future = await _shifts(staff)
    assert (announced.headcount, announced.starts_at) == (6, before[0].starts_at)
    for shift in future:
        assert (shift.headcount, shift.meeting_point) == (9, "Hall B")
        assert shift.starts_at.astimezone(ZONE).time() == time(10)
    assert f"✏️ 已修改範本 **#{template_id} Packing**（SSP）" in reply
    assert f"跟住改咗 {len(future)} 更未公布嘅更" in reply
    assert "已公布嘅 1 更冇改" in reply
    assert "What should change?" in nothing
    assert "搵唔到範本 #999" in missing
    assert "site= is not an option of this command." in moved


async def test_template_remove_cancels_future_unannounced_shifts(staff: Scenario) -> None:
    template_id, before = await _template_with_an_announced_shift(staff)

    [reply] = await staff.say(f"/範本 刪除 {template_id}")
    [listing] = await staff.say("/template list")
    [again] = await staff.say(f"/template remove {template_id}")

    announced, *future = await _shifts(staff)
    assert announced.status == ShiftStatus.SCHEDULED
    assert {shift.status for shift in future} == {ShiftStatus.CANCELLED}
    [template] = await staff.rows(ShiftTemplate)
    assert not template.active
    assert f"取消咗 {len(before) - 1} 更未公布嘅將來更份" in reply
    assert "仲未有範本" in listing
    assert f"There is no template #{template_id}." in again


async def test_template_list_by_site_and_region(staff: Scenario) -> None:
    await staff.add_site()
    await staff.add_site("KT", "kt", group=KT_GROUP)
    await staff.say("/template add 早更 site=SSP every=sat time=09:00-12:00 need=6")
    await staff.say("/template add 晚更 site=KT every=2w:mon,thu time=18:00-21:00 need=4")

    [everything] = await staff.say("/範本")
    [only_ssp] = await staff.say("/template list ssp")
    [regional] = await staff.say("/template list", as_=VIEWER)
    [elsewhere] = await staff.say("/template list ssp", as_=VIEWER)

    assert "**範本**（2）" in everything
    assert "晚更・KT・每 2 個星期嘅星期一、星期四 18:00–21:00，需要 4 人" in everything
    assert ("早更" in only_ssp, "晚更" in only_ssp) == (True, False)
    assert ("早更" in regional, "晚更" in regional) == (False, True)
    assert "SSP is outside your regions." in elsewhere
