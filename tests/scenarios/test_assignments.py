"""``/assign``, ``/unassign`` and ``/roster`` in-process.

The same through the SDK and the sandbox: tests/e2e/test_shifts.py.
"""

from __future__ import annotations

from datetime import time

from tests.scenario import Scenario, day_ahead, label, starts


async def test_assign_books_the_free_and_refuses_the_overlap(ssp: Scenario) -> None:
    for staff_id, nick in (("u-kayan", "陳嘉欣"), ("u-ben", "Ben"), ("u-carmen", "Carmen")):
        await ssp.join(staff_id, nick)
    day = day_ahead(2)
    elsewhere = await ssp.add_shift(day, "08:00-11:00")
    target = await ssp.add_shift(day, "10:00-13:00")
    [first] = await ssp.say(f"/assign {elsewhere} @Carmen", at=["u-carmen"])

    [reply] = await ssp.say(
        f"/編更 #{target} @陳嘉欣 @Ben @Carmen", at=["u-kayan", "u-ben", "u-carmen"]
    )
    [again] = await ssp.say(f"/assign {target} @Ben", at=["u-ben"])

    assert first == f"✅ Carmen 已編入 #{elsewhere}（1/6）"
    assert reply == (
        f"✅ 陳嘉欣、Ben 已編入 #{target}（2/6）\n\n"
        f"❌ Carmen：同 #{elsewhere}（{label(day)} 08:00–11:00）撞時間"
    )
    assert await ssp.states(target) == {"陳嘉欣": "invited", "Ben": "invited"}
    assert again == f"ℹ️ Ben 本身已經喺 #{target}"


async def test_a_full_shift_takes_no_more_people(ssp: Scenario) -> None:
    await ssp.join("u-ann", "Ann")
    await ssp.join("u-bob", "Bob")
    shift_id = await ssp.add_shift(day_ahead(2), need=1)
    [reply] = await ssp.say(f"/assign {shift_id} @Ann @Bob", at=["u-ann", "u-bob"])
    assert reply == f"✅ Ann 已編入 #{shift_id}（1/1）\n\n❌ Bob：#{shift_id} 已經滿咗（1/1）"
    assert await ssp.states(shift_id) == {"Ann": "invited"}


async def test_an_unregistered_mention_fails_the_whole_command(ssp: Scenario) -> None:
    await ssp.join("u-ann", "Ann")
    ssp.person("u-new", "Newbie")
    shift_id = await ssp.add_shift(day_ahead(2))

    [reply] = await ssp.say(f"/assign {shift_id} @Ann @Newbie", at=["u-ann", "u-new"])
    [no_mention] = await ssp.say(f"/assign {shift_id} @Ann")
    [no_id] = await ssp.say("/assign", at=["u-ann"])
    [bad_id] = await ssp.say("/assign abc @Ann", at=["u-ann"])
    [missing] = await ssp.say("/assign 99999 @Ann", at=["u-ann"])

    assert "＠Newbie 仲未登記做義工，請佢哋先打 `/join`。" in reply
    assert "Not registered as volunteers yet: ＠Newbie." in reply
    assert "乜都冇改到" in reply
    assert await ssp.states(shift_id) == {}
    assert "請 @ 要編更嘅義工" in no_mention
    assert "請寫更份編號" in no_id
    assert "「abc」唔係更份編號" in bad_id
    assert "搵唔到 #99999 呢更" in missing


async def test_unassign_and_the_roster_after_the_cards_are_answered(ssp: Scenario) -> None:
    people = {"u-ann": "Ann", "u-bob": "Bob", "u-cat": "Cat", "u-dan": "Dan"}
    await ssp.join("u-ann", "Ann", "district=ssp lang=yue,cmn")
    await ssp.join("u-bob", "Bob")
    await ssp.join("u-cat", "Cat", "district=ssp lang=en")
    await ssp.join("u-dan", "Dan")
    day = day_ahead(4)
    shift_id = await ssp.add_shift(day, need=6, extra="lang=cmn:1,en:2 title=派飯")
    await ssp.say(f"/assign {shift_id} @Ann @Bob @Cat @Dan", at=list(people))
    await ssp.say(f"/shift publish {day}")
    ssp.clock.set(starts(day, time(9)) - ssp.settings.schedule.offsets().confirm)
    await ssp.run_due_work()
    card = f"ds-confirm-{shift_id}"
    await ssp.tap(card, "confirm", as_="u-ann")
    await ssp.tap(card, "decline", as_="u-cat")

    [removed] = await ssp.say(f"/除更 {shift_id} @Dan @Cat", at=["u-dan", "u-cat"])
    [roster] = await ssp.say(f"/名單 {shift_id}")
    [not_on] = await ssp.say(f"/unassign {shift_id} @Dan", at=["u-dan"])

    # Cat had declined already: there is no booking to take away. The shift is published, so
    # Dan's seat would be offered, but everyone registered is on the shift already.
    assert removed.split("\n\n") == [
        f"✅ Dan 已由 #{shift_id} 除名（2/6）",
        f"ℹ️ Cat 本身冇編入 #{shift_id}",
        "冇合適嘅義工可以問（撞更、超出每週上限或者已經問過），請用 `/assign` 直接編人。",
    ]
    assert await ssp.states(shift_id) == {
        "Ann": "confirmed",
        "Bob": "invited",
        "Cat": "declined",
        "Dan": "withdrawn",
    }
    assert roster.split("\n\n")[:5] == [
        f"**#{shift_id} {label(day)} 09:00–12:00 SSP** 派飯",
        "已確認 1/6・已編 2/6",
        "- 已確認（1）：Ann\n- 待回覆（1）：Bob\n- 婉拒（1）：Cat\n- 已除名（1）：Dan",
        "語言（按已編嘅人）：普通話 1/1 ✅、英文 0/2 ⚠️缺 2",
        "⚠️ 仲缺 4 人",
    ]
    assert not_on == f"ℹ️ Dan 本身冇編入 #{shift_id}"
