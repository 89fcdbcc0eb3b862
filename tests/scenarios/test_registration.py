"""``/join``, ``/me``, ``/avail``, help, dedup and a crashing handler, in-process.

The same through the SDK and the sandbox: tests/e2e/test_foundation.py.
"""

from __future__ import annotations

import pytest

from storage.models import InboxMessage, ProcessedEvent, Volunteer
from tests.scenario import Scenario, assert_nothing_changed


async def test_join_then_me_in_chinese_with_full_width_input(scenario: Scenario) -> None:
    kayan = scenario.person("u-kayan", "嘉欣")
    [joined] = await scenario.say(
        "／登記　district＝深水埗，觀塘　lang＝粵語，英文　avail＝星期六上午", as_=kayan
    )
    [profile] = await scenario.say("/我", as_=kayan)

    assert "多謝登記，嘉欣！" in joined
    assert "地區：深水埗、觀塘" in profile
    assert "語言：粵語、英文" in profile
    assert "有空時段：星期六上午" in profile
    [volunteer] = await scenario.rows(Volunteer)
    assert (volunteer.staff_id, volunteer.nickname) == ("u-kayan", "嘉欣")
    assert volunteer.districts == ["sham-shui-po", "kwun-tong"]
    assert volunteer.availability == ["sat-am"]


async def test_join_with_bad_input_explains_in_both_languages_and_stores_nothing(
    scenario: Scenario,
) -> None:
    daisy = scenario.person("u-daisy", "Daisy")
    posts = (
        '/join district="Mong Kok" lang=yue',
        "/join district=ssp",
        "/join district=ssp lang=yue avail=someday",
        "/join district=ssp lang=yue colour=blue",
        '/join district="ssp lang=yue',
    )
    replies = await scenario.say_each(posts, as_=daisy)

    assert_nothing_changed(replies)
    bad_district, missing, bad_avail, stray, unclosed = replies
    assert "district=「Mong Kok」唔啱" in bad_district
    assert "district=“Mong Kok” is not valid" in bad_district
    assert "缺少 lang=" in missing
    assert "lang=... is missing." in missing
    assert "avail=“someday” is not valid" in bad_avail
    assert "colour= is not an option of this command." in stray
    assert "A quotation mark is not closed" in unclosed
    assert_nothing_changed((bad_district, missing, bad_avail, stray), "用法：/join district=")
    assert await scenario.rows(Volunteer) == []


async def test_a_failed_update_leaves_the_registration_as_it_was(scenario: Scenario) -> None:
    eric = await scenario.join("u-eric", "Eric", "district=ssp lang=yue avail=sat-am")
    [refused] = await scenario.say("/join district=kt lang=martian", as_=eric)

    assert "乜都冇改到" in refused
    [volunteer] = await scenario.rows(Volunteer)
    assert (volunteer.districts, volunteer.languages, volunteer.availability) == (
        ["sham-shui-po"],
        ["yue"],
        ["sat-am"],
    )


async def test_me_before_joining_and_in_a_private_chat(scenario: Scenario) -> None:
    felix = scenario.person("u-felix", "Felix")
    [reply] = await scenario.say("/me", as_=felix, in_group=None)
    assert "你仲未登記" in reply


async def test_people_outside_the_organisation_get_a_polite_explanation(
    scenario: Scenario,
) -> None:
    [reply] = await scenario.say("/join district=ssp lang=en", as_=None)
    assert "ask a coordinator to invite you" in reply
    assert "請聯絡統籌" in reply
    assert await scenario.rows(Volunteer) == []


