"""``/template add|list|edit|remove``, and how a recurrence and a day read (``rule.*``,
which every reply and card uses to name a weekday)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from core.messages.language import Entries
from storage.shifts import EditRefusalReason

ENTRIES: Final[Entries] = {
    "command.template_add": {
        "zh-HK": "新增範本（定期嘅更），即刻開未來幾個星期嘅更",
        "en": "add a template (a repeating shift) and create its shifts for the coming weeks",
    },
    "command.template_add.details": {
        "zh-HK": "every=：sat（逢星期六）、mon,wed（逢星期一、三）、2w:sat（隔個星期六）、"
        "month:1sat（每月第一個星期六）、month:-1sun（每月最後一個星期日）、"
        "month:15（每月 15 號）。\n"
        "time=：09:00-12:00。need=：人數。from=：由邊日開始（預設今日，隔週由呢日起計）。"
        "except=：唔使開嘅日子，例如 12-25,01-01。\n"
        "可選：lang=cmn:1、meet= 集合地點、contact= 現場聯絡人、equipment=手套,圍裙、"
        "tasks=包裝,派發、health=yes、confirm=72h nudge=48h remind=1d"
        "（幾時發確認卡、催覆同提醒；預設跟機構設定）。範本名就係每更嘅標題。",
        "en": "every=: sat (every Saturday), mon,wed, 2w:sat (every other Saturday), "
        "month:1sat (first Saturday of the month), month:-1sun (last Sunday), "
        "month:15 (the 15th).\n"
        "time=: 09:00-12:00. need=: how many people. from=: the first day (default today; "
        "every-N-weeks rules count from it). except=: days without a shift, e.g. 12-25,01-01.\n"
        "Optional: lang=cmn:1, meet= meeting point, contact= on-site contact, "
        "equipment=gloves,apron, tasks=packing,handing out, health=yes, confirm=72h nudge=48h "
        "remind=1d (when the confirm card, nudge and reminder go out; default: the "
        "organisation's). The template's name is each shift's title.",
    },
    "command.template_list": {
        "zh-HK": "睇範本（可以指定地點）",
        "en": "list the templates (optionally of one site)",
    },
    "command.template_edit": {
        "zh-HK": "修改範本，未公布嘅將來更份會跟住改",
        "en": "change a template; its future unannounced shifts follow",
    },
    "command.template_edit.details": {
        "zh-HK": "可以改：name、every、time、need、lang、meet、contact、equipment、tasks、"
        "health、from、except、confirm、nudge、remind，"
        "例如 `/template edit 3 need=8 time=10:00-13:00`。\n"
        "已公布嘅更唔會郁，要改請用 `/shift edit`（會通知已編嘅義工）。"
        "已編嘅人多過新人數、或者改完會令義工撞更嘅更會保持原狀，並會列出嚟。",
        "en": "Keys: name, every, time, need, lang, meet, contact, equipment, tasks, health, "
        "from, except, confirm, nudge, remind, e.g. `/template edit 3 need=8 time=10:00-13:00`.\n"
        "Announced shifts are not touched: change them with `/shift edit`, which tells the "
        "people on them. A shift with more people booked than the new headcount, or where the "
        "change would make someone clash, is left as it was and listed.",
    },
    "command.template_remove": {
        "zh-HK": "刪除範本，取消佢未公布嘅將來更份",
        "en": "remove a template and cancel its future unannounced shifts",
    },
    "rule.weekly": {"zh-HK": "逢{days}", "en": "every {days}"},
    "rule.every_weeks": {
        "zh-HK": "每 {weeks} 個星期嘅{days}",
        "en": "every {weeks} weeks on {days}",
    },
    "rule.month_day": {"zh-HK": "每月 {day} 號", "en": "monthly on day {day}"},
    "rule.month_last_day": {"zh-HK": "每月最後一日", "en": "monthly on the last day"},
    "rule.month_day_from_end": {
        "zh-HK": "每月倒數第 {n} 日",
        "en": "monthly on day {n} from the end",
    },
    "rule.nth_weekday": {"zh-HK": "每月{nth}個{day}", "en": "the {nth} {day} of every month"},
    "rule.nth.1": {"zh-HK": "第一", "en": "first"},
    "rule.nth.2": {"zh-HK": "第二", "en": "second"},
    "rule.nth.3": {"zh-HK": "第三", "en": "third"},
    "rule.nth.4": {"zh-HK": "第四", "en": "fourth"},
    "rule.nth.5": {"zh-HK": "第五", "en": "fifth"},
    "rule.nth.-1": {"zh-HK": "最後一", "en": "last"},
    "rule.nth.-2": {"zh-HK": "倒數第二", "en": "second-to-last"},
    "rule.nth.-3": {"zh-HK": "倒數第三", "en": "third-to-last"},
    "rule.nth.-4": {"zh-HK": "倒數第四", "en": "fourth-to-last"},
    "rule.nth.-5": {"zh-HK": "倒數第五", "en": "fifth-to-last"},
    "rule.day.mon": {"zh-HK": "星期一", "en": "Monday"},
    "rule.day.tue": {"zh-HK": "星期二", "en": "Tuesday"},
    "rule.day.wed": {"zh-HK": "星期三", "en": "Wednesday"},
    "rule.day.thu": {"zh-HK": "星期四", "en": "Thursday"},
    "rule.day.fri": {"zh-HK": "星期五", "en": "Friday"},
    "rule.day.sat": {"zh-HK": "星期六", "en": "Saturday"},
    "rule.day.sun": {"zh-HK": "星期日", "en": "Sunday"},
    "rule.day_short.mon": {"zh-HK": "一", "en": "Mon"},
    "rule.day_short.tue": {"zh-HK": "二", "en": "Tue"},
    "rule.day_short.wed": {"zh-HK": "三", "en": "Wed"},
    "rule.day_short.thu": {"zh-HK": "四", "en": "Thu"},
    "rule.day_short.fri": {"zh-HK": "五", "en": "Fri"},
    "rule.day_short.sat": {"zh-HK": "六", "en": "Sat"},
    "rule.day_short.sun": {"zh-HK": "日", "en": "Sun"},
    "template.summary": {
        "zh-HK": "{rule} {time}，需要 {need} 人",
        "en": "{rule}, {time}, {need} needed",
    },
    "template.detail.lang": {"zh-HK": "語言要求：{value}", "en": "Languages: {value}"},
    "template.detail.meet": {"zh-HK": "集合地點：{value}", "en": "Meeting point: {value}"},
    "template.detail.contact": {"zh-HK": "現場聯絡：{value}", "en": "On-site contact: {value}"},
    "template.detail.equipment": {"zh-HK": "裝備：{value}", "en": "Equipment: {value}"},
    "template.detail.tasks": {"zh-HK": "工作：{value}", "en": "Tasks: {value}"},
    "template.detail.health": {"zh-HK": "要健康申報", "en": "Health declaration required"},
    "template.detail.except": {"zh-HK": "唔開：{value}", "en": "Skipped: {value}"},
    "template.detail.timing": {
        "zh-HK": "確認卡、催覆、提醒：開更前 {confirm}、{nudge}、{remind}（* 係機構預設）",
        "en": "Confirm card, nudge, reminder: {confirm}, {nudge}, {remind} before the start "
        "(* the organisation's default)",
    },
    "template.missing_name": {
        "zh-HK": "請寫範本名稱，例如 `/template add 星期六早更 site=SSP …`。",
        "en": 'Give the template a name, e.g. `/template add "Saturday morning" site=SSP ...`.',
    },
    "template.missing_id": {
        "zh-HK": "請寫範本編號，例如 3。",
        "en": "Which template? Give its id, e.g. 3.",
    },
    "template.bad_id": {
        "zh-HK": "「{value}」唔係範本編號，應該好似 3 或者 #3。",
        "en": "“{value}” is not a template id; it looks like 3 or #3.",
    },
    "template.not_found": {
        "zh-HK": "搵唔到範本 #{id}。用 `/template list` 睇有咩範本。",
        "en": "There is no template #{id}. `/template list` shows the templates.",
    },
    "template.unknown_site": {
        "zh-HK": "冇「{code}」呢個地點代號。用 `/site list` 睇有咩地點。",
        "en": "There is no site with the code “{code}”. `/site list` shows the sites.",
    },
    "template.outside_region": {
        "zh-HK": "{code} 唔喺你負責嘅地區。",
        "en": "{code} is outside your regions.",
    },
    "template.added": {
        "zh-HK": "✅ 已新增範本 **#{id} {name}**（{site}）",
        "en": "✅ Added template **#{id} {name}** ({site})",
    },
    "template.created": {
        "zh-HK": "已開 {count} 更：{dates}",
        "en": "Shifts created ({count}): {dates}",
    },
    "template.see_shifts": {
        "zh-HK": "用 `/shift list {site}` 睇更表。",
        "en": "See them with `/shift list {site}`.",
    },
    "template.created_none": {
        "zh-HK": "未來 {weeks} 個星期冇更要開。",
        "en": "No shifts fall in the next {weeks} week(s).",
    },
    "template.none": {
        "zh-HK": "仲未有範本。用 `/template add` 新增。",
        "en": "No templates yet. Add one with `/template add`.",
    },
    "template.list_header": {"zh-HK": "**範本**（{count}）", "en": "**Templates** ({count})"},
    "template.line": {
        "zh-HK": "**#{id}** {name}・{site}・{summary}",
        "en": "**#{id}** {name} · {site} · {summary}",
    },
    "template.edited": {
        "zh-HK": "✏️ 已修改範本 **#{id} {name}**（{site}）",
        "en": "✏️ Changed template **#{id} {name}** ({site})",
    },
    "template.edit_updated": {
        "zh-HK": "跟住改咗 {count} 更未公布嘅更：{dates}",
        "en": "Unannounced shifts updated ({count}): {dates}",
    },
    "template.edit_cancelled": {
        "zh-HK": "新規則冇咗嘅日子，取消咗 {count} 更：{dates}",
        "en": "Cancelled, no longer in the rule ({count}): {dates}",
    },
    "template.cancelled_with_people": {
        "zh-HK": "⚠️ 其中 {count} 更已經編咗人，請話畀佢哋知。",
        "en": "⚠️ People were booked on {count} of them; please let them know.",
    },
    "template.edit_created": {
        "zh-HK": "新開咗 {count} 更：{dates}",
        "en": "New shifts ({count}): {dates}",
    },
    "template.edit_kept": {
        "zh-HK": "⚠️ 以下 {count} 更保持原狀：",
        "en": "⚠️ Left as they were ({count}):",
    },
    "template.kept_line": {"zh-HK": "#{id} {date}：{reason}", "en": "#{id} {date}: {reason}"},
    "template.kept.below_booked": {
        "zh-HK": "已編嘅人多過新人數",
        "en": "more people are booked than the new headcount",
    },
    "template.kept.overlap": {
        "zh-HK": "有義工會同 #{other} 撞時間",
        "en": "someone on it would clash with #{other}",
    },
    "template.kept.no_such_time": {
        "zh-HK": "嗰日冇呢個時間",
        "en": "that time does not exist on that day",
    },
    "template.edit_announced": {
        "zh-HK": "已公布嘅 {count} 更冇改；要改請用 `/shift edit <編號>`，會通知已編嘅義工。",
        "en": "Announced shifts not changed: {count}. Use `/shift edit <id>`, which tells the "
        "people on them.",
    },
    "template.edit_no_shifts": {
        "zh-HK": "冇未公布嘅將來更份要跟住改。",
        "en": "No future unannounced shifts needed changing.",
    },
    "template.nothing_to_change": {
        "zh-HK": "要改咩？例如 `need=8` 或者 `time=10:00-13:00`。",
        "en": "What should change? For example `need=8` or `time=10:00-13:00`.",
    },
    "template.removed": {
        "zh-HK": "🗑️ 已刪除範本 **#{id} {name}**（{site}），之後唔會再開新更。",
        "en": "🗑️ Removed template **#{id} {name}** ({site}); it creates no more shifts.",
    },
    "template.removed_cancelled": {
        "zh-HK": "取消咗 {count} 更未公布嘅將來更份。",
        "en": "Future unannounced shifts cancelled: {count}.",
    },
    "template.removed_announced": {
        "zh-HK": "已公布嘅 {count} 更保留；要取消請用 `/shift cancel <編號>`，會通知已編嘅義工。",
        "en": "Announced shifts kept: {count}. Cancel them with `/shift cancel <id>`, which "
        "tells the people on them.",
    },
}

# Indexed by ``date.weekday()`` (Monday is 0), as ``planner.registration.WEEKDAYS`` is.
DAY_NAMES: Final[tuple[str, ...]] = (
    "rule.day.mon",
    "rule.day.tue",
    "rule.day.wed",
    "rule.day.thu",
    "rule.day.fri",
    "rule.day.sat",
    "rule.day.sun",
)
DAY_SHORT_NAMES: Final[tuple[str, ...]] = (
    "rule.day_short.mon",
    "rule.day_short.tue",
    "rule.day_short.wed",
    "rule.day_short.thu",
    "rule.day_short.fri",
    "rule.day_short.sat",
    "rule.day_short.sun",
)
# ``month:2sat`` -> the second Saturday; negative counts from the month's end.
ORDINALS: Final[Mapping[int, str]] = {
    1: "rule.nth.1",
    2: "rule.nth.2",
    3: "rule.nth.3",
    4: "rule.nth.4",
    5: "rule.nth.5",
    -1: "rule.nth.-1",
    -2: "rule.nth.-2",
    -3: "rule.nth.-3",
    -4: "rule.nth.-4",
    -5: "rule.nth.-5",
}
# Why a template edit left one of its shifts as it was.
KEPT_REASONS: Final[Mapping[EditRefusalReason, str]] = {
    "below_booked": "template.kept.below_booked",
    "overlap": "template.kept.overlap",
    "no_such_time": "template.kept.no_such_time",
}
