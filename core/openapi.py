"""Our own asynchronous DingTalk OpenAPI client (the SDK's helpers block their event loop).

One shared aiohttp session, a cached access token, a timeout on every call, and DingTalk's two
error styles turned into :class:`DingTalkError`: ``api.dingtalk.com/v1.0`` answers with an HTTP
status and ``{"code", "message", "requestid"}``; the session webhook answers HTTP 200 with a
non-zero ``errcode``.

Proxies come from the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``), like the
SDK's ``requests`` and the stream's websocket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from core.cards import MERGE_BY_KEY
from core.settings import DingTalkSettings

log = logging.getLogger(__name__)

TOKEN_PATH = "/v1.0/oauth2/accessToken"
# Codes DingTalk uses for throttling; they come with HTTP 403, not 429.
THROTTLING_CODES = frozenset(
    {
        "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
        "Forbidden.AccessDenied.QpsLimitForApi",
        "Forbidden.AccessDenied.IpLimit",
        "90002",
        "90018",
        "90019",
    }
)
MONTHLY_QUOTA_CODES = frozenset({"Forbidden.AccessDenied.ApiCountLimitForOrg", "90020"})
CARD_ALREADY_EXISTS = "param.cardAlreadyExist"
# Session webhook errcodes worth retrying: DingTalk's "system busy" and rate limits.
_TRANSIENT_ERRCODES = frozenset({-1, 130101, 660026})
TOKEN_REFRESH_MARGIN_SECONDS = 300
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(eq=False)
class DingTalkError(Exception):
    status: int
    """HTTP status; 0 when the request never got an answer."""
    code: str
    message: str
    request_id: str = ""

    def __str__(self) -> str:
        where = f" (requestid {self.request_id})" if self.request_id else ""
        return f"DingTalk {self.status} {self.code}: {self.message}{where}"

    @property
    def throttled(self) -> bool:
        return self.code in THROTTLING_CODES

    @property
    def quota_exhausted(self) -> bool:
        return self.code in MONTHLY_QUOTA_CODES

    @property
    def card_already_exists(self) -> bool:
        """A create of an outTrackId DingTalk already has (it keeps the old card)."""
        return self.code == CARD_ALREADY_EXISTS

    @property
    def transient(self) -> bool:
        """Worth retrying later: no answer, a server error, or throttling."""
        return self.status == 0 or self.status >= 500 or self.status == 429 or self.throttled


@dataclass(frozen=True)
class GroupSendResult:
    process_query_key: str


@dataclass(frozen=True)
class PrivateSendResult:
    process_query_key: str
    invalid_user_ids: tuple[str, ...]
    throttled_user_ids: tuple[str, ...]


class OpenApiClient:
    def __init__(self, settings: DingTalkSettings) -> None:
        self._settings = settings
        self._http: aiohttp.ClientSession | None = None
        self._token = ""
        self._token_valid_until = 0.0
        self._token_lock = asyncio.Lock()

    async def __aenter__(self) -> OpenApiClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            timeout = aiohttp.ClientTimeout(total=self._settings.request_timeout_seconds)
            self._http = aiohttp.ClientSession(
                timeout=timeout, raise_for_status=False, trust_env=True
            )
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _request(
        self, method: str, url: str, body: Mapping[str, Any], headers: Mapping[str, str]
    ) -> tuple[int, Any]:
        try:
            async with self._session().request(method, url, json=body, headers=headers) as reply:
                raw = await reply.text()
                status = reply.status
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DingTalkError(0, type(error).__name__, str(error) or "no answer") from error
        try:
            return status, json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            # The per-IP limiter is known to answer with an HTML page.
            return status, {"code": f"http-{status}", "message": raw[:200]}

    async def access_token(self) -> str:
        """A cached token, renewed five minutes before DingTalk lets it expire. Not metered."""
        async with self._token_lock:
            if self._token and time.monotonic() < self._token_valid_until:
                return self._token
            status, data = await self._request(
                "POST",
                self._settings.api_base + TOKEN_PATH,
                {
                    "appKey": self._settings.client_id,
                    "appSecret": self._settings.client_secret.get_secret_value(),
                },
                {},
            )
            if status != 200 or not data.get("accessToken"):
                raise _error_from(status, data)
            self._token = str(data["accessToken"])
            lifetime = float(data.get("expireIn", 7200)) - TOKEN_REFRESH_MARGIN_SECONDS
            self._token_valid_until = time.monotonic() + max(lifetime, 0.0)
            return self._token

    def forget_token(self) -> None:
        self._token = ""

    async def call(self, method: str, path: str, body: Mapping[str, Any]) -> Any:
        """One metered ``/v1.0`` call; a rejected token is renewed once and the call repeated."""
        for attempt in range(2):
            token = await self.access_token()
            status, data = await self._request(
                method,
                self._settings.api_base + path,
                body,
                {"x-acs-dingtalk-access-token": token},
            )
            if status == 401 and attempt == 0:
                self.forget_token()
                continue
            if not 200 <= status < 300:
                raise _error_from(status, data)
            return data
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    async def send_group_message(
        self, conversation_id: str, msg_key: str, msg_param: Mapping[str, str]
    ) -> GroupSendResult:
        data = await self.call(
            "POST",
            "/v1.0/robot/groupMessages/send",
            {
                "robotCode": self._settings.robot_code,
                "openConversationId": conversation_id,
                "msgKey": msg_key,
                "msgParam": json.dumps(msg_param, ensure_ascii=False),
            },
        )
        return GroupSendResult(process_query_key=str(data.get("processQueryKey", "")))

    async def send_private_messages(
        self, user_ids: Sequence[str], msg_key: str, msg_param: Mapping[str, str]
    ) -> PrivateSendResult:
        data = await self.call(
            "POST",
            "/v1.0/robot/oToMessages/batchSend",
            {
                "robotCode": self._settings.robot_code,
                "userIds": list(user_ids),
                "msgKey": msg_key,
                "msgParam": json.dumps(msg_param, ensure_ascii=False),
            },
        )
        return PrivateSendResult(
            process_query_key=str(data.get("processQueryKey", "")),
            invalid_user_ids=tuple(data.get("invalidStaffIdList") or ()),
            throttled_user_ids=tuple(data.get("flowControlledStaffIdList") or ()),
        )

    async def create_and_deliver_card(
        self,
        *,
        out_track_id: str,
        public: Mapping[str, str],
        private: Mapping[str, Mapping[str, str]],
        conversation_id: str | None = None,
        mentions: Mapping[str, str] | None = None,
        staff_ids: Sequence[str] = (),
    ) -> list[str]:
        """Create a card from the configured template and deliver it into a group chat
        (``conversation_id``, @-mentioning ``mentions``, whom the card also highlights through
        ``cardAtUserIds``) or, with ``staff_ids``, privately into each of those people's 1:1
        chat with the robot (IM_ROBOT spaces, one call for all). Exactly one of the two must be
        given. Returns the spaces (group or staffIds) DingTalk could not deliver to, which it
        reports per space in an otherwise successful answer.

        ``callbackType`` STREAM brings its button taps over the stream connection. DingTalk
        keeps one card per ``outTrackId`` and refuses to create it again
        (``param.cardAlreadyExist``): a failed space is delivered later with
        :meth:`deliver_card`.
        """
        if (conversation_id is None) == (not staff_ids):
            raise ValueError("deliver a card either to a group or to people")
        space = self._deliver_model(mentions, staff_ids)
        space["openSpaceId"] = _open_space_id(conversation_id, staff_ids)
        if conversation_id is None:
            space["imRobotOpenSpaceModel"] = {"supportForward": False}
        else:
            space["imGroupOpenSpaceModel"] = {"supportForward": False}
            if mentions:
                space["cardAtUserIds"] = list(mentions)
        data: Any = await self.call(
            "POST",
            "/v1.0/card/instances/createAndDeliver",
            {
                "cardTemplateId": self._settings.card_template_id,
                "outTrackId": out_track_id,
                "callbackType": "STREAM",
                "userIdType": 1,
                "cardData": {"cardParamMap": dict(public)},
                "privateData": {
                    user_id: {"cardParamMap": dict(variables)}
                    for user_id, variables in private.items()
                },
                **space,
            },
        )
        result = data.get("result") if isinstance(data, dict) else None
        return _failed_spaces(result.get("deliverResults") if isinstance(result, dict) else None)

    async def deliver_card(
        self, *, out_track_id: str, conversation_id: str | None, staff_ids: Sequence[str]
    ) -> list[str]:
        """Deliver a card created earlier into a group or people's robot chats again (the spaces
        a first delivery missed); returns the spaces that failed again."""
        if (conversation_id is None) == (not staff_ids):
            raise ValueError("deliver a card either to a group or to people")
        data: Any = await self.call(
            "POST",
            "/v1.0/card/instances/deliver",
            {
                "outTrackId": out_track_id,
                "userIdType": 1,
                "openSpaceId": _open_space_id(conversation_id, staff_ids),
                **self._deliver_model(None, staff_ids),
            },
        )
        result = data.get("result") if isinstance(data, dict) else None
        # Unverified: deliver's result is documented loosely; read the list, or the
        # createAndDeliver form around it.
        if isinstance(result, dict):
            result = result.get("deliverResults")
        return _failed_spaces(result)

    def _deliver_model(
        self, mentions: Mapping[str, str] | None, staff_ids: Sequence[str]
    ) -> dict[str, Any]:
        """The deliver model of a group or of people's robot chats."""
        if staff_ids:
            return {
                "imRobotOpenDeliverModel": {
                    "spaceType": "IM_ROBOT",
                    "robotCode": self._settings.robot_code,
                }
            }
        return {
            "imGroupOpenDeliverModel": {
                "robotCode": self._settings.robot_code,
                "atUserIds": dict(mentions or {}),
            }
        }

    async def update_card(
        self,
        *,
        out_track_id: str,
        public: Mapping[str, str],
        private: Mapping[str, Mapping[str, str]],
    ) -> None:
        """Change some of a card's variables; the rest stay (merge by key)."""
        await self.call(
            "PUT",
            "/v1.0/card/instances",
            {
                "outTrackId": out_track_id,
                "cardData": {"cardParamMap": dict(public)},
                "privateData": {
                    staff_id: {"cardParamMap": dict(variables)}
                    for staff_id, variables in private.items()
                },
                "cardUpdateOptions": MERGE_BY_KEY,
                "userIdType": 1,
            },
        )

    def trusts_session_webhook(self, webhook: str) -> bool:
        return is_dingtalk_origin(
            webhook, (self._settings.api_base, *self._settings.session_webhook_origins)
        )

    async def reply_by_session(self, webhook: str, body: Mapping[str, Any]) -> None:
        """Post to a message's session webhook (no token; can @-mention people)."""
        status, data = await self._request("POST", webhook, body, {})
        if status != 200:
            raise _error_from(status, data)
        errcode = int(data.get("errcode", 0))
        if errcode:
            raise DingTalkError(
                503 if errcode in _TRANSIENT_ERRCODES else 400,
                str(errcode),
                str(data.get("errmsg", "")),
            )


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # an unreadable port or host
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname or scheme not in _DEFAULT_PORTS:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def is_dingtalk_origin(url: str, trusted: Sequence[str]) -> bool:
    """Whether ``url`` has the scheme, host and port of one of the ``trusted`` URLs.

    A session webhook arrives inside the message, so it is only posted to (with the reply's
    text and mentions) when it points at DingTalk itself.
    """
    origin = _origin(url)
    return origin is not None and origin in {_origin(base) for base in trusted}


def _open_space_id(conversation_id: str | None, staff_ids: Sequence[str]) -> str:
    if staff_ids:
        return "dtv1.card//" + ";".join(f"IM_ROBOT.{staff_id}" for staff_id in staff_ids)
    return f"dtv1.card//IM_GROUP.{conversation_id}"


def _failed_spaces(results: object) -> list[str]:
    """The spaceIds a ``deliverResults`` list reports ``success: false`` for."""
    return [
        str(delivered.get("spaceId"))
        for delivered in (results if isinstance(results, list) else [])
        if isinstance(delivered, dict) and delivered.get("success") is False
    ]


def _error_from(status: int, data: Any) -> DingTalkError:
    if not isinstance(data, Mapping):
        data = {}
    return DingTalkError(
        status=status,
        code=str(data.get("code") or data.get("errcode") or f"http-{status}"),
        message=str(data.get("message") or data.get("errmsg") or ""),
        request_id=str(data.get("requestid") or data.get("requestId") or ""),
    )
