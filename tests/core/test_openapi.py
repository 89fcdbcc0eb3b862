"""OpenApiClient against the sandbox: tokens, request bodies, and DingTalk's errors mapped."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from core.openapi import TOKEN_PATH, DingTalkError, OpenApiClient, is_dingtalk_origin
from core.settings import DingTalkSettings, load_settings
from sandbox import Sandbox
from tests.conftest import Inbox

GROUP_SEND = "/v1.0/robot/groupMessages/send"
OTO_SEND = "/v1.0/robot/oToMessages/batchSend"
QPS_LIMIT = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
PERMISSION_DENIED = "Forbidden.AccessDenied.AccessTokenPermissionDenied"
MARKDOWN = {"title": "排班 Shifts", "text": "**星期六** 10:00 – 深水埗"}


def _settings(sb: Sandbox, **dingtalk: Any) -> DingTalkSettings:
    settings = load_settings(
        None,
        dingtalk={"client_id": sb.client_id, "client_secret": sb.client_secret, **dingtalk},
        demo_mode=True,
    )
    return settings.dingtalk


def _group(sb: Sandbox, *staff_ids: str) -> str:
    for staff_id in staff_ids:
        sb.add_user(nick=staff_id.removeprefix("u-").title(), staff_id=staff_id)
    return sb.add_group(title="SSP 深水埗", members=list(staff_ids)).conversation_id


async def _failing_group_send(sb: Sandbox, cid: str, **dingtalk: Any) -> DingTalkError:
    async with OpenApiClient(_settings(sb, **dingtalk)) as client:
        with pytest.raises(DingTalkError) as raised:
            await client.send_group_message(cid, "sampleMarkdown", MARKDOWN)
    return raised.value


def test_the_client_talks_to_the_sandbox(sb: Sandbox) -> None:
    # tests/conftest.py exports DINGTALK_OPENAPI_ENDPOINT; everything below relies on it.
    assert _settings(sb).api_base == sb.base_url
    assert _settings(sb).robot_code == sb.robot_code


async def test_the_access_token_is_fetched_once_and_reused(sb: Sandbox) -> None:
    cid = _group(sb, "u-ada")
    async with OpenApiClient(_settings(sb)) as client:
        first = await client.access_token()
        for number in range(3):
            await client.send_group_message(cid, "sampleText", {"content": f"#{number}"})
        assert await client.access_token() == first

    [token_request] = sb.requests(TOKEN_PATH)
    assert token_request.body == {"appKey": sb.client_id, "appSecret": sb.client_secret}
    assert token_request.status == 200
    assert [r.status for r in sb.requests(GROUP_SEND)] == [200, 200, 200]
    assert sb.api_call_count == 3  # the token call is not metered


async def test_a_group_message_has_the_body_dingtalk_expects(sb: Sandbox) -> None:
    cid = _group(sb, "u-ada", "u-bob")
    async with OpenApiClient(_settings(sb)) as client:
        result = await client.send_group_message(cid, "sampleMarkdown", MARKDOWN)

    [request] = sb.requests(GROUP_SEND)
    assert request.method == "POST"
    assert set(request.body) == {"robotCode", "openConversationId", "msgKey", "msgParam"}
    assert request.body["robotCode"] == sb.robot_code
    assert request.body["openConversationId"] == cid
    assert request.body["msgKey"] == "sampleMarkdown"
    msg_param = request.body["msgParam"]
    assert isinstance(msg_param, str)  # DingTalk wants a JSON string, not an object
    assert json.loads(msg_param) == MARKDOWN
    assert "星期六" in msg_param  # not \u-escaped

    [sent] = sb.sent_messages(cid)
    assert sent.via == "group_send"
    assert (sent.msgtype, sent.msg_key) == ("markdown", "sampleMarkdown")
    assert (sent.title, sent.text) == (MARKDOWN["title"], MARKDOWN["text"])
    assert result.process_query_key
    assert sent.process_query_key == result.process_query_key


async def test_private_messages_report_unknown_user_ids(sb: Sandbox) -> None:
    _group(sb, "u-ada", "u-bob")
    async with OpenApiClient(_settings(sb)) as client:
        result = await client.send_private_messages(
            ["u-ada", "u-ghost", "u-bob", "u-nobody"], "sampleText", {"content": "提醒 reminder"}
        )

    [request] = sb.requests(OTO_SEND)
    assert request.body["userIds"] == ["u-ada", "u-ghost", "u-bob", "u-nobody"]
    assert request.body["robotCode"] == sb.robot_code
    assert json.loads(request.body["msgParam"]) == {"content": "提醒 reminder"}
    assert result.invalid_user_ids == ("u-ghost", "u-nobody")
    assert result.throttled_user_ids == ()
    assert result.process_query_key
    [sent] = sb.sent_messages()
    assert (sent.via, sent.user_ids, sent.text) == (
        "oto_send",
        ("u-ada", "u-bob"),
        "提醒 reminder",
    )
    assert sent.process_query_key == result.process_query_key


TRANSIENT, THROTTLED, QUOTA = "transient", "throttled", "quota_exhausted"


@pytest.mark.parametrize(
    ("status", "code", "flags"),
    [
        (403, QPS_LIMIT, {TRANSIENT, THROTTLED}),
        (403, "Forbidden.AccessDenied.QpsLimitForApi", {TRANSIENT, THROTTLED}),
        (403, PERMISSION_DENIED, set()),
        (403, "Forbidden.AccessDenied.ApiCountLimitForOrg", {QUOTA}),
        (429, "Throttling", {TRANSIENT}),
        (500, "InternalError", {TRANSIENT}),
        (503, "ServiceUnavailable", {TRANSIENT}),
        (400, "InvalidParameter", set()),
        (404, "InvalidAction.NotFound", set()),
    ],
)
async def test_error_answers_become_dingtalk_errors(
    sb: Sandbox, status: int, code: str, flags: set[str]
) -> None:
    cid = _group(sb, "u-ada")
    sb.fail_next(GROUP_SEND, status=status, code=code)

    error = await _failing_group_send(sb, cid)

    assert (error.status, error.code, error.message) == (status, code, "injected by fail_next")
    assert uuid.UUID(error.request_id)
    assert {flag for flag in (TRANSIENT, THROTTLED, QUOTA) if getattr(error, flag)} == flags
    assert sb.sent_messages() == []
    assert len(sb.requests(GROUP_SEND)) == 1  # errors other than 401 are not repeated here


async def test_a_real_400_is_parsed_with_its_request_id(sb: Sandbox) -> None:
    _group(sb, "u-ada")

    error = await _failing_group_send(sb, "cid-that-does-not-exist")

    assert error.status == 400
    assert error.code == "invalid.openConversationId"
    assert error.message == "openConversationId is invalid"
    assert uuid.UUID(error.request_id)
    assert not error.transient
    assert str(error) == (
        "DingTalk 400 invalid.openConversationId: openConversationId is invalid"
        f" (requestid {error.request_id})"
    )


async def test_a_hang_longer_than_the_timeout_is_a_transient_status_0(sb: Sandbox) -> None:
    cid = _group(sb, "u-ada")
    loop = asyncio.get_running_loop()
    async with OpenApiClient(_settings(sb, request_timeout_seconds=0.3)) as client:
        await client.access_token()
        sb.hang_next(GROUP_SEND, 1.0)
        started = loop.time()
        with pytest.raises(DingTalkError) as raised:
            await client.send_group_message(cid, "sampleText", {"content": "slow"})
        waited = loop.time() - started
        # The same client still works afterwards.
        await client.send_group_message(cid, "sampleText", {"content": "fast"})

    error = raised.value
    assert error.status == 0
    assert error.transient
    assert not error.throttled
    assert error.code.endswith("TimeoutError")
    assert 0.25 <= waited < 0.9
    # DingTalk may still deliver a message whose answer timed out: retries are at-least-once.
    # Waiting for it also keeps the late request out of the next test's log.
    await sb.wait_until(lambda: len(sb.sent_messages(cid)) == 2)
    assert sorted(m.text for m in sb.sent_messages(cid)) == ["fast", "slow"]


async def test_no_answer_at_all_is_a_transient_status_0(sb: Sandbox) -> None:
    async with OpenApiClient(_settings(sb, api_base="http://127.0.0.1:9")) as client:
        with pytest.raises(DingTalkError) as raised:
            await client.access_token()
    assert raised.value.status == 0
    assert raised.value.transient
    assert raised.value.code == "ClientConnectorError"


async def test_wrong_credentials_fail_the_token_request(sb: Sandbox) -> None:
    async with OpenApiClient(_settings(sb, client_secret="wrong")) as client:
        with pytest.raises(DingTalkError) as raised:
            await client.send_group_message("cid", "sampleText", {"content": "x"})
    assert (raised.value.status, raised.value.code) == (400, "invalidClientIdOrSecret")
    assert not raised.value.transient
    assert sb.requests(GROUP_SEND) == []


async def test_a_401_renews_the_token_once_and_repeats_the_call(sb: Sandbox) -> None:
    cid = _group(sb, "u-ada")
    async with OpenApiClient(_settings(sb)) as client:
        old_token = await client.access_token()
        sb.fail_next(GROUP_SEND, status=401, count=1)
        result = await client.send_group_message(cid, "sampleText", {"content": "again"})
        new_token = await client.access_token()

    assert new_token != old_token
    assert len(sb.requests(TOKEN_PATH)) == 2
    assert [r.status for r in sb.requests(GROUP_SEND)] == [401, 200]
    [sent] = sb.sent_messages(cid)
    assert (sent.text, sent.process_query_key) == ("again", result.process_query_key)


async def test_a_second_401_in_a_row_is_raised(sb: Sandbox) -> None:
    cid = _group(sb, "u-ada")
    sb.fail_next(GROUP_SEND, status=401, count=2)

    error = await _failing_group_send(sb, cid)

    assert (error.status, error.code) == (401, "InvalidAuthentication")
    assert not error.transient
    assert len(sb.requests(TOKEN_PATH)) == 2
    assert [r.status for r in sb.requests(GROUP_SEND)] == [401, 401]


async def test_session_webhook_replies_and_their_errcodes(sb: Sandbox, inbox: Inbox) -> None:
    cid = _group(sb, "u-ada")
    message = await inbox.post(cid, "u-ada", "/help")
    assert message.session_webhook is not None
    body = {
        "msgtype": "markdown",
        "markdown": {"title": "Help", "text": "@u-ada **hi**"},
        "at": {"atUserIds": ["u-ada"], "isAtAll": False},
    }
    async with OpenApiClient(_settings(sb)) as client:
        sb.session_webhook_errcode_next(130101, "send too fast")
        with pytest.raises(DingTalkError) as busy:
            await client.reply_by_session(message.session_webhook, body)
        sb.session_webhook_errcode_next(40035, "缺少参数 json")
        with pytest.raises(DingTalkError) as refused:
            await client.reply_by_session(message.session_webhook, body)
        with pytest.raises(DingTalkError) as expired:
            await client.reply_by_session(f"{sb.base_url}/robot/sendBySession?session=nope", body)
        await client.reply_by_session(message.session_webhook, body)

    assert (busy.value.code, busy.value.message, busy.value.transient) == (
        "130101",
        "send too fast",
        True,
    )
    assert (refused.value.status, refused.value.code, refused.value.transient) == (
        400,
        "40035",
        False,
    )
    assert (expired.value.status, expired.value.code, expired.value.transient) == (
        400,
        "300001",
        False,
    )
    assert expired.value.message == "session expired or invalid"
    [sent] = sb.sent_messages(cid)
    assert (sent.via, sent.title, sent.text) == ("session_webhook", "Help", "@u-ada **hi**")
    assert sent.at_user_ids == ("u-ada",)
    assert sb.requests(TOKEN_PATH) == []  # session webhooks need no access token
    assert sb.api_call_count == 0


@pytest.mark.parametrize(
    ("webhook", "trusted"),
    [
        ("https://oapi.dingtalk.com/robot/sendBySession?session=abc", True),
        ("HTTPS://OAPI.DingTalk.com:443/robot/sendBySession?session=abc", True),
        ("http://127.0.0.1:8765/robot/sendBySession?session=abc", True),
        ("http://oapi.dingtalk.com/robot/sendBySession", False),
        ("https://oapi.dingtalk.com:8443/robot/sendBySession", False),
        ("https://oapi.dingtalk.com.evil.example/robot/sendBySession", False),
        ("https://oapi.dingtalk.com@evil.example/robot/sendBySession", False),
        ("http://evil.example/robot/sendBySession?session=abc", False),
        ("http://127.0.0.1:9999/robot/sendBySession", False),
        ("https://oapi.dingtalk.com:99999/", False),
        ("ftp://oapi.dingtalk.com/", False),
        ("/robot/sendBySession", False),
        ("", False),
    ],
)
def test_only_dingtalks_own_origins_are_trusted_with_a_reply(webhook: str, trusted: bool) -> None:
    origins = ("http://127.0.0.1:8765", "https://oapi.dingtalk.com")
    assert is_dingtalk_origin(webhook, origins) is trusted


def test_the_client_trusts_its_api_base_and_dingtalks_webhook_host(sb: Sandbox) -> None:
    client = OpenApiClient(_settings(sb))
    assert client.trusts_session_webhook(f"{sb.base_url}/robot/sendBySession?session=1")
    assert client.trusts_session_webhook("https://oapi.dingtalk.com/robot/sendBySession?s=1")
    assert not client.trusts_session_webhook("https://api.dingtalk.com.evil.example/x")
    extra = OpenApiClient(_settings(sb, session_webhook_origins=["https://hooks.example"]))
    assert extra.trusts_session_webhook("https://hooks.example/robot/sendBySession")
    assert not extra.trusts_session_webhook("https://oapi.dingtalk.com/robot/sendBySession")
