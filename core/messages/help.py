"""``/help``: the list of commands and one command's usage."""

from __future__ import annotations

from typing import Final

from core.messages.language import Entries

ENTRIES: Final[Entries] = {
    "help.intro": {
        "zh-HK": "**DingShift 義工更表助手**\n喺群組 @我 再打指令。常用指令：",
        "en": "**DingShift volunteer shifts**\n@-mention me in the group with a command:",
    },
    "help.more": {
        "zh-HK": "打 `/help <指令>` 睇詳細用法，例如 `/help join`。",
        "en": "Type `/help <command>` for details, e.g. `/help join`.",
    },
    "help.all": {
        "zh-HK": "其他指令係俾統籌同編更員用嘅：打 `/help all` 睇晒。",
        "en": "More commands are for coordinators and schedulers: `/help all` lists them all.",
    },
    "help.did_you_mean": {
        "zh-HK": "你係咪想打 `/{command}`？",
        "en": "Did you mean `/{command}`?",
    },
    "help.unknown_topic": {
        "zh-HK": "冇「{topic}」呢個指令。",
        "en": "There is no command “{topic}”.",
    },
    "help.usage": {"zh-HK": "用法：{usage}", "en": "Usage: {usage}"},
    "help.aliases": {"zh-HK": "中文指令：{aliases}", "en": "Chinese aliases: {aliases}"},
    "command.help": {"zh-HK": "顯示指令說明", "en": "show the commands and how to use them"},
}
