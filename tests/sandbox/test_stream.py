"""The sandbox's Stream gateway driven by the real dingtalk-stream SDK."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import dingtalk_stream
import pytest
from dingtalk_stream import AckMessage, CallbackMessage, ChatbotMessage

from sandbox import Sandbox
from tests.sandbox.conftest import RunClient

CHAT = ChatbotMessage.TOPIC
CARD = dingtalk_stream.CallbackHandler.TOPIC_CARD_CALLBACK


class RecordingChatbot(dingtalk_stream.ChatbotHandler):  # type: ignore[misc]
    """Keeps what the SDK parsed and, like a bot, answers through the sessionWebhook."""

    def __init__(self, reply: str | None = None, failures: int = 0) -> None:
        super().__init__()
        self.reply = reply
        self.failures = failures
        self.received: list[tuple[str, Any]] = []

    async def process(self, callback: CallbackMessage) -> tuple[int, str]:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("handler crashed: the SDK sends no ACK")
        message = ChatbotMessage.from_dict(callback.data)
        self.received.append((callback.headers.message_id, message))
        if self.reply is not None:
            self.reply_text(self.reply, message)
        return AckMessage.STATUS_OK, "OK"


class CardAnswer(dingtalk_stream.CallbackHandler):  # type: ignore[misc]
    def __init__(self, response: dict[str, Any], delay: float = 0.0) -> None:
        super().__init__()
        self.response = response
        self.delay = delay
        self.taps: list[dict[str, Any]] = []

    async def process(self, callback: CallbackMessage) -> tuple[int, dict[str, Any]]:
        self.taps.append(callback.data)
        await asyncio.sleep(self.delay)
        return AckMessage.STATUS_OK, self.response


async def test_the_sdk_connects_with_its_subscriptions(sb: Sandbox, run_client: RunClient) -> None:
    run_client({CHAT: RecordingChatbot(), CARD: CardAnswer({})})
    await sb.wait_for_connection()

    assert sb.subscriptions == [
        {"type": "CALLBACK", "topic": CHAT},
        {"type": "CALLBACK", "topic": CARD},
    ]
    assert sb.connections_opened == 1
    [open_call] = sb.requests("/v1.0/gateway/connections/open")
    assert open_call.status == 200
    assert open_call.body["clientId"] == sb.client_id
    [upgrade] = sb.requests("/connect")
    assert upgrade.status == 101
    assert sb.api_call_count == 0


async def test_a_group_message_reaches_the_handler_and_its_ack_is_recorded(
    sb: Sandbox, run_client: RunClient
) -> None:
    handler = RecordingChatbot(reply="pong")
    run_client({CHAT: handler})
    ada = sb.add_user(nick="Ada 陳", staff_id="u-ada")
    bob = sb.add_user(nick="Bob", staff_id="u-bob")
    group = sb.add_group(title="SSP 深水埗", members=[ada, "u-bob"])

    message_id = sb.post_message(group.conversation_id, "u-ada", "/help", at=["u-bob"])

    [ack] = await sb.wait_for_ack(message_id)
    assert (ack.code, ack.response, ack.topic) == (200, "OK", CHAT)
    assert ack.latency_s is not None
    assert 0 <= ack.latency_s < 2
    [(received_id, message)] = handler.received
    assert received_id == message_id
    assert message.conversation_id == group.conversation_id
    assert message.conversation_type == "2"
    assert message.conversation_title == "SSP 深水埗"
    assert message.text.content == " /help"
    assert message.sender_staff_id == "u-ada"
    assert message.sender_nick == "Ada 陳"
    assert message.robot_code == sb.robot_code
    assert message.session_webhook.startswith(f"{sb.base_url}/robot/sendBySession?session=")
    assert message.session_webhook_expired_time - message.create_at == 5_400_000
    mentions = [(u.dingtalk_id, u.staff_id) for u in message.at_users]
    assert mentions == [(sb.bot.chatbot_user_id, None), (bob.dingtalk_id, "u-bob")]
    [reply] = await sb.wait_for_messages(1, group.conversation_id)
    assert (reply.via, reply.msgtype, reply.text) == ("session_webhook", "text", "pong")
    assert reply.at_user_ids == ("u-ada",)


async def test_guests_and_private_chats_look_like_dingtalk(
    sb: Sandbox, run_client: RunClient
) -> None:
    run_client({CHAT: RecordingChatbot()})
    guest = sb.add_user(nick="Visitor", staff_id=None)
    sb.add_user(nick="Ada", staff_id="u-ada")
    group = sb.add_group(title="Open day", members=[guest])

    from_guest = sb.post_message(group.conversation_id, guest, " hello")
    private = sb.post_private_message("u-ada", "/me")
    await sb.wait_for_ack(private)

    guest_data = json.loads(sb.frames_pushed(from_guest)[0].frame["data"])
    assert "senderStaffId" not in guest_data
    assert "senderCorpId" not in guest_data
    assert guest_data["text"] == {"content": " hello"}
    private_data = json.loads(sb.frames_pushed(private)[0].frame["data"])
    assert private_data["conversationType"] == "1"
    assert private_data["text"] == {"content": "/me"}
    assert not {"conversationTitle", "atUsers", "isInAtList"} & private_data.keys()


async def test_frames_wait_for_a_connection_and_redelivery_keeps_the_message_id(
    sb: Sandbox, run_client: RunClient
) -> None:
    sb.add_user(nick="Ada", staff_id="u-ada")
    group = sb.add_group(title="SSP", members=["u-ada"])
    message_id = sb.post_message(group.conversation_id, "u-ada", "/help")
    assert sb.frames_pushed() == []  # queued: nobody is connected yet

    handler = RecordingChatbot()
    run_client({CHAT: handler})
    await sb.wait_for_ack(message_id)
    sb.redeliver(message_id)
    await sb.wait_for_ack(message_id, count=2)

    first, second = sb.frames_pushed(message_id)
    assert (first.attempt, second.attempt) == (1, 2)
    assert first.frame["data"] == second.frame["data"]
    assert first.frame["headers"]["messageId"] == second.frame["headers"]["messageId"]
    assert [received_id for received_id, _ in handler.received] == [message_id, message_id]


async def test_a_frame_without_ack_is_pushed_again_after_the_timeout(
    sb: Sandbox, run_client: RunClient
) -> None:
    sb.redelivery_timeout = 0.3
    run_client({CHAT: RecordingChatbot(failures=1)})
    sb.add_user(nick="Ada", staff_id="u-ada")
    group = sb.add_group(title="SSP", members=["u-ada"])

    message_id = sb.post_message(group.conversation_id, "u-ada", "/help")

    [ack] = await sb.wait_for_ack(message_id)
    assert [push.attempt for push in sb.frames_pushed(message_id)] == [1, 2]
    assert ack.code == 200


async def test_ping_is_echoed_and_disconnect_makes_the_sdk_reconnect(
    sb: Sandbox, run_client: RunClient
) -> None:
    handler = RecordingChatbot()
    run_client({CHAT: handler})
    await sb.wait_for_connection()
    sb.send_ping()
    await sb.wait_until(lambda: len(sb.acks()) == 1)
    [ping] = sb.frames_pushed()
    [pong] = sb.acks()
    assert pong.data == json.loads(ping.frame["data"])

    sb.send_disconnect(close_after=0.5)
    await sb.wait_until(lambda: sb.connections_opened == 2, timeout=5)
    await sb.wait_until(lambda: sb.connection_count == 1)

    sb.add_user(nick="Ada", staff_id="u-ada")
    group = sb.add_group(title="SSP", members=["u-ada"])
    message_id = sb.post_message(group.conversation_id, "u-ada", "/help")
    [ack] = await sb.wait_for_ack(message_id)
    assert ack.connection_id != pong.connection_id


async def _create_card(http: aiohttp.ClientSession, sb: Sandbox, cid: str) -> None:
    body = {
        "cardTemplateId": "shift.schema",
        "outTrackId": "shift-42-v1",
        "callbackType": "STREAM",
        "cardData": {"cardParamMap": {"title": "Sat 09:00", "status": "4/6"}},
        "privateData": {"u-bob": {"cardParamMap": {"my_status": "pending"}}},
        "openSpaceId": f"dtv1.card//IM_GROUP.{cid}",
        "imGroupOpenSpaceModel": {"supportForward": False},
        "imGroupOpenDeliverModel": {"robotCode": sb.robot_code},
    }
    async with http.post("/v1.0/card/instances/createAndDeliver", json=body) as response:
        assert response.status == 200, await response.text()


async def test_a_card_ack_updates_what_the_tapper_sees(
    sb: Sandbox, run_client: RunClient, http: aiohttp.ClientSession
) -> None:
    answer = CardAnswer(
        {
            "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
            "cardData": {"cardParamMap": {"status": "5/6"}},
            "userPrivateData": {"cardParamMap": {"my_status": "confirmed"}},
        }
    )
    run_client({CARD: answer})
    sb.add_user(nick="Ada", staff_id="u-ada")
    sb.add_user(nick="Bob", staff_id="u-bob")
    group = sb.add_group(title="SSP", members=["u-ada", "u-bob"])
    await _create_card(http, sb, group.conversation_id)

    message_id = sb.tap_card(
        "u-ada", "shift-42-v1", params={"action": "confirm", "shift_id": "42"}
    )
    await sb.wait_for_ack(message_id)

    assert sb.card_view("shift-42-v1", "u-ada") == {
        "title": "Sat 09:00",
        "status": "5/6",
        "my_status": "confirmed",
    }
    assert sb.card_view("shift-42-v1", "u-bob")["my_status"] == "pending"
    [tap] = answer.taps
    assert (tap["userId"], tap["spaceType"], tap["spaceId"]) == (
        "u-ada",
        "IM_GROUP",
        group.conversation_id,
    )
    assert json.loads(tap["content"]) == {
        "cardPrivateData": {
            "actionIds": ["confirm"],
            "params": {"action": "confirm", "shift_id": "42"},
        }
    }

    value_tap = sb.tap_card("u-bob", "shift-42-v1", params={"action": "decline"}, shape="value")
    await sb.wait_for_ack(value_tap)
    assert json.loads(answer.taps[1]["value"]) == {
        "cardPrivateData": {"actionIds": ["decline"]},
        "params": {"action": "decline"},
    }
    assert sb.card_view("shift-42-v1", "u-bob")["my_status"] == "confirmed"
    card = sb.card("shift-42-v1")
    assert card is not None
    assert [change.kind for change in card.history] == ["create", "ack", "ack"]


async def test_a_tap_on_a_card_sent_to_several_private_chats_comes_from_the_tappers_own(
    sb: Sandbox, run_client: RunClient, http: aiohttp.ClientSession
) -> None:
    answer = CardAnswer({})
    run_client({CARD: answer})
    sb.add_user(nick="Ada", staff_id="u-ada")
    sb.add_user(nick="Bob", staff_id="u-bob")
    body = {
        "cardTemplateId": "shift.schema",
        "outTrackId": "remind-42-en",
        "callbackType": "STREAM",
        "cardData": {"cardParamMap": {"title": "Sat 09:00"}},
        "openSpaceId": "dtv1.card//IM_ROBOT.u-ada;IM_ROBOT.u-bob",
        "imRobotOpenSpaceModel": {"supportForward": False},
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT"},
    }
    async with http.post("/v1.0/card/instances/createAndDeliver", json=body) as response:
        assert response.status == 200, await response.text()

    bob_tap = sb.tap_card("u-bob", "remind-42-en", params={"action": "confirm"})
    await sb.wait_for_ack(bob_tap)
    ada_tap = sb.tap_card("u-ada", "remind-42-en", params={"action": "confirm"})
    await sb.wait_for_ack(ada_tap)

    assert [(tap["userId"], tap["spaceType"], tap["spaceId"]) for tap in answer.taps] == [
        ("u-bob", "IM_ROBOT", "u-bob"),
        ("u-ada", "IM_ROBOT", "u-ada"),
    ]


async def test_a_card_ack_after_two_seconds_changes_nothing(
    sb: Sandbox, run_client: RunClient, http: aiohttp.ClientSession
) -> None:
    response = {"cardData": {"cardParamMap": {"status": "too late"}}}
    run_client({CARD: CardAnswer(response, delay=2.2)})
    sb.add_user(nick="Ada", staff_id="u-ada")
    sb.add_user(nick="Bob", staff_id="u-bob")
    group = sb.add_group(title="SSP", members=["u-ada", "u-bob"])
    await _create_card(http, sb, group.conversation_id)

    message_id = sb.tap_card("u-ada", "shift-42-v1", params={"action": "confirm"})
    [ack] = await sb.wait_for_ack(message_id)

    assert ack.latency_s is not None
    assert ack.latency_s > 2
    assert ack.response == response
    assert sb.card_view("shift-42-v1", "u-ada")["status"] == "4/6"
    card = sb.card("shift-42-v1")
    assert card is not None
    assert card.history[-1].kind == "ack_ignored"
    assert "2 s" in card.history[-1].payload["reason"]


async def test_the_session_webhook_reports_errors_as_errcodes(
    sb: Sandbox, run_client: RunClient
) -> None:
    run_client({CHAT: RecordingChatbot()})
    sb.add_user(nick="Ada", staff_id="u-ada")
    group = sb.add_group(title="SSP", members=["u-ada"])
    message_id = sb.post_message(group.conversation_id, "u-ada", "/help")
    await sb.wait_for_ack(message_id)
    webhook = json.loads(sb.frames_pushed(message_id)[0].frame["data"])["sessionWebhook"]
    reply = {"msgtype": "markdown", "markdown": {"title": "Help", "text": "**hi**"}}

    sb.session_webhook_errcode_next(130101, "send too fast")
    async with aiohttp.ClientSession() as session:
        async with session.post(webhook, json=reply) as throttled:
            assert throttled.status == 200
            assert await throttled.json() == {"errcode": 130101, "errmsg": "send too fast"}
        async with session.post(webhook, json=reply) as accepted:
            assert await accepted.json() == {"errcode": 0, "errmsg": "ok"}
        async with session.post(f"{sb.base_url}/robot/sendBySession?session=x", json=reply) as bad:
            assert (await bad.json())["errcode"] == 300001

    [sent] = sb.sent_messages(group.conversation_id)
    assert (sent.msgtype, sent.title, sent.text) == ("markdown", "Help", "**hi**")


async def test_tickets_are_single_use_and_frames_follow_subscriptions(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    sb.add_user(nick="Ada", staff_id="u-ada")
    sb.add_user(nick="Bob", staff_id="u-bob")
    cid = sb.add_group(title="SSP", members=["u-ada", "u-bob"]).conversation_id
    await _create_card(http, sb, cid)
    opening = {
        "clientId": sb.client_id,
        "clientSecret": sb.client_secret,
        "subscriptions": [{"type": "CALLBACK", "topic": CHAT}],
        "ua": "test",
        "localIp": "",
    }
    async with aiohttp.ClientSession(base_url=sb.base_url) as session:
        wrong = opening | {"clientSecret": "nope"}
        async with session.post("/v1.0/gateway/connections/open", json=wrong) as refused:
            assert refused.status == 401
        async with session.post("/v1.0/gateway/connections/open", json=opening) as opened:
            connection = await opened.json()
        assert connection["endpoint"] == f"ws://{sb.base_url.removeprefix('http://')}/connect"
        url = f"{connection['endpoint']}?ticket={connection['ticket']}"

        async with session.ws_connect(url) as ws:
            with pytest.raises(aiohttp.WSServerHandshakeError) as reused:
                await session.ws_connect(url)
            assert reused.value.status == 401
            tap_id = sb.tap_card("u-ada", "shift-42-v1", {"action": "confirm"})
            message_id = sb.post_message(cid, "u-ada", "/help")
            frame = await ws.receive_json(timeout=5)
            await ws.send_str("not an ACK")
            ack = {
                "code": 200,
                "headers": {"messageId": message_id, "contentType": "application/json"},
                "message": "OK",
                "data": json.dumps({"response": {"ok": True}}),
            }
            await ws.send_json(ack)
            [recorded] = await sb.wait_for_ack(message_id)

    assert frame["specVersion"] == "1.0"
    assert frame["type"] == "CALLBACK"
    assert set(frame["headers"]) == {
        "appId",
        "connectionId",
        "contentType",
        "messageId",
        "time",
        "topic",
    }
    assert isinstance(frame["data"], str)
    assert frame["headers"]["time"].isdigit()
    assert (recorded.response, recorded.message) == ({"ok": True}, "OK")
    assert recorded.connection_id == frame["headers"]["connectionId"]
    assert frame["headers"]["messageId"] == message_id
    assert sb.frames_pushed(tap_id) == []  # nobody subscribed to card callbacks: still queued


async def test_a_sandbox_with_a_ping_interval_pings_every_connection() -> None:
    pinging = Sandbox(client_id="pinger", client_secret="pinger-secret", ping_interval=0.05)
    pinging.start()
    try:
        opening = {
            "clientId": "pinger",
            "clientSecret": "pinger-secret",
            "subscriptions": [{"type": "CALLBACK", "topic": CHAT}],
            "ua": "test",
            "localIp": "",
        }
        async with aiohttp.ClientSession(base_url=pinging.base_url) as session:
            async with session.post("/v1.0/gateway/connections/open", json=opening) as opened:
                connection = await opened.json()
            url = f"{connection['endpoint']}?ticket={connection['ticket']}"
            async with session.ws_connect(url) as ws:
                first = await ws.receive_json(timeout=2)
                second = await ws.receive_json(timeout=2)
    finally:
        pinging.stop()
    assert [first["type"], second["type"]] == ["SYSTEM", "SYSTEM"]
    assert first["headers"]["topic"] == second["headers"]["topic"] == "ping"
    assert "opaque" in json.loads(first["data"])


async def _open_stream(session: aiohttp.ClientSession, sb: Sandbox) -> str:
    opening = {
        "clientId": sb.client_id,
        "clientSecret": sb.client_secret,
        "subscriptions": [{"type": "CALLBACK", "topic": CHAT}],
        "ua": "test",
        "localIp": "",
    }
    async with session.post("/v1.0/gateway/connections/open", json=opening) as opened:
        connection = await opened.json()
    return f"{connection['endpoint']}?ticket={connection['ticket']}"


async def test_raw_text_is_pushed_as_it_is_and_a_killed_connection_goes_silent(
    sb: Sandbox,
) -> None:
    sb.add_user(nick="Ada", staff_id="u-ada")
    cid = sb.add_group(title="SSP", members=["u-ada"]).conversation_id
    async with aiohttp.ClientSession(base_url=sb.base_url) as session:
        first_url = await _open_stream(session, sb)
        async with session.ws_connect(first_url, autoping=False) as ws:
            await ws.ping(b"alive?")
            pong = await ws.receive(timeout=2)
            assert (pong.type, pong.data) == (aiohttp.WSMsgType.PONG, b"alive?")
            sb.push_raw("{not a frame")
            assert await ws.receive_str(timeout=2) == "{not a frame"

            sb.kill_connections()
            await ws.ping(b"alive?")
            message_id = sb.post_message(cid, "u-ada", "/help")
            with pytest.raises(TimeoutError):
                await ws.receive(timeout=0.5)
            with pytest.raises(RuntimeError, match="no live connection"):
                sb.push_raw("{}")
            # The next connection is healthy and gets what the dead one did not.
            async with session.ws_connect(await _open_stream(session, sb)) as fresh:
                frame = await fresh.receive_json(timeout=2)
    assert frame["headers"]["messageId"] == message_id
