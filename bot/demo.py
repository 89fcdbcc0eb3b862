"""``dingshift demo``: the bot against the local DingTalk sandbox, printed as a group chat.

Starts the sandbox, points the SDK at it, seeds three sites' group chats and a few dozen
volunteers (who register through the chat like real people), plays a short scripted
conversation and prints it as a transcript.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox import Sandbox, SentMessage
from storage.shifts import shifts_between

if TYPE_CHECKING:
    from bot.app import BotApp

_SURNAMES = ("陳", "李", "張", "黃", "何", "林", "梁", "吳", "劉", "鄭", "麥", "謝")
_GIVEN = ("嘉欣", "志明", "Ada", "Ben", "詠詩", "家豪", "Carmen", "俊傑", "Daisy", "Eric", "美玲",
          "Felix")  # fmt: skip
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
)


def next_saturday(today: date) -> date:
    """The Saturday after today (a week on if today is Saturday), so the demo runs any day."""
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


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
        nick = f"{_SURNAMES[index % len(_SURNAMES)]}{_GIVEN[(index * 5) % len(_GIVEN)]}"
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


async def _play(sandbox: Sandbox, *, keep_running: bool, data_dir: Path) -> int:
    from bot.settings import load_settings

    settings = load_settings(
        None,
        dingtalk={"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
        database={"url": f"sqlite+aiosqlite:///{data_dir / 'demo.db'}"},
        org={"admins": ["coord-mei"]},
        demo_mode=True,
    )
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

    app = BotApp(settings)
    await app.start()
    try:
        await app.wait_until_connected()
        for index, (staff_id, _nick, command) in enumerate(seeded):
            sandbox.post_message(groups[index % 3].conversation_id, staff_id, command)
        await sandbox.wait_until(lambda: len(sandbox.sent_messages()) >= len(seeded), timeout=30)

        print(f"DingShift demo — local DingTalk sandbox at {sandbox.base_url}")  # noqa: T201
        print(f"{len(seeded)} volunteers registered in {len(groups)} site groups.\n")  # noqa: T201
        cid = main_group.conversation_id
        saturday = next_saturday(app.clock.now().astimezone(settings.org.zone).date())
        for line in SCRIPT:
            before = len(sandbox.sent_messages(cid))
            speaker = guest if line.speaker == "guest" else line.speaker
            speaker_nick = guest.nick if line.speaker == "guest" else nicks[line.speaker]
            typed = line.text.format(**await _shift_ids(app, saturday))
            print(_transcript_line(main_group.title, speaker_nick, typed))  # noqa: T201
            sandbox.post_message(cid, speaker, typed, at=line.at)
            replies = (await sandbox.wait_for_messages(before + 1, cid, timeout=10))[before:]
            print("\n".join(_bot_lines(replies, nicks)) + "\n")  # noqa: T201
        await app.wait_until_outbox_empty()
        usage = await app.usage_this_month()
        print(  # noqa: T201
            f"The bot's own count this month: {usage.stream_deliveries} stream deliveries,"
            f" {usage.metered_api_calls} metered API calls, {usage.session_replies} replies"
            " through session webhooks."
        )
        if keep_running:
            print(  # noqa: T201
                f"Sandbox running at {sandbox.base_url}; the bot stays connected. Ctrl-C stops."
            )
            await asyncio.Event().wait()
    finally:
        await app.stop()
    return 0


async def run_demo(*, keep_running: bool = False) -> int:
    sandbox = Sandbox(
        client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET, ping_interval=20.0
    )
    sandbox.start()
    # Before the SDK's first import: it reads the endpoint once, then never again.
    os.environ["DINGTALK_OPENAPI_ENDPOINT"] = sandbox.base_url
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    try:
        with tempfile.TemporaryDirectory(prefix="dingshift-demo-") as data_dir:
            return await _play(sandbox, keep_running=keep_running, data_dir=Path(data_dir))
    finally:
        sandbox.stop()
