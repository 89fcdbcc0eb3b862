"""Bursts: a thousand @-messages at once, and a flood of card taps, against the bare SDK.

One run, one sandbox, SQLite file. First the dingtalk-stream SDK on its own (``bench/bare_sdk.py``:
the SDK's own ``start()`` with handlers that only ACK) takes the bursts, then the bot does:

- messages: ``--messages`` @-messages pushed at once into one group; messages ACKed with 200 per
  second (from the first push to the last such ACK), ACK latency p50 / p99, ``busy`` ACKs (the bot
  had not committed the frame within its ACK deadline, so DingTalk would redeliver), and for the
  bot the time until every reply had reached the sandbox;
- taps: the 320 volunteers of ``bench/taps.py``'s organisation tapping Confirm in turn (each tap
  writes its dedup record, the volunteer's assignment and the usage counter, and is answered
  with the card's new status), ``--taps`` taps pushed at once; taps ACKed with 200 per second,
  p50 / p99, ``busy``; then, once the bot has applied the flood, the bot again with taps arriving
  steadily for 5 s at a quarter of the bare SDK's rate.

The pushes come from a thread of their own, as fast as the sandbox takes them. Numbers from a
shared machine vary from run to run; read them side by side, not against a fixed bar.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from bench.harness import CLIENT_ID, CLIENT_SECRET, bot_on_sandbox, percentile
from bench.taps import (
    TEMPLATE_ID,
    rosters_with_cards,
)
from core.cards import out_track_id
from sandbox import AckRecord, Sandbox
from storage.models import ProcessedEvent

if TYPE_CHECKING:
    from bot.app import BotApp

SENDER = "u-burst"
STEADY_SHARE = 0.25
STEADY_SECONDS = 5.0


@dataclass(frozen=True)
class Burst:
    label: str
    pushed_at: float
    acks: list[AckRecord]
    replies_done_at: float | None = None

    def answered(self) -> list[AckRecord]:
        return [ack for ack in self.acks if ack.code == 200]

    def rate(self) -> float:
        """Frames ACKed with 200 per second, from the first push to the last such ACK."""
        answered = self.answered()
        if not answered:
            return 0.0
        return len(answered) / (max(ack.at for ack in answered) - self.pushed_at)

    def line(self) -> str:
        millis = [ack.latency_s * 1000 for ack in self.acks if ack.latency_s is not None]
        busy = sum(1 for ack in self.acks if ack.response == "busy")
        failed = sum(1 for ack in self.acks if ack.code != 200 and ack.response != "busy")
        line = (
            f"{self.label:<36} n={len(self.acks):<5} {self.rate():7.1f}/s ACKed"
            f"  p50={percentile(millis, 0.5):7.1f} ms  p99={percentile(millis, 0.99):7.1f} ms"
            f"  busy={busy}  other failures={failed}"
        )
        if self.replies_done_at is not None:
            line += f"  every reply sent after {self.replies_done_at - self.pushed_at:6.2f} s"
        return line


Push = Callable[[], str]


def _push_all(pushes: list[Push], every: float = 0.0) -> tuple[float, list[str]]:
    """Runs on its own thread: the sandbox's calls block. Returns (start, message ids)."""
    started = time.monotonic()
    ids = []
    for index, push in enumerate(pushes):
        if every:
            delay = started + index * every - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        ids.append(push())
    return started, ids


async def _burst(sandbox: Sandbox, label: str, pushes: list[Push], every: float = 0.0) -> Burst:
    started, ids = await asyncio.to_thread(_push_all, pushes, every)
    # The wait runs on the bot's loop: one pass over the ACKs per poll, not one per frame.
    await sandbox.wait_until(
        lambda: {ack.message_id for ack in sandbox.acks()}.issuperset(ids), timeout=300
    )
    first: dict[str, AckRecord] = {}
    for ack in sandbox.acks():
        first.setdefault(ack.message_id, ack)
    return Burst(label, started, [first[mid] for mid in ids])


def _messages(sandbox: Sandbox, conversation_id: str, count: int) -> list[Push]:
    return [lambda: sandbox.post_message(conversation_id, SENDER, "/me") for _ in range(count)]


