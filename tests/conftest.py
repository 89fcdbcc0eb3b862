"""Shared fixtures: the sandbox, fresh databases, and live chat messages from the sandbox for
tests with no bot connected (:class:`Inbox`).

The dingtalk-stream SDK reads DINGTALK_OPENAPI_ENDPOINT once, when it is first imported, so the
port of the session's sandbox is reserved and exported here, before any test module can import
the SDK. The sandbox fixture then binds exactly that port.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from core.incoming import ChatMessage, parse_chat_message
from sandbox import Sandbox
from storage.database import SessionFactory, create_engine, session_factory, upgrade_schema
from tests.databases import BACKENDS, fresh_database


def _reserve_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SANDBOX_PORT = _reserve_loopback_port()
os.environ["DINGTALK_OPENAPI_ENDPOINT"] = f"http://127.0.0.1:{SANDBOX_PORT}"
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
for proxy_variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(proxy_variable, None)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox per session, on the port the SDK was pointed at above."""
    server = Sandbox(port=SANDBOX_PORT)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    """The session's sandbox with a clean conversation; live connections are kept."""
    sandbox.reset()
    return sandbox


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, and PostgreSQL when the run has a server."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on a fresh database with the schema migrated to the newest revision."""
    engine = create_engine(database_url)
    await upgrade_schema(engine)
    yield session_factory(engine)
    await engine.dispose()


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
