"""Every command the bot understands, in ``/help`` order: the one place to add a command."""

from __future__ import annotations

from core.router import CommandSpec
from handlers.assignments import ASSIGN, ROSTER, UNASSIGN
from handlers.help import HELP
from handlers.roles import ROLE_GRANT, ROLE_LIST, ROLE_REVOKE
from handlers.shifts import SHIFT_ADD, SHIFT_CANCEL, SHIFT_EDIT, SHIFT_LIST, SHIFT_PUBLISH
from handlers.sites import SITE_ADD, SITE_LIST
from handlers.templates import TEMPLATE_ADD, TEMPLATE_EDIT, TEMPLATE_LIST, TEMPLATE_REMOVE
from handlers.volunteers import AVAIL, JOIN, ME

ALL_COMMANDS: tuple[CommandSpec, ...] = (
    HELP,
    JOIN,
    ME,
    AVAIL,
    SITE_LIST,
    SITE_ADD,
    TEMPLATE_LIST,
    TEMPLATE_ADD,
    TEMPLATE_EDIT,
    TEMPLATE_REMOVE,
    SHIFT_LIST,
    SHIFT_PUBLISH,
    SHIFT_ADD,
    SHIFT_EDIT,
    SHIFT_CANCEL,
    ASSIGN,
    UNASSIGN,
    ROSTER,
    ROLE_GRANT,
    ROLE_REVOKE,
    ROLE_LIST,
)
