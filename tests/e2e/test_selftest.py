"""``dingshift selftest`` against the sandbox, through the real SDK: an admin who taps the test
card, and the mistakes a first run meets (wrong secret, wrong robot code, no tap, ...)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.selftest import run_selftest
from core.cards import SHIPPED_CARD_TEMPLATE
from core.settings import Settings, load_settings
from sandbox import Group, Sandbox

ADMIN = "u-admin"
TEMPLATE_ID = "selftest-template.schema"


@pytest.fixture
def group(sb: Sandbox) -> Group:
    """A site's group with the admin in it, and the shipped card template published."""
    sb.register_card_template_file(TEMPLATE_ID, SHIPPED_CARD_TEMPLATE)
    sb.add_user(nick="管理員", staff_id=ADMIN)
    return sb.add_group(title="深水埗", members=[ADMIN])


def selftest_settings(sb: Sandbox, **dingtalk: Any) -> Settings:
    return load_settings(
        None,
        dingtalk={
            "client_id": sb.client_id,
            "client_secret": sb.client_secret,
            "card_template_id": TEMPLATE_ID,
            **dingtalk,
        },
        org={"admins": [ADMIN]},
        demo_mode=True,  # the sandbox's secret is a placeholder
    )


def selftest_card(sb: Sandbox) -> str | None:
    """The test card: under a tag of its own, which no installation's bot takes as its card."""
    return next(
        (
            card_id
            for card_id in sb.cards
            if re.fullmatch(r"ds-[0-9a-f]{8}-selftest-0-\w+", card_id)
        ),
        None,
    )


async def admin_taps_the_card(sb: Sandbox) -> str:
    """What the admin does in DingTalk: waits for the test card, then taps its button."""
    await sb.wait_until(lambda: selftest_card(sb) is not None, timeout=20)
    card_id = selftest_card(sb)
    assert card_id is not None
    sb.tap_card(ADMIN, card_id, {"action": "selftest", "shift_id": "0"})
    return card_id


def step_marks(lines: list[str]) -> list[str]:
    """``✓ token``, ``✗ robot``: each step's mark and name, in order."""
    return [line.split(":")[0] for line in lines if line[:1] in "✓✗"]


async def test_selftest_passes_when_the_admin_taps_the_card(sb: Sandbox, group: Group) -> None:
    lines: list[str] = []
    tapping = asyncio.create_task(admin_taps_the_card(sb))
    code = await run_selftest(
        selftest_settings(sb), group=group.conversation_id, wait_seconds=20, out=lines.append
    )
    card_id = await tapping

    assert code == 0, lines
    assert step_marks(lines) == ["✓ token", "✓ stream", "✓ robot", "✓ group", "✓ card", "✓ tap"]
    assert lines[-1] == "selftest passed: the bot is ready for `dingshift run`"
    assert f"✓ tap: {ADMIN} tapped the test card" in lines[-2]
    # The admin saw a private message, then the card in the group, and the tap answered.
    [hello] = [message for message in sb.sent_messages() if message.via == "oto_send"]
    assert hello.user_ids == (ADMIN,)
    assert "DingShift 自我測試" in hello.text
    card = sb.card(card_id)
    assert card is not None
    assert card.spaces == (("IM_GROUP", group.conversation_id),)
    view = sb.card_view(card_id, ADMIN)
    assert view["my_status"] == "✅ 收到"
    assert view["status"] == "✅ 機械人收到撳掣，卡片運作正常"


async def test_without_group_the_first_group_that_mentions_the_robot_is_tested(
    sb: Sandbox, group: Group
) -> None:
    lines: list[str] = []

    async def admin_mentions_the_robot_then_taps() -> None:
        await sb.wait_until(lambda: any("no --group" in line for line in lines), timeout=20)
        sb.post_message(group.conversation_id, ADMIN, "selftest")
        await admin_taps_the_card(sb)

    acting = asyncio.create_task(admin_mentions_the_robot_then_taps())
    code = await run_selftest(selftest_settings(sb), group=None, wait_seconds=20, out=lines.append)
    await acting

    assert code == 0, lines
    [group_line] = [line for line in lines if line.startswith("✓ group")]
    assert group_line == (
        f"✓ group: '管理員' @-mentioned the robot in '深水埗', so messages reach the bot;"
        f" its openConversationId (for --group) is {group.conversation_id}"
    )


