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
    "role.volunteer": {"zh-HK": "義工", "en": "volunteer"},
    "role.viewer": {"zh-HK": "地區協調員", "en": "regional viewer"},
    "role.scheduler": {"zh-HK": "排班主管", "en": "scheduler"},
    "role.coordinator": {"zh-HK": "統籌", "en": "coordinator"},
    "role.admin": {"zh-HK": "管理員", "en": "admin"},
    # roles
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
    # shifts and assignments
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
    # sites and templates
    "command.site_add": {
        "zh-HK": "新增地點（喺嗰個地點嘅群組打，公告同卡片就會發去嗰度）",
        "en": "add a site (type it in the site's group: its announcements and cards go there)",
    },
    "command.site_add.details": {
        "zh-HK": "代號：2 至 16 個英文字母或數字，例如 SSP；名稱跟喺代號後面。"
        "地區：18 區名或簡寫（ssp、kt、深水埗…）。\n"
        "例如 `/site add SSP 深水埗派米站 district=ssp address=「北河街 100 號」 "
        "contact=「陳姑娘 9123 4567」`",
        "en": "Code: 2 to 16 letters or digits, e.g. SSP; the name follows it. District: one of "
        "the 18 districts (ssp, kt, Sham Shui Po...).\n"
        'For example `/site add SSP "SSP food bank" district=ssp address="100 Pei Ho St" '
        'contact="Ms Chan 9123 4567"`',
    },
    "command.site_list": {"zh-HK": "睇所有地點", "en": "list the sites"},
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
    "command.avail": {
        "zh-HK": "設定自己每星期有空嘅時段",
        "en": "set the times you are free each week",
    },
    "command.avail.details": {
        "zh-HK": "例如 `/avail sat-am,sun-pm` 或者 `/有空 星期六上午`。sat 代表成日；"
        "am 上午、pm 下午、eve 晚上。會取代之前嘅時段；`/avail none` 清除；"
        "淨係打 `/avail` 就睇返而家嘅時段。",
        "en": "For example `/avail sat-am,sun-pm`. sat means the whole day; am morning, pm "
        "afternoon, eve evening. It replaces the slots given before; `/avail none` clears "
        "them; `/avail` alone shows them.",
    },
    "avail.current": {
        "zh-HK": "你嘅有空時段：{value}\n更改：`/avail sat-am,sun-pm`",
        "en": "Your availability: {value}\nChange it: `/avail sat-am,sun-pm`",
    },
    "avail.updated": {
        "zh-HK": "✅ 已更新你嘅有空時段：{value}",
        "en": "✅ Your availability is updated: {value}",
    },
    "site.missing_code": {
        "zh-HK": "請寫地點代號同名稱，例如 `/site add SSP 深水埗派米站 district=ssp`。",
        "en": 'Give the site\'s code and name, e.g. `/site add SSP "SSP food bank" district=ssp`.',
    },
    "site.bad_code": {
        "zh-HK": "地點代號「{code}」唔啱：要 2 至 16 個英文字母或數字，例如 SSP。",
        "en": "The site code “{code}” is not valid: use 2 to 16 letters or digits, e.g. SSP.",
    },
    "site.missing_name": {
        "zh-HK": "請喺代號 {code} 後面寫地點名稱。",
        "en": "Please write the site's name after the code {code}.",
    },
    "site.one_district": {
        "zh-HK": "一個地點只可以屬於一個地區。",
        "en": "A site belongs to exactly one district.",
    },
    "site.duplicate": {
        "zh-HK": "地點代號 {code} 已經有人用咗，請揀過另一個。",
        "en": "The site code {code} is already taken; please choose another.",
    },
    "site.added": {
        "zh-HK": "✅ 已新增地點 **{code}** {name}（{district}）",
        "en": "✅ Added site **{code}** {name} ({district})",
    },
    "site.group_linked": {
        "zh-HK": "{code} 嘅公告同卡片會發去呢個群組。",
        "en": "{code}'s announcements and cards will go to this group.",
    },
    "site.no_group": {
        "zh-HK": "⚠️ 喺私人對話新增，所以 {code} 未有群組收公告同卡片。",
        "en": "⚠️ Added in a private chat, so {code} has no group for its announcements and cards.",
    },
    "site.next_step": {
        "zh-HK": "下一步：`/template add 星期六早更 site={code} every=sat time=09:00-12:00 "
        "need=6`",
        "en": 'Next: `/template add "Saturday morning" site={code} every=sat time=09:00-12:00 '
        "need=6`",
    },
    "site.address": {"zh-HK": "地址：{value}", "en": "Address: {value}"},
    "site.contact": {"zh-HK": "聯絡：{value}", "en": "Contact: {value}"},
    "site.no_group_short": {"zh-HK": "未有群組", "en": "no group"},
    "site.none": {
        "zh-HK": "仲未有地點。用 `/site add <代號> <名稱> district=<地區>` 新增。",
        "en": "No sites yet. Add one with `/site add <code> <name> district=<district>`.",
    },
    "site.list_header": {"zh-HK": "**地點**（{count}）", "en": "**Sites** ({count})"},
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
    # cards
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
    "card.failed": {
        "zh-HK": "對唔住，處理出錯，乜都冇改到。請稍後再試。",
        "en": "Sorry, something went wrong and nothing was changed. Please try again later.",
    },
    # backfill
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
    "list.separator": {"zh-HK": "、", "en": ", "},
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


def reader_language(preference: str | None, default: Language) -> Language:
    """Someone's chosen language if it is one we speak, else the organisation's."""
    for language in LANGUAGES:
        if preference == language:
            return language
    return default


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(template) if field}


def join_list(items: list[str], language: Language) -> str:
    return text("list.separator", language).join(items)
