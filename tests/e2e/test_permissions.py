"""The permission matrix: every command x every role, through the real SDK and the sandbox.

One bot, one test function: each (role, command) cell gets a sandbox group of its own, so that the
one reply in it is that cell's answer. The refused cells go first, all at once, against a database
seeded so that each refused command would change something if it ran; the database must be exactly
as before. Then the allowed cells go, and none of them may get the refusal, the internal-error
answer or the unknown-command answer (a usage error for the minimal arguments is fine: the
permission check comes first).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import Table
from sqlmodel import SQLModel

from bot.app import BotApp
from core.messages import LANGUAGES, Phrase, text
from core.settings import Settings
from handlers.registry import ALL_COMMANDS
from planner.permissions import PERMISSIONS, Role, least_role
from sandbox import Sandbox
from storage.models import (
    Assignment,
    RoleGrant,
    Shift,
    ShiftTemplate,
    Site,
    Volunteer,
)

ADMIN = "u-admin"
PERSONAS: Mapping[Role, str] = {
    Role.ADMIN: ADMIN,
    Role.COORDINATOR: "u-coord",
    Role.SCHEDULER: "u-sched",
    Role.VIEWER: "u-viewer",
    Role.VOLUNTEER: "u-vol",
}
TARGET = "u-target"
"""The person commands act on: never one of the personas, so that no cell changes a role."""
REPLY_TIMEOUT = 15.0
BOOKKEEPING = {"inbox_message", "processed_event", "outbox_message", "monthly_usage"}

# A message that exercises each command: for the refused roles, one that would change the seeded
# data if it ran. A command without an entry is posted bare (``/<name>``).
EXAMPLES: Mapping[str, str] = {
    "help": "/help",
    "join": "/join district=ssp lang=yue",
    "me": "/me",
    "avail": "/avail sat-am",
    "site add": "/site add PMY 測試站 district=kt",
    "site list": "/site list",
    "template add": "/template add 測試 site=PMX every=sat time=09:00-12:00 need=2",
    "template edit": "/template edit 1 need=3",
    "template remove": "/template remove 1",
    "template list": "/template list",
    "shift add": "/shift add site=PMX date=2030-01-05 time=09:00-12:00 need=2",
    "shift edit": "/shift edit 1 need=3",
    "shift cancel": "/shift cancel 1",
    "shift list": "/shift list",
    "assign": "/assign 1 @Target",
    "unassign": "/unassign 1 @Target",
    "roster": "/roster 1",
    "role grant": "/role grant @Target coordinator",
    "role revoke": "/role revoke @Target",
    "role list": "/role list",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    org = settings.org.model_copy(update={"admins": [ADMIN]})
    return settings.model_copy(update={"org": org})


def _registered() -> dict[str, frozenset[Role]]:
    """Every registered command with the roles allowed it (none if the table lacks it)."""
    return {spec.name: PERMISSIONS.get(spec.name, frozenset()) for spec in ALL_COMMANDS}


def _refusal(command: str) -> tuple[str, str]:
    role = Phrase(f"role.{least_role(command)}")
    return (
        text("error.not_allowed", "zh-HK", command=f"/{command}", role=role),
        text("error.not_allowed", "en", command=f"/{command}", role=role),
    )


def _failures() -> list[str]:
    """What a reply says when the command never ran: a crash, or a name the bot did not know.

    The unknown-command sentence names the command, so only its fixed opening is matched.
    """
    failures = []
    for language in LANGUAGES:
        failures.append(text("error.internal", language))
        opening, _, _ = text("error.unknown_command", language, command="\0").partition("\0")
        failures.append(opening)
    return failures


async def _seed(app: BotApp) -> None:
    """The personas' grants, and something for every command to change."""
    now = app.clock.now()
    async with app.sessions.begin() as session:
        for role, staff_id in PERSONAS.items():
            if role in (Role.COORDINATOR, Role.SCHEDULER, Role.VIEWER):
                session.add(
                    RoleGrant(staff_id=staff_id, role=role, granted_by=ADMIN, granted_at=now)
                )
        session.add(
            RoleGrant(staff_id=TARGET, role=Role.SCHEDULER, granted_by=ADMIN, granted_at=now)
        )
        site = Site(
            code="PMX",
            name="Permissions",
            district="sham-shui-po",
            created_by=ADMIN,
            created_at=now,
        )
        session.add(site)
        target = Volunteer(
            staff_id=TARGET,
            nickname="Target",
            districts=["sham-shui-po"],
            languages=["yue"],
            registered_at=now,
            updated_at=now,
        )
        session.add(target)
        await session.flush()
        assert site.id is not None
        assert target.id is not None
        day = now.date() + timedelta(days=10)
        session.add(
            ShiftTemplate(
                site_id=site.id,
                name="Sat",
                rule="sat",
                anchor_date=day,
                start_time=time(9),
                end_time=time(12),
                headcount=2,
                created_by=ADMIN,
                created_at=now,
                updated_at=now,
            )
        )
        starts = datetime.combine(day, time(1), tzinfo=UTC)
        shift = Shift(
            site_id=site.id,
            occurs_on=day,
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            headcount=2,
            created_by=ADMIN,
            created_at=now,
            updated_at=now,
        )
        session.add(shift)
        await session.flush()
        assert shift.id is not None
        session.add(
            Assignment(
                shift_id=shift.id,
                volunteer_id=target.id,
                assigned_by=ADMIN,
                created_at=now,
                updated_at=now,
            )
        )


