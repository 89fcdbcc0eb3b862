"""Volunteer self-service.

- ``/join district=<district,...> lang=<yue,cmn,en> [avail=sat-am,sun-pm,...]`` (``/登記``):
  register, or update a registration. Without ``avail=`` the slots registered before stay.
- ``/me`` (``/我``): show one's own registration.
"""

from __future__ import annotations

from bot.messages import Language, join_list, text
from bot.router import CommandContext, CommandSpec, Reply
from handlers.details import invalid
from planner.registration import (
    InvalidChoice,
    district_name,
    language_name,
    parse_availability,
    parse_districts,
    parse_languages,
    slot_name,
)
from storage.models import Volunteer
from storage.volunteers import register_volunteer


def profile_lines(volunteer: Volunteer, language: Language) -> list[str]:
    def listed(names: list[str]) -> str:
        return join_list(names, language) if names else text("profile.not_given", language)

    districts = [district_name(code, language) for code in volunteer.districts]
    languages = [language_name(code, language) for code in volunteer.languages]
    slots = [slot_name(slot, language) for slot in volunteer.availability]
    return [
        "- " + text("profile.districts", language, value=listed(districts)),
        "- " + text("profile.languages", language, value=listed(languages)),
        "- " + text("profile.availability", language, value=listed(slots)),
    ]


async def handle_join(ctx: CommandContext) -> list[Reply]:
    options = ctx.command.options
    try:
        districts = parse_districts(options["district"])
        languages = parse_languages(options["lang"])
        availability = parse_availability(options["avail"]) if "avail" in options else None
    except InvalidChoice as error:
        raise invalid(error) from error
    sender = ctx.message.sender
    assert sender.staff_id is not None  # the router only lets members through
    volunteer, created = await register_volunteer(
        session=ctx.session,
        staff_id=sender.staff_id,
        dingtalk_id=sender.dingtalk_id,
        nickname=sender.nick,
        districts=districts,
        languages=languages,
        availability=availability,
        now=ctx.now,
    )
    key = "join.registered" if created else "join.updated"
    header = text(key, ctx.language, nick=volunteer.nickname)
    return [Reply("\n".join([header, *profile_lines(volunteer, ctx.language)]))]


async def handle_me(ctx: CommandContext) -> list[Reply]:
    if ctx.volunteer is None:
        return [Reply(text("me.not_registered", ctx.language))]
    header = text("me.header", ctx.language, nick=ctx.volunteer.nickname)
    return [Reply("\n".join([header, *profile_lines(ctx.volunteer, ctx.language)]))]


JOIN = CommandSpec(
    name="join",
    aliases=("登記", "登记", "報名"),
    usage="/join district=<district> lang=<yue,cmn,en> [avail=sat-am,sun-pm,...]",
    summary_key="command.join",
    details_key="command.join.details",
    handler=handle_join,
    options=frozenset({"district", "lang", "avail"}),
    required=frozenset({"district", "lang"}),
)
ME = CommandSpec(
    name="me",
    aliases=("我",),
    usage="/me",
    summary_key="command.me",
    handler=handle_me,
)
