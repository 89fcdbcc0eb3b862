"""Who may do what: roles granted in the chat.

- ``/role grant @user coordinator|scheduler|viewer [region=<district,...>]`` (``/權限 授予``):
  give one person one role, replacing the role they had. ``region=`` only for viewers; a viewer
  without it sees every district. The role may be typed in Chinese (統籌, 排班主管, 地區協調員).
- ``/role revoke @user`` (``/權限 撤銷``): take the granted role away; they become a volunteer.
- ``/role list`` (``/權限``, ``/權限 列表``): the admins (from the configuration) and every grant,
  grouped by role.

Admins come only from the configuration (``org.admins``): nobody can be granted admin in the chat,
and a configured admin's role cannot be changed or revoked here. Granted people need not be
registered volunteers (staff often are not): they are shown by nickname when registered, else by
their staffId. Changing one's own role is allowed; the reply says so, since a coordinator who
revokes themself cannot undo it.

In a group the message text keeps the ``@nickname`` of each person mentioned (only the bot's own
mention is stripped), and a nickname may contain spaces: who is meant comes from the message's
mention list, and the words around it are not read as arguments, apart from the role word.
"""

from __future__ import annotations

from core.messages import Language, Phrase, join_list, text
from core.messages.roles import ROLE_NAMES
from core.router import CommandContext, CommandSpec, Reply, UsageError
from planner.permissions import GRANTABLE_ROLES, Role
from planner.registration import InvalidChoice, by_word, district_name, parse_districts
from storage.roles import grant_role, list_grants, revoke_role
from storage.volunteers import find_volunteer

ROLE_WORDS = by_word(
    {
        Role.COORDINATOR: ("coordinator", "統籌", "统筹"),
        Role.SCHEDULER: ("scheduler", "排班主管", "排班"),
        Role.VIEWER: ("viewer", "地區協調員", "協調員", "地区协调员", "协调员"),
        Role.ADMIN: ("admin", "管理員", "管理员"),
    }
)
ROLE_ACCEPTED = "coordinator, scheduler, viewer, 統籌, 排班主管, 地區協調員"
# Nicknames may contain spaces, so an @-mention can span several words.
MAX_MENTION_WORDS = 40


def _is_mention_word(word: str) -> bool:
    return word.startswith("@")


def _the_person(ctx: CommandContext) -> str:
    """The one staffId the message @-mentions."""
    mentioned = list(dict.fromkeys(ctx.message.mentioned_staff_ids))
    if not mentioned:
        raise UsageError("role.no_mention")
    if len(mentioned) > 1:
        raise UsageError("role.many_mentions", count=len(mentioned))
    return mentioned[0]


def _the_role(words: tuple[str, ...]) -> Role:
    """The role word among ``words``; @-mention text around it is skipped."""
    candidates = [word for word in words if not _is_mention_word(word)]
    roles = {ROLE_WORDS[word.casefold()] for word in candidates if word.casefold() in ROLE_WORDS}
    if len(roles) > 1:
        raise UsageError("role.many_roles")
    if roles:
        return roles.pop()
    if not candidates:
        raise UsageError("role.missing_role", accepted=ROLE_ACCEPTED)
    # The role comes last in the usage line; earlier stray words may be part of a nickname.
    raise UsageError(
        "error.invalid_choice", field="role", value=candidates[-1], accepted=ROLE_ACCEPTED
    )


def _regions(ctx: CommandContext, role: Role) -> tuple[str, ...]:
    value = ctx.command.options.get("region")
    if value is None:
        return ()
    if role != Role.VIEWER:
        raise UsageError("role.region_only_viewer", role=Phrase(ROLE_NAMES[role]))
    try:
        return parse_districts(value)
    except InvalidChoice as error:
        raise UsageError(
            "error.invalid_choice", field="region", value=error.value, accepted=error.accepted
        ) from error


def _refuse_admin(ctx: CommandContext, staff_id: str) -> None:
    if staff_id in ctx.settings.org.admins:
        raise UsageError("role.configured_admin", who=staff_id)


async def _display_name(ctx: CommandContext, staff_id: str) -> str:
    volunteer = await find_volunteer(session=ctx.session, staff_id=staff_id)
    return volunteer.nickname if volunteer is not None and volunteer.nickname else staff_id


def _regions_text(regions: list[str] | tuple[str, ...], language: Language) -> str:
    if not regions:
        return text("role.all_regions", language)
    return join_list([district_name(code, language) for code in regions], language)


