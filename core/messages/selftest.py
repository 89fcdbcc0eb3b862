"""What ``dingshift selftest`` puts into DingTalk: the admin's private test message and the
test card delivered to a group."""

from __future__ import annotations

from typing import Final

from core.messages.language import Entries

ENTRIES: Final[Entries] = {
    "selftest.private_hello": {
        "zh-HK": "DingShift 自我測試：機械人可以私訊你。",
        "en": "DingShift self-test: the robot can message you privately.",
    },
    "selftest.card_title": {"zh-HK": "DingShift 自我測試", "en": "DingShift self-test"},
    "selftest.card_body": {
        "zh-HK": "呢張卡片由 `dingshift selftest` 發出。請管理員撳下面個掣，"
        "確認卡片嘅回應可以傳到機械人。",
        "en": "Sent by `dingshift selftest`. An admin taps the button below to check that"
        " taps on cards reach the bot.",
    },
    "selftest.card_waiting": {"zh-HK": "等緊管理員撳掣…", "en": "Waiting for an admin's tap…"},
    "selftest.button": {"zh-HK": "撳呢度測試", "en": "Tap to test"},
    "selftest.card_tapped": {
        "zh-HK": "✅ 機械人收到撳掣，卡片運作正常",
        "en": "✅ The bot received the tap: cards work",
    },
    "selftest.my_tapped": {"zh-HK": "✅ 收到", "en": "✅ Received"},
}
