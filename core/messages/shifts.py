"""``/shift list|add|edit|cancel|publish``, and the names of a shift's fields and lifecycle
steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from core.messages.language import Entries

ENTRIES: Final[Entries] = {
    "command.shift_list": {
        "zh-HK": "睇更表：今日起七日，或者指定地點同日子",
        "en": "list shifts: the next seven days, or a site and dates",
    },
    "command.shift_list.details": {
        "zh-HK": "例如 `/更表`、`/shift list SSP`、`/shift list 12-01..12-31`、"
        "`/shift list KT sat`。每行：編號、日子、時間、地點、已編／需要人數；⚠️ 代表未夠人。",
        "en": "For example `/shift list`, `/shift list SSP`, `/shift list 12-01..12-31`, "
        "`/shift list KT sat`. Each line: id, day, time, site, booked/needed; ⚠️ means "
        "people are still needed.",
    },
    "command.shift_add": {
        "zh-HK": "新增一更（單次），回覆更份編號",
        "en": "add a one-off shift; the reply gives its id",
    },
    "command.shift_add.details": {
        "zh-HK": "date=：2026-12-06、12-06、今日、聽日、星期六。time=：09:00-12:00。"
        "need=：人數。\n"
        "可選：title= 標題、lang=cmn:1,en:1（每種語言最少幾多人識講）、meet= 集合地點、"
        "contact= 現場聯絡人、equipment=手套,圍裙、tasks=包裝,派發、health=yes（要健康申報）。\n"
        "幾時發確認卡、催覆同提醒：confirm=72h nudge=48h remind=1d（開更前幾耐；"
        "default＝機構預設）。\n"
        "有空格嘅內容用引號，例如 meet=「港鐵站 A 出口」。",
        "en": "date=: 2026-12-06, 12-06, today, tomorrow, sat. time=: 09:00-12:00. need=: how "
        "many people.\nOptional: title=, lang=cmn:1,en:1 (the minimum speakers of each "
        "language), meet= meeting point, contact= on-site contact, equipment=gloves,apron, "
        "tasks=packing,handing out, health=yes (a health declaration is required).\n"
        "When the confirm card, the nudge and the reminder go out: confirm=72h nudge=48h "
        "remind=1d (before the start; default = the organisation's).\n"
        'Quote values with spaces, e.g. meet="MTR exit A".',
    },
    "command.shift_edit": {
        "zh-HK": "修改一更：日子、時間、人數或者其他資料",
        "en": "change a shift: date, time, headcount or other details",
    },
    "command.shift_edit.details": {
        "zh-HK": "可以改：date、time、need、title、lang、meet、contact、equipment、tasks、health、"
        "confirm、nudge、remind，"
        "例如 `/shift edit 42 time=10:00-13:00 need=8`。人數唔可以少過已編嘅人；"
        "改時間令已編嘅義工撞更亦唔得。已開始或者已取消嘅更唔可以改。",
        "en": "Keys: date, time, need, title, lang, meet, contact, equipment, tasks, health, "
        "confirm, nudge, remind, e.g. `/shift edit 42 time=10:00-13:00 need=8`. The headcount "
        "cannot drop below the people booked, and a new time must not clash with their other "
        "shifts. A shift that has started or is cancelled cannot be changed.",
    },
    "command.shift_cancel": {
        "zh-HK": "取消一更，可以寫埋原因",
        "en": "cancel a shift, optionally with a reason",
    },
    "shift.bad_id": {
        "zh-HK": "「{value}」唔係更份編號，應該好似 42 或者 #42。",
        "en": "“{value}” is not a shift id; it looks like 42 or #42.",
    },
    "shift.missing_id": {
        "zh-HK": "請寫更份編號，例如 42。",
        "en": "Which shift? Give its id, e.g. 42.",
    },
    "shift.not_found": {"zh-HK": "搵唔到 #{id} 呢更。", "en": "There is no shift #{id}."},
    "shift.cancelled": {
        "zh-HK": "#{id} 已經取消咗，唔可以再改或者編更。",
        "en": "#{id} is cancelled: it can no longer be changed or staffed.",
    },
    "shift.past": {
        "zh-HK": "#{id} 已經開始咗或者完咗，唔可以再改或者編更。",
        "en": "#{id} has already started or ended: it can no longer be changed or staffed.",
    },
    "shift.unknown_site": {
        "zh-HK": "冇「{code}」呢個地點代號。用 `/site list` 睇有咩地點。",
        "en": "There is no site with the code “{code}”. `/site list` shows the sites.",
    },
    "shift.unknown_site_or_dates": {
        "zh-HK": "「{value}」唔係地點代號，亦唔係日子（例如 12-01..12-31、sat）。",
        "en": "“{value}” is neither a site code nor dates (e.g. 12-01..12-31, sat).",
    },
    "shift.outside_region": {
        "zh-HK": "{code} 唔喺你負責嘅地區。",
        "en": "{code} is outside your regions.",
    },
    "shift.starts_in_past": {
        "zh-HK": "{when} 已經過咗，更份要喺將來開始。",
        "en": "{when} is in the past; a shift must start in the future.",
    },
    "shift.added": {
        "zh-HK": "✅ 已新增 **#{id}**：{when} {site}，需要 {need} 人",
        "en": "✅ Added **#{id}**: {when} {site}, needs {need}",
    },
    "shift.added_next": {
        "zh-HK": "下一步：`/assign {id} @義工`",
        "en": "Next: `/assign {id} @volunteer`",
    },
    "shift.list_header": {"zh-HK": "更表 {first} 至 {last}", "en": "Shifts {first} – {last}"},
    "shift.list_empty": {"zh-HK": "呢段日子冇更。", "en": "No shifts on these days."},
    "shift.list_short": {
        "zh-HK": "⚠️ {shifts} 更未夠人，合共仲缺 {seats} 人",
        "en": "⚠️ Open places: {seats}, in {shifts} short-staffed shift(s)",
    },
    "shift.list_all_staffed": {"zh-HK": "全部更都夠人 ✅", "en": "Every shift is staffed ✅"},
    "shift.list_more": {
        "zh-HK": "…仲有 {count} 更未列出，請收窄日子或者指定地點。",
        "en": "…{count} more not shown: narrow the dates or give a site.",
    },
    "shift.nothing_to_edit": {
        "zh-HK": "要改咩？可以改：{keys}，例如 time=10:00-13:00。",
        "en": "What should change? Keys: {keys}, e.g. time=10:00-13:00.",
    },
    "shift.unchanged": {
        "zh-HK": "#{id} 本身已經係咁，乜都冇改。",
        "en": "#{id} already has those details; nothing changed.",
    },
    "shift.template_clash": {
        "zh-HK": "#{id} 同 #{other} 出自同一個範本，同一日只可以有一更。",
        "en": "#{id} and #{other} come from the same template, which has one shift a day.",
    },
    "shift.below_booked": {
        "zh-HK": "#{id} 已經編咗 {booked} 人，人數唔可以少過 {booked}。請先用 `/unassign` 除名。",
        "en": "#{id} already has {booked} booked, so need= cannot be below {booked}. "
        "Take people off with `/unassign` first.",
    },
    "shift.edit_overlap": {
        "zh-HK": "咁改 #{id} 嘅話，{nick} 會同 #{other}（{when}）撞時間。",
        "en": "Changing #{id} like this would make {nick} clash with #{other} ({when}).",
    },
    "shift.edited": {"zh-HK": "✏️ 已修改 **#{id}**：", "en": "✏️ Changed **#{id}**:"},
    "shift.change_line": {
        "zh-HK": "- {field}：{before} → {after}",
        "en": "- {field}: {before} → {after}",
    },
    "shift.empty_value": {"zh-HK": "（冇）", "en": "(none)"},
    "shift.field.date": {"zh-HK": "日子", "en": "Date"},
    "shift.field.time": {"zh-HK": "時間", "en": "Time"},
    "shift.field.need": {"zh-HK": "人數", "en": "Headcount"},
    "shift.field.title": {"zh-HK": "標題", "en": "Title"},
    "shift.field.lang": {"zh-HK": "語言要求", "en": "Languages needed"},
    "shift.field.meet": {"zh-HK": "集合地點", "en": "Meeting point"},
    "shift.field.contact": {"zh-HK": "現場聯絡", "en": "On-site contact"},
    "shift.field.equipment": {"zh-HK": "裝備", "en": "Equipment"},
    "shift.field.tasks": {"zh-HK": "工作", "en": "Tasks"},
    "shift.field.health": {"zh-HK": "健康申報", "en": "Health declaration"},
    "shift.field.announce": {"zh-HK": "群組公佈", "en": "Announcement"},
    "shift.field.confirm": {"zh-HK": "確認卡", "en": "Confirm card"},
    "shift.field.nudge": {"zh-HK": "催覆", "en": "Nudge"},
    "shift.field.remind": {"zh-HK": "提醒", "en": "Reminder"},
    "shift.cancelled_done": {
        "zh-HK": "🚫 已取消 **#{id}**：{when} {site}",
        "en": "🚫 Cancelled **#{id}**: {when} {site}",
    },
    "shift.cancel_reason": {"zh-HK": "原因：{reason}", "en": "Reason: {reason}"},
    "shift.cancel_affected": {
        "zh-HK": "#{id} 原本編咗 {count} 人。",
        "en": "Booked on #{id}: {count}.",
    },
    "command.shift_publish": {
        "zh-HK": "發佈更：喺群組公佈，開更前自動發確認卡、提醒",
        "en": "publish shifts: announce them, then confirm cards and reminders go out on time",
    },
    "command.shift_publish.details": {
        "zh-HK": "預設發佈今日起 7 日內未發佈嘅更；可以指定地點同日子，例如 "
        "`/shift publish SSP 12-01..12-31`。",
        "en": "By default the unpublished shifts of the next 7 days; a site and dates narrow it, "
        "e.g. `/shift publish SSP 12-01..12-31`.",
    },
    "shift.published": {
        "zh-HK": "📢 已發佈 {count} 更：{ids}。群組會收到公佈；開更前 {confirm} 小時發確認卡，"
        "{remind} 小時前提醒已確認嘅義工。",
        "en": "📢 Published {count} shift(s): {ids}. The group gets the announcement; confirm "
        "cards go out {confirm} h before, reminders to the confirmed {remind} h before.",
    },
    "shift.publish_none": {
        "zh-HK": "呢段日子冇未發佈嘅更。",
        "en": "No unpublished shifts on these days.",
    },
}

# An option of /shift and /template (or a lifecycle step, which shares its option's name) -> its
# name, for the lines that say what changed and what comes next.
FIELD_NAMES: Final[Mapping[str, str]] = {
    "date": "shift.field.date",
    "time": "shift.field.time",
    "need": "shift.field.need",
    "title": "shift.field.title",
    "lang": "shift.field.lang",
    "meet": "shift.field.meet",
    "contact": "shift.field.contact",
    "equipment": "shift.field.equipment",
    "tasks": "shift.field.tasks",
    "health": "shift.field.health",
    "announce": "shift.field.announce",
    "confirm": "shift.field.confirm",
    "nudge": "shift.field.nudge",
    "remind": "shift.field.remind",
}
