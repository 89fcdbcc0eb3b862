"""The HTTP APIs the bot calls: access token, sessionWebhook, robot messages, read status, cards.

Handlers validate like DingTalk (and a little stricter where DingTalk fails silently), record
what the bot sent in SandboxState, and answer with DingTalk's exact response shapes.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

from aiohttp import web

from sandbox import cards
from sandbox.faults import FaultPlan
from sandbox.frames import new_process_query_key
from sandbox.protocol import BODY, DingTalkError, json_body, require
from sandbox.records import CardChange, CardState, SendVia, SentMessage
from sandbox.state import TOKEN_LIFETIME_S, SandboxState

MAX_MSG_PARAM_BYTES = 15_000
MAX_BATCH_USERS = 20
MAX_QUERY_RESULTS = 200
# Unverified: modelled on the custom-robot webhook's "token is not exist" answer.
SESSION_INVALID = {"errcode": 300001, "errmsg": "session expired or invalid"}
# Unverified: DingTalk documents no size limit for a session webhook's message, nor the errcode
# refusing one. The sandbox refuses what the send APIs refuse (a message object over
# MAX_MSG_PARAM_BYTES) with the custom-robot webhook's generic "invalid parameter" errcode, so a
# reply that would not fit the OpenAPI fallback does not pass here either.
WEBHOOK_TOO_LARGE = {"errcode": 40035, "errmsg": f"message exceeds {MAX_MSG_PARAM_BYTES} bytes"}
_MSG_KEYS: dict[str, Literal["text", "markdown"]] = {
    "sampleText": "text",
    "sampleMarkdown": "markdown",
}


class OpenApi:
    def __init__(self, state: SandboxState, faults: FaultPlan) -> None:
        self._state = state
        self._faults = faults

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1.0/oauth2/accessToken", self.access_token),
            web.post("/robot/sendBySession", self.send_by_session),
            web.post("/v1.0/robot/groupMessages/send", self.group_send),
            web.post("/v1.0/robot/groupMessages/query", self.group_query),
            web.post("/v1.0/robot/oToMessages/batchSend", self.oto_send),
            web.post("/v1.0/card/instances/createAndDeliver", self.create_and_deliver),
            web.post("/v1.0/card/instances/deliver", self.deliver),
            web.put("/v1.0/card/instances", self.update_card),
            web.route("*", "/v1.0/im/{tail:.*}", self.legacy_im),
        ]

    async def access_token(self, request: web.Request) -> web.Response:
        body = json_body(request)
        if (body.get("appKey"), body.get("appSecret")) != (
            self._state.client_id,
            self._state.client_secret,
        ):
            raise DingTalkError(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        token = self._state.issue_token()
        return web.json_response({"accessToken": token, "expireIn": TOKEN_LIFETIME_S})

    async def send_by_session(self, request: web.Request) -> web.Response:
        """Legacy-style API: failures are HTTP 200 with a non-zero errcode, never an HTTP error."""
        session = self._state.session(request.query.get("session", ""))
        if session is None:
            return web.json_response(SESSION_INVALID)
        injected = self._faults.take_webhook_errcode()
        if injected is not None:
            return web.json_response({"errcode": injected[0], "errmsg": injected[1]})
        raw = request[BODY]
        body: dict[str, Any] = raw if isinstance(raw, dict) else {}
        kind = body.get("msgtype", "")
        content = body.get(kind) if kind in ("text", "markdown") else None
        if not isinstance(content, dict):
            # Unverified: the legacy "missing parameter" errcode.
            errmsg = "缺少参数 json (the sandbox models msgtype text and markdown)"
            return web.json_response({"errcode": 40035, "errmsg": errmsg})
        if len(json.dumps(content, ensure_ascii=False).encode()) > MAX_MSG_PARAM_BYTES:
            return web.json_response(WEBHOOK_TOO_LARGE)
        at = body.get("at", {})
        at = at if isinstance(at, dict) else {}
        self._state.record_sent(
            SentMessage(
                via="session_webhook",
                conversation_id=session.conversation_id,
                user_ids=session.user_ids,
                msgtype=kind,
                msg_key=kind,
                title=content.get("title") if kind == "markdown" else None,
                text=str(content.get("content" if kind == "text" else "text", "")),
                at_user_ids=tuple(u for u in at.get("atUserIds") or () if isinstance(u, str)),
                at_all=at.get("isAtAll") is True,
                process_query_key=None,
                at=time.monotonic(),
            )
        )
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def group_send(self, request: web.Request) -> web.Response:
        body = json_body(request)
        conversation_id = self._known_group(body)
        key = new_process_query_key()
        self._state.record_sent(self._robot_message(body, "group_send", conversation_id, (), key))
        return web.json_response({"processQueryKey": key})

    async def group_query(self, request: web.Request) -> web.Response:
        body = json_body(request)
        conversation_id = self._known_group(body)
        page_size = body.get("maxResults")
        if not isinstance(page_size, int) or not 1 <= page_size <= MAX_QUERY_RESULTS:
            raise DingTalkError(
                400,
                "invalidParameter.pageSize.invalid",
                f"maxResults must be 1..{MAX_QUERY_RESULTS}",
            )
        readers = self._state.readers(str(require(body, "processQueryKey")), conversation_id)
        if readers is None:
            raise DingTalkError(400, "invalid.processQueryKey", "processQueryKey is invalid")
        token = body.get("nextToken") or "0"
        if not isinstance(token, str) or not token.isdigit():
            raise DingTalkError(400, "invalidParameter.nextToken.invalid", "nextToken is invalid")
        start = int(token)
        answer: dict[str, Any] = {
            "sendStatus": "SUCCESS",
            "readUserIds": readers[start : start + page_size],
            "hasMore": start + page_size < len(readers),
        }
        if answer["hasMore"]:
            answer["nextToken"] = str(start + page_size)
        return web.json_response(answer)

    async def oto_send(self, request: web.Request) -> web.Response:
        body = json_body(request)
        require(body, "robotCode")
        user_ids = require(body, "userIds")
        if not isinstance(user_ids, list) or not all(isinstance(u, str) for u in user_ids):
            raise DingTalkError(400, "invalidParameter.userIds", "userIds must list staff ids")
        if len(user_ids) > MAX_BATCH_USERS:
            raise DingTalkError(
                400, "invalidParameter.userIds.tooMany", f"at most {MAX_BATCH_USERS} userIds"
            )
        known = self._state.staff_ids()
        valid = tuple(u for u in user_ids if u in known)
        key = new_process_query_key()
        message = self._robot_message(body, "oto_send", None, valid, key)
        if valid:
            self._state.record_sent(message)
        return web.json_response(
            {
                "processQueryKey": key,
                "invalidStaffIdList": [u for u in user_ids if u not in known],
                "flowControlledStaffIdList": [],
            }
        )

    def _known_group(self, body: dict[str, Any]) -> str:
        require(body, "robotCode")
        conversation_id = str(require(body, "openConversationId"))
        if not self._state.has_group(conversation_id):
            raise DingTalkError(400, "invalid.openConversationId", "openConversationId is invalid")
        return conversation_id

    def _robot_message(
        self,
        body: dict[str, Any],
        via: SendVia,
        conversation_id: str | None,
        user_ids: tuple[str, ...],
        key: str,
    ) -> SentMessage:
        msg_key = require(body, "msgKey")
        msgtype = _MSG_KEYS.get(msg_key) if isinstance(msg_key, str) else None
        if msgtype is None:
            raise DingTalkError(
                400, "invalidParameter.msgKey", "the sandbox models sampleText and sampleMarkdown"
            )
        raw = require(body, "msgParam")
        if not isinstance(raw, str):
            raise DingTalkError(400, "invalidParameter.msgParam", "msgParam must be a JSON string")
        if len(raw.encode()) > MAX_MSG_PARAM_BYTES:
            raise DingTalkError(
                400, "invalidParameter.msgParam", f"msgParam exceeds {MAX_MSG_PARAM_BYTES} bytes"
            )
        try:
            param = json.loads(raw)
        except ValueError:
            param = None
        text_field = "content" if msgtype == "text" else "text"
        if not isinstance(param, dict) or not isinstance(param.get(text_field), str):
            raise DingTalkError(
                400, "invalidParameter.msgParam", f"{msg_key} needs a string {text_field!r}"
            )
        return SentMessage(
            via=via,
            conversation_id=conversation_id,
            user_ids=user_ids,
            msgtype=msgtype,
            msg_key=msg_key,
            title=param.get("title") if msgtype == "markdown" else None,
            text=param[text_field],
            at_user_ids=(),  # these APIs cannot @-mention anyone
            at_all=False,
            process_query_key=key,
            at=time.monotonic(),
        )

    async def create_and_deliver(self, request: web.Request) -> web.Response:
        body = json_body(request)
        template_id = body.get("cardTemplateId")
        if not isinstance(template_id, str) or not template_id:
            raise DingTalkError(400, "param.cardTemplateIdEmpty", "cardTemplateId is empty")
        variables = self._state.template_variables(template_id)
        out_track_id = _out_track_id(body)
        if body.get("callbackType") != "STREAM":
            raise DingTalkError(
                400,
                "param.callbackTypeInvalid",
                "callbackType must be 'STREAM', or taps never reach the bot over Stream",
            )
        if body.get("userIdType", 1) != 1:
            raise DingTalkError(400, "param.userIdTypeInvalid", "the sandbox models userIdType 1")
        if "cardData" not in body:
            raise DingTalkError(400, "param.cardPublicDataEmpty", "cardData is empty")
        public = cards.param_map(body["cardData"], "cardData", variables)
        staff_ids = self._state.staff_ids()
        private = cards.private_maps(body.get("privateData", {}), variables, staff_ids)
        spaces = cards.parse_spaces(body.get("openSpaceId"))
        at_user_ids: list[str] = []
        for space_type, space_id in spaces:
            at_user_ids += self._check_space(body, space_type, space_id, staff_ids)
        card_at_user_ids = _card_at_user_ids(body, staff_ids)
        if self._state.card(out_track_id) is not None:
            raise _already_exists(out_track_id)
        results, delivered = self._deliver_results(spaces)
        card = CardState(
            out_track_id=out_track_id,
            template_id=template_id,
            public=public,
            private=private,
            open_space_id=body["openSpaceId"],
            spaces=tuple(delivered),
            at_user_ids=tuple(at_user_ids),
            history=(CardChange("create", body, time.monotonic()),),
            card_at_user_ids=card_at_user_ids,
        )
        if not self._state.create_card(card):  # created meanwhile by a concurrent request
            raise _already_exists(out_track_id)
        return web.json_response(
            {"success": True, "result": {"outTrackId": out_track_id, "deliverResults": results}}
        )

    async def deliver(self, request: web.Request) -> web.Response:
        """``POST /v1.0/card/instances/deliver``: an existing card into more spaces. The request
        follows the SDK's ``CardReplier``; the response shape (``result`` as the list of
        per-space results) is unverified."""
        body = json_body(request)
        out_track_id = _out_track_id(body)
        if self._state.card(out_track_id) is None:
            raise DingTalkError(400, "param.cardInstanceNotExist", f"no card {out_track_id!r}")
        spaces = cards.parse_spaces(body.get("openSpaceId"))
        staff_ids = self._state.staff_ids()
        for space_type, space_id in spaces:
            self._check_deliver_model(body, space_type, space_id, staff_ids)
        results, delivered = self._deliver_results(spaces)
        self._state.add_spaces(out_track_id, delivered, body)
        return web.json_response({"success": True, "result": results})

    def _deliver_results(
        self, spaces: list[tuple[str, str]]
    ) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        """Per-space results as DingTalk reports them, and the spaces the card reached; a space
        failed by the fault plan gets ``success: false`` (its errorMsg wording is unverified)."""
        results: list[dict[str, Any]] = []
        delivered: list[tuple[str, str]] = []
        for space_type, space_id in spaces:
            failed = self._faults.take_space_failure(space_id)
            results.append(
                {
                    "spaceType": space_type,
                    "spaceId": space_id,
                    "success": not failed,
                    "errorMsg": "deliver failed (injected)" if failed else "",
                    "carrierId": "" if failed else new_process_query_key(),
                }
            )
            if not failed:
                delivered.append((space_type, space_id))
        return results, delivered

    def _check_space(
        self, body: dict[str, Any], space_type: str, space_id: str, staff_ids: set[str]
    ) -> list[str]:
        """Checks one space's models and returns the staff ids the delivery @-mentions."""
        space_model, _ = cards.SPACE_MODELS[space_type]
        model = body.get(space_model)
        if not isinstance(model, dict) or not isinstance(model.get("supportForward"), bool):
            raise DingTalkError(
                400, "param.openSpaceModelInvalid", f"{space_model}.supportForward is required"
            )
        return self._check_deliver_model(body, space_type, space_id, staff_ids)

    def _check_deliver_model(
        self, body: dict[str, Any], space_type: str, space_id: str, staff_ids: set[str]
    ) -> list[str]:
        _, deliver_model = cards.SPACE_MODELS[space_type]
        if space_type == "IM_GROUP" and not self._state.has_group(space_id):
            raise DingTalkError(400, "param.openSpaceIdInvalid", f"unknown group {space_id!r}")
        if space_type == "IM_ROBOT" and space_id not in staff_ids:
            raise DingTalkError(400, "param.userIdNotExist", f"unknown user {space_id!r}")
        deliver = body.get(deliver_model)
        if not isinstance(deliver, dict):
            raise DingTalkError(400, f"Missing{deliver_model}", f"{deliver_model} is required")
        robot_code = deliver.get("robotCode")
        if space_type == "IM_GROUP" and not robot_code:
            raise DingTalkError(
                400, "param.robotCodeEmpty", f"{deliver_model}.robotCode is required"
            )
        if robot_code is not None and robot_code != self._state.client_id:
            raise DingTalkError(400, "invalidParameter.robotCode.notExsit", "robot not exist")
        at_users = deliver.get("atUserIds") or {}
        return [str(user) for user in at_users] if isinstance(at_users, dict) else []

    async def update_card(self, request: web.Request) -> web.Response:
        body = json_body(request)
        out_track_id = _out_track_id(body)
        card = self._state.card(out_track_id)
        if card is None:
            raise DingTalkError(400, "param.cardInstanceNotExist", f"no card {out_track_id!r}")
        variables = self._state.template_variables(card.template_id)
        public = None
        if "cardData" in body:
            public = cards.param_map(body["cardData"], "cardData", variables)
        private = None
        if "privateData" in body:
            private = cards.private_maps(body["privateData"], variables, self._state.staff_ids())
        public_by_key, private_by_key = cards.update_options(body)
        self._state.update_card(
            out_track_id,
            "update",
            body,
            public=public,
            public_by_key=public_by_key,
            private=private,
            private_by_key=private_by_key,
        )
        return web.json_response({"success": True, "result": True})

    async def legacy_im(self, request: web.Request) -> web.Response:
        """The basic-card APIs are closed to new apps, so a regression onto them fails loudly."""
        if "interactiveCards" in request.path:
            raise DingTalkError(
                403,
                "Forbidden.AccessDenied.AccessTokenPermissionDenied",
                "没有调用该接口的权限 (basic interactive cards are closed to new apps)",
            )
        raise web.HTTPNotFound