async def _snapshot(app: BotApp) -> dict[str, list[tuple[object, ...]]]:
    tables: list[Table] = [
        table for table in SQLModel.metadata.sorted_tables if table.name not in BOOKKEEPING
    ]
    async with app.engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(row) for row in await connection.execute(table.select())), key=repr
            )
            for table in tables
        }


async def _post_cells(sb: Sandbox, cells: list[tuple[Role, str]]) -> dict[tuple[Role, str], str]:
    """Posts every cell's message in a group of its own; returns each cell's one reply."""
    groups: dict[tuple[Role, str], str] = {}
    for role, command in cells:
        sender = PERSONAS[role]
        group = sb.add_group(title=f"{role} /{command}", members=[sender, TARGET])
        groups[role, command] = group.conversation_id
    for (role, command), cid in groups.items():
        message = EXAMPLES.get(command, f"/{command}")
        at = [TARGET] if "@Target" in message else []
        sb.post_message(cid, PERSONAS[role], message, at=at)
    await sb.wait_until(
        lambda: all(sb.sent_messages(cid) for cid in groups.values()), timeout=REPLY_TIMEOUT
    )
    replies = {}
    for cell, cid in groups.items():
        [reply] = sb.sent_messages(cid)
        replies[cell] = reply.text
    return replies


async def test_every_role_gets_exactly_the_commands_the_permission_table_gives_it(
    sb: Sandbox, bot: BotApp
) -> None:
    for staff_id in (*PERSONAS.values(), TARGET):
        sb.add_user(nick=staff_id.removeprefix("u-").title(), staff_id=staff_id)
    await _seed(bot)
    matrix = _registered()
    refused = [
        (role, name) for name, allowed in matrix.items() for role in Role if role not in allowed
    ]
    allowed = [(role, name) for name, roles in matrix.items() for role in Role if role in roles]

    before = await _snapshot(bot)
    replies = await _post_cells(sb, refused)
    wrong = []
    for (role, command), reply in replies.items():
        zh, en = _refusal(command)
        if zh not in reply or en not in reply:
            wrong.append(f"{role} /{command} was not refused: {reply!r}")
    assert not wrong, "\n".join(wrong)
    assert await _snapshot(bot) == before, "a refused command changed the database"

    replies = await _post_cells(sb, allowed)
    wrong = []
    for (role, command), reply in replies.items():
        zh, en = _refusal(command)
        if zh in reply or en in reply:
            wrong.append(f"{role} /{command} was refused: {reply!r}")
        elif any(failure in reply for failure in _failures()):
            wrong.append(f"{role} /{command} failed instead of running: {reply!r}")
    assert not wrong, "\n".join(wrong)


def test_the_permission_table_and_the_registry_name_the_same_commands() -> None:
    registered = {spec.name for spec in ALL_COMMANDS}
    unlisted = sorted(registered - set(PERMISSIONS))
    unregistered = sorted(set(PERMISSIONS) - registered)
    assert not unlisted, f"registered but not in planner.permissions.PERMISSIONS: {unlisted}"
    assert not unregistered, f"in PERMISSIONS but not in handlers.registry: {unregistered}"
