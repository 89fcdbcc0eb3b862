"""A local fake DingTalk: the Stream gateway and the OpenAPI endpoints DingShift uses, so tests
and the demo run the real dingtalk-stream SDK without a DingTalk organisation."""

from sandbox.records import (
    AckRecord,
    Bot,
    CardChange,
    CardState,
    Group,
    PushedFrame,
    RequestRecord,
    SentMessage,
    User,
)
from sandbox.server import Sandbox, is_metered

__all__ = [
    "AckRecord",
    "Bot",
    "CardChange",
    "CardState",
    "Group",
    "PushedFrame",
    "RequestRecord",
    "Sandbox",
    "SentMessage",
    "User",
    "is_metered",
]
