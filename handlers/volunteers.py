"""Volunteer self-service.

- ``/join district=<district,...> lang=<yue,cmn,en> [avail=sat-am,sun-pm,...]`` (``/登記``):
  register, or update a registration. Without ``avail=`` the slots registered before stay.
- ``/me`` (``/我``): show one's own registration.
- ``/avail <slots>`` (``/有空``): replace one's weekly availability (``sat-am, sun-pm``,
  ``星期六上午``, ``sat`` for the whole day; ``none`` clears it); ``/avail`` alone shows it.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.messages import Language, join_list, text
from core.router import CommandContext, CommandSpec, Reply
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

CLEAR_AVAILABILITY = frozenset({"none", "clear", "-", "冇", "無", "无", "清除"})


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
    volunteer, created = await _register(ctx, districts, languages, availability)
    key = "join.registered" if created else "join.updated"
    header = text(key, ctx.language, nick=volunteer.nickname)
    return [Reply("\n".join([header, *profile_lines(volunteer, ctx.language)]))]


async def handle_me(ctx: CommandContext) -> list[Reply]:
    if ctx.volunteer is None:
        return [Reply(text("me.not_registered", ctx.language))]
    header = text("me.header", ctx.language, nick=ctx.volunteer.nickname)
    return [Reply("\n".join([header, *profile_lines(ctx.volunteer, ctx.language)]))]


def availability_text(slots: list[str], language: Language) -> str:
    if not slots:
        return text("profile.not_given", language)
    return join_list([slot_name(slot, language) for slot in slots], language)


async def handle_avail(ctx: CommandContext) -> list[Reply]:
    volunteer = ctx.volunteer
    if volunteer is None:
        return [Reply(text("me.not_registered", ctx.language))]
    # "/avail sat-am sun-pm" and "/avail avail=sat-am,sun-pm" (as in /join) both work.
    words = [*ctx.command.words, ctx.command.options.get("avail", "")]
    typed = ",".join(word for word in words if word)
    if not typed:
        value = availability_text(volunteer.availability, ctx.language)
        return [Reply(text("avail.current", ctx.language, value=value))]
    try:
        slots = () if typed.casefold() in CLEAR_AVAILABILITY else parse_availability(typed)
    except InvalidChoice as error:
        raise invalid(error) from error
    volunteer, _ = await _register(ctx, volunteer.districts, volunteer.languages, slots)
    value = availability_text(volunteer.availability, ctx.language)
    return [Reply(text("avail.updated", ctx.language, value=value))]


async def _register(
    ctx: CommandContext,
    districts: Sequence[str],
    languages: Sequence[str],
    availability: Sequence[str] | None,
) -> tuple[Volunteer, bool]:
    """Register the sender, or update their registration; True when it is new."""
    return await register_volunteer(
        session=ctx.session,
        staff_id=ctx.staff_id,
        dingtalk_id=ctx.message.sender.dingtalk_id,
        nickname=ctx.message.sender.nick,
        districts=districts,
        languages=languages,
        availability=availability,
        now=ctx.now,
    )


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
AVAIL = CommandSpec(
    name="avail",
    aliases=("有空", "得閒", "得闲"),
    usage="/avail <slots>",
    summary_key="command.avail",
    details_key="command.avail.details",
    handler=handle_avail,
    options=frozenset({"avail"}),
    max_words=21,
)
