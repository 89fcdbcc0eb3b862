"""``/role grant|revoke|list``, and the roles' names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from core.messages.language import Entries
from planner.permissions import Role

ENTRIES: Final[Entries] = {
    "role.volunteer": {"zh-HK": "義工", "en": "volunteer"},
    "role.viewer": {"zh-HK": "地區協調員", "en": "regional viewer"},
    "role.scheduler": {"zh-HK": "排班主管", "en": "scheduler"},
    "role.coordinator": {"zh-HK": "統籌", "en": "coordinator"},
    "role.admin": {"zh-HK": "管理員", "en": "admin"},
    "command.role_grant": {
        "zh-HK": "授予權限：統籌、排班主管或地區協調員（可限地區）",
        "en": "give someone a role: coordinator, scheduler or regional viewer (of some districts)",
    },
    "command.role_grant.details": {
        "zh-HK": "@ 一位機構成員，再寫角色：coordinator 統籌（全部權限）、scheduler 排班主管"
        "（編更，唔睇個人資料）、viewer 地區協調員（只睇，可用 region=深水埗,觀塘 限地區）。"
        "每人一個角色，再授予會取代舊角色。管理員只可以喺設定檔（org.admins）指定。",
        "en": "@-mention one member of the organisation, then the role: coordinator (everything), "
        "scheduler (assigns people, no personal data), viewer (read-only; region=ssp,kt limits "
        "it to some districts). One role per person: granting again replaces it. Admins are "
        "set only in the configuration (org.admins).",
    },
    "command.role_revoke": {
        "zh-HK": "撤銷某人嘅權限（佢會變返普通義工）",
        "en": "take someone's role away (they become a volunteer)",
    },
    "command.role_list": {
        "zh-HK": "睇邊個有咩權限",
        "en": "show who has which role",
    },
    "role.no_mention": {
        "zh-HK": "請 @ 一位機構成員，例如 `/role grant @陳大文 coordinator`。",
        "en": "Please @-mention one member of the organisation, e.g. "
        "`/role grant @Chan coordinator`.",
    },
    "role.many_mentions": {
        "zh-HK": "一次只可以 @ 一個人（你 @ 咗 {count} 個）。",
        "en": "Mention one person at a time (you mentioned {count}).",
    },
    "role.missing_role": {
        "zh-HK": "要寫角色：{accepted}",
        "en": "Which role? Accepted: {accepted}",
    },
    "role.many_roles": {
        "zh-HK": "每人只可以有一個角色，請只寫一個。",
        "en": "A person has one role: please give just one.",
    },
    "role.admin_not_grantable": {
        "zh-HK": "管理員唔可以喺群組授予，只可以喺設定檔（org.admins）指定。",
        "en": "Admin cannot be granted in the chat; admins are set in the configuration "
        "(org.admins).",
    },
    "role.configured_admin": {
        "zh-HK": "{who} 係設定檔（org.admins）指定嘅管理員，喺群組改唔到佢嘅權限。",
        "en": "{who} is an admin set in the configuration (org.admins); their role cannot be "
        "changed in the chat.",
    },
    "role.region_only_viewer": {
        "zh-HK": "region= 只適用於地區協調員（viewer），{role}冇地區限制。",
        "en": "region= is only for regional viewers; a {role} is not limited to districts.",
    },
    "role.unknown_action": {
        "zh-HK": "「{word}」唔係權限指令。可以用：`/role grant`、`/role revoke`、`/role list`。",
        "en": "“{word}” is not a role action. Use `/role grant`, `/role revoke` or `/role list`.",
    },
    "role.granted": {"zh-HK": "{who} 而家係{role}。", "en": "{who} is now a {role}."},
    "role.changed": {
        "zh-HK": "{who} 由{old}改為{role}。",
        "en": "{who} was a {old} and is now a {role}.",
    },
    "role.regions": {"zh-HK": "可以睇嘅地區：{regions}", "en": "Districts: {regions}"},
    "role.all_regions": {"zh-HK": "全部地區", "en": "all districts"},
    "role.with_regions": {"zh-HK": "{who}（{regions}）", "en": "{who} ({regions})"},
    "role.revoked": {
        "zh-HK": "已撤銷 {who} 嘅{role}權限，佢而家係普通義工。",
        "en": "{who} is no longer a {role}; they are now a volunteer.",
    },
    "role.no_grant": {
        "zh-HK": "{who} 冇獲授任何權限，唔使撤銷。",
        "en": "{who} has no granted role; nothing to revoke.",
    },
    "role.self_changed": {
        "zh-HK": "注意：呢個係你自己嘅權限，即時生效。",
        "en": "Note: this is your own role, and it applies at once.",
    },
    "role.self_revoked": {
        "zh-HK": "注意：你撤銷咗自己嘅權限，之後要由管理員或統籌再授予。",
        "en": "Note: you revoked your own role; an admin or a coordinator has to grant it again.",
    },
    "role.list_header": {"zh-HK": "**權限**", "en": "**Roles**"},
    "role.list_line": {"zh-HK": "- {role}：{people}", "en": "- {role}: {people}"},
    "role.nobody": {"zh-HK": "（冇）", "en": "(nobody)"},
    "role.list_hint": {
        "zh-HK": "管理員喺設定檔指定；其他角色用 `/role grant` 同 `/role revoke` 更改。",
        "en": "Admins are set in the configuration; change the others with `/role grant` and "
        "`/role revoke`.",
    },
}

# Each role's name, for the sentences that say who someone is or who may do something.
ROLE_NAMES: Final[Mapping[Role, str]] = {
    Role.VOLUNTEER: "role.volunteer",
    Role.VIEWER: "role.viewer",
    Role.SCHEDULER: "role.scheduler",
    Role.COORDINATOR: "role.coordinator",
    Role.ADMIN: "role.admin",
}
