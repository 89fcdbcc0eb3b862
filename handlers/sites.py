"""Sites: where shifts happen.

- ``/site add <code> <name> district=<district> [address=...] [contact=...]`` (``/地點 新增``):
  add a site. The code is 2–16 letters or digits and is stored upper-case (``ssp`` -> ``SSP``);
  the name follows it, quoted or not. Typed in a group, that group becomes the site's group: its
  announcements and cards go there.
- ``/site list`` (``/site``, ``/地點``, ``/地點 列表``): the sites; regional viewers see only the
  sites in their districts.
"""

from __future__ import annotations

import re

from core.messages import Language, inert, text
from core.router import CommandContext, CommandSpec, Reply, UsageError
from handlers.details import check_length, invalid
from planner.permissions import sees_district
from planner.registration import InvalidChoice, district_name, parse_districts
from storage.models import Site
from storage.sites import DuplicateSite, add_site, list_sites

CODE = re.compile(r"[A-Za-z0-9]{2,16}")
LIMITS = {"name": 128, "address": 256, "contact": 128}


def _limited(option: str, value: str) -> str:
    return check_length(option, value, LIMITS[option])


def site_line(site: Site, language: Language) -> str:
    parts = [f"**{site.code}** {inert(site.name)}", district_name(site.district, language)]
    if site.address:
        parts.append(text("site.address", language, value=site.address))
    if site.contact:
        parts.append(text("site.contact", language, value=site.contact))
    if site.conversation_id is None:
        parts.append(text("site.no_group_short", language))
    return " · ".join(parts)


async def handle_site_add(ctx: CommandContext) -> list[Reply]:
    options = ctx.command.options
    if not ctx.command.words:
        raise UsageError("site.missing_code")
    code, *name_words = ctx.command.words
    if not CODE.fullmatch(code):
        raise UsageError("site.bad_code", code=code)
    code = code.upper()
    name = _limited("name", " ".join(name_words).strip())
    if not name:
        raise UsageError("site.missing_name", code=code)
    try:
        districts = parse_districts(options["district"])
    except InvalidChoice as error:
        raise invalid(error) from error
    if len(districts) != 1:
        raise UsageError("site.one_district")
    try:
        site = await add_site(
            session=ctx.session,
            code=code,
            name=name,
            district=districts[0],
            address=_limited("address", options.get("address", "")),
            contact=_limited("contact", options.get("contact", "")),
            conversation_id=ctx.message.conversation_id if ctx.message.is_group else None,
            created_by=ctx.staff_id,
            now=ctx.now,
        )
    except DuplicateSite as error:
        raise UsageError("site.duplicate", code=error.code) from error
    language = ctx.language
    district = district_name(site.district, language)
    lines = [text("site.added", language, code=site.code, name=site.name, district=district)]
    linked = "site.group_linked" if site.conversation_id else "site.no_group"
    lines.append(text(linked, language, code=site.code))
    lines.append(text("site.next_step", language, code=site.code))
    return [Reply("\n".join(lines))]


async def handle_site_list(ctx: CommandContext) -> list[Reply]:
    sites = [
        site
        for site in await list_sites(session=ctx.session)
        if sees_district(ctx.regions, site.district)
    ]
    if not sites:
        return [Reply(text("site.none", ctx.language))]
    lines = [text("site.list_header", ctx.language, count=len(sites))]
    lines += ["- " + site_line(site, ctx.language) for site in sites]
    return [Reply("\n".join(lines))]


SITE_ADD = CommandSpec(
    name="site add",
    aliases=("地點 新增", "地点 新增", "地點 加", "地点 加"),
    usage="/site add <code> <name> district=<district> [address=...] [contact=...]",
    summary_key="command.site_add",
    details_key="command.site_add.details",
    handler=handle_site_add,
    options=frozenset({"district", "address", "contact"}),
    required=frozenset({"district"}),
    max_words=12,
)
SITE_LIST = CommandSpec(
    name="site list",
    aliases=("site", "sites", "地點", "地点", "地點 列表", "地点 列表"),
    usage="/site list",
    summary_key="command.site_list",
    handler=handle_site_list,
)
