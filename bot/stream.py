"""The dingtalk-stream SDK as a guest: its own thread, its own event loop, a lifecycle we own.

This is the only module that imports ``dingtalk_stream``. The SDK opens the connection (its
``open_connection``), parses frames and builds ACKs (its handler classes); we run the websocket
loop ourselves because 0.24.3's ``start()`` swallows cancellation, reconnects with fixed delays
and ACKs to whichever socket is newest. Frames are handed to the application's loop with
``run_coroutine_threadsafe`` and the ACK is built from the handler's :class:`Outcome`.

The websocket, like the SDK's ``requests``, goes through ``HTTPS_PROXY``/``HTTP_PROXY`` unless
``NO_PROXY`` names the host.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote_plus

import dingtalk_stream
import websockets
from dingtalk_stream import AckMessage, CallbackHandler, CallbackMessage, SystemMessage

from bot.dispatch import Outcome
from core.clock import Clock
from core.incoming import (
    CardTap,
    ChatMessage,
    MalformedFrame,
    StreamFrame,
    UnreadableFrame,
    parse_card_tap,
    parse_chat_message,
    read_stream_frame,
)
from core.settings import DingTalkSettings

log = logging.getLogger(__name__)

MESSAGE_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
SYSTEM_PING_TOPIC = "ping"
# DingTalk wants stream pushes ACKed within 3 s and card callbacks within 2 s; leave room for the
# trip back.
ACK_DEADLINE_SECONDS = 2.5
CARD_ACK_DEADLINE_SECONDS = 1.5
MAX_RECONNECT_DELAY_SECONDS = 60.0
# The watchdog waits at least this many of DingTalk's observed ping intervals.
IDLE_PING_INTERVALS = 3
# A SYSTEM ping interval is logged again when it moves by more than this fraction.
PING_INTERVAL_CHANGE = 0.25

MessageCallback = Callable[[ChatMessage], Coroutine[Any, Any, Outcome]]
TapCallback = Callable[[CardTap], Coroutine[Any, Any, Outcome]]
Event = TypeVar("Event")


class EndpointMismatch(RuntimeError):
    pass


def check_sdk_endpoint(api_base: str) -> None:
    """Refuse to start when the SDK would open its connection somewhere other than ``api_base``.

    The SDK binds DINGTALK_OPENAPI_ENDPOINT when first imported, so a setting changed later
    would silently split the bot between two DingTalks.
    """
    sdk_url = dingtalk_stream.DingTalkStreamClient.OPEN_CONNECTION_API
    if not sdk_url.startswith(api_base.rstrip("/") + "/"):
        raise EndpointMismatch(
            f"the dingtalk-stream SDK connects to {sdk_url} but dingtalk.api_base is {api_base};"
            " set DINGTALK_OPENAPI_ENDPOINT before the bot starts"
        )


def reconnect_delay(failures: int) -> float:
    """0 after a clean close; then 1, 2, 4 ... 60 s with jitter."""
    if failures == 0:
        return 0.0
    return min(MAX_RECONNECT_DELAY_SECONDS, 2.0 ** (failures - 1)) * random.uniform(0.8, 1.2)


class _Frames(CallbackHandler, Generic[Event]):  # type: ignore[misc]
    """One topic's frames -> a typed event -> the app loop -> the ACK from its :class:`Outcome`."""

    def __init__(
        self,
        *,
        parse: Callable[[CallbackMessage, datetime], Event],
        handle: Callable[[Event], Coroutine[Any, Any, Outcome]],
        deadline_seconds: float,
        app_loop: asyncio.AbstractEventLoop,
        clock: Clock,
    ) -> None:
        super().__init__()
        self._parse = parse
        self._handle = handle
        self._deadline = deadline_seconds
        self._app_loop = app_loop
        self._clock = clock

    async def process(self, callback: CallbackMessage) -> tuple[int, Any]:
        frame_id = callback.headers.message_id
        try:
            event = self._parse(callback, self._clock.now())
        except (MalformedFrame, TypeError, ValueError) as error:
            log.warning("malformed frame", extra={"frame_id": frame_id, "error": str(error)})
            return AckMessage.STATUS_BAD_REQUEST, "malformed frame"
        try:
            handled = asyncio.run_coroutine_threadsafe(self._handle(event), self._app_loop)
            # Shielded: past the deadline the work still finishes; a redelivery is deduplicated.
            outcome = await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(handled)), self._deadline
            )
        except TimeoutError:
            log.warning("frame not handled before the ACK deadline", extra={"frame_id": frame_id})
            return AckMessage.STATUS_SYSTEM_EXCEPTION, "busy"
        except Exception:
            log.exception("frame handling failed", extra={"frame_id": frame_id})
            return AckMessage.STATUS_SYSTEM_EXCEPTION, "error"
        return AckMessage.STATUS_OK, outcome.ack


def _chat_message(callback: CallbackMessage, received_at: datetime) -> ChatMessage:
    return parse_chat_message(callback.data, received_at)


