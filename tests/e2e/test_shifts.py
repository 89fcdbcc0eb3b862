"""Shifts and assignments through the real SDK and the sandbox: add, list, assign, edit, cancel."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlmodel import select

from bot.app import BotApp
from core.settings import Settings
from sandbox import Sandbox
from storage.models import (
    AssignmentState,
    RoleGrant,
    Shift,
    ShiftChange,
    ShiftStatus,
    ShiftTemplate,
    Site,
)
from tests.e2e.chat import COORDINATOR, ZONE, Chat, coordinator_settings, day_ahead, label
from tests.e2e.clock import E2E_START, RunningClock


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The e2e settings with the coordinator as a configured admin."""
    return coordinator_settings(settings)


@pytest.fixture
async def chat(sb: Sandbox, bot: BotApp) -> Chat:
    sb.add_user(nick="Coordinator", staff_id=COORDINATOR)
    group = sb.add_group(title="SSP 深水埗", members=[COORDINATOR])
    chat = Chat(sb, bot, group.conversation_id)
    await chat.add_site("SSP", "sham-shui-po")
    return chat


async def test_shift_add_replies_with_the_id_and_stores_the_details(chat: Chat) -> None:
    day = day_ahead(3)
    reply = await chat.say(
        f"/更 新增 site=ssp date={day} time=09:00-12:00 need=6 title=食物包裝 lang=cmn:1 "
        "meet=「港鐵站 A 出口」 equipment=手套,圍裙 health=yes"
    )
    assert reply.startswith("✅ 已新增 **#")
    assert f"{label(day)} 09:00–12:00 SSP「食物包裝」，需要 6 人" in reply
    assert "`/assign" in reply
    shift_id = int(reply.split("**#")[1].split("**")[0])
    shift = await chat.shift(shift_id)
    assert shift.starts_at == datetime.combine(day, time(9), tzinfo=ZONE)
    assert shift.ends_at == datetime.combine(day, time(12), tzinfo=ZONE)
    assert shift.occurs_on == day
    assert (shift.headcount, shift.title, shift.meeting_point) == (6, "食物包裝", "港鐵站 A 出口")
    assert (shift.language_needs, shift.equipment) == ({"cmn": 1}, ["手套", "圍裙"])
    assert shift.health_declaration
    assert shift.created_by == COORDINATOR


async def test_shift_add_refuses_unknown_sites_past_times_and_volunteers(chat: Chat) -> None:
    await chat.register("u-vol", "Vic")
    unknown = await chat.say(f"/shift add site=XYZ date={day_ahead(2)} time=09:00-12:00 need=2")
    past = await chat.say("/shift add site=SSP date=2020-01-04 time=09:00-12:00 need=2")
    backwards = await chat.say(f"/shift add site=SSP date={day_ahead(2)} time=12:00-09:00 need=2")
    volunteer = await chat.say(
        f"/shift add site=SSP date={day_ahead(2)} time=09:00-12:00 need=2", sender="u-vol"
    )
    assert "冇「XYZ」呢個地點代號" in unknown
    assert "There is no site with the code “XYZ”" in unknown
    assert "2020-01-04 09:00 已經過咗" in past
    assert "time=“12:00-09:00” is not valid" in backwards
    assert "/shift add 只限統籌或以上使用" in volunteer
    for reply in (unknown, past, backwards, volunteer):
        assert "乜都冇改到" in reply
    async with chat.bot.sessions() as session:
        assert (await session.exec(select(Shift))).all() == []


async def test_shift_list_is_one_line_per_shift_grouped_by_day(chat: Chat) -> None:
    await chat.add_site("KT", "kwun-tong")
    await chat.register("u-ben", "Ben")
    first, second = day_ahead(2), day_ahead(3)
    morning = await chat.add_shift(first, "09:00-12:00", need=2)
    kwun_tong = await chat.add_shift(first, "14:00-17:00", need=3, site="KT")
    next_day = await chat.add_shift(second, "10:00-13:00", need=1)
    far = await chat.add_shift(day_ahead(20), "10:00-13:00", need=1)
    await chat.say(f"/assign {next_day} @Ben", at=("u-ben",))

    listing = await chat.say("/更表")

    assert listing.startswith(f"**更表 {label(day_ahead(0))} 至 {label(day_ahead(6))}**")
    blocks = listing.split("\n\n")
    assert blocks[1] == (
        f"- #{morning} {label(first)} 09:00–12:00 SSP 0/2 ⚠️\n"
        f"- #{kwun_tong} {label(first)} 14:00–17:00 KT 0/3 ⚠️"
    )
    assert blocks[2] == f"- #{next_day} {label(second)} 10:00–13:00 SSP 1/1"
    assert blocks[3] == "⚠️ 2 更未夠人，合共仲缺 5 人"
    assert f"#{far}" not in listing

    only_kt = await chat.say("/shift list kt")
    assert f"#{kwun_tong}" in only_kt
    assert f"#{morning}" not in only_kt
    assert "· KT" in only_kt
    later = await chat.say(f"/shift {day_ahead(19):%m-%d}..{day_ahead(21):%m-%d}")
    assert f"- #{far} {label(day_ahead(20))} 10:00–13:00 SSP 0/1 ⚠️" in later
    one_day = await chat.say(f"/shift list SSP {second}")
    assert f"#{next_day}" in one_day
    assert "全部更都夠人 ✅" in one_day
    empty = await chat.say(f"/shift list {day_ahead(30)}")
    assert "呢段日子冇更。" in empty
    nonsense = await chat.say("/shift list nowhere")
    assert "「nowhere」唔係地點代號，亦唔係日子" in nonsense


