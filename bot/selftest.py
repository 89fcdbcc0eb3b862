"""``dingshift selftest``: a real organisation's first run, checked one step at a time.

Each step is a small method that returns what worked, or raises :class:`StepFailed` with what
went wrong and what to fix: which setting, which console permission, which section of the
setup guide. :func:`run_selftest` prints each as ✓ or ✗ and stops at the first ✗.

1. ``token``: an access token, so the Client ID and Secret are right.
2. ``stream``: the stream connection, as ``dingshift run`` opens it.
3. ``robot``: a private text to the admins, so the robot code, the robot's send permission and
   ``org.admins`` are right.
4. ``group``: the group to test, from ``--group``, or the first group whose @-message arrives
   (which shows that messages reach the bot, and prints the group's openConversationId).
5. ``card``: a test card in that group, so the card template, its permission and the robot's
   place in the group are right.
6. ``tap``: an admin taps it, so taps come back over the stream.

Which error code DingTalk gives for which mistake is partly unverified (the setup guide's
troubleshooting table is the reference); the fixes match on the documented codes and always
show DingTalk's own answer too.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.dispatch import MESSAGE_ACK, UNCHANGED_CARD, Outcome
from core.cards import (
    Button,
    Card,
    ack_response,
    new_installation_tag,
    out_track_id,
    wire_id,
)
from core.clock import SystemClock
from core.incoming import CardTap, ChatMessage
from core.messages import Language, text
from core.openapi import DingTalkError, OpenApiClient
from core.settings import Settings

GUIDE = "docs/setup-dingtalk.md"
Answer = TypeVar("Answer")
STREAM_CONNECT_SECONDS = 15.0
MAX_PRIVATE_RECIPIENTS = 20
"""oToMessages/batchSend takes at most this many staffIds."""


class StepFailed(Exception):
    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


class _Watcher:
    """The stream's callbacks while the self-test runs: it answers the test card's tap itself
    and ACKs everything else without acting on it."""

    def __init__(self, card_id: str, language: Language) -> None:
        self.card_id = card_id
        self._language = language
        loop = asyncio.get_running_loop()
        self.tap: asyncio.Future[CardTap] = loop.create_future()
        self.group_message: asyncio.Future[ChatMessage] = loop.create_future()

    async def on_message(self, message: ChatMessage) -> Outcome:
        if message.is_group and not self.group_message.done():
            self.group_message.set_result(message)
        return Outcome(ack=MESSAGE_ACK)

    async def on_card_tap(self, tap: CardTap) -> Outcome:
        if tap.out_track_id != self.card_id:
            return Outcome(ack=UNCHANGED_CARD)
        if not self.tap.done():
            self.tap.set_result(tap)
        return Outcome(
            ack=ack_response(
                status=text("selftest.card_tapped", self._language),
                my_status=text("selftest.my_tapped", self._language),
            )
        )


def _robot_code_fix(error: DingTalkError) -> str | None:
    if "robotcode" in error.code.lower():
        return (
            "dingtalk.robot_code must be the robot's code; leave it empty for an internal"
            f" app's robot, whose code is the Client ID ({GUIDE} §3)"
        )
    return None


def _permission_missing(error: DingTalkError) -> bool:
    return error.status == 403 and not error.throttled and not error.quota_exhausted


class SelfTest:
    def __init__(
        self,
        settings: Settings,
        *,
        client: OpenApiClient,
        group: str | None,
        wait_seconds: float,
        out: Callable[[str], None],
        cleanup: contextlib.AsyncExitStack,
    ) -> None:
        self.settings = settings
        self.client = client
        self.group_id = group
        self.wait_seconds = wait_seconds
        self.out = out
        self.cleanup = cleanup
        self.language = settings.org.language
        # Under a tag of its own: a bot already running with this Client ID that is handed the
        # tap reads the card as another installation's and leaves it alone.
        card_id = wire_id(
            out_track_id("selftest", 0, secrets.token_hex(4)), new_installation_tag()
        )
        self.watcher = _Watcher(card_id, self.language)

    def steps(self) -> tuple[Callable[[], Awaitable[str]], ...]:
        return (self.token, self.stream, self.robot, self.group, self.card, self.tap)

    async def token(self) -> str:
        dingtalk = self.settings.dingtalk
        try:
            await self.client.access_token()
        except DingTalkError as error:
            if error.status == 0:
                raise StepFailed(
                    f"no answer from {dingtalk.api_base}: {error}",
                    "allow outgoing HTTPS to api.dingtalk.com (through HTTPS_PROXY if you use"
                    f" one) and leave dingtalk.api_base unset ({GUIDE} §1, §8)",
                ) from None
            raise StepFailed(
                str(error),
                "dingtalk.client_id and the Client Secret (DINGSHIFT_DINGTALK__CLIENT_SECRET)"
                " must be copied whole from the app's 凭证与基础信息 page"
                f" ({GUIDE} §2, §8)",
            ) from None
        return f"DingTalk issued an access token to app {dingtalk.client_id}"

    async def stream(self) -> str:
        # Imported here, as in BotApp: the SDK reads DINGTALK_OPENAPI_ENDPOINT when imported.
        from bot.stream import EndpointMismatch, StreamConnection

        try:
            connection = StreamConnection(
                self.settings.dingtalk,
                on_message=self.watcher.on_message,
                on_card_tap=self.watcher.on_card_tap,
                app_loop=asyncio.get_running_loop(),
                clock=SystemClock(),
            )
        except EndpointMismatch as error:
            raise StepFailed(
                str(error),
                f"unset DINGTALK_OPENAPI_ENDPOINT and dingtalk.api_base ({GUIDE} §8)",
            ) from None
        connection.start()
        self.cleanup.push_async_callback(asyncio.to_thread, connection.stop)
        if not await asyncio.to_thread(connection.connected.wait, STREAM_CONNECT_SECONDS):
            raise StepFailed(
                f"no stream connection within {STREAM_CONNECT_SECONDS:.0f} s",
                "allow outgoing WSS to DingTalk's stream gateway"
                f" (wss-open-connection*.dingtalk.com) ({GUIDE} §1); the log lines above"
                " say what failed",
            )
        return "connected to DingTalk's stream gateway"

    async def robot(self) -> str:
        admins = self.settings.org.admins[:MAX_PRIVATE_RECIPIENTS]
        if not admins:
            raise StepFailed(
                "org.admins is empty: the self-test messages the admins and waits for a tap",
                f"put your staffId into org.admins ({GUIDE} §8, finding a staffId)",
            )
        greeting = {"content": text("selftest.private_hello", self.language)}
        try:
            sent = await self.client.send_private_messages(admins, "sampleText", greeting)
        except DingTalkError as error:
            fix = _robot_code_fix(error)
            if fix is None and _permission_missing(error):
                fix = (
                    "grant 企业内机器人发送消息权限 (qyapi_robot_sendmsg) in 权限管理,"
                    f" then publish the app again ({GUIDE} §4, §5)"
                )
            raise StepFailed(str(error), fix or f"see {GUIDE} §11") from None
        if sent.invalid_user_ids:
            raise StepFailed(
                f"DingTalk knows no {', '.join(sent.invalid_user_ids)} (from org.admins)",
                "org.admins holds staffIds from 通讯录 → 成员管理, not phone numbers or DingTalk"
                f" IDs, of people in the app's visible range ({GUIDE} §5, §8)",
            )
        return (
            f"robot {self.settings.dingtalk.robot_code} sent a private test message to"
            f" {', '.join(admins)}: it is in the 1:1 chat with the robot"
        )

    async def _within_the_wait(self, awaited: Awaitable[Answer], failure: str, fix: str) -> Answer:
        """What ``awaited`` gives within ``--wait`` seconds; else this step fails with ``fix``."""
        try:
            return await asyncio.wait_for(awaited, self.wait_seconds)
        except TimeoutError:
            raise StepFailed(failure, fix) from None

    async def group(self) -> str:
        if self.group_id:
            return f"the test card goes to {self.group_id} (--group)"
        self.out(
            f"  … no --group: @-mention the robot in the group to test within"
            f" {self.wait_seconds:.0f} s"
        )
        message = await self._within_the_wait(
            self.watcher.group_message,
            f"no --group given, and no @-message in a group within {self.wait_seconds:.0f} s",
            "run again with --group <openConversationId>, or @-mention the robot (pick it"
            " from the @ list) in an internal group it was added to while the self-test"
            f" waits; the robot must be in Stream mode ({GUIDE} §3, §6)",
        )
        self.group_id = message.conversation_id
        # Quoted like the title: a nickname is anyone's text, control characters included, and
        # this goes to the operator's terminal.
        return (
            f"{message.sender.nick!r} @-mentioned the robot in {message.conversation_title!r}, so"
            f" messages reach the bot; its openConversationId (for --group) is {self.group_id}"
        )

    async def card(self) -> str:
        dingtalk = self.settings.dingtalk
        if not dingtalk.card_template_id:
            raise StepFailed(
                "dingtalk.card_template_id is empty",
                "import and publish the card template, then put its ID, .schema included, into"
                f" dingtalk.card_template_id ({GUIDE} §7)",
            )
        card = Card(
            out_track_id=self.watcher.card_id,
            title=text("selftest.card_title", self.language),
            body=text("selftest.card_body", self.language),
            status=text("selftest.card_waiting", self.language),
            shift_id=0,
            buttons=[Button(text("selftest.button", self.language), "selftest", 0)],
        )
        try:
            missed = await self.client.create_and_deliver_card(
                out_track_id=card.out_track_id,
                public=card.public_variables(self.language),
                private={},
                conversation_id=self.group_id,
            )
        except DingTalkError as error:
            raise StepFailed(str(error), self._card_fix(error)) from None
        if missed:
            raise StepFailed(
                f"DingTalk created the card but could not deliver it to {', '.join(missed)}",
                f"add the robot to the group {self.group_id} ({GUIDE} §9.1)",
            )
        return (
            f"test card {card.out_track_id} delivered to {self.group_id}: tap its button in"
            f" DingTalk within {self.wait_seconds:.0f} s"
        )

    def _card_fix(self, error: DingTalkError) -> str:
        code = error.code.lower()
        if _permission_missing(error):
            return (
                "grant 互动卡片实例写权限 (Card.Instance.Write) in 权限管理, then publish the app"
                f" again ({GUIDE} §4, §7.1)"
            )
        if "template" in code:
            return (
                "publish the card template, and copy its ID whole, .schema included, into"
                f" dingtalk.card_template_id ({GUIDE} §7.2)"
            )
        if "openconversationid" in code or "openspaceid" in code:
            return (
                "--group must be the group's openConversationId (leave --group out and"
                " @-mention the robot in the group to see it), and the robot must be added to"
                f" that internal group ({GUIDE} §6)"
            )
        return _robot_code_fix(error) or f"see {GUIDE} §7.4"

    async def tap(self) -> str:
        tap = await self._within_the_wait(
            self.watcher.tap,
            f"no tap on the test card within {self.wait_seconds:.0f} s",
            "tap the card's button in the group. If the tap did nothing, stop every other"
            " process with this Client ID (a running `dingshift run` too), since DingTalk"
            " hands a tap to any one of them; a hand-made template's button must send a"
            " request (回传请求) with the params action and shift_id; fully restart the"
            " DingTalk client"
            f" ({GUIDE} §6, §7.3, §7.4, §10)",
        )
        tapper = tap.staff_id
        if tapper not in self.settings.org.admins:
            tapper += " (not in org.admins)"
        return f"{tapper} tapped the test card and the bot answered: taps reach the bot"


async def run_selftest(
    settings: Settings,
    *,
    group: str | None,
    wait_seconds: float,
    out: Callable[[str], None],
) -> int:
    """Run the steps in order, printing each with ``out``; 0 when all passed, else 1."""
    async with contextlib.AsyncExitStack() as cleanup:
        client = await cleanup.enter_async_context(OpenApiClient(settings.dingtalk))
        selftest = SelfTest(
            settings,
            client=client,
            group=group,
            wait_seconds=wait_seconds,
            out=out,
            cleanup=cleanup,
        )
        for step in selftest.steps():
            try:
                detail = await step()
            except StepFailed as failed:
                out(f"✗ {step.__name__}: {failed.problem}")
                out(f"  fix: {failed.fix}")
                out(f"selftest stopped at {step.__name__}; fix it and run it again")
                return 1
            out(f"✓ {step.__name__}: {detail}")
    out("selftest passed: the bot is ready for `dingshift run`")
    return 0
