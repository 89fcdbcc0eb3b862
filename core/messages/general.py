"""Sentences no one command family owns: what the parser and the router refuse, the
apology for a failure, and how a list is joined."""

from __future__ import annotations

from typing import Final

from core.messages.language import Entries

ENTRIES: Final[Entries] = {
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
    "error.message_too_long": {
        "zh-HK": "訊息太長（最多 {limit} 個字），冇處理：「{start}」",
        "en": "That message is too long (at most {limit} characters) and was not read: “{start}”",
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
    "error.internal": {
        "zh-HK": "對唔住，處理呢個指令時出錯，乜都冇改到。請稍後再試；問題已記錄低。",
        "en": "Sorry, something went wrong with that command and nothing was changed. Please try "
        "again later; the problem has been logged.",
    },
    "error.offsets_order": {
        "zh-HK": "時間次序唔啱：確認卡（{confirm}）要早過催覆（{nudge}），催覆要早過提醒"
        "（{remind}）。* 係機構預設。",
        "en": "The timing is out of order: the confirm card ({confirm}) must come before the "
        "nudge ({nudge}), and the nudge before the reminder ({remind}). * is the "
        "organisation's default.",
    },
    "error.too_long": {
        "zh-HK": "{option}= 太長（最多 {limit} 個字）。",
        "en": "{option}= is too long (at most {limit} characters).",
    },
    "error.not_allowed": {
        "zh-HK": "{command} 只限{role}或以上使用。",
        "en": "{command} is for {role}s and above.",
    },
    "list.separator": {"zh-HK": "、", "en": ", "},
    "reply.cut": {
        "zh-HK": "…有 {count} 行太長，冇完整顯示。",
        "en": "…{count} line(s) not shown in full: too long for one message.",
    },
}
