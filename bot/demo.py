"""``dingshift demo``: the bot against the local DingTalk sandbox, printed as a group chat.

Starts the sandbox, points the SDK at it, seeds three sites' group chats and a few dozen
volunteers (who register through the chat like real people), plays a short scripted
conversation and prints it as a transcript.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from core.cards import SHIPPED_CARD_TEMPLATE, out_track_id
from core.clock import ManualClock, SystemClock
from core.outgoing import month_of
from sandbox import Sandbox, SentMessage
from storage.shifts import shifts_between

if TYPE_CHECKING:
    from bot.app import BotApp

_SURNAMES = ("陳", "李", "張", "黃", "何", "林", "梁", "吳", "劉", "鄭", "麥", "謝")
_GIVEN = (
    "嘉欣",
    "志明",
    "Ada",
    "Ben",
    "詠詩",
    "家豪",
    "Carmen",
    "俊傑",
    "Daisy",
    "Eric",
    "美玲",
    "Felix",
)
_DISTRICTS = ("ssp", "kt", "tm", "ytm", "wts", "yl", "st", "kc", "tw", "est", "kwt", "tp")
_LANGUAGES = ("yue", "yue,en", "yue,cmn", "cmn,en", "yue,cmn,en", "en")
_AVAILABILITY = ("sat-am,sun-am", "sat-pm", "mon-eve,wed-eve", "sun", "sat,sun-pm", "fri-eve")
SITE_GROUPS = (
    "深水埗派米站 SSP Food Bank",
    "觀塘長者探訪 Kwun Tong Visits",
    "屯門冬日飯堂 TM Meals",
)
VOLUNTEER_COUNT = 36
DEMO_CLIENT_ID = "dingshift-demo"
DEMO_CLIENT_SECRET = "demo-secret"


@dataclass(frozen=True)
class ScriptLine:
    speaker: str
    """A staffId, or "guest" for the visitor from outside the organisation."""
    text: str
    """May name ``{saturday}``, ``{first}`` (the template's first shift) and ``{one_off}``."""
    at: tuple[str, ...] = ()
    """staffIds @-mentioned besides the bot."""


SCRIPT = (
    ScriptLine("coord-mei", ""),
    ScriptLine("vol-kaming", "/help join"),
    ScriptLine("vol-kaming", "/登記 district=深水埗 lang=粵語,英文 avail=星期六上午,sun-pm"),
    ScriptLine("vol-kaming", "/me"),
    ScriptLine("vol-bobby", '/join district="Mong Kok" lang=yue'),
    ScriptLine("vol-bobby", "/join district=ytm lang=yue,cmn"),
    ScriptLine("guest", "/join district=ssp lang=en"),
    ScriptLine("vol-kaming", "／ｊｏｉｎ　district＝ssp　lang＝en"),
    ScriptLine("coord-mei", "/shfit list"),
    ScriptLine("coord-mei", '/site add SSP 深水埗派米站 district=ssp address="北河街 1 號"'),
    ScriptLine(
        "coord-mei",
        "/範本 新增 星期六早更 site=SSP every=sat time=09:00-12:00 need=4 lang=cmn:1"
        " meet=港鐵深水埗站C2出口 equipment=手套,圍裙 from={saturday}",
    ),
    ScriptLine("coord-mei", "/assign {first} @家明", at=("vol-kaming",)),
    ScriptLine(
        "coord-mei", "/更 新增 site=SSP date={saturday} time=10:00-13:00 need=3 title=派米"
    ),
    ScriptLine(
        "coord-mei",
        "/編更 {one_off} @家明 @Bobby @陳嘉欣",
        at=("vol-kaming", "vol-bobby", "vol000"),
    ),
    ScriptLine("coord-mei", "/名單 {one_off}"),
    ScriptLine("vol-bobby", "/shift add site=SSP date=sat time=09:00-12:00 need=2"),
    ScriptLine("coord-mei", "/更表 {saturday}"),
    ScriptLine("coord-mei", "/shift publish {saturday}"),
)
DEMO_TEMPLATE_ID = "dingshift-demo-card.schema"
# (speaker, shift placeholder, action): the taps the lifecycle scene plays once the cards are out.
TAPS = (("vol-kaming", "first", "confirm"), ("vol-bobby", "one_off", "decline"))


def demo_saturday(today: date) -> date:
    """The Saturday 7 to 13 days ahead. Its T−48 h step is still to come, and the template's
    rolling horizon (``today`` + 4 weeks − 1 day) holds three of its Saturdays whatever weekday
    the demo starts on, so the transcript has the same shape (and shift ids) every day."""
    soonest = today + timedelta(days=7)
    return soonest + timedelta(days=(5 - soonest.weekday()) % 7)


async def _shift_ids(app: BotApp, saturday: date) -> dict[str, object]:
    async with app.sessions() as session:
        summaries = await shifts_between(session=session, first_day=saturday, last_day=saturday)
    ids: dict[str, object] = {"saturday": saturday}
    for summary in summaries:
        ids["first" if summary.shift.template_id else "one_off"] = summary.shift.id
    return ids


def _seed_volunteer_commands() -> list[tuple[str, str, str]]:
    """(staffId, nickname, /join text) for the organisation's existing volunteers."""
    seeded = []
    for index in range(VOLUNTEER_COUNT):
        surname = _SURNAMES[(index // len(_GIVEN)) % len(_SURNAMES)]
        nick = f"{surname}{_GIVEN[index % len(_GIVEN)]}"  # unique while 36 <= 12 x surnames
        command = (
            f"/join district={_DISTRICTS[index % len(_DISTRICTS)]}"
            f" lang={_LANGUAGES[index % len(_LANGUAGES)]}"
            f" avail={_AVAILABILITY[index % len(_AVAILABILITY)]}"
        )
        seeded.append((f"vol{index:03d}", nick, command))
    return seeded


def _plain(markdown: str) -> str:
    """Markdown as a terminal shows it best: no emphasis marks, indented continuation lines."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", markdown).replace("`", "")
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines()).strip()


def _transcript_line(group_title: str, nick: str, text: str) -> str:
    shown = text if text else "(@DingShift)"
    return f"[{group_title}] {nick}: {shown}"


def _bot_lines(replies: list[SentMessage], nicks: dict[str, str]) -> list[str]:
    lines = []
    for reply in replies:
        mentions = [f"@{nicks.get(staff_id, staff_id)}" for staff_id in reply.at_user_ids]
        addressed = " → " + " ".join(mentions) if mentions else ""
        body = re.sub(r"^(@\S+\s*)+", "", reply.text).strip()
        lines.append(f"  DingShift{addressed}:\n    {_plain(body)}")
    return lines


def _print_new_messages(sandbox: Sandbox, seen: int) -> int:
    """Print the group messages the bot sent on its own since ``seen``; returns the new count."""
    sent = sandbox.sent_messages()
    for message in sent[seen:]:
        if message.via == "group_send":
            print(f"  DingShift (group message):\n    {_plain(message.text)}\n")  # noqa: T201
    return len(sent)


def _print_card(
    sandbox: Sandbox, card_id: str, nicks: dict[str, str], *, installation: str
) -> None:
    card = sandbox.card(card_id)
    if card is None:
        return
    people = [staff_id for space, staff_id in card.spaces if space == "IM_ROBOT"]
    if people:
        names = ", ".join(nicks.get(staff_id, staff_id) for staff_id in people)
        heading = f"DingShift → {names} (private card)"
    else:
        mentions = " ".join(f"@{nicks.get(staff_id, staff_id)}" for staff_id in card.at_user_ids)
        # Shown without the installation's tag, which is new in every run.
        shown_id = card_id.replace(f"-{installation}-", "-", 1)
        heading = f"DingShift card {shown_id} {mentions}"
    buttons = " ".join(f"[{button['label']}]" for button in json.loads(card.public["buttons"]))
    print(  # noqa: T201
        f"  {heading}:\n    {card.public['title']}\n"
        f"    {_plain(card.public['body'])}\n    {card.public['status']}   {buttons}\n"
    )


def _print_new_private_cards(
    sandbox: Sandbox, shown: set[str], nicks: dict[str, str], *, installation: str
) -> None:
    """Print the cards delivered into people's chats with the robot that ``shown`` lacks."""
    for card_id, card in sandbox.cards.items():
        private = any(space == "IM_ROBOT" for space, _ in card.spaces)
        if private and card_id not in shown:
            shown.add(card_id)
            _print_card(sandbox, card_id, nicks, installation=installation)


def _shift_id(ids: dict[str, object], name: str) -> int:
    shift_id = ids[name]
    assert isinstance(shift_id, int)
    return shift_id


async def _lifecycle_scene(
    app: BotApp,
    sandbox: Sandbox,
    clock: ManualClock,
    *,
    nicks: dict[str, str],
    ids: dict[str, object],
    saturday: date,
) -> None:
    """Publishing's consequences, with the clock moved to each step's moment."""
    starts = datetime.combine(saturday, time(9), tzinfo=app.settings.org.zone)
    seen = len(sandbox.sent_messages())
    shown = set(sandbox.cards)
    scenes = (
        ("The due-work job runs (every minute)", clock.now()),
        ("⏩ 47 hours before the shifts: confirm cards", starts - timedelta(hours=47)),
        (
            "⏩ 35 hours before: nudges for those who have not answered",
            starts - timedelta(hours=35),
        ),
        ("⏩ 23 hours before: reminders for the confirmed", starts - timedelta(hours=23)),
    )
    for title, moment in scenes:
        print(f"{title}  [{moment.astimezone(app.settings.org.zone):%a %m-%d %H:%M}]\n")  # noqa: T201
        clock.set(moment)
        await app.run_due_work()
        await app.wait_until_outbox_empty()
        seen = _print_new_messages(sandbox, seen)
        _print_new_private_cards(sandbox, shown, nicks, installation=app.installation_tag)
        if title.startswith("⏩ 47"):
            for shift in ("first", "one_off"):
                _print_card(
                    sandbox,
                    app.card_on_wire(out_track_id("confirm", _shift_id(ids, shift))),
                    nicks,
                    installation=app.installation_tag,
                )
            for staff_id, shift, action in TAPS:
                card_id = app.card_on_wire(out_track_id("confirm", _shift_id(ids, shift)))
                tap = sandbox.tap_card(
                    staff_id, card_id, {"action": action, "shift_id": ids[shift]}
                )
                await sandbox.wait_for_ack(tap)
                view = sandbox.card_view(card_id, staff_id)
                print(  # noqa: T201
                    f"  [{nicks[staff_id]} taps {action} on #{ids[shift]}] card now shows"
                    f" {view['status']}; {nicks[staff_id]} sees: {view['my_status']}\n"
                )
            await app.wait_until_outbox_empty()
            _print_new_private_cards(sandbox, shown, nicks, installation=app.installation_tag)


async def _play(
    sandbox: Sandbox, *, keep_running: bool, data_dir: Path, start: datetime | None
) -> int:
    from core.settings import load_settings

    settings = load_settings(
        None,
        database={"url": f"sqlite+aiosqlite:///{data_dir / 'demo.db'}"},
        dingtalk={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "card_template_id": DEMO_TEMPLATE_ID,
        },
        org={"admins": ["coord-mei"]},
        demo_mode=True,
    )
    sandbox.register_card_template_file(DEMO_TEMPLATE_ID, SHIPPED_CARD_TEMPLATE)
    seeded = _seed_volunteer_commands()
    nicks = {staff_id: nick for staff_id, nick, _ in seeded}
    nicks |= {"coord-mei": "美姐 (統籌)", "vol-kaming": "家明", "vol-bobby": "Bobby"}
    for staff_id, nick in nicks.items():
        sandbox.add_user(nick=nick, staff_id=staff_id)
    guest = sandbox.add_user(nick="Visitor 訪客", staff_id=None)
    groups = [
        sandbox.add_group(title=title, members=[*list(nicks)[index::3], "coord-mei"])
        for index, title in enumerate(SITE_GROUPS)
    ]
    main_group = groups[0]
    sandbox.add_members(main_group.conversation_id, ["vol-kaming", "vol-bobby", guest])

    from bot.app import BotApp

    # The demo's own clock: the lifecycle scene moves it to the moments cards and reminders go out.
    started = start or SystemClock().now()
    clock = ManualClock(started)
    app = BotApp(settings, clock=clock)
    await app.start()
    try:
        await app.wait_until_connected()
        # One at a time: volunteer ids follow the seeding order, and ties in who is asked to
        # cover a vacancy are broken by id, so every run offers the same people.
        for index, (staff_id, _nick, command) in enumerate(seeded):
            sandbox.post_message(groups[index % 3].conversation_id, staff_id, command)
            await sandbox.wait_for_messages(index + 1, timeout=10)

        print(f"DingShift demo — local DingTalk sandbox at {sandbox.base_url}")  # noqa: T201
        print(f"{len(seeded)} volunteers registered in {len(groups)} site groups.\n")  # noqa: T201
        cid = main_group.conversation_id
        saturday = demo_saturday(clock.now().astimezone(settings.org.zone).date())
        for line in SCRIPT:
            before = len(sandbox.sent_messages(cid))
            speaker = guest if line.speaker == "guest" else line.speaker
            speaker_nick = guest.nick if line.speaker == "guest" else nicks[line.speaker]
            typed = line.text.format(**await _shift_ids(app, saturday))
            print(_transcript_line(main_group.title, speaker_nick, typed))  # noqa: T201
            sandbox.post_message(cid, speaker, typed, at=line.at)
            replies = (await sandbox.wait_for_messages(before + 1, cid, timeout=10))[before:]
            print("\n".join(_bot_lines(replies, nicks)) + "\n")  # noqa: T201
        await _lifecycle_scene(
            app,
            sandbox,
            clock,
            nicks=nicks,
            ids=await _shift_ids(app, saturday),
            saturday=saturday,
        )
        await app.wait_until_outbox_empty()
        zone = settings.org.zone
        months = sorted({month_of(started, zone), month_of(clock.now(), zone)})
        usages = [await app.usage_in(month) for month in months]
        print(  # noqa: T201
            f"The bot's own count for {' + '.join(months)}:"
            f" {sum(usage.stream_deliveries for usage in usages)} stream deliveries,"
            f" {sum(usage.metered_api_calls for usage in usages)} metered API calls,"
            f" {sum(usage.session_replies for usage in usages)} replies through session webhooks."
        )
        if keep_running:
            print(  # noqa: T201
                f"Sandbox running at {sandbox.base_url}; the bot stays connected. Ctrl-C stops."
            )
            await asyncio.Event().wait()
    finally:
        await app.stop()
    return 0


async def run_demo(*, keep_running: bool = False, start: datetime | None = None) -> int:
    """``start``: the demo clock's first moment (default: now); the story is laid out from it."""
    sandbox = Sandbox(
        client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET, ping_interval=20.0
    )
    sandbox.start()
    # Before the SDK's first import: it reads the endpoint once, then never again.
    os.environ["DINGTALK_OPENAPI_ENDPOINT"] = sandbox.base_url
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    try:
        with tempfile.TemporaryDirectory(prefix="dingshift-demo-") as data_dir:
            return await _play(
                sandbox, keep_running=keep_running, data_dir=Path(data_dir), start=start
            )
    finally:
        sandbox.stop()
