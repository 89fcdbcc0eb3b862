"""DingTalk's Stream gateway: connection tickets, the websocket, frame pushes, ACKs, redelivery.

Everything here runs on the sandbox's own event loop; the facade in `server.py` reaches it through
`asyncio.run_coroutine_threadsafe`. Connections, the pending queue and the redelivery tasks are
therefore only touched from that loop and need no lock; what tests read goes to SandboxState.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.cards import ack_update
from sandbox.frames import CARD_CALLBACK_TOPIC, dumps, system_frame
from sandbox.protocol import BODY, DingTalkError
from sandbox.records import AckRecord, PushedFrame
from sandbox.state import SandboxState

logger = logging.getLogger(__name__)

CARD_ACK_DEADLINE_S = 2.0
MAX_REDELIVERIES = 3


@dataclass
class _Connection:
    id: str
    ws: web.WebSocketResponse
    topics: frozenset[str]
    draining: bool = False  # told to disconnect: DingTalk stops delivering to it
    dead: bool = False  # half-open: answers no websocket ping and delivers nothing


class Gateway:
    def __init__(self, state: SandboxState, ping_interval: float | None = None) -> None:
        self._state = state
        self._ping_interval = ping_interval
        self._connections: list[_Connection] = []  # oldest first
        self._pending: list[dict[str, Any]] = []
        self._originals: dict[str, dict[str, Any]] = {}  # messageId -> frame, for redelivery
        self._redeliveries: set[asyncio.Task[None]] = set()
        self._closings: set[asyncio.Task[None]] = set()

    # -- HTTP side --------------------------------------------------------------------------------

    async def open_connection(self, request: web.Request) -> web.Response:
        body = request[BODY]
        if (
            not isinstance(body, dict)
            or body.get("clientId") != self._state.client_id
            or body.get("clientSecret") != self._state.client_secret
        ):
            raise DingTalkError(401, "InvalidAuthentication", "clientId or clientSecret is wrong")
        subscriptions = body.get("subscriptions")
        if not isinstance(subscriptions, list) or not all(
            isinstance(s, dict) and {"type", "topic"} <= s.keys() for s in subscriptions
        ):
            raise DingTalkError(400, "InvalidParameter", "subscriptions must list {type, topic}")
        ticket = self._state.issue_ticket(subscriptions)
        return web.json_response({"endpoint": f"ws://{request.host}/connect", "ticket": ticket})

    async def connect(self, request: web.Request) -> web.StreamResponse:
        subscriptions = self._state.redeem_ticket(request.query.get("ticket", ""))
        # Protocol pings are answered below, so that a dead connection can stop answering.
        ws = web.WebSocketResponse(heartbeat=None, autoping=False)
        await ws.prepare(request)
        connection = _Connection(
            str(uuid.uuid4()), ws, frozenset(s["topic"] for s in subscriptions)
        )
        self._connections.append(connection)
        self._state.connection_changed(+1)
        pinger = asyncio.create_task(self._ping_periodically(connection))
        try:
            await self._flush_pending(connection)
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    self._receive(connection, message.data)
                elif message.type is WSMsgType.PING and not connection.dead:
                    await ws.pong(message.data)
        finally:
            pinger.cancel()
            self._connections.remove(connection)
            self._state.connection_changed(-1)
        return ws

    async def _ping_periodically(self, connection: _Connection) -> None:
        """DingTalk pings each connection every 20-30 s; off unless `ping_interval` is set."""
        if self._ping_interval is None:
            return
        while not connection.ws.closed:
            await asyncio.sleep(self._ping_interval)
            await self._send(connection, system_frame("ping", {"opaque": str(uuid.uuid4())}), 1)

    # -- pushing ----------------------------------------------------------------------------------

    async def push(self, frame: dict[str, Any]) -> None:
        """Delivers a new frame to the newest live connection that subscribes to its topic.

        DingTalk picks a random connection; the newest one keeps tests deterministic while an old
        connection is draining. With no subscriber the frame is queued until one connects,
        where DingTalk would drop it: tests then need not race the bot's reconnect.
        """
        self._originals[frame["headers"]["messageId"]] = frame
        await self._deliver(frame, attempt=1)

    async def redeliver(self, message_id: str) -> None:
        frame = self._originals.get(message_id)
        if frame is None:
            raise ValueError(f"no frame with messageId {message_id!r} was pushed")
        await self._deliver(frame, attempt=len(self._state.pushes(message_id)) + 1)

    async def _deliver(self, frame: dict[str, Any], attempt: int) -> None:
        topic = frame["headers"]["topic"]
        for connection in reversed(self._connections):
            if topic in connection.topics and await self._send(connection, frame, attempt):
                return
        logger.info("no connection subscribes to %s; queued frame %s", topic, _message_id(frame))
        self._pending.append(frame)

    async def _flush_pending(self, connection: _Connection) -> None:
        waiting, self._pending = self._pending, []
        for frame in waiting:
            if frame["headers"]["topic"] in connection.topics:
                attempt = len(self._state.pushes(_message_id(frame))) + 1
                if await self._send(connection, frame, attempt):
                    continue
            self._pending.append(frame)

    async def push_raw(self, text: str) -> None:
        """Sends `text` as it is to the newest live connection: not a frame, or a broken one."""
        live = [c for c in self._connections if not (c.draining or c.dead or c.ws.closed)]
        if not live:
            raise RuntimeError("no live connection to push to")
        await live[-1].ws.send_str(text)

    async def kill_connections(self) -> None:
        """The live connections go half-open: no pong, no frame; the bot must notice by itself."""
        for connection in self._connections:
            connection.dead = True

    async def _send(self, connection: _Connection, frame: dict[str, Any], attempt: int) -> bool:
        if connection.draining or connection.dead or connection.ws.closed:
            return False
        sent = {**frame, "headers": {**frame["headers"], "connectionId": connection.id}}
        headers = sent["headers"]
        # Recorded before writing, so that an ACK can never be processed ahead of its push.
        self._state.record_push(
            PushedFrame(
                message_id=headers["messageId"],
                type=sent["type"],
                topic=headers["topic"],
                frame=sent,
                connection_id=connection.id,
                attempt=attempt,
                at=time.monotonic(),
            )
        )
        try:
            await connection.ws.send_str(dumps(sent))
        except ConnectionError:
            logger.warning("connection %s went away while sending", connection.id)
            connection.draining = True
            return False
        timeout = self._state.redelivery_timeout
        if attempt == 1 and sent["type"] == "CALLBACK" and timeout is not None:
            self._spawn(self._redeliveries, self._redeliver_unacked(frame, every=timeout))
        return True

    async def _redeliver_unacked(self, frame: dict[str, Any], every: float) -> None:
        message_id = _message_id(frame)
        for attempt in range(2, 2 + MAX_REDELIVERIES):
            await asyncio.sleep(every)
            if self._state.acks(message_id):
                return
            logger.info("no ACK for %s after %.1f s; redelivering", message_id, every)
            await self._deliver(frame, attempt)

    async def system(
        self, topic: str, data: Mapping[str, str], close_after: float | None = None
    ) -> None:
        """Sends a SYSTEM frame to every live connection; `close_after` makes it a disconnect."""
        for connection in list(self._connections):
            if not await self._send(connection, system_frame(topic, data), attempt=1):
                continue
            if close_after is not None:
                connection.draining = True
                self._spawn(self._closings, self._close_later(connection, close_after))

    async def _close_later(self, connection: _Connection, delay: float) -> None:
        await asyncio.sleep(delay)
        await connection.ws.close(code=1000, message=b"disconnect")

    async def close_all(self, code: int) -> None:
        for connection in list(self._connections):
            await connection.ws.close(code=code)

    async def reset(self) -> None:
        """Forgets frames; a disconnecting connection still gets closed."""
        for task in self._redeliveries:
            task.cancel()
        self._pending.clear()
        self._originals.clear()

    @staticmethod
    def _spawn(tasks: set[asyncio.Task[None]], coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(tasks.discard)

    # -- ACKs -------------------------------------------------------------------------------------

    def _receive(self, connection: _Connection, raw: str) -> None:
        try:
            ack = json.loads(raw)
            message_id = str(ack["headers"]["messageId"])
            code = int(ack["code"])
        except (ValueError, KeyError, TypeError):
            logger.warning("ignoring a frame that is not an ACK: %.200s", raw)
            return
        data = _json_or_raw(ack.get("data"))
        pushes = self._state.pushes(message_id)
        push = pushes[min(len(self._state.acks(message_id)), len(pushes) - 1)] if pushes else None
        now = time.monotonic()
        record = AckRecord(
            message_id=message_id,
            topic=push.topic if push else None,
            code=code,
            message=str(ack.get("message", "")),
            data=data,
            response=data.get("response") if isinstance(data, dict) else None,
            latency_s=now - push.at if push else None,
            connection_id=connection.id,
            at=now,
        )
        self._state.record_ack(record)
        if push is not None and push.topic == CARD_CALLBACK_TOPIC:
            self._apply_card_ack(json.loads(push.frame["data"]), record)

    def _apply_card_ack(self, tap: dict[str, Any], ack: AckRecord) -> None:
        """Applies the ACK's card update the way DingTalk does: only a 200 within 2 s counts,
        and userPrivateData goes to the person who tapped."""
        out_track_id, staff_id = tap["outTrackId"], tap["userId"]
        card = self._state.card(out_track_id)
        if card is None:  # reset() between the tap and its ACK
            return
        payload: dict[str, Any] = {"message_id": ack.message_id, "user_id": staff_id}
        reason, update = _late_or_failed(ack), None
        if reason is None:
            try:
                variables = self._state.template_variables(card.template_id)
                update = ack_update(ack.response, variables)
            except DingTalkError as error:
                reason = error.message
        if update is None:
            logger.info("card %s: ACK %s ignored: %s", out_track_id, ack.message_id, reason)
            self._state.update_card(out_track_id, "ack_ignored", payload | {"reason": reason})
            return
        self._state.update_card(
            out_track_id,
            "ack",
            payload | {"response": ack.response, "note": update.note},
            public=update.public,
            public_by_key=update.public_by_key,
            private=None if update.private is None else {staff_id: update.private},
            private_by_key=update.private_by_key,
        )


def _late_or_failed(ack: AckRecord) -> str | None:
    if ack.code != 200:
        return f"ACK code {ack.code}"
    if ack.latency_s is not None and ack.latency_s > CARD_ACK_DEADLINE_S:
        return f"ACK after {ack.latency_s:.2f} s; DingTalk allows {CARD_ACK_DEADLINE_S:.0f} s"
    return None


def _message_id(frame: Mapping[str, Any]) -> str:
    return str(frame["headers"]["messageId"])


def _json_or_raw(value: object) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