async def test_a_regional_viewer_lists_only_the_sites_of_their_regions(chat: Chat) -> None:
    await chat.add_site("KT", "kwun-tong")
    ssp = await chat.add_shift(day_ahead(2))
    kt = await chat.add_shift(day_ahead(2), site="KT")
    chat.sb.add_members(chat.cid, [chat.sb.add_user(nick="Vera", staff_id="u-vera")])
    async with chat.bot.sessions.begin() as session:
        session.add(
            RoleGrant(
                staff_id="u-vera",
                role="viewer",
                regions=["kwun-tong"],
                granted_by=COORDINATOR,
                granted_at=chat.bot.clock.now(),
            )
        )

    listing = await chat.say("/shift list", sender="u-vera")
    other_site = await chat.say("/shift list SSP", sender="u-vera")
    roster = await chat.say(f"/roster {ssp}", sender="u-vera")
    own_roster = await chat.say(f"/roster {kt}", sender="u-vera")

    assert f"#{kt}" in listing
    assert f"#{ssp}" not in listing
    assert "SSP 唔喺你負責嘅地區" in other_site
    assert "SSP is outside your regions" in roster
    assert "已確認 0/6・已編 0/6" in own_roster


async def test_assign_books_the_free_and_explains_each_refusal(chat: Chat) -> None:
    for staff_id, nick in (("u-kayan", "陳嘉欣"), ("u-ben", "Ben"), ("u-carmen", "Carmen")):
        await chat.register(staff_id, nick)
    day = day_ahead(2)
    elsewhere = await chat.add_shift(day, "08:00-11:00")
    target = await chat.add_shift(day, "10:00-13:00")
    first = await chat.say(f"/assign {elsewhere} @Carmen", at=("u-carmen",))
    assert first == f"✅ Carmen 已編入 #{elsewhere}（1/6）"

    reply = await chat.say(
        f"/編更 #{target} @陳嘉欣 @Ben @Carmen", at=("u-kayan", "u-ben", "u-carmen")
    )

    assert reply == (
        f"✅ 陳嘉欣、Ben 已編入 #{target}（2/6）\n\n"
        f"❌ Carmen：同 #{elsewhere}（{label(day)} 08:00–11:00）撞時間"
    )
    assert await chat.states(target) == {"陳嘉欣": "invited", "Ben": "invited"}
    again = await chat.say(f"/assign {target} @Ben", at=("u-ben",))
    assert again == f"ℹ️ Ben 本身已經喺 #{target}"


async def test_a_full_shift_takes_no_more_people(chat: Chat) -> None:
    await chat.register("u-ann", "Ann")
    await chat.register("u-bob", "Bob")
    shift_id = await chat.add_shift(day_ahead(2), need=1)
    reply = await chat.say(f"/assign {shift_id} @Ann @Bob", at=("u-ann", "u-bob"))
    assert reply == f"✅ Ann 已編入 #{shift_id}（1/1）\n\n❌ Bob：#{shift_id} 已經滿咗（1/1）"
    assert await chat.states(shift_id) == {"Ann": "invited"}


