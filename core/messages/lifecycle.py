"""What the lifecycle sends and its cards say: the announcement, the confirm card and taps
on it, nudges, reminders and change notices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from core.messages.language import Entries
from planner.conflicts import RefusalReason

ENTRIES: Final[Entries] = {
    "card.more": {
        "zh-HK": "…（詳情：/roster {shift_id}）",
        "en": "… (details: /roster {shift_id})",
    },
    "card.status": {
        "zh-HK": "已確認 {confirmed}/{headcount}",
        "en": "{confirmed}/{headcount} confirmed",
    },
    "card.confirm_title": {
        "zh-HK": "請確認出席：{when} {site}",
        "en": "Please confirm: {when} {site}",
    },
    "card.confirm_intro": {
        "zh-HK": "**{title}**：撳「確認出席」或者「嚟唔到」。",
        "en": "**{title}**: tap Confirm or Can't make it.",
    },
    "card.button_confirm": {"zh-HK": "確認出席", "en": "Confirm"},
    "card.button_decline": {"zh-HK": "嚟唔到", "en": "Can't make it"},
    "card.button_withdraw": {"zh-HK": "臨時嚟唔到", "en": "Can't make it after all"},
    "card.starts_soon": {
        "zh-HK": "⏰ 呢更好快開始，請盡快回覆。",
        "en": "⏰ This shift starts soon: please answer now.",
    },
    "announce.title": {"zh-HK": "新更 #{id}", "en": "New shift #{id}"},
    "announce.header": {"zh-HK": "📢 **新更公佈**", "en": "📢 **New shift**"},
    "announce.people": {
        "zh-HK": "已編 {count}/{headcount} 人：{names}",
        "en": "{count}/{headcount} booked: {names}",
    },
    "nudge.title": {"zh-HK": "請確認 #{id}", "en": "Please confirm #{id}"},
    "nudge.body": {
        "zh-HK": "你仲未回覆呢更，請撳「確認出席」或者「嚟唔到」：",
        "en": "You have not answered yet. Please tap Confirm or Can't make it:",
    },
    "nudge.summary_title": {"zh-HK": "#{id} 未回覆同缺人", "en": "#{id}: waiting and vacancies"},
    "nudge.summary": {
        "zh-HK": "未回覆 {waiting} 人：{names}\n仲缺 {vacancies} 人",
        "en": "Not answered ({waiting}): {names}\nVacancies: {vacancies}",
    },
    "remind.title": {"zh-HK": "提提你：#{id}", "en": "Reminder: #{id}"},
    "remind.body": {
        "zh-HK": "⏰ 提提你，你已確認出席以下呢更。臨時嚟唔到請撳掣，我哋會搵人頂上：",
        "en": "⏰ A reminder of the shift you confirmed. If you can no longer come, tap the "
        "button and we will find someone to cover:",
    },
    "remind.health": {
        "zh-HK": "🩺 出發前請先完成健康申報。",
        "en": "🩺 Please complete the health declaration before you set off.",
    },
    "card.cancelled": {"zh-HK": "❌ 呢更已取消", "en": "❌ This shift is cancelled"},
    "change.title": {"zh-HK": "#{id} 有改動", "en": "Shift #{id} has changed"},
    "change.edited": {
        "zh-HK": "✏️ 你參加嘅 #{id} 有以下改動：",
        "en": "✏️ Shift #{id}, which you are on, has changed:",
    },
    "change.cancelled": {
        "zh-HK": "❌ #{id}（{when} {site}）已取消。原因：{reason}\n唔使再出席，多謝你！",
        "en": "❌ Shift #{id} ({when} {site}) is cancelled. Reason: {reason}\nNo need to come; "
        "thank you!",
    },
    "card.my_pending": {"zh-HK": "請撳掣確認你會唔會嚟", "en": "Please tell us if you can come"},
    "card.my_confirmed": {
        "zh-HK": "✅ 你已確認出席，多謝！",
        "en": "✅ You are confirmed. Thank you!",
    },
    "card.my_declined": {
        "zh-HK": "已收到，你今次嚟唔到。我哋會搵人補上。",
        "en": "Noted: you can't make it. We will find someone to cover.",
    },
    "card.not_on_shift": {
        "zh-HK": "你唔喺 #{id} 呢更嘅名單上，所以乜都冇改到。",
        "en": "You are not on shift #{id}, so nothing was changed.",
    },
    "card.shift_cancelled": {
        "zh-HK": "#{id} 呢更已經取消，唔使再回覆。",
        "en": "Shift #{id} has been cancelled; no answer is needed.",
    },
    "card.shift_started": {
        "zh-HK": "#{id} 呢更已經開始咗，唔可以再改。",
        "en": "Shift #{id} has already started; answers can no longer change.",
    },
    "card.not_for_this_card": {
        "zh-HK": "呢個掣喺呢張卡用唔到。",
        "en": "That button does nothing on this card.",
    },
    "card.rebook_full": {
        "zh-HK": "#{id} 已經搵到人補上，多謝你！",
        "en": "Shift #{id} has been filled meanwhile. Thank you all the same!",
    },
    "card.rebook_overlap": {
        "zh-HK": "你而家有另一更同 #{id} 撞時間，冇幫你改。",
        "en": "You now have another shift at the time of #{id}; nothing was changed.",
    },
    "card.rebook_past": {
        "zh-HK": "#{id} 呢更已經開始咗，唔可以再改。",
        "en": "Shift #{id} has already started; answers can no longer change.",
    },
    "card.rebook_cancelled": {
        "zh-HK": "#{id} 呢更已經取消，唔使再回覆。",
        "en": "Shift #{id} has been cancelled; no answer is needed.",
    },
    "card.rebook_already_booked": {
        "zh-HK": "你已經喺 #{id} 嘅名單上。",
        "en": "You are already on shift #{id}.",
    },
    "card.outdated": {
        "zh-HK": "呢張係舊卡，已經唔再收回覆，乜都冇改到。請用最新嗰張卡，或者搵統籌。",
        "en": "This is an old card that no longer takes answers; nothing was changed. "
        "Please use the latest card, or ask your coordinator.",
    },
    "card.asked": {"zh-HK": "邀請：{people}", "en": "Asked: {people}"},
    "card.fallback_answer": {
        "zh-HK": "呢張卡嘅按鈕送唔到俾你：要回覆第 {shift_id} 更，請話俾統籌知；"
        "/roster {shift_id} 睇詳情。",
        "en": "This card's buttons could not reach you: to answer for shift {shift_id}, "
        "tell a coordinator; /roster {shift_id} shows the details.",
    },
    "card.and_more": {"zh-HK": "…同另外 {count} 個", "en": "… and {count} more"},
    "card.failed": {
        "zh-HK": "對唔住，處理出錯，乜都冇改到。請稍後再試。",
        "en": "Sorry, something went wrong and nothing was changed. Please try again later.",
    },
}

# Why a Confirm tap after a decline could not book the seat again.
REBOOK_REFUSALS: Final[Mapping[RefusalReason, str]] = {
    "cancelled": "card.rebook_cancelled",
    "past": "card.rebook_past",
    "full": "card.rebook_full",
    "overlap": "card.rebook_overlap",
    "already_booked": "card.rebook_already_booked",
}