def _taps(
    app: BotApp, sandbox: Sandbox, rosters: list[tuple[int, list[str]]], count: int
) -> list[Push]:
    """Everyone in turn tapping Confirm: each tap writes its dedup record and the volunteer's
    assignment (state, when answered) and is answered with the card's new status."""
    people = [(staff_id, shift_id) for shift_id, staff_ids in rosters for staff_id in staff_ids]
    return [
        partial(
            sandbox.tap_card,
            staff_id,
            app.card_on_wire(out_track_id("confirm", shift_id)),
            {"action": "confirm", "shift_id": shift_id},
        )
        for _, (staff_id, shift_id) in zip(range(count), itertools.cycle(people))
    ]


async def _bare(
    app: BotApp,
    sandbox: Sandbox,
    rosters: list[tuple[int, list[str]]],
    messages: int,
    taps: int,
) -> tuple[Burst, Burst]:
    """The same bursts answered by the bare SDK, connected beside the bot (the sandbox pushes to
    the newest connection); the bot only lends the cards' ids."""
    # Imported once the sandbox is up: the SDK binds DINGTALK_OPENAPI_ENDPOINT when first imported.
    from bench.bare_sdk import BareSdk

    bare = BareSdk(CLIENT_ID, CLIENT_SECRET)
    connected = sandbox.connection_count
    bare.start()
    await sandbox.wait_until(lambda: sandbox.connection_count > connected, timeout=30)
    try:
        group = sandbox.add_group(title="bare", members=[SENDER])
        chat = await _burst(
            sandbox,
            "bare SDK, messages at once",
            _messages(sandbox, group.conversation_id, messages),
        )
        tapped = await _burst(
            sandbox, "bare SDK, taps at once", _taps(app, sandbox, rosters, taps)
        )
    finally:
        await asyncio.to_thread(bare.stop)
        await sandbox.wait_until(lambda: sandbox.connection_count == connected, timeout=30)
    return chat, tapped


async def _until_taps_applied(app: BotApp, count: int) -> None:
    while True:
        async with app.sessions() as session:
            applied = await session.exec(
                select(func.count())
                .select_from(ProcessedEvent)
                .where(col(ProcessedEvent.key).startswith("tap:"))
            )
            if applied.one() >= count:
                return
        await asyncio.sleep(0.1)


async def run_bursts(messages: int, taps: int) -> None:
    async with bot_on_sandbox(card_template_id=TEMPLATE_ID) as (sandbox, app):
        from bot.stream import ACK_DEADLINE_SECONDS, CARD_ACK_DEADLINE_SECONDS

        sandbox.add_user(nick="Burst", staff_id=SENDER)
        rosters = await rosters_with_cards(sandbox, app)
        print(
            f"bursts through the sandbox (SQLite file): {messages} messages, {taps} taps at once;"
            f" the bot's ACK deadlines {ACK_DEADLINE_SECONDS:g} s (messages),"
            f" {CARD_ACK_DEADLINE_SECONDS:g} s (taps)"
        )
        bare_chat, bare_taps = await _bare(app, sandbox, rosters, messages, taps)

        group = sandbox.add_group(title="bot", members=[SENDER])
        chat = await _burst(
            sandbox, "bot, messages at once", _messages(sandbox, group.conversation_id, messages)
        )
        await sandbox.wait_for_messages(messages, group.conversation_id, timeout=600)
        replies_done = max(reply.at for reply in sandbox.sent_messages(group.conversation_id))
        chat = Burst(chat.label, chat.pushed_at, chat.acks, replies_done)
        tapped = await _burst(sandbox, "bot, taps at once", _taps(app, sandbox, rosters, taps))
        # Taps ACKed busy are still applied, after the others: let them finish first.
        await _until_taps_applied(app, taps)
        steady_rate = bare_taps.rate() * STEADY_SHARE
        steady = await _burst(
            sandbox,
            f"bot, taps at {steady_rate:.0f}/s (1/4 of bare)",
            _taps(app, sandbox, rosters, round(steady_rate * STEADY_SECONDS)),
            every=1 / steady_rate,
        )
        for burst in (bare_chat, chat, bare_taps, tapped, steady):
            print(burst.line())