async def test_an_unregistered_mention_fails_the_whole_command(chat: Chat) -> None:
    await chat.register("u-ann", "Ann")
    chat.sb.add_members(chat.cid, [chat.sb.add_user(nick="Newbie", staff_id="u-new")])
    shift_id = await chat.add_shift(day_ahead(2))

    reply = await chat.say(f"/assign {shift_id} @Ann @Newbie", at=("u-ann", "u-new"))
    no_mention = await chat.say(f"/assign {shift_id} @Ann")
    no_id = await chat.say("/assign", at=("u-ann",))
    bad_id = await chat.say("/assign abc @Ann", at=("u-ann",))
    missing = await chat.say("/assign 99999 @Ann", at=("u-ann",))

    assert "＠Newbie 仲未登記做義工，請佢哋先打 `/join`。" in reply
    assert "Not registered as volunteers yet: ＠Newbie." in reply
    assert "乜都冇改到" in reply
    assert await chat.states(shift_id) == {}
    assert "請 @ 要編更嘅義工" in no_mention
    assert "請寫更份編號" in no_id
    assert "「abc」唔係更份編號" in bad_id
    assert "搵唔到 #99999 呢更" in missing


async def test_unassign_and_the_roster(chat: Chat) -> None:
    people = (
        ("u-ann", "Ann", ("yue", "cmn")),
        ("u-bob", "Bob", ("yue",)),
        ("u-cat", "Cat", ("en",)),
        ("u-dan", "Dan", ("yue",)),
    )
    for staff_id, nick, languages in people:
        await chat.register(staff_id, nick, languages)
    day = day_ahead(4)
    shift_id = await chat.add_shift(day, need=6, extra="lang=cmn:1,en:2 title=派飯")
    await chat.say(
        f"/assign {shift_id} @Ann @Bob @Cat @Dan", at=("u-ann", "u-bob", "u-cat", "u-dan")
    )
    await chat.set_state(shift_id, "Ann", AssignmentState.CONFIRMED)
    await chat.set_state(shift_id, "Cat", AssignmentState.DECLINED)

    removed = await chat.say(f"/除更 {shift_id} @Dan @Cat", at=("u-dan", "u-cat"))
    roster = await chat.say(f"/名單 {shift_id}")

    # Cat had declined already: there is no booking to take away.
    assert removed == (f"✅ Dan 已由 #{shift_id} 除名（2/6）\n\nℹ️ Cat 本身冇編入 #{shift_id}")
    assert await chat.states(shift_id) == {
        "Ann": "confirmed",
        "Bob": "invited",
        "Cat": "declined",
        "Dan": "withdrawn",
    }
    assert roster.split("\n\n") == [
        f"**#{shift_id} {label(day)} 09:00–12:00 SSP** 派飯",
        "已確認 1/6・已編 2/6",
        "- 已確認（1）：Ann\n- 待回覆（1）：Bob\n- 婉拒（1）：Cat\n- 已除名（1）：Dan",
        "語言（按已編嘅人）：普通話 1/1 ✅、英文 0/2 ⚠️缺 2",
        "⚠️ 仲缺 4 人",
        "📝 未發佈：`/shift publish` 之後先會公佈同發確認卡。",
    ]
    not_on = await chat.say(f"/unassign {shift_id} @Dan", at=("u-dan",))
    assert not_on == f"ℹ️ Dan 本身冇編入 #{shift_id}"


async def test_shift_edit_keeps_the_booking_rules(chat: Chat) -> None:
    await chat.register("u-ann", "Ann")
    await chat.register("u-bob", "Bob")
    day = day_ahead(2)
    morning = await chat.add_shift(day, "09:00-12:00", need=3)
    afternoon = await chat.add_shift(day, "14:00-17:00", need=3)
    await chat.say(f"/assign {morning} @Ann @Bob", at=("u-ann", "u-bob"))
    await chat.say(f"/assign {afternoon} @Ann", at=("u-ann",))

    clash = await chat.say(f"/shift edit {morning} time=13:00-15:00")
    too_few = await chat.say(f"/更 修改 {morning} need=1")
    nothing = await chat.say(f"/shift edit {morning}")

    assert (
        f"咁改 #{morning} 嘅話，Ann 會同 #{afternoon}（{day:%m-%d} 14:00–17:00）撞時間。" in clash
    )
    assert f"Changing #{morning} like this would make Ann clash with #{afternoon}" in clash
    assert f"#{morning} 已經編咗 2 人，人數唔可以少過 2" in too_few
    assert "要改咩？" in nothing
    shift = await chat.shift(morning)
    assert (shift.starts_at, shift.headcount, shift.revision) == (
        datetime.combine(day, time(9), tzinfo=ZONE),
        3,
        1,
    )

    # Not announced yet: the edit is applied, nobody needs telling.
    quiet = await chat.say(f"/shift edit {morning} need=2")
    assert quiet.startswith(f"✏️ 已修改 **#{morning}**：")
    assert "- 人數：3 → 2" in quiet
    assert quiet.endswith(f"#{morning} {label(day)} 09:00–12:00 SSP 2/2")
    unchanged = await chat.say(f"/shift edit {morning} need=2")
    assert unchanged == f"#{morning} 本身已經係咁，乜都冇改。"

    async with chat.bot.sessions.begin() as session:
        announced = await session.get(Shift, morning)
        assert announced is not None
        announced.announced_at = chat.bot.clock.now()
        session.add(announced)
    moved = await chat.say(f'/shift edit {morning} time=08:00-11:00 meet="Exit B" title=""')
    assert "- 時間：09:00–12:00 → 08:00–11:00" in moved
    assert "- 集合地點：（冇） → Exit B" in moved
    assert "標題" not in moved  # it was empty already

    async with chat.bot.sessions() as session:
        changes = (await session.exec(select(ShiftChange))).all()
    [change] = changes
    assert (change.shift_id, change.kind, change.changed_by) == (morning, "edit", COORDINATOR)
    assert change.changes == {"time": ["09:00–12:00", "08:00–11:00"], "meet": ["", "Exit B"]}
    shift = await chat.shift(morning)
    assert shift.starts_at == datetime.combine(day, time(8), tzinfo=ZONE)
    assert shift.revision == 3


