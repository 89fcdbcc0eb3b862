"""Command round-trip: a member's @-message in, the bot's reply out.

Through the real dingtalk-stream SDK and the local sandbox, with a SQLite database: the time from
the sandbox pushing the frame to the sandbox receiving the reply, both read off the sandbox's own
clock. Two runs: one message at a time (latency), and all messages at once (a burst).
"""

from __future__ import annotations

import time

from bench.harness import bot_on_sandbox, spread
from sandbox import Sandbox


def _report(label: str, latencies: list[float], wall_seconds: float) -> None:
    millis = [value * 1000 for value in latencies]
    print(
        f"{label:<22} n={len(millis):<5} {spread(millis)}"
        f"  throughput={len(millis) / wall_seconds:6.1f} msg/s"
    )


def _latencies(sandbox: Sandbox, message_ids: list[str], conversation_id: str) -> list[float]:
    """Push-to-reply time for each message, matching replies to messages in order."""
    pushed = {frame.message_id: frame.at for frame in sandbox.frames_pushed()}
    replies = sandbox.sent_messages(conversation_id)
    return [reply.at - pushed[mid] for mid, reply in zip(message_ids, replies, strict=True)]


async def run_roundtrip(messages: int) -> None:
    async with bot_on_sandbox() as (sandbox, _):
        from bot.stream import ACK_DEADLINE_SECONDS

        sandbox.add_user(nick="Bench", staff_id="u-bench")
        print(f"round trip through the real SDK and the sandbox, {messages} messages each")

        sequential = sandbox.add_group(title="sequential", members=["u-bench"])
        ids = []
        started = time.monotonic()
        for index in range(messages):
            text = "/help" if index % 2 else "/me"
            ids.append(sandbox.post_message(sequential.conversation_id, "u-bench", text))
            await sandbox.wait_for_messages(index + 1, sequential.conversation_id, 10)
        wall = time.monotonic() - started
        _report("one at a time", _latencies(sandbox, ids, sequential.conversation_id), wall)

        burst = sandbox.add_group(title="burst", members=["u-bench"])
        started = time.monotonic()
        ids = [
            sandbox.post_message(burst.conversation_id, "u-bench", "/me") for _ in range(messages)
        ]
        await sandbox.wait_for_messages(messages, burst.conversation_id, timeout=120)
        wall = time.monotonic() - started
        # In a burst replies may overtake each other; pair them by arrival order anyway,
        # which over-reports late replies' latency slightly rather than hiding it.
        _report("all at once (burst)", _latencies(sandbox, ids, burst.conversation_id), wall)
        burst_ids = set(ids)
        acks = [ack for ack in sandbox.acks() if ack.message_id in burst_ids]
        # The handler's answer (the SDK sends it as the ACK's data.response): "busy" when the
        # frame was not handled within the bot's ACK deadline.
        busy = sum(1 for ack in acks if ack.response == "busy")
        other = sum(1 for ack in acks if ack.code != 200 and ack.response != "busy")
        replies = len(sandbox.sent_messages(burst.conversation_id))
        print(
            f"{'':<22} ACKs: {len(acks)}, of which {busy} 'busy' past the bot's"
            f" {ACK_DEADLINE_SECONDS:g} s deadline (DingTalk would redeliver; handled once)"
            f" and {other} other failures: replies {replies} for {messages}"
        )
