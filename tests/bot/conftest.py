"""Fixtures for the bot's own plumbing: a fresh database, and live chat messages from the sandbox.

No bot is connected in these tests, so :class:`Inbox` opens a bare Stream websocket itself: the
sandbox pushes it the frame of a posted message, whose sessionWebhook is then live and real.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.incoming import ChatMessage, parse_chat_message
from sandbox import Sandbox

CHATBOT_TOPIC = "/v1.0/im/bot/messages/get"


class Inbox:
    """A bare Stream connection that turns posted messages into parsed :class:`ChatMessage`."""

    def __init__(self, sb: Sandbox, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._sb = sb
        self._ws = ws

    async def post(self, conversation_id: str, sender: str, text: str) -> ChatMessage:
        message_id = self._sb.post_message(conversation_id, sender, text)
        while True:
            raw = await self._ws.receive_str(timeout=5.0)
            frame = json.loads(raw)
            if frame["headers"]["messageId"] == message_id:
                return parse_chat_message(json.loads(frame["data"]), datetime.now(UTC))


@pytest.fixture
async def inbox(sb: Sandbox) -> AsyncIterator[Inbox]:
    body = {
        "clientId": sb.client_id,
        "clientSecret": sb.client_secret,
        "subscriptions": [{"type": "CALLBACK", "topic": CHATBOT_TOPIC}],
    }
    async with aiohttp.ClientSession() as http:
        open_url = sb.base_url + "/v1.0/gateway/connections/open"
        async with http.post(open_url, json=body) as r:
            assert r.status == 200, await r.text()
            opened = await r.json()
        async with http.ws_connect(f"{opened['endpoint']}?ticket={opened['ticket']}") as ws:
            yield Inbox(sb, ws)