async def test_moving_a_shift_to_another_date(chat: Chat) -> None:
    await chat.register("u-ann", "Ann")
    shift_id = await chat.add_shift(day_ahead(2), "09:00-12:00")
    other = await chat.add_shift(day_ahead(3), "10:00-11:00")
    await chat.say(f"/assign {shift_id} @Ann", at=("u-ann",))
    await chat.say(f"/assign {other} @Ann", at=("u-ann",))

    refused = await chat.say(f"/shift edit {shift_id} date={day_ahead(3)}")
    moved = await chat.say(f"/shift edit {shift_id} date={day_ahead(4)} time=13:00-15:00")
    into_past = await chat.say(f"/shift edit {shift_id} date=2020-01-01")

    assert f"Ann 會同 #{other}" in refused
    assert f"- 日子：{day_ahead(2)} → {day_ahead(4)}" in moved
    assert "- 時間：09:00–12:00 → 13:00–15:00" in moved
    assert "2020-01-01 13:00 已經過咗" in into_past
    shift = await chat.shift(shift_id)
    assert shift.occurs_on == day_ahead(4)
    assert shift.starts_at == datetime.combine(day_ahead(4), time(13), tzinfo=ZONE)


async def test_cancel_then_nothing_more_can_happen_to_the_shift(chat: Chat) -> None:
    await chat.register("u-ann", "Ann")
    day = day_ahead(2)
    shift_id = await chat.add_shift(day)
    await chat.say(f"/assign {shift_id} @Ann", at=("u-ann",))

    cancelled = await chat.say(f"/更 取消 #{shift_id} 颱風 八號風球")
    edit = await chat.say(f"/shift edit {shift_id} need=3")
    assign = await chat.say(f"/assign {shift_id} @Ann", at=("u-ann",))
    again = await chat.say(f"/shift cancel {shift_id}")
    listing = await chat.say("/shift list")
    roster = await chat.say(f"/roster {shift_id}")

    assert cancelled == (
        f"🚫 已取消 **#{shift_id}**：{label(day)} 09:00–12:00 SSP\n\n"
        f"原因：颱風 八號風球\n\n#{shift_id} 原本編咗 1 人。"
    )
    for reply in (edit, assign, again):
        assert f"#{shift_id} 已經取消咗" in reply
        assert f"#{shift_id} is cancelled" in reply
    assert f"#{shift_id}" not in listing
    assert "（已取消）" in roster
    shift = await chat.shift(shift_id)
    assert (shift.status, shift.cancel_reason, shift.headcount) == (
        ShiftStatus.CANCELLED,
        "颱風 八號風球",
        6,
    )
    async with chat.bot.sessions() as session:
        assert (await session.exec(select(ShiftChange))).all() == []  # never announced


async def test_a_shift_that_has_started_cannot_be_changed_or_staffed(chat: Chat) -> None:
    await chat.register("u-ann", "Ann")
    started = chat.bot.clock.now() - timedelta(minutes=30)
    async with chat.bot.sessions.begin() as session:
        site = (await session.exec(select(Site).where(Site.code == "SSP"))).one()
        assert site.id is not None
        shift = Shift(
            site_id=site.id,
            occurs_on=started.astimezone(ZONE).date(),
            starts_at=started,
            ends_at=started + timedelta(hours=3),
            headcount=4,
            created_by=COORDINATOR,
            created_at=started,
            updated_at=started,
        )
        session.add(shift)
        await session.flush()
        shift_id = shift.id

    edit = await chat.say(f"/shift edit {shift_id} need=5")
    assign = await chat.say(f"/assign {shift_id} @Ann", at=("u-ann",))
    cancel = await chat.say(f"/shift cancel {shift_id}")
    for reply in (edit, assign, cancel):
        assert f"#{shift_id} 已經開始咗或者完咗" in reply
        assert f"#{shift_id} has already started or ended" in reply
    assert (await chat.shift(shift_id or 0)).headcount == 4
    assert await chat.states(shift_id or 0) == {}