def _self_note(ctx: CommandContext, staff_id: str, key: str) -> list[str]:
    return [text(key, ctx.language)] if staff_id == ctx.message.sender.staff_id else []


async def handle_grant(ctx: CommandContext) -> list[Reply]:
    staff_id = _the_person(ctx)
    role = _the_role(ctx.command.words)
    if role not in GRANTABLE_ROLES:
        raise UsageError("role.admin_not_grantable")
    regions = _regions(ctx, role)
    _refuse_admin(ctx, staff_id)
    previous_role = await grant_role(
        session=ctx.session,
        staff_id=staff_id,
        role=role,
        regions=regions,
        granted_by=ctx.staff_id,
        now=ctx.now,
    )
    who = await _display_name(ctx, staff_id)
    language = ctx.language
    if previous_role is not None and previous_role != role:
        line = text(
            "role.changed",
            language,
            who=who,
            old=Phrase(ROLE_NAMES[Role(previous_role)]),
            role=Phrase(ROLE_NAMES[role]),
        )
    else:
        line = text("role.granted", language, who=who, role=Phrase(ROLE_NAMES[role]))
    lines = [line]
    if role == Role.VIEWER:
        lines.append(text("role.regions", language, regions=_regions_text(regions, language)))
    lines += _self_note(ctx, staff_id, "role.self_changed")
    return [Reply("\n".join(lines))]


async def handle_revoke(ctx: CommandContext) -> list[Reply]:
    staff_id = _the_person(ctx)
    _refuse_admin(ctx, staff_id)
    who = await _display_name(ctx, staff_id)
    removed = await revoke_role(session=ctx.session, staff_id=staff_id)
    if removed is None:
        return [Reply(text("role.no_grant", ctx.language, who=who))]
    role = Phrase(ROLE_NAMES[Role(removed.role)])
    lines = [text("role.revoked", ctx.language, who=who, role=role)]
    lines += _self_note(ctx, staff_id, "role.self_revoked")
    return [Reply("\n".join(lines))]


async def handle_list(ctx: CommandContext) -> list[Reply]:
    if ctx.command.words:
        raise UsageError("role.unknown_action", word=ctx.command.words[0])
    language = ctx.language
    by_role: dict[Role, list[str]] = {role: [] for role in (Role.ADMIN, *GRANTABLE_ROLES)}
    for staff_id in dict.fromkeys(ctx.settings.org.admins):
        by_role[Role.ADMIN].append(await _display_name(ctx, staff_id))
    for grant in await list_grants(session=ctx.session):
        if grant.staff_id in ctx.settings.org.admins:
            continue  # the configuration wins; a stale grant changes nothing
        name = await _display_name(ctx, grant.staff_id)
        if grant.role == Role.VIEWER:
            name = text(
                "role.with_regions",
                language,
                who=name,
                regions=_regions_text(grant.regions, language),
            )
        by_role.setdefault(Role(grant.role), []).append(name)
    lines = [text("role.list_header", language)]
    for role, names in by_role.items():
        people = join_list(names, language) if names else text("role.nobody", language)
        lines.append(
            text("role.list_line", language, role=Phrase(ROLE_NAMES[role]), people=people)
        )
    lines.append(text("role.list_hint", language))
    return [Reply("\n".join(lines))]


ROLE_GRANT = CommandSpec(
    name="role grant",
    aliases=("權限 授予", "权限 授予"),
    usage="/role grant @user coordinator|scheduler|viewer [region=<district,...>]",
    summary_key="command.role_grant",
    details_key="command.role_grant.details",
    handler=handle_grant,
    options=frozenset({"region"}),
    max_words=MAX_MENTION_WORDS,
)
ROLE_REVOKE = CommandSpec(
    name="role revoke",
    aliases=("權限 撤銷", "权限 撤销"),
    usage="/role revoke @user",
    summary_key="command.role_revoke",
    handler=handle_revoke,
    max_words=MAX_MENTION_WORDS,
)
ROLE_LIST = CommandSpec(
    name="role list",
    aliases=("role", "權限", "權限 列表", "权限", "权限 列表"),
    usage="/role list",
    summary_key="command.role_list",
    handler=handle_list,
    # Read by the handler, so that a mistyped action gets pointed at grant / revoke / list.
    max_words=MAX_MENTION_WORDS,
)
