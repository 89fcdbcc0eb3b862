"""What the benchmarks share: a sandbox the SDK will connect to, a bot started against it, and
the way latencies are summed up."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from core.cards import SHIPPED_CARD_TEMPLATE
from sandbox import Sandbox

if TYPE_CHECKING:
    from bot.app import BotApp
    from core.clock import Clock

CLIENT_ID = "dingshift-bench"
CLIENT_SECRET = "bench-secret"


def start_sandbox(client_id: str, client_secret: str) -> Sandbox:
    """A started sandbox, with DINGTALK_OPENAPI_ENDPOINT pointing at it.

    The SDK binds that variable when it is first imported, so after another benchmark in this
    process has started a bot, the new sandbox must listen on that same port.
    """
    port = 0
    endpoint = os.environ.get("DINGTALK_OPENAPI_ENDPOINT")
    if endpoint and "dingtalk_stream" in sys.modules:
        port = urlsplit(endpoint).port or 0
    sandbox = Sandbox(client_id=client_id, client_secret=client_secret, port=port)
    sandbox.start()
    os.environ["DINGTALK_OPENAPI_ENDPOINT"] = sandbox.base_url
    return sandbox


@asynccontextmanager
async def bot_on_sandbox(
    *,
    card_template_id: str | None = None,
    clock: Clock | None = None,
    **settings: object,
) -> AsyncIterator[tuple[Sandbox, BotApp]]:
    """A started sandbox and a bot connected to it through the real SDK, on a SQLite file in a
    temporary directory, with a high outbound rate and demo mode; both stopped on the way out.

    ``card_template_id``: registered in the sandbox as the shipped card template and set as the
    bot's ``dingtalk.card_template_id``. ``settings``: further sections for ``load_settings``
    (``org``, ``schedule`` ...). The bot's modules are imported only once the sandbox is up,
    because the SDK reads DINGTALK_OPENAPI_ENDPOINT when it is first imported.
    """
    sandbox = start_sandbox(CLIENT_ID, CLIENT_SECRET)
    try:
        from bot.app import BotApp
        from core.settings import load_settings

        dingtalk = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        if card_template_id is not None:
            sandbox.register_card_template_file(card_template_id, SHIPPED_CARD_TEMPLATE)
            dingtalk["card_template_id"] = card_template_id
        with tempfile.TemporaryDirectory(prefix="dingshift-bench-") as data_dir:
            app = BotApp(
                load_settings(
                    None,
                    dingtalk=dingtalk,
                    database={"url": f"sqlite+aiosqlite:///{Path(data_dir) / 'bench.db'}"},
                    limits={"outbound_per_second": 1000},
                    demo_mode=True,
                    **settings,
                ),
                clock=clock,
            )
            await app.start()
            try:
                await app.wait_until_connected()
                yield sandbox, app
            finally:
                await app.stop()
    finally:
        sandbox.stop()


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank value at ``fraction`` (0..1) of ``values`` (at least one)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def spread(millis: Sequence[float], *, p99: bool = True, decimals: int = 1) -> str:
    """``median=... ms  p99=... ms  max=... ms`` of millisecond values (at least one)."""
    figures = [("median", statistics.median(millis))]
    if p99:
        figures.append(("p99", percentile(millis, 0.99)))
    figures.append(("max", max(millis)))
    return "  ".join(f"{name}={value:7.{decimals}f} ms" for name, value in figures)