async def test_help_lists_the_shift_commands(chat: Chat) -> None:
    overview = await chat.say("/help")
    details = await chat.say("/help 編更")
    assert "`/shift add site=<code>" in overview
    assert "`/roster <shift-id>` — 睇一更嘅名單" in overview
    assert "**/assign** — 將 @ 嘅義工編入一更" in details
    assert "/編更" in details


async def test_an_english_organisation_gets_english_replies(
    sb: Sandbox, settings: Settings
) -> None:
    english = settings.model_copy(
        update={"org": settings.org.model_copy(update={"language": "en"})}
    )
    app = BotApp(english, clock=RunningClock(E2E_START))
    await app.start()
    try:
        await app.wait_until_connected()
        sb.add_user(nick="Coordinator", staff_id=COORDINATOR)
        group = sb.add_group(title="Kwun Tong", members=[COORDINATOR])
        chat = Chat(sb, app, group.conversation_id)
        site = await chat.say('/site add kt "Kwun Tong Hub" district=kt')
        assert "KT" in site
        await chat.register("u-ann", "Ann", ("en",))
        await chat.register("u-bob", "Bob")
        day = day_ahead(2)
        sat = f"{('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')[day.weekday()]} {day:%m-%d}"

        added = await chat.say(f"/shift add site=KT date={day} time=9:00-12:00 need=1 lang=en")
        assert added.startswith(f"✅ Added **#1**: {sat} 09:00–12:00 KT, needs 1")
        assigned = await chat.say("/assign 1 @Ann @Bob", at=("u-ann", "u-bob"))
        assert assigned == "✅ Ann booked on #1 (1/1)\n\n❌ Bob: #1 is full (1/1)"
        listing = await chat.say("/shift list")
        assert f"- #1 {sat} 09:00–12:00 KT 1/1" in listing
        assert "Every shift is staffed ✅" in listing
        roster = await chat.say("/roster 1")
        assert roster.split("\n\n")[1:] == [
            "0/1 confirmed · 1/1 booked",
            "- Invited, no answer yet (1): Ann",
            "Languages (people booked): English 1/1 ✅",
            "📝 Not published: the announcement and cards start after `/shift publish`.",
        ]
        refused = await chat.say("/shift edit 1 need=0")
        assert refused.startswith("need=“0” is not valid.")
        cancelled = await chat.say("/shift cancel 1 storm")
        assert cancelled == (
            f"🚫 Cancelled **#1**: {sat} 09:00–12:00 KT\n\nReason: storm\n\nBooked on #1: 1."
        )
    finally:
        await app.stop()


async def test_a_template_occurrence_cannot_move_onto_its_siblings_day(chat: Chat) -> None:
    first, second = day_ahead(2), day_ahead(3)
    now = chat.bot.clock.now()
    async with chat.bot.sessions.begin() as session:
        site = (await session.exec(select(Site).where(Site.code == "SSP"))).one()
        assert site.id is not None
        template = ShiftTemplate(
            site_id=site.id,
            name="Daily",
            rule="daily",
            anchor_date=first,
            start_time=time(9),
            end_time=time(12),
            headcount=4,
            created_by=COORDINATOR,
            created_at=now,
            updated_at=now,
        )
        session.add(template)
        await session.flush()
        ids = []
        for day in (first, second):
            starts_at = datetime.combine(day, time(9), tzinfo=ZONE)
            shift = Shift(
                site_id=site.id,
                template_id=template.id,
                occurs_on=day,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=3),
                headcount=4,
                created_by=COORDINATOR,
                created_at=now,
                updated_at=now,
            )
            session.add(shift)
            await session.flush()
            ids.append(shift.id)

    refused = await chat.say(f"/shift edit {ids[0]} date={second}")
    moved_time = await chat.say(f"/shift edit {ids[0]} time=10:00-13:00")

    assert f"#{ids[0]} 同 #{ids[1]} 出自同一個範本，同一日只可以有一更。" in refused
    assert "- 時間：09:00–12:00 → 10:00–13:00" in moved_time
    assert (await chat.shift(ids[0] or 0)).occurs_on == first
