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
from pathlib import Path

from sandbox import Sandbox, SentMessage

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
)


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
    from bot.app import BotApp
    from bot.settings import load_settings

    settings = load_settings(
        None,
        dingtalk={"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
        database={"url": f"sqlite+aiosqlite:///{data_dir / 'demo.db'}"},
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
        for line in SCRIPT:
            before = len(sandbox.sent_messages(cid))
            speaker = guest if line.speaker == "guest" else line.speaker
            speaker_nick = guest.nick if line.speaker == "guest" else nicks[line.speaker]
            print(_transcript_line(main_group.title, speaker_nick, line.text))  # noqa: T201
            sandbox.post_message(cid, speaker, line.text)
            replies = (await sandbox.wait_for_messages(before + 1, cid, timeout=10))[before:]
            print("\n".join(_bot_lines(replies, nicks)) + "\n")  # noqa: T201
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
