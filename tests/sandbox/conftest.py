"""The real dingtalk-stream SDK, run on its own thread against the session's sandbox.

SDK 0.24.3's `start()` retries forever and swallows cancellation, so a client is stopped by making
its next `open_connection()` raise a BaseException (start() only catches Exception) and closing
its socket cleanly, which makes the SDK reconnect at once and thereby meet that exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import dingtalk_stream
import pytest

from sandbox import Sandbox

RunClient = Callable[[dict[str, Any]], None]


class _ClientStopped(BaseException):
    pass


class _StoppableClient(dingtalk_stream.DingTalkStreamClient):  # type: ignore[misc]
    def __init__(self, credential: Any) -> None:
        super().__init__(credential)
        self.stopping = threading.Event()

    def open_connection(self) -> Any:
        if self.stopping.is_set():
            raise _ClientStopped
        return super().open_connection()


def _run(client: _StoppableClient) -> None:
    with contextlib.suppress(_ClientStopped):
        asyncio.run(client.start())


@pytest.fixture
def run_client(sb: Sandbox) -> Iterator[RunClient]:
    """Starts a real SDK client with `{topic: handler}`; stops it after the test."""
    running: list[tuple[_StoppableClient, threading.Thread]] = []

    def run(handlers: dict[str, Any]) -> None:
        credential = dingtalk_stream.Credential(sb.client_id, sb.client_secret)
        client = _StoppableClient(credential)
        for topic, handler in handlers.items():
            client.register_callback_handler(topic, handler)
        thread = threading.Thread(target=_run, args=(client,), name="sdk-client", daemon=True)
        thread.start()
        running.append((client, thread))

    yield run
    for client, _ in running:
        client.stopping.set()
    sb.close_connections(code=1000)
    for _, thread in running:
        thread.join(timeout=5)
        assert not thread.is_alive(), "the SDK client did not stop"


@pytest.fixture
async def http(sb: Sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    """A client with a valid access token, as the bot's own OpenAPI client would have."""
    async with aiohttp.ClientSession(base_url=sb.base_url) as session:
        credentials = {"appKey": sb.client_id, "appSecret": sb.client_secret}
        async with session.post("/v1.0/oauth2/accessToken", json=credentials) as response:
            token = (await response.json())["accessToken"]
        session.headers["x-acs-dingtalk-access-token"] = token
        yield session
