"""Who may run which command: the one permission table.

Admins come from the configuration; coordinators, schedulers and viewers are granted in the chat
(``/role grant``); everyone else, registered or not, is a volunteer. Viewers additionally see only
the sites of their regions, which the list commands apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    VIEWER = "viewer"
    SCHEDULER = "scheduler"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


EVERYONE = frozenset(Role)
STAFF = frozenset({Role.VIEWER, Role.SCHEDULER, Role.COORDINATOR, Role.ADMIN})
DISPATCHERS = frozenset({Role.SCHEDULER, Role.COORDINATOR, Role.ADMIN})
MANAGERS = frozenset({Role.COORDINATOR, Role.ADMIN})
GRANTABLE_ROLES = (Role.COORDINATOR, Role.SCHEDULER, Role.VIEWER)

PERMISSIONS: Mapping[str, frozenset[Role]] = {
    "help": EVERYONE,
    "join": EVERYONE,
    "me": EVERYONE,
    "avail": EVERYONE,
    "site add": MANAGERS,
    "site list": STAFF,
    "template add": MANAGERS,
    "template edit": MANAGERS,
    "template remove": MANAGERS,
    "template list": STAFF,
    "shift add": MANAGERS,
    "shift edit": MANAGERS,
    "shift cancel": MANAGERS,
    "shift list": STAFF,
    "shift publish": DISPATCHERS,
    "assign": DISPATCHERS,
    "unassign": DISPATCHERS,
    "roster": STAFF,
    "role grant": MANAGERS,
    "role revoke": MANAGERS,
    "role list": MANAGERS,
}


def may(role: Role, command: str) -> bool:
    """Whether ``role`` may run ``command`` (its canonical name); unknown commands: nobody."""
    return role in PERMISSIONS.get(command, frozenset())


def least_role(command: str) -> Role:
    """The lowest role allowed ``command``, to tell a refused person who can do it."""
    allowed = PERMISSIONS.get(command, frozenset())
    return min(allowed, key=list(Role).index) if allowed else Role.ADMIN


def sees_district(regions: list[str] | tuple[str, ...], district: str) -> bool:
    """A viewer's region scope; an empty scope means every district."""
    return not regions or district in regions
