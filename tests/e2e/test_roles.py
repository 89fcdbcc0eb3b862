"""``/role grant|revoke|list`` through the real SDK and the sandbox.

As in DingTalk, the text of a message keeps the ``@nickname`` of each person it mentions (only the
bot's own mention is stripped); who is meant comes from the message's ``atUsers``.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.app import BotApp
from core.settings import Settings
from sandbox import Sandbox
from storage.models import RoleGrant

ADMIN = "u-boss"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    org = settings.org.model_copy(update={"admins": [ADMIN]})
    return settings.model_copy(update={"org": org})


async def _grants(app: BotApp) -> dict[str, tuple[str, list[str]]]:
    async with app.sessions() as session:
        rows = (await session.exec(select(RoleGrant))).all()
    return {row.staff_id: (row.role, row.regions) for row in rows}


async def test_grant_list_and_revoke_roles(sb: Sandbox, bot: BotApp) -> None:
    sb.add_user(nick="Boss", staff_id=ADMIN)
    sb.add_user(nick="Amy 陳", staff_id="u-amy")
    sb.add_user(nick="Ben", staff_id="u-ben")
    cid = sb.add_group(title="Office", members=[ADMIN, "u-amy", "u-ben"]).conversation_id

    sb.post_message(cid, "u-amy", "/join district=ssp lang=yue")
    await sb.wait_for_messages(1, cid)
    sb.post_message(cid, ADMIN, "/role grant @Amy 陳 coordinator", at=["u-amy"])
    [granted] = (await sb.wait_for_messages(2, cid))[1:]
    assert "Amy 陳 而家係統籌。" in granted.text  # registered: shown by nickname

    # Now a coordinator, Amy grants in Chinese; Ben is staff, not a volunteer: shown by staffId.
    sb.post_message(cid, "u-amy", "/權限 授予 @Ben 排班主管", at=["u-ben"])
    sb_reply = (await sb.wait_for_messages(3, cid))[2]
    assert "u-ben 而家係排班主管。" in sb_reply.text
    sb.post_message(cid, "u-amy", "/role grant @Ben 協調員 region=深水埗,kt", at=["u-ben"])
    changed = (await sb.wait_for_messages(4, cid))[3]
    assert "u-ben 由排班主管改為地區協調員。" in changed.text
    assert "可以睇嘅地區：深水埗、觀塘" in changed.text
    assert await _grants(bot) == {
        "u-amy": ("coordinator", []),
        "u-ben": ("viewer", ["sham-shui-po", "kwun-tong"]),
    }

    sb.post_message(cid, "u-amy", "/權限")
    listing = (await sb.wait_for_messages(5, cid))[4]
    lines = listing.text.splitlines()
    assert lines[lines.index("**權限**") :][:5] == [
        "**權限**",
        "- 管理員：u-boss",
        "- 統籌：Amy 陳",
        "- 排班主管：（冇）",
        "- 地區協調員：u-ben（深水埗、觀塘）",
    ]

    sb.post_message(cid, ADMIN, "/role revoke @Ben", at=["u-ben"])
    revoked = (await sb.wait_for_messages(6, cid))[5]
    assert "已撤銷 u-ben 嘅地區協調員權限" in revoked.text
    sb.post_message(cid, "u-ben", "/role list")
    refused = (await sb.wait_for_messages(7, cid))[6]
    assert "/role list 只限統籌或以上使用。" in refused.text
    assert "/role list is for coordinators and above." in refused.text

    # Revoking oneself is allowed, and the reply says what it means.
    sb.post_message(cid, "u-amy", "/role revoke @Amy 陳", at=["u-amy"])
    own = (await sb.wait_for_messages(8, cid))[7]
    assert "已撤銷 Amy 陳 嘅統籌權限" in own.text
    assert "你撤銷咗自己嘅權限" in own.text
    sb.post_message(cid, ADMIN, "/role revoke @Amy 陳", at=["u-amy"])
    again = (await sb.wait_for_messages(9, cid))[8]
    assert "Amy 陳 冇獲授任何權限" in again.text
    assert await _grants(bot) == {}


async def test_a_regional_viewer_sees_the_region_in_words(sb: Sandbox, bot: BotApp) -> None:
    sb.add_user(nick="Boss", staff_id=ADMIN)
    sb.add_user(nick="Vic", staff_id="u-vic")
    cid = sb.add_group(title="Office", members=[ADMIN, "u-vic"]).conversation_id

    sb.post_message(cid, ADMIN, "/role grant @Vic viewer region=ssp", at=["u-vic"])
    [reply] = await sb.wait_for_messages(1, cid)
    assert "u-vic 而家係地區協調員。" in reply.text
    assert "可以睇嘅地區：深水埗" in reply.text
    assert await _grants(bot) == {"u-vic": ("viewer", ["sham-shui-po"])}

    sb.post_message(cid, ADMIN, "/role list")
    listing = (await sb.wait_for_messages(2, cid))[1]
    assert "- 地區協調員：u-vic（深水埗）" in listing.text


async def test_bad_role_commands_explain_in_both_languages_and_change_nothing(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="Boss", staff_id=ADMIN)
    sb.add_user(nick="Amy", staff_id="u-amy")
    sb.add_user(nick="Ben", staff_id="u-ben")
    cid = sb.add_group(title="Office", members=[ADMIN, "u-amy", "u-ben"]).conversation_id
    posts: list[tuple[str, tuple[str, ...]]] = [
        ("/role grant Amy coordinator", ()),
        ("/role grant @Amy @Ben coordinator", ("u-amy", "u-ben")),
        ("/role grant @Amy boss", ("u-amy",)),
        ("/role grant @Amy", ("u-amy",)),
        ("/role grant @Amy coordinator region=ssp", ("u-amy",)),
        ("/role grant @Amy viewer region=mars", ("u-amy",)),
        ("/role grant @Amy admin", ("u-amy",)),
        ("/權限 授予 @Amy 管理員", ("u-amy",)),
        ("/role grant @Boss scheduler", (ADMIN,)),
        ("/role revoke @Boss", (ADMIN,)),
        ("/role revoke", ()),
        ("/role grnat @Amy viewer", ("u-amy",)),
    ]
    for text, at in posts:
        sb.post_message(cid, ADMIN, text, at=at)
    replies = await sb.wait_for_messages(len(posts), cid, timeout=10)

    for reply in replies:
        assert "乜都冇改到" in reply.text
        assert "Nothing was changed" in reply.text
    joined = "\n".join(reply.text for reply in replies)
    assert joined.count("請 @ 一位機構成員") == 2
    assert "Please @-mention one member of the organisation" in joined
    assert "一次只可以 @ 一個人（你 @ 咗 2 個）。" in joined
    assert "Mention one person at a time (you mentioned 2)." in joined
    assert "role=「boss」唔啱" in joined
    assert "role=“boss” is not valid" in joined
    assert "Which role? Accepted:" in joined
    assert "region= 只適用於地區協調員（viewer），統籌冇地區限制。" in joined
    assert "region=“mars” is not valid" in joined
    assert joined.count("管理員唔可以喺群組授予") == 2
    assert "Admin cannot be granted in the chat" in joined
    assert joined.count("u-boss 係設定檔（org.admins）指定嘅管理員") == 2
    assert "u-boss is an admin set in the configuration (org.admins)" in joined
    assert "「grnat」唔係權限指令" in joined
    assert "用法：/role grant @user coordinator|scheduler|viewer" in joined
    assert "用法：/role revoke @user" in joined
    assert await _grants(bot) == {}


async def test_the_same_change_twice_at_once_is_answered_twice_and_applied_once(
    sb: Sandbox, bot: BotApp
) -> None:
    sb.add_user(nick="Boss", staff_id=ADMIN)
    sb.add_user(nick="Amy", staff_id="u-amy")
    groups = [
        sb.add_group(title=f"Office {n}", members=[ADMIN, "u-amy"]).conversation_id
        for n in range(4)
    ]
    for cid in groups:
        sb.post_message(cid, ADMIN, "/role grant @Amy scheduler", at=["u-amy"])
    await sb.wait_until(lambda: all(sb.sent_messages(cid) for cid in groups))
    for cid in groups:
        assert "u-amy 而家係排班主管。" in sb.sent_messages(cid)[0].text
    assert await _grants(bot) == {"u-amy": ("scheduler", [])}

    for cid in groups:
        sb.post_message(cid, ADMIN, "/role revoke @Amy", at=["u-amy"])
    await sb.wait_until(lambda: all(len(sb.sent_messages(cid)) == 2 for cid in groups))
    answers = sorted(sb.sent_messages(cid)[1].text for cid in groups)
    assert sum("已撤銷 u-amy 嘅排班主管權限" in answer for answer in answers) == 1
    assert sum("u-amy 冇獲授任何權限" in answer for answer in answers) == 3
    assert await _grants(bot) == {}