async def failed_selftest(settings: Settings, group: Group, wait_seconds: float = 20) -> list[str]:
    lines: list[str] = []
    code = await run_selftest(
        settings, group=group.conversation_id, wait_seconds=wait_seconds, out=lines.append
    )
    assert code == 1, lines
    return lines


async def test_a_wrong_robot_code_fails_the_robot_step_naming_the_setting(
    sb: Sandbox, group: Group
) -> None:
    lines = await failed_selftest(selftest_settings(sb, robot_code="ding-not-this-robot"), group)
    assert step_marks(lines) == ["✓ token", "✓ stream", "✗ robot"]
    assert lines[-3].startswith("✗ robot: DingTalk 400 invalidParameter.robotCode.notExsit")
    assert lines[-2].startswith("  fix: dingtalk.robot_code must be the robot's code")
    assert lines[-1] == "selftest stopped at robot; fix it and run it again"
    assert sb.sent_messages() == []


async def test_an_admin_dingtalk_does_not_know_fails_the_robot_step(
    sb: Sandbox, group: Group
) -> None:
    settings = selftest_settings(sb)
    settings = settings.model_copy(
        update={"org": settings.org.model_copy(update={"admins": ["13800000000"]})}
    )
    lines = await failed_selftest(settings, group)
    assert step_marks(lines) == ["✓ token", "✓ stream", "✗ robot"]
    assert lines[-3] == "✗ robot: DingTalk knows no 13800000000 (from org.admins)"
    assert "not phone numbers" in lines[-2]


async def test_a_missing_card_template_fails_the_card_step(sb: Sandbox, group: Group) -> None:
    lines = await failed_selftest(selftest_settings(sb, card_template_id=""), group)
    assert step_marks(lines)[-1] == "✗ card"
    assert lines[-3] == "✗ card: dingtalk.card_template_id is empty"
    assert "§7" in lines[-2]


async def test_a_wrong_group_fails_the_card_step(sb: Sandbox, group: Group) -> None:
    lines: list[str] = []
    code = await run_selftest(
        selftest_settings(sb), group="cidNOTAGROUP", wait_seconds=20, out=lines.append
    )
    assert code == 1
    assert step_marks(lines)[-1] == "✗ card"
    assert "param.openSpaceIdInvalid" in lines[-3]
    assert lines[-2].startswith("  fix: --group must be the group's openConversationId")


async def test_a_group_the_card_does_not_reach_fails_the_card_step(
    sb: Sandbox, group: Group
) -> None:
    sb.fail_card_space_next(group.conversation_id)
    lines = await failed_selftest(selftest_settings(sb), group)
    assert step_marks(lines)[-1] == "✗ card"
    assert lines[-3].endswith(f"could not deliver it to {group.conversation_id}")
    assert lines[-2].startswith("  fix: add the robot to the group")


async def test_no_tap_within_the_wait_says_so(sb: Sandbox, group: Group) -> None:
    lines = await failed_selftest(selftest_settings(sb), group, wait_seconds=1)
    assert step_marks(lines) == ["✓ token", "✓ stream", "✓ robot", "✓ group", "✓ card", "✗ tap"]
    assert lines[-3] == "✗ tap: no tap on the test card within 1 s"
    assert "stop every other process with this Client ID" in lines[-2]


def test_a_wrong_client_secret_fails_the_token_step_through_the_command(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[dingtalk]\nclient_id="{sb.client_id}"\nclient_secret="not-the-secret"\n'
        f'card_template_id="{TEMPLATE_ID}"\n[org]\nadmins=["{ADMIN}"]\n'
    )
    code = main(["selftest", "--config", str(config), "--group", "cid-any", "--wait", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[0].startswith(
        "✗ token: DingTalk 400 invalidClientIdOrSecret: 无效的clientId或者clientSecret"
    )
    assert lines[1].startswith("  fix: dingtalk.client_id and the Client Secret")
    assert "DINGSHIFT_DINGTALK__CLIENT_SECRET" in lines[1]
    assert sb.connections_opened == 0