def _already_exists(out_track_id: str) -> DingTalkError:
    """DingTalk keeps one card per outTrackId and refuses a second create (the code is in the
    createAndDeliver error table, KB 0783; the message wording is the sandbox's own)."""
    return DingTalkError(400, "param.cardAlreadyExist", f"card {out_track_id!r} already exists")


def _card_at_user_ids(body: dict[str, Any], staff_ids: set[str]) -> tuple[str, ...]:
    """``cardAtUserIds``: the people the card's text highlights, as a list of userIds (its
    place at the top level of the request is unverified)."""
    raw = body.get("cardAtUserIds", [])
    if not isinstance(raw, list) or not all(isinstance(user, str) for user in raw):
        raise DingTalkError(400, "param.cardAtUserIdsInvalid", "cardAtUserIds must list userIds")
    unknown = [user for user in raw if user not in staff_ids]
    if unknown:
        raise DingTalkError(400, "param.userIdNotExist", f"cardAtUserIds: unknown {unknown!r}")
    return tuple(raw)


def _out_track_id(body: dict[str, Any]) -> str:
    out_track_id = body.get("outTrackId")
    if not isinstance(out_track_id, str) or not out_track_id:
        raise DingTalkError(400, "param.outTrackIdEmpty", "outTrackId is empty")
    if len(out_track_id) > cards.MAX_OUT_TRACK_ID_CHARS:
        raise DingTalkError(
            400, "outTrackId.outOfLimit", f"outTrackId exceeds {cards.MAX_OUT_TRACK_ID_CHARS}"
        )
    return out_track_id
