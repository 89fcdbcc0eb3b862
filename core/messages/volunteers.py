"""``/join``, ``/me`` and ``/avail``: a volunteer's own registration."""

from __future__ import annotations

from typing import Final

from core.messages.language import Entries

ENTRIES: Final[Entries] = {
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
}
