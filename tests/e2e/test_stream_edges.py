"""The stream and reply paths at DingTalk's edges: proxies, dead and quiet connections,
malformed frames, and session webhooks that do not point at DingTalk."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from bot.app import BotApp
from core.settings import Settings
from sandbox import Sandbox
from tests.e2e.clock import E2E_START, RunningClock
from tests.e2e.proxy import ForwardProxy

CHATBOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")


@asynccontextmanager
async def running_bot(settings: Settings, **dingtalk: Any) -> AsyncIterator[BotApp]:
    """A connected bot whose ``[dingtalk]`` settings are changed by ``dingtalk``."""
    changed = settings.model_copy(
        update={"dingtalk": settings.dingtalk.model_copy(update=dingtalk)}
    )
    app = BotApp(changed, clock=RunningClock(E2E_START))
    await app.start()
    try:
        await app.wait_until_connected()
        yield app
    finally:
        await app.stop()
        await app.engine.dispose()


def _group(sb: Sandbox, staff_id: str = "u-ada") -> str:
    sb.add_user(nick="Ada", staff_id=staff_id)
    return sb.add_group(title="SSP", members=[staff_id]).conversation_id


async def _round_trip(sb: Sandbox, cid: str, sender: str = "u-ada") -> None:
    """A command and its reply: /help in the group."""
    before = len(sb.sent_messages(cid))
    message_id = sb.post_message(cid, sender, "/help")
    replies = await sb.wait_for_messages(before + 1, cid, timeout=10)
    assert "/join district=" in replies[before].text
    [ack] = await sb.wait_for_ack(message_id)
    assert ack.code == 200


def _use_proxy(monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy, no_proxy: str) -> None:
    """Set here, not inherited: .ci/run exports NO_PROXY=127.0.0.1, which would bypass it."""
    for variable in PROXY_VARIABLES:
        monkeypatch.setenv(variable, proxy.url)
    for variable in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(variable, no_proxy)


async def test_the_stream_and_the_openapi_go_through_the_https_proxy(
    sb: Sandbox, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = sb.base_url.removeprefix("http://")
    async with ForwardProxy() as proxy:
        _use_proxy(monkeypatch, proxy, no_proxy="")
        async with running_bot(settings) as app:
            cid = _group(sb)
            await _round_trip(sb, cid)
            await app.client.send_group_message(cid, "sampleText", {"content": "via proxy"})
        assert set(proxy.tunnels()) == {sandbox}, "the websocket did not go through the proxy"
        forwarded = proxy.forwarded()
        for path in (
            "/v1.0/gateway/connections/open",  # the SDK's requests
            "/robot/sendBySession",  # the reply, by the bot's aiohttp client
            "/v1.0/oauth2/accessToken",
            "/v1.0/robot/groupMessages/send",
        ):
            assert any(line.split("?")[0].endswith(f"{sandbox}{path}") for line in forwarded), (
                f"{path} did not go through the proxy: {forwarded}"
            )
    assert sb.sent_messages(cid)[-1].text == "via proxy"


async def test_no_proxy_bypasses_the_proxy_for_its_hosts(
    sb: Sandbox, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with ForwardProxy() as proxy:
        _use_proxy(monkeypatch, proxy, no_proxy="127.0.0.1")
        async with running_bot(settings):
            await _round_trip(sb, _group(sb))
        assert proxy.seen == []


async def test_a_dead_connection_is_found_by_websocket_pings_long_before_the_watchdog(
    sb: Sandbox, settings: Settings
) -> None:
    async with running_bot(
        settings,
        stream_ping_interval_seconds=0.3,
        stream_ping_timeout_seconds=1.0,
        stream_idle_seconds=120,
    ) as app:
        cid = _group(sb)
        opened = sb.connections_opened
        sb.kill_connections()
        # Posted while the connection is dead: delivered on the next one.
        message_id = sb.post_message(cid, "u-ada", "/help")
        # Found within ping interval + timeout, then about a second's backoff.
        await sb.wait_until(lambda: sb.connections_opened > opened, timeout=8)
        [reply] = await sb.wait_for_messages(1, cid, timeout=10)
        assert "/join district=" in reply.text
        [ack] = await sb.wait_for_ack(message_id)
        assert ack.code == 200
        assert app.stream.connected.is_set()


async def test_a_quiet_healthy_connection_is_kept_without_system_pings(
    sb: Sandbox, settings: Settings
) -> None:
    # The sandbox here sends no SYSTEM pings; whether DingTalk always does is unverified.
    async with running_bot(
        settings,
        stream_ping_interval_seconds=0.2,
        stream_ping_timeout_seconds=2.0,
        stream_idle_seconds=0.4,
    ):
        opened = sb.connections_opened
        await asyncio.sleep(2.0)
        assert sb.connections_opened == opened
        await _round_trip(sb, _group(sb))
        assert sb.connections_opened == opened


async def test_malformed_frames_are_refused_or_skipped_and_the_connection_stays(
    sb: Sandbox, bot: BotApp, caplog: pytest.LogCaptureFixture
) -> None:
    def frame(kind: object, headers: dict[str, object], data: object) -> str:
        return json.dumps({"specVersion": "1.0", "type": kind, "headers": headers, "data": data})

    def chat(message_id: str, data: object) -> str:
        return frame("CALLBACK", {"messageId": message_id, "topic": CHATBOT_TOPIC}, data)

    skipped = [
        "not json at all",
        "[1, 2, 3]",
        json.dumps({"type": "CALLBACK", "headers": "m", "data": "{}"}),
        frame("CALLBACK", {"messageId": 42, "topic": CHATBOT_TOPIC}, "{}"),
    ]
    refused = {
        "no-topic": (frame("CALLBACK", {"messageId": "no-topic"}, "{}"), 400),
        "list-data": (chat("list-data", "[1, 2]"), 400),
        "broken-data": (chat("broken-data", "{oops"), 400),
        "object-data": (chat("object-data", {"msgId": "m"}), 400),
        "no-msg-id": (chat("no-msg-id", json.dumps({"msgId": 5})), 400),
        "bad-time": (
            chat("bad-time", json.dumps({"msgId": "m", "conversationId": "c", "createAt": 1e30})),
            400,
        ),
        "bad-time-header": (
            frame(
                "CALLBACK",
                {"messageId": "bad-time-header", "topic": CHATBOT_TOPIC, "time": "noon"},
                "{}",
            ),
            400,
        ),
        "bad-tap": (
            frame(
                "CALLBACK",
                {"messageId": "bad-tap", "topic": CARD_TOPIC},
                json.dumps({"outTrackId": "x", "userId": "u", "content": "{nope"}),
            ),
            400,
        ),
        "bad-ping": (frame("SYSTEM", {"messageId": "bad-ping", "topic": "ping"}, "nope"), 400),
        "an-event": (frame("EVENT", {"messageId": "an-event", "topic": "*"}, "{}"), 404),
        "other-topic": (
            frame("CALLBACK", {"messageId": "other-topic", "topic": "/v1.0/other"}, "{}"),
            404,
        ),
        "odd-type": (frame("SURPRISE", {"messageId": "odd-type", "topic": "x"}, "{}"), 404),
    }
    cid = _group(sb)
    opened = sb.connections_opened
    with caplog.at_level(logging.WARNING):
        for raw in [*skipped, *(raw for raw, _ in refused.values())]:
            sb.push_raw(raw)
        for message_id, (_, code) in refused.items():
            [ack] = await sb.wait_for_ack(message_id)
            assert ack.code == code, message_id
        await _round_trip(sb, cid)
    assert sb.connections_opened == opened
    assert len(sb.acks()) == len(refused) + 1, "a frame without a messageId was answered"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    unreadable = [r for r in caplog.records if r.getMessage() == "unreadable stream frame"]
    assert len(unreadable) >= len(skipped)


async def test_a_session_webhook_off_dingtalks_hosts_gets_nothing(
    sb: Sandbox, bot: BotApp
) -> None:
    hits: list[str] = []

    async def record(request: web.Request) -> web.Response:
        hits.append(f"{request.method} {request.path_qs} {await request.text()}")
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    evil = web.Application()
    evil.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(evil)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        cid = _group(sb)
        sb.post_message(
            cid, "u-ada", "/help", session_webhook=f"http://{host}:{port}/robot/send?s=1"
        )
        [reply] = await sb.wait_for_messages(1, cid, timeout=10)
    finally:
        await runner.cleanup()
    assert reply.via == "group_send"
    assert "/join district=" in reply.text
    assert hits == []
