"""``/shift add|list|edit|cancel|publish`` in-process, on a clock that starts on a Friday.

The same through the SDK and the sandbox: tests/e2e/test_shifts.py and test_lifecycle.py.
"""

from __future__ import annotations

from datetime import date, time

from storage.models import Shift, ShiftChange, ShiftStatus
from tests.scenario import (
    COORDINATOR,
    GROUP,
    Scenario,
    assert_nothing_changed,
    day_ahead,
    label,
    shift_add,
    starts,
)


async def test_shift_add_replies_with_the_id_and_stores_the_details(ssp: Scenario) -> None:
    day = day_ahead(3)
    [reply] = await ssp.say(
        f"/更 新增 site=ssp date={day} time=09:00-12:00 need=6 title=食物包裝 lang=cmn:1 "
        "meet=「港鐵站 A 出口」 equipment=手套,圍裙 health=yes"
    )

    assert reply.startswith("✅ 已新增 **#")
    assert f"{label(day)} 09:00–12:00 SSP「食物包裝」，需要 6 人" in reply
    [shift] = await ssp.rows(Shift)
    assert (shift.starts_at, shift.ends_at) == (starts(day, time(9)), starts(day, time(12)))
    assert (shift.occurs_on, shift.headcount, shift.title) == (day, 6, "食物包裝")
    assert (shift.meeting_point, shift.language_needs) == ("港鐵站 A 出口", {"cmn": 1})
    assert shift.equipment == ["手套", "圍裙"]
    assert shift.health_declaration
    assert shift.created_by == COORDINATOR


async def test_shift_add_refuses_unknown_sites_past_times_and_volunteers(ssp: Scenario) -> None:
    vic = await ssp.join("u-vol", "Vic")
    day = day_ahead(2)
    unknown, past, backwards = await ssp.say_each(
        (
            shift_add(day, site="XYZ"),
            shift_add(date.fromisoformat("2020-01-04")),
            shift_add(day, hours="12:00-09:00"),
        )
    )
    [volunteer] = await ssp.say(shift_add(day), as_=vic)

    assert "There is no site with the code “XYZ”" in unknown
    assert "2020-01-04 09:00 已經過咗" in past
    assert "time=“12:00-09:00” is not valid" in backwards
    assert "/shift add 只限統籌或以上使用" in volunteer
    assert_nothing_changed((unknown, past, backwards, volunteer))
    assert await ssp.rows(Shift) == []


async def test_shift_list_is_one_line_per_shift_grouped_by_day(ssp: Scenario) -> None:
    await ssp.add_site("KT", "kt", group="cid-kt")
    first, second = day_ahead(2), day_ahead(3)
    morning = await ssp.add_shift(first, "09:00-12:00", need=2)
    kwun_tong = await ssp.add_shift(first, "14:00-17:00", need=3, site="KT")
    next_day = await ssp.add_shift(second, "10:00-13:00", need=1)
    far = await ssp.add_shift(day_ahead(20), "10:00-13:00", need=1)
    await ssp.join("u-ben", "Ben")
    await ssp.say(f"/assign {next_day} @Ben", at=["u-ben"])

    [listing] = await ssp.say("/shift list")
    [only_kt] = await ssp.say("/shift list kt")
    [later] = await ssp.say(f"/shift {day_ahead(19):%m-%d}..{day_ahead(21):%m-%d}")
    [empty] = await ssp.say(f"/shift list {day_ahead(30)}")
    [nonsense] = await ssp.say("/shift list nowhere")

    assert listing.split("\n\n") == [
        f"**更表 {label(day_ahead(0))} 至 {label(day_ahead(6))}**",
        f"- #{morning} {label(first)} 09:00–12:00 SSP 0/2 ⚠️\n"
        f"- #{kwun_tong} {label(first)} 14:00–17:00 KT 0/3 ⚠️",
        f"- #{next_day} {label(second)} 10:00–13:00 SSP 1/1",
        "⚠️ 2 更未夠人，合共仲缺 5 人",
    ]
    assert f"#{kwun_tong}" in only_kt
    assert f"#{morning}" not in only_kt
    assert f"- #{far} {label(day_ahead(20))} 10:00–13:00 SSP 0/1 ⚠️" in later
    assert "呢段日子冇更。" in empty
    assert "「nowhere」唔係地點代號，亦唔係日子" in nonsense


