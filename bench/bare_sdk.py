"""The dingtalk-stream SDK on its own, as the baseline the bot is measured against: its client's
own ``start()`` loop in a thread, with a chat handler and a card handler that only ACK."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import dingtalk_stream
from dingtalk_stream import AckMessage, CallbackHandler, CallbackMessage, ChatbotHandler

CARD_TOPIC = "/v1.0/card/instances/callback"


class _EchoChat(ChatbotHandler):  # type: ignore[misc]
    async def process(self, _callback: CallbackMessage) -> tuple[int, Any]:
        return AckMessage.STATUS_OK, "OK"


class _EchoTap(CallbackHandler):  # type: ignore[misc]
    async def process(self, _callback: CallbackMessage) -> tuple[int, Any]:
        return AckMessage.STATUS_OK, {}


class BareSdk:
    """``start`` connects (a new connection, so the sandbox pushes to it); ``stop`` closes it."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self._credential = dingtalk_stream.Credential(client_id, client_secret)
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._main, name="bare-sdk", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _main(self) -> None:
        logger = logging.getLogger("bench.bare_sdk")
        # stop() cancels start(), which the SDK logs as a network error.
        logger.setLevel(logging.CRITICAL)
        client = dingtalk_stream.DingTalkStreamClient(self._credential, logger=logger)
        client.register_callback_handler(dingtalk_stream.ChatbotMessage.TOPIC, _EchoChat())
        client.register_callback_handler(CARD_TOPIC, _EchoTap())
        self._task = self._loop.create_task(client.start())
        self._loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._cancel(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _cancel(self) -> None:
        # start() catches the first cancellation (closing the socket) and sleeps 10 s before it
        # reconnects; a cancellation during that sleep is not caught and ends it.
        assert self._task is not None
        while not self._task.done():
            self._task.cancel()
            await asyncio.sleep(0.2)
        # What start() left behind: its keepalive pinger and frames in flight.
        others = asyncio.all_tasks() - {asyncio.current_task()}
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
