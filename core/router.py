"""From a parsed command to the handler that owns it, with the checks every command shares.

The router validates option names, required options and stray words against the command's
:class:`CommandSpec`, so a handler only sees well-formed input. Any :class:`UsageError` becomes a
bilingual reply with the command's usage line; the handler's writes are rolled back.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.commands import Command
from core.incoming import ChatMessage
from core.messages import Language, Markdown, Phrase, bilingual, quoted, text
from core.messages.roles import ROLE_NAMES
from core.settings import Settings
from planner.permissions import Role, least_role, may
from storage.models import Volunteer

# How alike a typed command name must be to a real one to be suggested (difflib's ratio).
SIMILAR_ENOUGH = 0.75


@dataclass(frozen=True)
class Reply:
    text: str
    """Markdown."""


@dataclass(frozen=True)
class CommandContext:
    session: AsyncSession
    message: ChatMessage
    command: Command
    settings: Settings
    now: datetime
    language: Language
    volunteer: Volunteer | None
    """The sender's registration, if any."""
    role: Role
    regions: tuple[str, ...]
    """For viewers, the districts they may see; empty means all."""
    commands: Sequence[CommandSpec]

    @property
    def staff_id(self) -> str:
        """The sender's staffId; every handler but ``/help`` runs for members only."""
        staff_id = self.message.sender.staff_id
        assert staff_id is not None  # the router lets only members through
        return staff_id

    @property
    def today(self) -> date:
        """The organisation's local date."""
        return self.now.astimezone(self.settings.org.zone).date()


Handler = Callable[[CommandContext], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    """Canonical name, one or two words (``join``, ``site add``); the permission table's key."""
    usage: str
    summary_key: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    options: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    max_words: int = 0
    details_key: str | None = None
    needs_staff_id: bool = True
    """People outside the organisation have no staffId and get a polite explanation instead."""
    names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", frozenset({self.name, *self.aliases}))


class UsageError(Exception):
    """Bad input; the reply explains it with ``message_key`` and shows the usage line."""

    def __init__(self, message_key: str, **params: object) -> None:
        super().__init__(message_key)
        self.message_key = message_key
        self.params = params


def usage_reply(spec: CommandSpec | None, error: UsageError, language: Language) -> Reply:
    """The refusal, the usage line and "nothing changed"; what the person typed is quoted only
    as far as :func:`core.messages.quoted` goes, so a long input is not echoed back in full."""
    params = {
        name: value if isinstance(value, Markdown) or not isinstance(value, str) else quoted(value)
        for name, value in error.params.items()
    }
    lines = [bilingual(error.message_key, language, **params)]
    if spec is not None:
        lines.append(text("help.usage", language, usage=Markdown(spec.usage)))
    lines.append(bilingual("error.nothing_changed", language))
    return Reply("\n\n".join(lines))


class Router:
    def __init__(self, specs: Sequence[CommandSpec]) -> None:
        self.specs = tuple(specs)
        self._by_name: dict[str, CommandSpec] = {}
        for spec in self.specs:
            for name in spec.names:
                if name in self._by_name:
                    raise ValueError(f"command name {name!r} registered twice")
                self._by_name[name] = spec

    def find(self, command: Command) -> tuple[CommandSpec, Command] | None:
        """The spec for ``command``: ``/site add ...`` before ``/site ...``.

        A two-word match consumes the sub-command word, so handlers see only their arguments.
        """
        if command.words:
            spec = self._by_name.get(f"{command.name} {command.words[0].casefold()}")
            if spec is not None:
                return spec, replace(command, words=command.words[1:])
        spec = self._by_name.get(command.name)
        return (spec, command) if spec is not None else None

    def closest(self, command: Command, role: Role) -> CommandSpec | None:
        """The command ``role`` may run whose name (or alias) is nearest to a mistyped one:
        ``/shfit list`` -> ``shift list``; None when nothing is near."""
        allowed = {name: spec for name, spec in self._by_name.items() if may(role, spec.name)}
        typed = [command.name]
        if command.words:
            typed.insert(0, f"{command.name} {command.words[0].casefold()}")
        for attempt in typed:
            near = difflib.get_close_matches(attempt, allowed, n=1, cutoff=SIMILAR_ENOUGH)
            if near:
                return allowed[near[0]]
        return None

    def check(self, spec: CommandSpec, command: Command, role: Role) -> None:
        """Raise :class:`UsageError` unless ``role`` may run it and it fits ``spec``'s shape."""
        if not may(role, spec.name):
            raise UsageError(
                "error.not_allowed",
                command=f"/{spec.name}",
                role=Phrase(ROLE_NAMES[least_role(spec.name)]),
            )
        for option in command.options:
            if option not in spec.options:
                raise UsageError("error.unknown_option", option=option)
        for option in sorted(spec.required):
            if not command.options.get(option):
                raise UsageError("error.missing_option", option=option)
        if len(command.words) > spec.max_words:
            raise UsageError(
                "error.unexpected_words", words=" ".join(command.words[spec.max_words :])
            )


def overview(commands: Sequence[CommandSpec], language: Language, role: Role | None = None) -> str:
    """The command list; given ``role``, only the commands that role may run, and a line on how
    to see the rest (``/help all``)."""
    shown = [spec for spec in commands if role is None or may(role, spec.name)]
    lines = [text("help.intro", language)]
    lines += [f"- `{spec.usage}` — {text(spec.summary_key, language)}" for spec in shown]
    lines.append(text("help.more", language))
    if len(shown) < len(commands):
        lines.append(text("help.all", language))
    return "\n".join(lines)
