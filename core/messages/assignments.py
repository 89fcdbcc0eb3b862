"""``/assign``, ``/unassign`` and ``/roster``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from core.messages.language import Entries
from planner.conflicts import RefusalReason
from storage.models import AssignmentState

ENTRIES: Final[Entries] = {
    "command.assign": {
        "zh-HK": "將 @ 嘅義工編入一更",
        "en": "book the @-mentioned volunteers on a shift",
    },
    "command.assign.details": {
        "zh-HK": "例如 `/assign 42 @陳嘉欣 @Ben`。被 @ 嘅人要先用 `/join` 登記。"
        "撞時間、已滿或者已經喺更上嘅人會逐個話你知，其他人照樣編入。",
        "en": "For example `/assign 42 @Kayan @Ben`. Everyone mentioned must have registered "
        "with `/join`. Whoever cannot be booked (a clash, a full shift, already on it) is "
        "listed with the reason; the others are booked.",
    },
    "command.unassign": {
        "zh-HK": "將 @ 嘅義工由一更除名",
        "en": "take the @-mentioned volunteers off a shift",
    },
    "command.roster": {
        "zh-HK": "睇一更嘅名單：已確認、待回覆、婉拒、候補",
        "en": "who is on a shift: confirmed, pending, declined, standby",
    },
    "assign.no_mention": {
        "zh-HK": "請 @ 要編更嘅義工，例如 `/assign 42 @陳嘉欣 @Ben`。",
        "en": "Please @-mention the volunteers, e.g. `/assign 42 @Kayan @Ben`.",
    },
    "assign.not_registered": {
        "zh-HK": "{names} 仲未登記做義工，請佢哋先打 `/join`。",
        "en": "Not registered as volunteers yet: {names}. Ask them to type `/join` first.",
    },
    "assign.booked": {
        "zh-HK": "✅ {names} 已編入 #{id}（{taken}/{need}）",
        "en": "✅ {names} booked on #{id} ({taken}/{need})",
    },
    "assign.refused.overlap": {
        "zh-HK": "❌ {nick}：同 #{other}（{when}）撞時間",
        "en": "❌ {nick}: clashes with #{other} ({when})",
    },
    "assign.refused.too_close": {
        "zh-HK": "❌ {nick}：同 #{other}（{when}）之間唔夠 {minutes} 分鐘休息",
        "en": "❌ {nick}: less than {minutes} minutes' rest from #{other} ({when})",
    },
    "assign.refused.full": {
        "zh-HK": "❌ {nick}：#{id} 已經滿咗（{taken}/{need}）",
        "en": "❌ {nick}: #{id} is full ({taken}/{need})",
    },
    "assign.refused.past": {
        "zh-HK": "❌ {nick}：#{id} 已經開始咗",
        "en": "❌ {nick}: #{id} has already started",
    },
    "assign.refused.cancelled": {
        "zh-HK": "❌ {nick}：#{id} 已經取消咗",
        "en": "❌ {nick}: #{id} is cancelled",
    },
    "assign.refused.already_booked": {
        "zh-HK": "ℹ️ {nick} 本身已經喺 #{id}",
        "en": "ℹ️ {nick} is already on #{id}",
    },
    "unassign.done": {
        "zh-HK": "✅ {names} 已由 #{id} 除名（{taken}/{need}）",
        "en": "✅ {names} taken off #{id} ({taken}/{need})",
    },
    "unassign.not_on": {
        "zh-HK": "ℹ️ {names} 本身冇編入 #{id}",
        "en": "ℹ️ {names}: not booked on #{id}",
    },
    "roster.counts": {
        "zh-HK": "已確認 {confirmed}/{need}・已編 {booked}/{need}",
        "en": "{confirmed}/{need} confirmed · {booked}/{need} booked",
    },
    "roster.cancelled": {"zh-HK": "（已取消）", "en": "(cancelled)"},
    "roster.section": {
        "zh-HK": "{state}（{count}）：{names}",
        "en": "{state} ({count}): {names}",
    },
    "roster.state.confirmed": {"zh-HK": "已確認", "en": "Confirmed"},
    "roster.state.invited": {"zh-HK": "待回覆", "en": "Invited, no answer yet"},
    "roster.state.declined": {"zh-HK": "婉拒", "en": "Declined"},
    "roster.state.standby": {"zh-HK": "候補", "en": "Standby"},
    "roster.state.withdrawn": {"zh-HK": "已除名", "en": "Withdrawn"},
    "roster.state.attended": {"zh-HK": "已出席", "en": "Attended"},
    "roster.state.no_show": {"zh-HK": "缺席", "en": "No-show"},
    "roster.nobody": {"zh-HK": "仲未有人。", "en": "Nobody yet."},
    "roster.languages": {
        "zh-HK": "語言（按已編嘅人）：{cover}",
        "en": "Languages (people booked): {cover}",
    },
    "roster.language_missing": {"zh-HK": "缺 {count}", "en": "{count} short"},
    "roster.vacancies": {"zh-HK": "⚠️ 仲缺 {count} 人", "en": "⚠️ {count} more needed"},
    "roster.unpublished": {
        "zh-HK": "📝 未發佈：`/shift publish` 之後先會公佈同發確認卡。",
        "en": "📝 Not published: the announcement and cards start after `/shift publish`.",
    },
    "roster.next": {"zh-HK": "⏭️ 下一步：{step}，{when}", "en": "⏭️ Next: {step}, {when}"},
    "roster.next_now": {
        "zh-HK": "⏭️ 下一步：{step}，即將發出",
        "en": "⏭️ Next: {step}, going out now",
    },
}

# Why /assign could not book someone (an overlap too close to call one is ``too_close``).
BOOKING_REFUSALS: Final[Mapping[RefusalReason, str]] = {
    "cancelled": "assign.refused.cancelled",
    "past": "assign.refused.past",
    "full": "assign.refused.full",
    "overlap": "assign.refused.overlap",
    "already_booked": "assign.refused.already_booked",
}
# The roster's section for the people in each state.
ROSTER_STATE_NAMES: Final[Mapping[AssignmentState, str]] = {
    AssignmentState.INVITED: "roster.state.invited",
    AssignmentState.CONFIRMED: "roster.state.confirmed",
    AssignmentState.DECLINED: "roster.state.declined",
    AssignmentState.STANDBY: "roster.state.standby",
    AssignmentState.WITHDRAWN: "roster.state.withdrawn",
    AssignmentState.ATTENDED: "roster.state.attended",
    AssignmentState.NO_SHOW: "roster.state.no_show",
}
