"""The message catalogue: every user-facing sentence, in Traditional Chinese (HK) and English.

Handlers and jobs refer to sentences by key; nothing else inlines user-facing text. Errors are
shown in both languages (the reader's language first) so that nobody is left guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Final, Literal

Language = Literal["zh-HK", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("zh-HK", "en")

CATALOGUE: Final[Mapping[str, Mapping[Language, str]]] = {
    "help.intro": {
        "zh-HK": "**DingShift 義工更表助手**\n喺群組 @我 再打指令。常用指令：",
        "en": "**DingShift volunteer shifts**\n@-mention me in the group with a command:",
    },
    "help.more": {
        "zh-HK": "打 `/help <指令>` 睇詳細用法，例如 `/help join`。",
        "en": "Type `/help <command>` for details, e.g. `/help join`.",
    },
    "help.unknown_topic": {
        "zh-HK": "冇「{topic}」呢個指令。",
        "en": "There is no command “{topic}”.",
    },
    "help.usage": {"zh-HK": "用法：{usage}", "en": "Usage: {usage}"},
    "help.aliases": {"zh-HK": "中文指令：{aliases}", "en": "Chinese aliases: {aliases}"},
    "command.help": {"zh-HK": "顯示指令說明", "en": "show the commands and how to use them"},
    "command.join": {
        "zh-HK": "登記做義工：地區、語言、有空時段（再打一次可以更新）",
        "en": "register as a volunteer: district, languages, availability (run again to update)",
    },
    "command.me": {
        "zh-HK": "睇自己嘅登記資料",
        "en": "show your own registration",
    },
    "command.join.details": {
        "zh-HK": "地區：18 區名或簡寫（ssp、kt、深水埗…），可填多個，用逗號分隔。\n"
        "語言：yue 粵語、cmn 普通話、en 英文。\n"
        "有空時段：sat-am、sun-pm、mon-eve（上午／下午／晚上），或 sat 代表全日，"
        "亦接受「星期六上午」。",
        "en": "district: one or more of the 18 districts (ssp, kt, Sham Shui Po, 深水埗...), "
        "comma-separated.\nlang: yue Cantonese, cmn Mandarin, en English.\n"
        "avail: sat-am, sun-pm, mon-eve (morning/afternoon/evening), or sat for the whole day.",
    },
    "error.unknown_command": {
        "zh-HK": "我唔識「{command}」呢個指令。",
        "en": "I don't know the command “{command}”.",
    },
    "error.not_a_command": {
        "zh-HK": "指令要用 / 開頭，例如 `/help`。",
        "en": "Commands start with /, for example `/help`.",
    },
    "error.unbalanced_quote": {
        "zh-HK": "引號未有收尾：{quote}",
        "en": "A quotation mark is not closed: {quote}",
    },
    "error.missing_option": {
        "zh-HK": "缺少 {option}=…",
        "en": "{option}=... is missing.",
    },
    "error.unknown_option": {
        "zh-HK": "唔識 {option}= 呢個選項。",
        "en": "{option}= is not an option of this command.",
    },
    "error.duplicate_option": {
        "zh-HK": "{option}= 填咗多過一次。",
        "en": "{option}= is given more than once.",
    },
    "error.unexpected_words": {
        "zh-HK": "多咗呢啲字：{words}",
        "en": "Unexpected words: {words}",
    },
    "error.invalid_choice": {
        "zh-HK": "{field}=「{value}」唔啱。可以用：{accepted}",
        "en": "{field}=“{value}” is not valid. Accepted: {accepted}",
    },
    "error.nothing_changed": {
        "zh-HK": "（乜都冇改到。）",
        "en": "(Nothing was changed.)",
    },
    "error.outside_org": {
        "zh-HK": "你好！DingShift 只可以幫本機構嘅成員排更。請聯絡統籌，"
        "請佢邀請你加入機構（例如「義工」部門），之後再試。",
        "en": "Hello! DingShift can only schedule members of this organisation. Please ask a "
        "coordinator to invite you to the organisation (for example its Volunteers "
        "department), then try again.",
    },
    "join.registered": {
        "zh-HK": "多謝登記，{nick}！你嘅資料：",
        "en": "Thank you for registering, {nick}! Your details:",
    },
    "join.updated": {
        "zh-HK": "已更新你嘅登記，{nick}：",
        "en": "Your registration is updated, {nick}:",
    },
    "profile.districts": {"zh-HK": "地區：{value}", "en": "Districts: {value}"},
    "profile.languages": {"zh-HK": "語言：{value}", "en": "Languages: {value}"},
    "profile.availability": {"zh-HK": "有空時段：{value}", "en": "Availability: {value}"},
    "profile.not_given": {"zh-HK": "未填", "en": "not given"},
    "me.header": {"zh-HK": "**{nick} 嘅登記資料**", "en": "**{nick}'s registration**"},
    "me.not_registered": {
        "zh-HK": "你仲未登記。試吓：`/join district=深水埗 lang=yue,en avail=sat-am`",
        "en": "You are not registered yet. Try: `/join district=ssp lang=yue,en avail=sat-am`",
    },
    "error.too_long": {
        "zh-HK": "{option}= 太長（最多 {limit} 個字）。",
        "en": "{option}= is too long (at most {limit} characters).",
    },
    "error.not_allowed": {
        "zh-HK": "{command} 只限{role}或以上使用。",
        "en": "{command} is for {role}s and above.",
    },
    "role.volunteer": {"zh-HK": "義工", "en": "volunteer"},
    "role.viewer": {"zh-HK": "地區協調員", "en": "regional viewer"},
    "role.scheduler": {"zh-HK": "排班主管", "en": "scheduler"},
    "role.coordinator": {"zh-HK": "統籌", "en": "coordinator"},
    "role.admin": {"zh-HK": "管理員", "en": "admin"},
    "list.separator": {"zh-HK": "、", "en": ", "},
    "reply.title": {"zh-HK": "DingShift", "en": "DingShift"},
}


class UnknownMessage(KeyError):
    pass


@dataclass(frozen=True)
class Phrase:
    """A parameter that is itself a catalogue entry, shown in the reader's language."""

    key: str


def text(key: str, language: Language, **params: object) -> str:
    """The sentence ``key`` in ``language`` with ``params`` filled in."""
    try:
        template = CATALOGUE[key][language]
    except KeyError as error:
        raise UnknownMessage(key) from error
    resolved = {
        name: text(value.key, language) if isinstance(value, Phrase) else value
        for name, value in params.items()
    }
    return template.format(**resolved)


def bilingual(key: str, language: Language, **params: object) -> str:
    """Both languages, the reader's first, one per line."""
    other: Language = "en" if language == "zh-HK" else "zh-HK"
    return f"{text(key, language, **params)}\n{text(key, other, **params)}"


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(template) if field}


def join_list(items: list[str], language: Language) -> str:
    return text("list.separator", language).join(items)
