"""Every command the bot understands, in ``/help`` order: the one place to add a command."""

from __future__ import annotations

from bot.router import CommandSpec
from handlers.help import HELP
from handlers.volunteers import JOIN, ME

ALL_COMMANDS: tuple[CommandSpec, ...] = (HELP, JOIN, ME)
