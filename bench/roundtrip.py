"""Command round-trip: a member's @-message in, the bot's reply out.

Through the real dingtalk-stream SDK and the local sandbox, with a SQLite database: the time from
the sandbox pushing the frame to the sandbox receiving the reply, both read off the sandbox's own
clock. Two runs: one message at a time (latency), and all messages at once (a burst).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.harness import start_sandbox
from sandbox import Sandbox

CLIENT_ID = "dingshift-bench"
CLIENT_SECRET = "bench-secret"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _report(label: str, latencies: list[float], wall_seconds: float) -> None:
    millis = [value * 1000 for value in latencies]
    print(
        f"{label:<22} n={len(millis):<5} median={statistics.median(millis):7.1f} ms"
        f"  p99={_percentile(millis, 0.99):7.1f} ms  max={max(millis):7.1f} ms"
        f"  throughput={len(millis) / wall_seconds:6.1f} msg/s"
    )


def _latencies(sandbox: Sandbox, message_ids: list[str], conversation_id: str) -> list[float]:
    """Push-to-reply time for each message, matching replies to messages in order."""
    pushed = {frame.message_id: frame.at for frame in sandbox.frames_pushed()}
    replies = sandbox.sent_messages(conversation_id)
    return [reply.at - pushed[mid] for mid, reply in zip(message_ids, replies, strict=True)]


async def run_roundtrip(messages: int) -> None:
    sandbox = start_sandbox(CLIENT_ID, CLIENT_SECRET)
    from bot.app import BotApp
    from bot.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="dingshift-bench-") as data_dir:
        settings = load_settings(
            None,
            dingtalk={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            database={"url": f"sqlite+aiosqlite:///{Path(data_dir) / 'bench.db'}"},
            limits={"outbound_per_second": 1000},
            demo_mode=True,
        )
        app = BotApp(settings)
        await app.start()
        try:
            await app.wait_until_connected()
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
                sandbox.post_message(burst.conversation_id, "u-bench", "/me")
                for _ in range(messages)
            ]
            await sandbox.wait_for_messages(messages, burst.conversation_id, timeout=120)
            wall = time.monotonic() - started
            # In a burst replies may overtake each other; pair them by arrival order anyway,
            # which over-reports late replies' latency slightly rather than hiding it.
            _report("all at once (burst)", _latencies(sandbox, ids, burst.conversation_id), wall)
            burst_ids = set(ids)
            acks = [ack for ack in sandbox.acks() if ack.message_id in burst_ids]
            late = sum(1 for ack in acks if ack.code != 200)
            replies = len(sandbox.sent_messages(burst.conversation_id))
            print(
                f"{'':<22} ACKs: {len(acks)}, of which {late} 'busy' past the 2.5 s deadline"
                f" (DingTalk would redeliver; handled once): replies {replies} for {messages}"
            )
        finally:
            await app.stop()
            sandbox.stop()
