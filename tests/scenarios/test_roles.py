"""``/role grant|revoke|list`` and the permission refusals, in-process.

The same through the SDK and the sandbox: tests/e2e/test_roles.py and test_permissions.py (the
whole matrix).
"""

from __future__ import annotations

import pytest

from core.messages import Phrase, text
from planner.permissions import PERMISSIONS, Role, least_role
from storage.models import Assignment, RoleGrant, Shift, ShiftTemplate, Site, Volunteer
from tests.scenario import COORDINATOR, Scenario, assert_nothing_changed, day_ahead


async def _grants(scenario: Scenario) -> dict[str, tuple[str, list[str]]]:
    return {row.staff_id: (row.role, row.regions) for row in await scenario.rows(RoleGrant)}


async def test_grant_list_and_revoke_roles(scenario: Scenario) -> None:
    amy = await scenario.join("u-amy", "Amy 陳")
    ben = scenario.person("u-ben", "Ben")

    [granted] = await scenario.say("/role grant @Amy 陳 coordinator", at=[amy])
    # Now a coordinator, Amy grants in Chinese; Ben is staff, not a volunteer: shown by staffId.
    [scheduler] = await scenario.say("/權限 授予 @Ben 排班主管", as_=amy, at=[ben])
    [changed] = await scenario.say("/role grant @Ben 協調員 region=深水埗,kt", as_=amy, at=[ben])

    assert "Amy 陳 而家係統籌。" in granted
    assert "u-ben 而家係排班主管。" in scheduler
    assert "u-ben 由排班主管改為地區協調員。" in changed
    assert "可以睇嘅地區：深水埗、觀塘" in changed
    assert await _grants(scenario) == {
        amy: ("coordinator", []),
        ben: ("viewer", ["sham-shui-po", "kwun-tong"]),
    }

    [listing] = await scenario.say("/權限", as_=amy)
    lines = listing.splitlines()
    assert lines[lines.index("**權限**") :][:5] == [
        "**權限**",
        f"- 管理員：{COORDINATOR}",
        "- 統籌：Amy 陳",
        "- 排班主管：（冇）",
        "- 地區協調員：u-ben（深水埗、觀塘）",
    ]

    [revoked] = await scenario.say("/role revoke @Ben", at=[ben])
    [refused] = await scenario.say("/role list", as_=ben)
    [own] = await scenario.say("/role revoke @Amy 陳", as_=amy, at=[amy])
    [again] = await scenario.say("/role revoke @Amy 陳", at=[amy])

    assert "已撤銷 u-ben 嘅地區協調員權限" in revoked
    assert "/role list 只限統籌或以上使用。" in refused
    assert "/role list is for coordinators and above." in refused
    assert "已撤銷 Amy 陳 嘅統籌權限" in own
    assert "你撤銷咗自己嘅權限" in own
    assert "Amy 陳 冇獲授任何權限" in again
    assert await _grants(scenario) == {}


async def test_bad_role_commands_explain_in_both_languages_and_change_nothing(
    scenario: Scenario,
) -> None:
    amy = scenario.person("u-amy", "Amy")
    ben = scenario.person("u-ben", "Ben")
    posts: list[tuple[str, list[str]]] = [
        ("/role grant Amy coordinator", []),
        ("/role grant @Amy @Ben coordinator", [amy, ben]),
        ("/role grant @Amy boss", [amy]),
        ("/role grant @Amy coordinator region=ssp", [amy]),
        ("/role grant @Amy viewer region=mars", [amy]),
        ("/權限 授予 @Amy 管理員", [amy]),
        ("/role revoke @美姐", [COORDINATOR]),
        ("/role grnat @Amy viewer", [amy]),
    ]
    replies = [reply for post, at in posts for reply in await scenario.say(post, at=at)]

    assert len(replies) == len(posts)
    assert_nothing_changed(replies)
    no_mention, two, boss, coordinator_region, mars, admin, configured, typo = replies
    assert "請 @ 一位機構成員" in no_mention
    assert "Mention one person at a time (you mentioned 2)." in two
    assert "role=“boss” is not valid" in boss
    assert "region= 只適用於地區協調員（viewer），統籌冇地區限制。" in coordinator_region
    assert "region=“mars” is not valid" in mars
    assert "管理員唔可以喺群組授予" in admin
    assert f"{COORDINATOR} is an admin set in the configuration (org.admins)" in configured
    assert "「grnat」唔係權限指令" in typo
    assert await _grants(scenario) == {}


PERSONAS = {Role.SCHEDULER: "u-sched", Role.VIEWER: "u-viewer", Role.VOLUNTEER: "u-vol"}
# A message for each command that would change the roster if it ran.
CHANGES = {
    "site add": "/site add PMY 測試站 district=kt",
    "template add": "/template add 測試 site=SSP every=sat time=09:00-12:00 need=2",
    "template edit": "/template edit 1 need=3",
    "template remove": "/template remove 1",
    "shift add": f"/shift add site=SSP date={day_ahead(10)} time=09:00-12:00 need=2",
    "shift edit": "/shift edit 1 need=3",
    "shift cancel": "/shift cancel 1",
    "shift publish": "/shift publish",
    "assign": "/assign 1 @Target",
    "unassign": "/unassign 1 @Target",
    "role grant": "/role grant @Target coordinator",
    "role revoke": "/role revoke @Target",
}
REFUSED = [
    (role, command) for command in CHANGES for role in PERSONAS if role not in PERMISSIONS[command]
]


async def _roster(scenario: Scenario) -> list[object]:
    """Everything a refused command could have changed."""
    models = (Site, ShiftTemplate, Shift, Assignment, RoleGrant, Volunteer)
    return [sorted(map(repr, await scenario.rows(model))) for model in models]


@pytest.mark.parametrize(("role", "command"), REFUSED)
async def test_a_command_above_ones_role_is_refused_and_changes_nothing(
    ssp: Scenario, role: Role, command: str
) -> None:
    staff_id = PERSONAS[role]
    target = await ssp.join("u-target", "Target")
    if role is Role.VOLUNTEER:
        await ssp.join(staff_id, "Persona")
    else:
        ssp.person(staff_id, "Persona")
        await ssp.grant(staff_id, role.value)
    [template] = await ssp.say("/template add Sat site=SSP every=sat time=09:00-12:00 need=2")
    [assigned] = await ssp.say("/assign 1 @Target", at=[target])
    assert "✅" in template
    assert "✅" in assigned
    before = await _roster(ssp)

    [reply] = await ssp.say(CHANGES[command], as_=staff_id, at=[target])

    missing = Phrase(f"role.{least_role(command)}")
    assert text("error.not_allowed", "zh-HK", command=f"/{command}", role=missing) in reply
    assert text("error.not_allowed", "en", command=f"/{command}", role=missing) in reply
    assert await _roster(ssp) == before
