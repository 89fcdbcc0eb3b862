"""`Sandbox`: a local DingTalk that the real dingtalk-stream SDK and the bot's HTTP client talk to.

The aiohttp server runs on its own thread with its own event loop. The SDK makes blocking
`requests` calls from inside its loop, so a server sharing that loop (or the test's) would
deadlock; every public method here is therefore thread-safe and callable from any other thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.faults import FaultPlan
from sandbox.frames import (
    CARD_CALLBACK_TOPIC,
    CHATBOT_TOPIC,
    TapShape,
    callback_frame,
    card_tap,
    chat_message,
    new_message_id,
)
from sandbox.gateway import Gateway
from sandbox.openapi import OpenApi
from sandbox.protocol import BODY, DingTalkError
from sandbox.records import (
    AckRecord,
    Bot,
    CardState,
    Group,
    PushedFrame,
    RequestRecord,
    SentMessage,
    User,
)
from sandbox.state import SandboxState, UserRef
from sandbox.templates import card_template_variables

_T = TypeVar("_T")
TOKEN_HEADER = "x-acs-dingtalk-access-token"
# Under /v1.0/ but neither metered nor behind an access token.
_UNMETERED = ("/v1.0/oauth2/accessToken", "/v1.0/gateway/connections/open")
_CALL_TIMEOUT_S = 10.0


def is_metered(path: str) -> bool:
    """Whether a request to `path` is a metered OpenAPI call, and so needs an access token: all
    of /v1.0/ but the token and connection calls."""
    return path.startswith("/v1.0/") and path not in _UNMETERED


class Sandbox:
    """Start once per test session and reset() per test: the bot's cached token and its
    websocket survive reset(), as they would between two real conversations."""

    def __init__(
        self,
        client_id: str = "dingshift-demo",
        client_secret: str = "demo-secret",
        host: str = "127.0.0.1",
        port: int = 0,
        ping_interval: float | None = None,
    ) -> None:
        """`ping_interval`: seconds between SYSTEM pings on each connection, as DingTalk sends
        them; None (the default) keeps test ACK logs free of pings."""
        self._host = host
        self._port = port
        self._state = SandboxState(client_id, client_secret)
        self._faults = FaultPlan()
        self._gateway = Gateway(self._state, ping_interval)
        self._openapi = OpenApi(self._state, self._faults)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._base_url = ""

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        """Returns once the server listens; a bind error is raised here."""
        if self._thread is not None:
            raise RuntimeError("the sandbox is already running")
        loop = asyncio.new_event_loop()
        listening: concurrent.futures.Future[str] = concurrent.futures.Future()
        thread = threading.Thread(
            target=self._serve, args=(loop, listening), name="dingtalk-sandbox", daemon=True
        )
        thread.start()
        self._base_url = listening.result(timeout=_CALL_TIMEOUT_S)
        self._loop, self._thread = loop, thread

    def _serve(
        self, loop: asyncio.AbstractEventLoop, listening: concurrent.futures.Future[str]
    ) -> None:
        asyncio.set_event_loop(loop)
        try:
            listening.set_result(loop.run_until_complete(self._listen()))
        except Exception as error:  # handed over to start() in the caller's thread
            listening.set_exception(error)
        else:
            loop.run_forever()
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.close()

    async def _listen(self) -> str:
        app = web.Application(middlewares=[self._middleware])
        app.on_response_prepare.append(self._log_request)
        app.add_routes(
            [
                web.post("/v1.0/gateway/connections/open", self._gateway.open_connection),
                web.get("/connect", self._gateway.connect),
                *self._openapi.routes(),
            ]
        )
        runner = self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Closes the bot's websockets (code 1001) and the server, then joins the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._call(self._shutdown())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=2.0)
        self._loop = self._thread = None
        self._base_url = ""

    async def _shutdown(self) -> None:
        await self._gateway.close_all(code=1001)
        await self._gateway.reset()
        if self._runner is not None:
            await self._runner.cleanup()

    def reset(self) -> None:
        """Forgets the conversation and the faults; the server and the bot's connection stay up."""
        self._state.reset()
        self.reset_faults()
        if self._loop is not None:
            self._call(self._gateway.reset())

    def reset_faults(self) -> None:
        """Drops every fail_*/hang_next/errcode rule, e.g. to let a bot recover mid-test."""
        self._faults.clear()

    def _call(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("the sandbox is not running; call start() first")
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("Sandbox methods must not be called from the sandbox's own thread")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=_CALL_TIMEOUT_S)

    @property
    def base_url(self) -> str:
        if not self._base_url:
            raise RuntimeError("the sandbox is not running; call start() first")
        return self._base_url

    @property
    def client_id(self) -> str:
        return self._state.client_id

    @property
    def client_secret(self) -> str:
        return self._state.client_secret

    @property
    def robot_code(self) -> str:
        """DingTalk's robotCode of an internal app is its clientId."""
        return self._state.client_id

    @property
    def bot(self) -> Bot:
        return self._state.bot

    # -- HTTP plumbing ----------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        request[BODY] = await _read_body(request)
        fault = self._faults.take(request.path)
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status is not None:
            return DingTalkError(fault.status, fault.code, fault.reason).response()
        try:
            if is_metered(request.path):
                self._state.check_token(request.headers.get(TOKEN_HEADER))
                self._check_robot_code(request[BODY])
            return await handler(request)
        except DingTalkError as error:
            return error.response()
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            return DingTalkError(
                404,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
            ).response()

    def _check_robot_code(self, body: object) -> None:
        if isinstance(body, dict) and body.get("robotCode", self.robot_code) != self.robot_code:
            raise DingTalkError(400, "invalidParameter.robotCode.notExsit", "robot not exist")

    async def _log_request(self, request: web.Request, response: web.StreamResponse) -> None:
        """Logged as the status line goes out, which for /connect is the 101 upgrade."""
        path = request.path
        record = RequestRecord(
            method=request.method,
            path=path,
            query=dict(request.query),
            body=request.get(BODY),
            status=response.status,
            at=time.monotonic(),
        )
        self._state.log_request(record, metered=is_metered(path))

    # -- organisation and chats -------------------------------------------------------------------

    def add_user(self, nick: str, staff_id: str | None) -> User:
        """`staff_id=None` makes someone outside the organisation: frames carry no staff id."""
        return self._state.add_user(nick, staff_id)

    def add_group(self, title: str, members: Sequence[UserRef]) -> Group:
        return self._state.add_group(title, members)

    def add_members(self, conversation_id: str, members: Sequence[UserRef]) -> Group:
        return self._state.add_members(conversation_id, members)

    # -- acting as people -------------------------------------------------------------------------

    def post_message(
        self,
        conversation_id: str,
        sender: UserRef,
        text: str,
        at: Sequence[UserRef] = (),
        session_webhook: str | None = None,
    ) -> str:
        """`sender` @-mentions the bot (and the `at` people) in a group; returns the messageId.

        `session_webhook` replaces the frame's own, as a forged frame would."""
        group = self._state.group(conversation_id)
        members = {member.dingtalk_id for member in group.members}
        people = [self._state.user(ref) for ref in (sender, *at)]
        for person in people:
            if person.dingtalk_id not in members:
                raise ValueError(f"{person.nick} is not a member of {group.title!r}")
        token, create_at = self._state.open_session(conversation_id, ())
        data = chat_message(
            bot=self.bot,
            conversation_id=conversation_id,
            group_title=group.title,
            sender=people[0],
            mentioned=people[1:],
            text=text,
            session_webhook=session_webhook or self._session_webhook(token),
            create_at=create_at,
        )
        return self._push(CHATBOT_TOPIC, data)

    def post_private_message(self, sender: UserRef, text: str) -> str:
        user = self._state.user(sender)
        conversation_id = self._state.private_chat(user)
        user_ids = () if user.staff_id is None else (user.staff_id,)
        token, create_at = self._state.open_session(conversation_id, user_ids)
        data = chat_message(
            bot=self.bot,
            conversation_id=conversation_id,
            group_title=None,
            sender=user,
            mentioned=(),
            text=text,
            session_webhook=self._session_webhook(token),
            create_at=create_at,
        )
        return self._push(CHATBOT_TOPIC, data)

    def _session_webhook(self, token: str) -> str:
        return f"{self.base_url}/robot/sendBySession?session={token}"

    def tap_card(
        self,
        user: UserRef,
        out_track_id: str,
        params: Mapping[str, Any],
        *,
        shape: TapShape = "content",
    ) -> str:
        """Taps a button, in the first of the card's spaces the tapper sees it in (their own
        IM_ROBOT chat, or a group they are a member of); the action ids are
        `[params["action"]]` when there is one."""
        tapper = self._state.user(user)
        if tapper.staff_id is None:
            raise ValueError("card taps by people outside the organisation are not modelled")
        card = self._state.card(out_track_id)
        if card is None:
            raise ValueError(f"unknown card {out_track_id!r}")
        staff_id = tapper.staff_id
        space = next((space for space in card.spaces if self._sees(staff_id, space)), None)
        if space is None:
            raise ValueError(f"{tapper.nick} is in none of the spaces of card {out_track_id!r}")
        data = card_tap(
            bot=self.bot,
            card=card,
            space=space,
            staff_id=staff_id,
            action_ids=[str(params["action"])] if "action" in params else [],
            params=params,
            shape=shape,
        )
        return self._push(CARD_CALLBACK_TOPIC, data)

    def _sees(self, staff_id: str, space: tuple[str, str]) -> bool:
        space_type, space_id = space
        if space_type == "IM_ROBOT":
            return space_id == staff_id
        members = self._state.group(space_id).members
        return any(member.staff_id == staff_id for member in members)

    def _push(self, topic: str, data: Mapping[str, Any]) -> str:
        message_id = new_message_id()
        self._call(self._gateway.push(callback_frame(self.bot, topic, message_id, data)))
        return message_id

    # -- the stream connection --------------------------------------------------------------------

    def redeliver(self, message_id: str) -> None:
        """Pushes the very same frame again, as DingTalk does when an ACK is slow or lost."""
        self._call(self._gateway.redeliver(message_id))

    @property
    def redelivery_timeout(self) -> float | None:
        """When set, a CALLBACK frame without an ACK after this many seconds is pushed again,
        at most 3 times; None (the default, and after reset()) disables redelivery."""
        return self._state.redelivery_timeout

    @redelivery_timeout.setter
    def redelivery_timeout(self, seconds: float | None) -> None:
        self._state.redelivery_timeout = seconds

    def send_ping(self) -> None:
        self._call(self._gateway.system("ping", {"opaque": new_message_id()}))

    def send_disconnect(
        self, reason: str = "connection is expired", close_after: float = 10.0
    ) -> None:
        """DingTalk's load-balancing disconnect: no more frames on those connections, then a
        close with code 1000 after `close_after` seconds (about 10 s in production)."""
        self._call(self._gateway.system("disconnect", {"reason": reason}, close_after))

    def push_raw(self, text: str) -> None:
        """Sends `text` unchanged on the newest live connection, e.g. a malformed frame."""
        self._call(self._gateway.push_raw(text))

    def kill_connections(self) -> None:
        """Makes the live connections half-open, as a lost network does: websocket pings go
        unanswered and no frame is delivered on them (new pushes wait for a new connection);
        connections opened later are healthy."""
        self._call(self._gateway.kill_connections())

    def close_connections(self, code: int = 1011) -> None:
        """1000 makes the SDK reconnect at once; any other code makes it wait 10 s."""
        self._call(self._gateway.close_all(code))

    @property
    def connection_count(self) -> int:
        return self._state.connection_count

    @property
    def connections_opened(self) -> int:
        """Successful /v1.0/gateway/connections/open calls since the last reset()."""
        return self._state.connections_opened

    @property
    def subscriptions(self) -> list[dict[str, str]]:
        return self._state.subscriptions

    # -- reading what happened --------------------------------------------------------------------

    def sent_messages(self, conversation_id: str | None = None) -> list[SentMessage]:
        return self._state.sent_messages(conversation_id)

    def acks(self, message_id: str | None = None) -> list[AckRecord]:
        return self._state.acks(message_id)

    def frames_pushed(self, message_id: str | None = None) -> list[PushedFrame]:
        return self._state.pushes(message_id)

    def requests(self, path_prefix: str | None = None) -> list[RequestRecord]:
        return self._state.requests(path_prefix)

    @property
    def api_call_count(self) -> int:
        """Metered OpenAPI calls (`is_metered`: all of /v1.0/ but the token and connection calls),
        errors too."""
        return self._state.api_call_count

    @property
    def cards(self) -> dict[str, CardState]:
        return self._state.cards()

    def card(self, out_track_id: str) -> CardState | None:
        return self._state.card(out_track_id)

    def card_view(self, out_track_id: str, staff_id: str) -> dict[str, str]:
        """What `staff_id` sees: public data overlaid with their private data."""
        return self._state.card_view(out_track_id, staff_id)

    def mark_read(self, process_query_key: str, staff_id: str) -> None:
        """`staff_id` opens a groupMessages/send message, for groupMessages/query."""
        self._state.mark_read(process_query_key, staff_id)

    def register_card_template(self, template_id: str, variables: Mapping[str, bool]) -> None:
        """Declares a published template (variable name -> is private). Once any template is
        registered, cards must use a registered template and only its variables."""
        self._state.register_card_template(template_id, variables)

    def register_card_template_file(self, template_id: str, path: Path) -> dict[str, bool]:
        """Declares `template_id` as a published copy of the card-builder file at `path` (e.g.
        `core.cards.SHIPPED_CARD_TEMPLATE`) and returns its variables; a file that is not
        a readable builder template raises `sandbox.templates.CardTemplateError`."""
        variables = card_template_variables(path)
        self.register_card_template(template_id, variables)
        return variables

    # -- fault injection --------------------------------------------------------------------------

    def fail_next(
        self, path_prefix: str, status: int = 503, count: int = 1, code: str | None = None
    ) -> None:
        """The next `count` requests under `path_prefix` get a DingTalk error body."""
        self._faults.fail_next(path_prefix, status, count, code)

    def fail_randomly(
        self, path_prefix: str, rate: float, statuses: Sequence[int], seed: int
    ) -> None:
        self._faults.fail_randomly(path_prefix, rate, statuses, seed)

    def fail_card_space_next(self, space_id: str, count: int = 1) -> None:
        """The next `count` card deliveries into `space_id` (a staffId for the person's chat with
        the robot, or a group's openConversationId) report `success: false` for that space."""
        self._faults.fail_space_next(space_id, count)

    def hang_next(self, path_prefix: str, seconds: float) -> None:
        """Delays the next response under `path_prefix`, to exercise client timeouts."""
        self._faults.hang_next(path_prefix, seconds)

    def session_webhook_errcode_next(self, errcode: int, errmsg: str) -> None:
        """The next sessionWebhook call gets HTTP 200 with this errcode, as DingTalk answers."""
        self._faults.webhook_errcode_next(errcode, errmsg)

    # -- waiting from the caller's event loop, which must keep running the bot ------------------
    # (`timeout` is a plain parameter rather than asyncio.timeout() so that a failure can say
    # what the sandbox saw; hence the ASYNC109 exemptions.)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(self._timeout_message(predicate, timeout))
            await asyncio.sleep(0.01)

    async def wait_for_messages(
        self,
        count: int,
        conversation_id: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        await self.wait_until(lambda: len(self.sent_messages(conversation_id)) >= count, timeout)
        return self.sent_messages(conversation_id)

    async def wait_for_ack(
        self,
        message_id: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[AckRecord]:
        await self.wait_until(lambda: len(self.acks(message_id)) >= count, timeout)
        return self.acks(message_id)

    async def wait_for_connection(
        self,
        timeout: float = 15.0,  # noqa: ASYNC109
    ) -> None:
        await self.wait_until(lambda: self.connection_count >= 1, timeout)

    def _timeout_message(self, predicate: Callable[[], bool], timeout: float) -> str:
        try:
            condition = inspect.getsource(predicate).strip()
        except (OSError, TypeError):
            condition = repr(predicate)
        recent = [f"{r.method} {r.path} -> {r.status}" for r in self.requests()[-5:]]
        return (
            f"still false after {timeout} s: {condition}\n"
            f"live connections={self.connection_count}, "
            f"frames pushed={len(self.frames_pushed())}, acks={len(self.acks())}, "
            f"messages sent={len(self.sent_messages())}, last requests={recent}"
        )


async def _read_body(request: web.Request) -> Any:
    """Parsed JSON, the raw text when it is not JSON, or None without a body."""
    if not request.can_read_body:
        return None
    text = await request.text()
    try:
        return json.loads(text)
    except ValueError:
        return text