async def test_avail_sets_and_shows_ones_own_availability(scenario: Scenario) -> None:
    val = scenario.person("u-val", "Val")
    [unregistered] = await scenario.say("/avail sat-am", as_=val)
    assert "你仲未登記" in unregistered
    await scenario.join(val, "Val", "district=ssp lang=yue avail=mon-eve")

    [updated] = await scenario.say("/avail sat-am, 星期日下午", as_=val)
    [shown] = await scenario.say("/有空", as_=val)
    [bad] = await scenario.say("/avail someday", as_=val)

    assert "✅ 已更新你嘅有空時段：星期六上午、星期日下午" in updated
    assert "你嘅有空時段：星期六上午、星期日下午" in shown
    assert "avail=「someday」唔啱" in bad
    assert "avail=“someday” is not valid" in bad
    [volunteer] = await scenario.rows(Volunteer)
    assert (volunteer.availability, volunteer.districts) == (
        ["sat-am", "sun-pm"],
        ["sham-shui-po"],
    )

    [cleared] = await scenario.say("/avail none", as_=val)
    assert "✅ 已更新你嘅有空時段：未填" in cleared
    [volunteer] = await scenario.rows(Volunteer)
    assert volunteer.availability == []


async def test_a_bare_mention_and_an_unknown_command_get_the_short_help(
    scenario: Scenario,
) -> None:
    [bare] = await scenario.say("")
    [unknown] = await scenario.say("/shfit list")
    assert "/help [command]" in bare
    assert "我唔識「/shfit」呢個指令。" in unknown
    assert "I don't know the command “/shfit”." in unknown
    assert "/join district=" in unknown


async def test_the_same_message_twice_is_handled_once(scenario: Scenario) -> None:
    carmen = scenario.person("u-carmen", "Carmen")
    message = scenario.message("/join district=tm lang=yue", as_=carmen)

    first = await scenario.inbox.receive(message)
    before_answer = await scenario.inbox.receive(message)
    await scenario.inbox.handle_received()
    after_answer = await scenario.inbox.receive(message)
    await scenario.inbox.handle_received()

    assert first == before_answer == after_answer
    [reply] = await scenario.replies_to(message)
    assert "多謝登記" in reply
    assert len(await scenario.rows(Volunteer)) == 1
    assert len(await scenario.rows(ProcessedEvent)) == 1
    assert len(await scenario.rows(InboxMessage)) == 1
    [profile] = await scenario.say("/me", as_=carmen)
    assert "屯門" in profile


async def test_a_failing_handler_is_answered_with_an_apology_and_rolled_back(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(**_: object) -> None:
        raise RuntimeError("simulated bug")

    kit = scenario.person("u-kit", "Kit")
    monkeypatch.setattr("handlers.volunteers.register_volunteer", broken)

    [reply] = await scenario.say("/join district=ssp lang=yue", as_=kit)

    assert "處理呢個指令時出錯" in reply
    assert "something went wrong" in reply
    assert await scenario.rows(Volunteer) == []
    assert len(await scenario.rows(ProcessedEvent)) == 1  # the event and its apology commit


async def test_a_typo_gets_the_nearest_command_the_sender_may_run(scenario: Scenario) -> None:
    val = scenario.person("u-val", "Val")
    [coordinator_typo] = await scenario.say("/shfit list")
    [volunteer_typo] = await scenario.say("/joim district=ssp lang=yue", as_=val)
    [volunteer_guess] = await scenario.say("/shfit list", as_=val)

    assert "你係咪想打 `/shift list`？" in coordinator_typo
    assert "Did you mean `/shift list`?" in coordinator_typo
    assert "Did you mean `/join`?" in volunteer_typo
    # Nothing of theirs is near: no suggestion, and only their own commands.
    assert "Did you mean" not in volunteer_guess
    assert "/join district=" in volunteer_guess
    assert "/shift add" not in volunteer_guess
    assert "/help all" in volunteer_guess
    assert await scenario.rows(Volunteer) == []


async def test_help_lists_what_the_asker_may_run_and_help_all_lists_everything(
    scenario: Scenario,
) -> None:
    val = scenario.person("u-val", "Val")
    [mine] = await scenario.say("/help", as_=val)
    [everything] = await scenario.say("/help all", as_=val)
    [coordinators] = await scenario.say("/help")

    assert "/me" in mine
    assert "/assign" not in mine
    assert "`/help all`" in mine
    assert "/assign <shift-id>" in everything
    assert "/assign <shift-id>" in coordinators
    assert "`/help all`" not in coordinators