async def test_shift_edit_keeps_the_booking_rules_and_records_announced_changes(
    ssp: Scenario,
) -> None:
    for staff_id, nick in (("u-ann", "Ann"), ("u-bob", "Bob")):
        await ssp.join(staff_id, nick)
    day = day_ahead(2)
    morning = await ssp.add_shift(day, "09:00-12:00", need=3)
    afternoon = await ssp.add_shift(day, "14:00-17:00", need=3)
    await ssp.say(f"/assign {morning} @Ann @Bob", at=["u-ann", "u-bob"])
    await ssp.say(f"/assign {afternoon} @Ann", at=["u-ann"])

    [clash] = await ssp.say(f"/shift edit {morning} time=13:00-15:00")
    [too_few] = await ssp.say(f"/更 修改 {morning} need=1")
    [nothing] = await ssp.say(f"/shift edit {morning}")
    [quiet] = await ssp.say(f"/shift edit {morning} need=2")
    [unchanged] = await ssp.say(f"/shift edit {morning} need=2")

    assert f"Changing #{morning} like this would make Ann clash with #{afternoon}" in clash
    assert f"#{morning} 已經編咗 2 人，人數唔可以少過 2" in too_few
    assert "要改咩？" in nothing
    assert "- 人數：3 → 2" in quiet
    assert quiet.endswith(f"#{morning} {label(day)} 09:00–12:00 SSP 2/2")
    assert unchanged == f"#{morning} 本身已經係咁，乜都冇改。"
    assert await ssp.rows(ShiftChange) == []  # not announced: nobody needs telling

    shift = await ssp.shift(morning)
    async with ssp.sessions.begin() as session:
        shift.announced_at = ssp.clock.now()
        session.add(shift)
    [moved] = await ssp.say(f'/shift edit {morning} time=08:00-11:00 meet="Exit B"')

    assert "- 時間：09:00–12:00 → 08:00–11:00" in moved
    [change] = await ssp.rows(ShiftChange)
    assert (change.shift_id, change.kind, change.changed_by) == (morning, "edit", COORDINATOR)
    assert change.changes == {"time": ["09:00–12:00", "08:00–11:00"], "meet": ["", "Exit B"]}
    assert (await ssp.shift(morning)).starts_at == starts(day, time(8))


async def test_cancel_then_nothing_more_can_happen_to_the_shift(ssp: Scenario) -> None:
    await ssp.join("u-ann", "Ann")
    day = day_ahead(2)
    shift_id = await ssp.add_shift(day)
    await ssp.say(f"/assign {shift_id} @Ann", at=["u-ann"])

    [cancelled] = await ssp.say(f"/更 取消 #{shift_id} 颱風 八號風球")
    [edit] = await ssp.say(f"/shift edit {shift_id} need=3")
    [assign] = await ssp.say(f"/assign {shift_id} @Ann", at=["u-ann"])
    [again] = await ssp.say(f"/shift cancel {shift_id}")
    [listing] = await ssp.say("/shift list")

    assert cancelled == (
        f"🚫 已取消 **#{shift_id}**：{label(day)} 09:00–12:00 SSP\n\n"
        f"原因：颱風 八號風球\n\n#{shift_id} 原本編咗 1 人。"
    )
    for reply in (edit, assign, again):
        assert f"#{shift_id} 已經取消咗" in reply
        assert f"#{shift_id} is cancelled" in reply
    assert f"#{shift_id}" not in listing
    shift = await ssp.shift(shift_id)
    assert (shift.status, shift.cancel_reason) == (ShiftStatus.CANCELLED, "颱風 八號風球")


async def test_a_shift_that_has_started_cannot_be_changed_or_staffed(ssp: Scenario) -> None:
    await ssp.join("u-ann", "Ann")
    shift_id = await ssp.add_shift(day_ahead(1), "09:00-12:00", need=4)
    ssp.clock.set(starts(day_ahead(1), time(9, 30)))

    replies = [
        reply
        for command in (f"/shift edit {shift_id} need=5", f"/shift cancel {shift_id}")
        for reply in await ssp.say(command)
    ] + await ssp.say(f"/assign {shift_id} @Ann", at=["u-ann"])

    for reply in replies:
        assert f"#{shift_id} 已經開始咗或者完咗" in reply
        assert f"#{shift_id} has already started or ended" in reply
    assert (await ssp.shift(shift_id)).headcount == 4
    assert await ssp.states(shift_id) == {}


async def test_publish_then_the_lifecycle_announces_and_sends_the_confirm_card(
    ssp: Scenario,
) -> None:
    day = day_ahead(4)
    shift_id = await ssp.add_shift(day)
    other_site_day = await ssp.add_shift(day_ahead(12))

    [published] = await ssp.say(f"/shift publish {day}")
    [none] = await ssp.say(f"/shift publish {day}")

    assert published.startswith(f"📢 已發佈 1 更：#{shift_id}")
    assert "呢段日子冇未發佈嘅更。" in none
    assert (await ssp.shift(shift_id)).published_at == ssp.clock.now()
    assert (await ssp.shift(other_site_day)).published_at is None

    ssp.clock.set(starts(day, time(9)) - ssp.settings.schedule.offsets().confirm)
    assert await ssp.run_due_work()
    [announcement] = await ssp.group_messages()
    assert announcement.conversation_id == GROUP
    assert f"#{shift_id}" in announcement.text
    card = await ssp.card(f"ds-confirm-{shift_id}")
    assert card.public["status"] == "已確認 0/6"
