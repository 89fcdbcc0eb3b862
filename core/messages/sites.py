"""``/site add`` and ``/site list``."""

from __future__ import annotations

from typing import Final

from core.messages.language import Entries

ENTRIES: Final[Entries] = {
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
}
