"""The sandbox's OpenAPI side, called the way the bot's own aiohttp client calls it."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from sandbox import Sandbox
from tests.conftest import SANDBOX_PORT


async def _call(
    http: aiohttp.ClientSession, method: str, path: str, body: object = None
) -> tuple[int, Any]:
    async with http.request(method, path, json=body) as response:
        return response.status, await response.json()


def _group_with(sb: Sandbox, *staff_ids: str) -> str:
    for staff_id in staff_ids:
        sb.add_user(nick=staff_id.title(), staff_id=staff_id)
    return sb.add_group(title="SSP", members=list(staff_ids)).conversation_id


def _card_body(sb: Sandbox, cid: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cardTemplateId": "shift.schema",
        "outTrackId": "shift-7-v1",
        "callbackType": "STREAM",
        "userIdType": 1,
        "cardData": {"cardParamMap": {"title": "Sat", "status": "0/2"}},
        "openSpaceId": f"dtv1.card//IM_GROUP.{cid}",
        "imGroupOpenSpaceModel": {"supportForward": False},
        "imGroupOpenDeliverModel": {"robotCode": sb.robot_code, "atUserIds": {"u-ada": "Ada"}},
    }
    return body | changes


async def test_tokens_are_checked_before_any_openapi_call(sb: Sandbox) -> None:
    async with aiohttp.ClientSession(base_url=sb.base_url) as anonymous:
        wrong = {"appKey": sb.client_id, "appSecret": "nope"}
        status, body = await _call(anonymous, "POST", "/v1.0/oauth2/accessToken", wrong)
        assert (status, body["code"]) == (400, "invalidClientIdOrSecret")
        assert body["requestid"]
        status, body = await _call(anonymous, "POST", "/v1.0/robot/groupMessages/send", {})
        assert (status, body["code"]) == (401, "InvalidAuthentication")


async def test_group_messages_are_recorded_and_their_readers_paged(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    cid = _group_with(sb, "u-ada", "u-bob", "u-cy")
    send = {
        "robotCode": sb.robot_code,
        "openConversationId": cid,
        "msgKey": "sampleMarkdown",
        "msgParam": json.dumps({"title": "Shift", "text": "**Sat**"}),
    }
    status, body = await _call(http, "POST", "/v1.0/robot/groupMessages/send", send)
    assert status == 200
    key = body["processQueryKey"]
    [sent] = sb.sent_messages(cid)
    assert (sent.via, sent.msg_key, sent.msgtype) == ("group_send", "sampleMarkdown", "markdown")
    assert (sent.title, sent.text, sent.process_query_key) == ("Shift", "**Sat**", key)

    sb.mark_read(key, "u-bob")
    sb.mark_read(key, "u-ada")
    sb.mark_read(key, "u-bob")
    query = {"openConversationId": cid, "robotCode": sb.robot_code, "processQueryKey": key}
    status, page = await _call(
        http, "POST", "/v1.0/robot/groupMessages/query", query | {"maxResults": 1}
    )
    assert (status, page) == (
        200,
        {"sendStatus": "SUCCESS", "readUserIds": ["u-bob"], "hasMore": True, "nextToken": "1"},
    )
    _, last = await _call(
        http,
        "POST",
        "/v1.0/robot/groupMessages/query",
        query | {"maxResults": 1, "nextToken": page["nextToken"]},
    )
    assert (last["readUserIds"], last["hasMore"]) == (["u-ada"], False)

    failures = [
        ("/v1.0/robot/groupMessages/query", query | {"maxResults": 201}),
        ("/v1.0/robot/groupMessages/query", query | {"maxResults": 5, "processQueryKey": "x"}),
        ("/v1.0/robot/groupMessages/send", send | {"openConversationId": "cid-unknown"}),
        ("/v1.0/robot/groupMessages/send", send | {"msgParam": json.dumps({"text": "x" * 15000})}),
        ("/v1.0/robot/groupMessages/send", send | {"robotCode": "someone-else"}),
        ("/v1.0/robot/groupMessages/send", {k: v for k, v in send.items() if k != "robotCode"}),
    ]
    codes = [(await _call(http, "POST", path, body))[1]["code"] for path, body in failures]
    assert codes == [
        "invalidParameter.pageSize.invalid",
        "invalid.processQueryKey",
        "invalid.openConversationId",
        "invalidParameter.msgParam",
        "invalidParameter.robotCode.notExsit",
        "MissingrobotCode",
    ]
    with pytest.raises(ValueError, match="not a member"):
        sb.mark_read(key, "u-stranger")


async def test_one_to_one_batches_report_unknown_staff(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    sb.add_user(nick="Ada", staff_id="u-ada")
    send = {
        "robotCode": sb.robot_code,
        "userIds": ["u-ada", "u-ghost"],
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "Your shift is tomorrow"}),
    }
    status, body = await _call(http, "POST", "/v1.0/robot/oToMessages/batchSend", send)
    assert status == 200
    assert body["invalidStaffIdList"] == ["u-ghost"]
    assert body["flowControlledStaffIdList"] == []
    [sent] = sb.sent_messages()
    assert (sent.via, sent.user_ids, sent.text) == (
        "oto_send",
        ("u-ada",),
        "Your shift is tomorrow",
    )
    status, _ = await _call(
        http, "POST", "/v1.0/robot/oToMessages/batchSend", send | {"userIds": ["u-ada"] * 21}
    )
    assert status == 400


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"cardData": {"cardParamMap": {"count": 3}}}, "param.cardParamMapInvalid"),
        ({"cardData": {"cardParamMap": {"body": "x" * 1025}}}, "param.cardParamMapInvalid"),
        ({"cardData": {"cardParamMap": {"body": "深" * 342}}}, "param.cardParamMapInvalid"),
        ({"imGroupOpenDeliverModel": {"atUserIds": {}}}, "param.robotCodeEmpty"),
        ({"callbackType": "HTTP"}, "param.callbackTypeInvalid"),
        ({"imGroupOpenSpaceModel": {}}, "param.openSpaceModelInvalid"),
        ({"outTrackId": "x" * 65}, "outTrackId.outOfLimit"),
        ({"openSpaceId": "dtv1.card//IM_GROUP.cid-unknown"}, "param.openSpaceIdInvalid"),
        ({"privateData": {"u-ghost": {"cardParamMap": {}}}}, "param.userIdNotExist"),
    ],
)
async def test_create_and_deliver_rejects_what_dingtalk_would_not_render(
    sb: Sandbox, http: aiohttp.ClientSession, changes: dict[str, Any], code: str
) -> None:
    body = _card_body(sb, _group_with(sb, "u-ada"), **changes)
    status, answer = await _call(http, "POST", "/v1.0/card/instances/createAndDeliver", body)
    assert (status, answer["code"]) == (400, code)
    assert sb.cards == {}


async def test_cards_are_created_once_and_updated_by_key_or_replaced(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    cid = _group_with(sb, "u-ada", "u-bob")
    body = _card_body(sb, cid, privateData={"u-ada": {"cardParamMap": {"my_status": "pending"}}})
    status, created = await _call(http, "POST", "/v1.0/card/instances/createAndDeliver", body)
    assert status == 200
    [delivery] = created["result"]["deliverResults"]
    assert created["success"] is True
    assert (delivery["spaceType"], delivery["spaceId"], delivery["success"]) == (
        "IM_GROUP",
        cid,
        True,
    )
    # DingTalk keeps the first card and refuses to create the id again.
    again = _card_body(sb, cid, cardData={"cardParamMap": {"title": "changed"}})
    status, refused = await _call(http, "POST", "/v1.0/card/instances/createAndDeliver", again)
    assert (status, refused["code"]) == (400, "param.cardAlreadyExist")
    assert sb.card_view("shift-7-v1", "u-ada") == {
        "title": "Sat",
        "status": "0/2",
        "my_status": "pending",
    }

    by_key = {
        "outTrackId": "shift-7-v1",
        "cardData": {"cardParamMap": {"status": "1/2"}},
        "privateData": {"u-bob": {"cardParamMap": {"my_status": "confirmed"}}},
        "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
    }
    assert await _call(http, "PUT", "/v1.0/card/instances", by_key) == (
        200,
        {"success": True, "result": True},
    )
    assert sb.card_view("shift-7-v1", "u-bob") == {
        "title": "Sat",
        "status": "1/2",
        "my_status": "confirmed",
    }
    replace = {"outTrackId": "shift-7-v1", "cardData": {"cardParamMap": {"status": "full"}}}
    await _call(http, "PUT", "/v1.0/card/instances", replace)
    card = sb.card("shift-7-v1")
    assert card is not None
    assert card.public == {"status": "full"}
    assert card.at_user_ids == ("u-ada",)
    assert [change.kind for change in card.history] == ["create", "update", "update"]
    status, unknown = await _call(
        http, "PUT", "/v1.0/card/instances", replace | {"outTrackId": "nope"}
    )
    assert (status, unknown["code"]) == (400, "param.cardInstanceNotExist")


async def test_a_space_can_be_made_to_miss_a_delivery_and_the_card_delivered_there_later(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    _group_with(sb, "u-ada", "u-bob")
    sb.fail_card_space_next("u-bob")
    body = _card_body(
        sb,
        "",
        openSpaceId="dtv1.card//IM_ROBOT.u-ada;IM_ROBOT.u-bob",
        imRobotOpenSpaceModel={"supportForward": False},
        imRobotOpenDeliverModel={"spaceType": "IM_ROBOT", "robotCode": sb.robot_code},
    )
    status, created = await _call(http, "POST", "/v1.0/card/instances/createAndDeliver", body)
    assert (status, created["success"]) == (200, True)
    results = {r["spaceId"]: r["success"] for r in created["result"]["deliverResults"]}
    assert results == {"u-ada": True, "u-bob": False}
    card = sb.card("shift-7-v1")
    assert card is not None
    assert card.spaces == (("IM_ROBOT", "u-ada"),)

    deliver = {
        "outTrackId": "shift-7-v1",
        "userIdType": 1,
        "openSpaceId": "dtv1.card//IM_ROBOT.u-bob",
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": sb.robot_code},
    }
    status, delivered = await _call(http, "POST", "/v1.0/card/instances/deliver", deliver)
    assert status == 200
    assert [(r["spaceId"], r["success"]) for r in delivered["result"]] == [("u-bob", True)]
    card = sb.card("shift-7-v1")
    assert card is not None
    assert card.spaces == (("IM_ROBOT", "u-ada"), ("IM_ROBOT", "u-bob"))
    status, unknown = await _call(
        http, "POST", "/v1.0/card/instances/deliver", deliver | {"outTrackId": "nope"}
    )
    assert (status, unknown["code"]) == (400, "param.cardInstanceNotExist")


async def test_a_group_card_records_whom_its_text_highlights(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    cid = _group_with(sb, "u-ada")
    stranger = _card_body(sb, cid, cardAtUserIds=["u-nobody"])
    status, refused = await _call(http, "POST", "/v1.0/card/instances/createAndDeliver", stranger)
    assert (status, refused["code"]) == (400, "param.userIdNotExist")
    body = _card_body(sb, cid, cardAtUserIds=["u-ada"])
    status, _ = await _call(http, "POST", "/v1.0/card/instances/createAndDeliver", body)
    assert status == 200
    card = sb.card("shift-7-v1")
    assert card is not None
    assert card.card_at_user_ids == ("u-ada",)


async def test_registered_templates_constrain_cards(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    sb.register_card_template("shift.schema", {"title": False, "status": False, "note": True})
    cid = _group_with(sb, "u-ada")
    create = "/v1.0/card/instances/createAndDeliver"

    _, unknown_template = await _call(
        http, "POST", create, _card_body(sb, cid, cardTemplateId="draft.schema")
    )
    extra = {"cardData": {"cardParamMap": {"title": "Sat", "colour": "red"}}}
    _, unknown_variable = await _call(http, "POST", create, _card_body(sb, cid, **extra))
    private = {"u-ada": {"cardParamMap": {"status": "mine", "note": "bring gloves"}}}
    status, _ = await _call(http, "POST", create, _card_body(sb, cid, privateData=private))

    assert unknown_template["code"] == "param.templateUnpublished"
    assert unknown_variable["code"] == "param.variableNotInTemplate"
    assert status == 200
    # A private value only shows for a variable the template marks private.
    assert sb.card_view("shift-7-v1", "u-ada") == {
        "title": "Sat",
        "status": "0/2",
        "note": "bring gloves",
    }


async def test_cards_in_a_private_chat_are_tapped_by_their_recipient_only(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    _group_with(sb, "u-ada", "u-bob")
    body = _card_body(
        sb,
        "",
        openSpaceId="dtv1.card//IM_ROBOT.u-ada",
        imRobotOpenSpaceModel={"supportForward": True},
        imRobotOpenDeliverModel={"spaceType": "IM_ROBOT"},
    )
    status, _ = await _call(http, "POST", "/v1.0/card/instances/createAndDeliver", body)
    assert status == 200
    message_id = sb.tap_card("u-ada", "shift-7-v1", {"action": "confirm"})
    assert message_id  # queued: no bot is connected in this test
    with pytest.raises(ValueError, match="none of the spaces"):
        sb.tap_card("u-bob", "shift-7-v1", {"action": "confirm"})


async def test_closed_and_unknown_apis_fail_loudly(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    legacy = [
        ("POST", "/v1.0/im/v1.0/robot/interactiveCards/send"),
        ("PUT", "/v1.0/im/robots/interactiveCards"),
        ("POST", "/v1.0/im/interactiveCards/templates/send"),
    ]
    for method, path in legacy:
        status, body = await _call(http, method, path, {"cardTemplateId": "StandardCard"})
        assert (status, body["code"]) == (
            403,
            "Forbidden.AccessDenied.AccessTokenPermissionDenied",
        )
    status, body = await _call(http, "POST", "/v1.0/robot/messageFiles/download", {})
    assert (status, body["code"]) == (404, "InvalidAction.NotFound")
    assert sb.api_call_count == 4  # errors are metered too; the token call is not


async def test_injected_faults_use_dingtalk_error_bodies(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    cid = _group_with(sb, "u-ada")
    send = {
        "robotCode": sb.robot_code,
        "openConversationId": cid,
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "hi"}),
    }
    path = "/v1.0/robot/groupMessages/send"
    sb.fail_next("/v1.0/robot/", status=503, count=2)
    sb.fail_next("/v1.0/robot/", status=403)

    answers = [await _call(http, "POST", path, send) for _ in range(4)]

    assert [(status, body.get("code")) for status, body in answers] == [
        (503, "ServiceUnavailable"),
        (503, "ServiceUnavailable"),
        (403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"),
        (200, None),
    ]
    assert {"code", "message", "requestid"} <= answers[0][1].keys()
    assert [record.status for record in sb.requests(path)] == [503, 503, 403, 200]
    assert sb.requests(path)[0].body == send
    assert len(sb.sent_messages(cid)) == 1


async def test_random_faults_repeat_for_the_same_seed(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    async def statuses() -> list[int]:
        sb.fail_randomly("/v1.0/robot/", rate=0.5, statuses=[500, 503], seed=7)
        return [(await _call(http, "POST", "/v1.0/robot/x", {}))[0] for _ in range(12)]

    first = await statuses()
    second = await statuses()
    assert first == second
    assert {500, 503, 404} <= set(first)
    sb.reset_faults()
    assert (await _call(http, "POST", "/v1.0/robot/x", {}))[0] == 404


async def test_a_hung_response_trips_the_client_timeout(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    sb.hang_next("/v1.0/robot/", seconds=1.0)
    with pytest.raises(asyncio.TimeoutError):
        async with http.post("/v1.0/robot/x", json={}, timeout=aiohttp.ClientTimeout(total=0.2)):
            pass
    assert (await _call(http, "POST", "/v1.0/robot/x", {}))[0] == 404


async def test_wait_until_says_what_it_saw(sb: Sandbox) -> None:
    with pytest.raises(TimeoutError, match=r"messages sent=0"):
        await sb.wait_for_messages(1, timeout=0.05)
    with pytest.raises(TimeoutError, match="live connections"):
        await sb.wait_until(lambda: False, timeout=0.05)


def test_people_must_exist_and_belong_to_the_group(sb: Sandbox) -> None:
    cid = _group_with(sb, "u-ada")
    sb.add_user(nick="Bob", staff_id="u-bob")
    with pytest.raises(ValueError, match="unknown user"):
        sb.post_message(cid, "u-nobody", "hi")
    with pytest.raises(ValueError, match="not a member"):
        sb.post_message(cid, "u-ada", "hi", at=["u-bob"])
    with pytest.raises(ValueError, match="already exists"):
        sb.add_user(nick="Ada again", staff_id="u-ada")
    group = sb.add_members(cid, ["u-bob", "u-ada"])
    assert [member.staff_id for member in group.members] == ["u-ada", "u-bob"]


def test_a_second_sandbox_cannot_take_the_port_and_a_free_one_stops_fast(sb: Sandbox) -> None:
    with pytest.raises(OSError, match="in use"):
        Sandbox(port=SANDBOX_PORT).start()
    spare = Sandbox(client_id="other")
    spare.start()
    assert spare.base_url.startswith("http://127.0.0.1:")
    started = time.monotonic()
    spare.stop()
    assert time.monotonic() - started < 2
    with pytest.raises(RuntimeError, match="not running"):
        spare.send_ping()
