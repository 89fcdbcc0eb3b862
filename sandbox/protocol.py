"""HTTP conventions of api.dingtalk.com shared by every handler: the error shape, and the request
body the middleware has already read (so the request log and the handler see the same body)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from aiohttp import web

BODY = web.RequestKey("sandbox.body", object)


class DingTalkError(Exception):
    """An error answer in the `{"code", "message", "requestid"}` shape of api.dingtalk.com.

    Codes the reference research confirmed are used verbatim; where DingTalk's code is unknown the
    sandbox invents one in the same style, so the bot's error handling sees realistic strings.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> web.Response:
        body = {"code": self.code, "message": self.message, "requestid": str(uuid.uuid4())}
        return web.json_response(body, status=self.status)


def json_body(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    if not isinstance(body, dict):
        raise DingTalkError(400, "InvalidParameter", "the request body must be a JSON object")
    return body


def require(body: Mapping[str, Any], name: str) -> Any:
    """The Alibaba API gateway's answer to a missing mandatory parameter."""
    value = body.get(name)
    if value is None or value == "":
        raise DingTalkError(400, f"Missing{name}", f"{name} is mandatory for this action.")
    return value
