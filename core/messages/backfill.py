"""Backfill offers: the offer card, takes, and what coordinators are told when nobody
can be asked or nobody took it."""

from __future__ import annotations

from typing import Final

from core.messages.language import Entries

ENTRIES: Final[Entries] = {
    "backfill.card_title": {
        "zh-HK": "有位要人頂：{when} {site}",
        "en": "Cover needed: {when} {site}",
    },
    "backfill.card_intro": {
        "zh-HK": "**{title}** 有人嚟唔到，你可唔可以頂上？先到先得。",
        "en": "**{title}**: someone dropped out. Can you cover? First come, first served.",
    },
    "backfill.card_deadline": {
        "zh-HK": "⏳ 請喺 {deadline} 前回覆。",
        "en": "⏳ Please answer by {deadline}.",
    },
    "backfill.button_take": {"zh-HK": "我可以頂上", "en": "I can cover"},
    "backfill.status_open": {
        "zh-HK": "仲有位，先到先得",
        "en": "Still open: the first to tap gets it",
    },
    "backfill.my_open": {
        "zh-HK": "撳「我可以頂上」就會幫你編入呢更",
        "en": "Tap I can cover to take the seat",
    },
    "backfill.status_taken": {"zh-HK": "✅ 已由你頂上", "en": "✅ Covered by you"},
    "backfill.my_taken": {
        "zh-HK": "✅ 你已頂上 #{id}，已幫你確認出席，多謝！",
        "en": "✅ You cover #{id} and are confirmed. Thank you!",
    },
    "backfill.already_yours": {
        "zh-HK": "你已經頂咗 #{id}，多謝！",
        "en": "You already took #{id}. Thank you!",
    },
    "backfill.already_taken": {
        "zh-HK": "#{id} 已經有人頂咗，多謝你！乜都冇改到。",
        "en": "Someone else took #{id} first. Thank you all the same; nothing was changed.",
    },
    "backfill.status_filled": {"zh-HK": "已經有人頂上", "en": "Filled"},
    "backfill.expired": {
        "zh-HK": "#{id} 嘅邀請已經截止，乜都冇改到。",
        "en": "The offer for #{id} has closed; nothing was changed.",
    },
    "backfill.status_expired": {"zh-HK": "邀請已截止", "en": "Offer closed"},
    "backfill.status_cancelled": {"zh-HK": "呢更已經取消", "en": "Shift cancelled"},
    "backfill.not_offered": {
        "zh-HK": "#{id} 呢個位冇邀請你，乜都冇改到。",
        "en": "Shift #{id} was not offered to you; nothing was changed.",
    },
    "backfill.over_cap": {
        "zh-HK": "你嗰個星期已經有 {cap} 更，冇幫你編入 #{id}。",
        "en": "You already have {cap} shifts that week; you were not booked on #{id}.",
    },
    "backfill.offered": {
        "zh-HK": "📨 已私下問 {count} 位義工可唔可以頂上：{names}",
        "en": "📨 Offered the seat privately to {count}: {names}",
    },
    "backfill.offered_none": {
        "zh-HK": "冇合適嘅義工可以問（撞更、超出每週上限或者已經問過），請用 `/assign` 直接編人。",
        "en": "Nobody eligible is left to ask (clashing shifts, weekly cap, already asked); "
        "use `/assign` directly.",
    },
    "backfill.nobody_title": {"zh-HK": "#{id} 搵唔到人頂", "en": "#{id}: nobody to ask"},
    "backfill.nobody": {
        "zh-HK": "有人退出咗，但冇合適嘅義工可以問（撞更、超出每週上限或者已經問過）。"
        "仲缺 {vacancies} 人；可以用 `/assign {id} @義工` 直接編人。",
        "en": "Someone dropped out and nobody eligible is left to ask (clashing shifts, weekly "
        "cap, already asked). Vacancies: {vacancies}. Assign someone with "
        "`/assign {id} @volunteer`.",
    },
    "backfill.unfilled_title": {"zh-HK": "#{id} 仲未有人頂", "en": "#{id}: vacancy unfilled"},
    "backfill.unfilled": {
        "zh-HK": "⚠️ 邀請已截止，冇人頂上（問過：{names}）。仲缺 {vacancies} 人；"
        "可以用 `/assign {id} @義工` 直接編人。",
        "en": "⚠️ The offer closed and nobody took it (asked: {names}). Vacancies: {vacancies}. "
        "Assign someone with `/assign {id} @volunteer`.",
    },
}