def _card_tap(callback: CallbackMessage, _received_at: datetime) -> CardTap:
    return parse_card_tap(callback.data, callback.headers.message_id)


class StreamConnection:
    """Owns the SDK client, its thread and loop; ``start``/``stop`` are called from any thread."""

    def __init__(
        self,
        settings: DingTalkSettings,
        *,
        on_message: MessageCallback,
        on_card_tap: TapCallback,
        app_loop: asyncio.AbstractEventLoop,
        clock: Clock,
    ) -> None:
        check_sdk_endpoint(settings.api_base)
        self._settings = settings
        self._on_message = on_message
        self._on_card_tap = on_card_tap
        self._app_loop = app_loop
        self._clock = clock
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._started = threading.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dingtalk-open")
        self._in_flight: set[asyncio.Task[None]] = set()
        self._last_frame_at = 0.0
        self._last_system_ping_at: float | None = None
        self._last_system_ping_interval: float | None = None
        self._logged_ping_interval: float | None = None
        self.connected = threading.Event()
        self.connections_opened = 0

    @property
    def last_system_ping_interval(self) -> float | None:
        """Seconds between DingTalk's two latest SYSTEM pings on one connection; None before."""
        return self._last_system_ping_interval

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._thread_main, name="dingtalk-stream", daemon=True
        )
        self._thread.start()
        self._started.wait(timeout=5)

    def stop(self, timeout: float = 3.0) -> bool:
        """Close the connection, let frames in flight finish; True if the thread ended in time."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            # The loop may close between the check and the call.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopping.set)
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _thread_main(self) -> None:
        asyncio.run(self._run())

    def _client(self) -> Any:
        credential = dingtalk_stream.Credential(
            self._settings.client_id, self._settings.client_secret.get_secret_value()
        )
        client = dingtalk_stream.DingTalkStreamClient(credential, logger=log)
        handlers: dict[str, _Frames[Any]] = {
            MESSAGE_TOPIC: _Frames[ChatMessage](
                parse=_chat_message,
                handle=self._on_message,
                deadline_seconds=ACK_DEADLINE_SECONDS,
                app_loop=self._app_loop,
                clock=self._clock,
            ),
            CARD_TOPIC: _Frames[CardTap](
                parse=_card_tap,
                handle=self._on_card_tap,
                deadline_seconds=CARD_ACK_DEADLINE_SECONDS,
                app_loop=self._app_loop,
                clock=self._clock,
            ),
        }
        for topic, handler in handlers.items():
            handler.logger = log
            client.register_callback_handler(topic, handler)
        client.pre_start()
        return client

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._started.set()
        client = self._client()
        failures = 0
        while not self._stopping.is_set():
            if await self._pause(reconnect_delay(failures)):
                break
            connection = await self._open(client)
            if connection is None:
                failures += 1
                continue
            try:
                failures = 0 if await self._serve(client, connection) else failures + 1
            except (OSError, websockets.exceptions.WebSocketException) as error:
                log.warning("stream connection failed", extra={"error": repr(error)})
                failures += 1
            except Exception:
                # This thread is the bot's only ear: log whatever went wrong and reconnect.
                log.exception("unexpected error in the stream connection")
                failures += 1
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=ACK_DEADLINE_SECONDS)

    async def _pause(self, seconds: float) -> bool:
        """Sleep unless asked to stop; True when stopping."""
        assert self._stopping is not None
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _open(self, client: Any) -> dict[str, str] | None:
        # The SDK's open_connection uses blocking requests with no timeout: keep it off our loop.
        try:
            future = asyncio.get_running_loop().run_in_executor(
                self._executor, client.open_connection
            )
            connection = await asyncio.wait_for(future, self._settings.request_timeout_seconds)
        except (TimeoutError, RuntimeError) as error:
            log.warning("opening the stream connection failed", extra={"error": repr(error)})
            return None
        if not isinstance(connection, dict) or "endpoint" not in connection:
            return None
        return connection

    async def _serve(self, client: Any, connection: dict[str, str]) -> bool:
        """Read frames until the socket closes; True for a clean close (reconnect at once)."""
        assert self._stopping is not None
        uri = f"{connection['endpoint']}?ticket={quote_plus(connection['ticket'])}"
        # Websocket pings find a dead connection (no pong within the timeout closes it, 1011).
        async with websockets.connect(
            uri,
            proxy=True,
            ping_interval=self._settings.stream_ping_interval_seconds,
            ping_timeout=self._settings.stream_ping_timeout_seconds,
        ) as websocket:
            self.connections_opened += 1
            self.connected.set()
            self._last_frame_at = asyncio.get_running_loop().time()
            self._last_system_ping_at = None
            supervisor = asyncio.create_task(self._supervise(websocket))
            try:
                async for raw in websocket:
                    self._last_frame_at = asyncio.get_running_loop().time()
                    task = asyncio.create_task(self._route(client, websocket, raw))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
            except websockets.exceptions.ConnectionClosedError as error:
                code = error.rcvd.code if error.rcvd else None
                log.warning("stream connection lost", extra={"close_code": code})
                return False
            finally:
                self.connected.clear()
                supervisor.cancel()
        return True

    async def _supervise(self, websocket: Any) -> None:
        """Close the socket when asked to stop, or when DingTalk's SYSTEM pings have stopped.

        A connection can stay ESTABLISHED, even answer websocket pings, while nothing arrives
        any more (reported against the SDK). DingTalk is reported to send a SYSTEM ping every
        20-30 s (unverified), so once one has come on this connection, silence for
        ``stream_idle_seconds`` (or three observed ping intervals, if longer) means reconnect.
        Before the first one a quiet connection is left alone: websocket pings find a dead one.
        """
        loop = asyncio.get_running_loop()
        while not await self._pause(min(self._settings.stream_idle_seconds / 4, 5.0)):
            idle_limit = self._idle_limit()
            if idle_limit is not None and loop.time() - self._last_frame_at > idle_limit:
                log.warning("no frame from DingTalk for %.0f s; reconnecting", idle_limit)
                break
        if self._in_flight:
            # Frames being handled get their ACK on this socket before it closes.
            await asyncio.wait(self._in_flight, timeout=ACK_DEADLINE_SECONDS)
        await websocket.close()

    def _idle_limit(self) -> float | None:
        if self._last_system_ping_at is None:
            return None
        observed = IDLE_PING_INTERVALS * (self._last_system_ping_interval or 0.0)
        return max(self._settings.stream_idle_seconds, observed)

    def _saw_system_ping(self) -> None:
        now = asyncio.get_running_loop().time()
        previous, self._last_system_ping_at = self._last_system_ping_at, now
        if previous is None:
            return
        interval = self._last_system_ping_interval = now - previous
        logged = self._logged_ping_interval
        if logged is None or abs(interval - logged) > PING_INTERVAL_CHANGE * logged:
            # So that a real deployment shows how often DingTalk pings.
            log.info("DingTalk sends a SYSTEM ping every %.1f s", interval)
            self._logged_ping_interval = interval

    async def _route(self, client: Any, websocket: Any, raw: str | bytes) -> None:
        """Answer one frame on the socket it came from, or skip it with a warning; never raises:
        a frame DingTalk (or anyone) got wrong must not cost the connection."""
        try:
            frame = read_stream_frame(raw)
        except UnreadableFrame as error:
            log.warning(
                "unreadable stream frame",
                extra={"frame_id": error.message_id, "error": str(error)},
            )
            if error.message_id is not None:
                refusal = _ack_message(
                    error.message_id, AckMessage.STATUS_BAD_REQUEST, "malformed frame"
                )
                await self._ack(websocket, refusal)
            return
        try:
            ack = await self._answer(client, frame)
        except Exception:
            log.exception("stream frame handling failed", extra={"frame_id": frame.message_id})
            ack = _ack_message(frame.message_id, AckMessage.STATUS_SYSTEM_EXCEPTION, "error")
        await self._ack(websocket, ack)
        if frame.type == SystemMessage.TYPE and frame.topic == SystemMessage.TOPIC_DISCONNECT:
            log.info("DingTalk asked to reconnect", extra={"data": dict(frame.data)})
            await websocket.close()

    async def _answer(self, client: Any, frame: StreamFrame) -> Any:
        if frame.type == SystemMessage.TYPE:
            if frame.topic == SYSTEM_PING_TOPIC:
                self._saw_system_ping()
            return await client.system_handler.raw_process(_sdk_message(SystemMessage(), frame))
        handler = None
        if frame.type == CallbackMessage.TYPE:
            handler = client.callback_handler_map.get(frame.topic)
        if handler is None:
            # Answered so that it is not pushed again; what DingTalk does with a 404 ACK is
            # undocumented (unverified).
            log.warning(
                "no handler for stream frame", extra={"type": frame.type, "topic": frame.topic}
            )
            return _ack_message(
                frame.message_id, AckMessage.STATUS_NOT_IMPLEMENT, "not subscribed"
            )
        return await handler.raw_process(_sdk_message(CallbackMessage(), frame))

    @staticmethod
    async def _ack(websocket: Any, ack: Any) -> None:
        try:
            await websocket.send(json.dumps(ack.to_dict()))
        except websockets.exceptions.ConnectionClosed:
            log.warning("ACK lost: the connection closed first")


def _sdk_message(message: Any, frame: StreamFrame) -> Any:
    """``frame`` as the SDK's message object (a ``SystemMessage`` or ``CallbackMessage``); its
    own ``from_dict`` raises on a wrong header type."""
    message.headers.message_id = frame.message_id
    message.headers.topic = frame.topic
    message.data = dict(frame.data)
    return message


def _ack_message(message_id: str, code: int, reason: str) -> Any:
    ack = AckMessage()
    ack.code = code
    ack.headers.message_id = message_id
    ack.headers.content_type = "application/json"
    ack.message = reason
    return ack
