"""Every command the bot understands, in ``/help`` order, and every card button: the one place to
add a command or a button."""

from __future__ import annotations

from core.router import CommandSpec
from core.taps import Audience, TapSpec
from handlers.assignments import ASSIGN, ROSTER, UNASSIGN
from handlers.card_actions import confirm, decline, take
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

# The kinds of card are the ``<kind>`` of their ids (core.cards): the group's confirm card, and the
# private nudge, reminder and offer cards (services.shift_cards, services.backfill, jobs.steps).
ALL_TAPS: tuple[TapSpec, ...] = (
    TapSpec("confirm", confirm, frozenset({"confirm", "nudge"}), Audience.ON_THE_SHIFT),
    TapSpec("decline", decline, frozenset({"confirm", "nudge", "remind"}), Audience.ON_THE_SHIFT),
    TapSpec("take", take, frozenset({"offer"}), Audience.ADDRESSEE),
)
