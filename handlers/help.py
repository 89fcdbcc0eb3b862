"""``/help [command]`` (``/幫助``): the commands the asker may run; ``/help all`` every command;
``/help <command>`` one command's usage. The same list answers a bare @-mention and an unknown
command."""

from __future__ import annotations

from core.messages import Language, Markdown, bilingual, quoted, text
from core.router import CommandContext, CommandSpec, Reply, overview


def details(spec: CommandSpec, language: Language) -> str:
    lines = [f"**/{spec.name}** — {text(spec.summary_key, language)}"]
    lines.append(text("help.usage", language, usage=Markdown(spec.usage)))
    if spec.aliases:
        aliases = " ".join(f"/{alias}" for alias in spec.aliases)
        lines.append(text("help.aliases", language, aliases=aliases))
    if spec.details_key:
        lines.append(text(spec.details_key, language))
    return "\n\n".join(lines)


# ``/help all``: every command, not only the asker's (in both languages' words).
EVERY_COMMAND = frozenset({"all", "全部"})


async def handle_help(ctx: CommandContext) -> list[Reply]:
    if not ctx.command.words:
        return [Reply(overview(ctx.commands, ctx.language, ctx.role))]
    topic = " ".join(ctx.command.words).removeprefix("/").casefold()
    if topic in EVERY_COMMAND:
        return [Reply(overview(ctx.commands, ctx.language))]
    for spec in ctx.commands:
        if topic in spec.names:
            return [Reply(details(spec, ctx.language))]
    unknown = bilingual("help.unknown_topic", ctx.language, topic=quoted(topic))
    return [Reply(f"{unknown}\n\n{overview(ctx.commands, ctx.language, ctx.role)}")]


HELP = CommandSpec(
    name="help",
    aliases=("幫助", "帮助", "說明"),
    usage="/help [command]",
    summary_key="command.help",
    handler=handle_help,
    max_words=2,
    needs_staff_id=False,
)
