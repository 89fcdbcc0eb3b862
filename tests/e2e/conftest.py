"""A running bot, connected through the real dingtalk-stream SDK to the session's sandbox.

Every bot here starts its clock at ``E2E_START`` whatever day the tests run: a ``RunningClock``
for a bot that lives in real time (retries, timeouts, the watchdog), a ``ManualClock`` for one
whose clock the test moves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.app import BotApp
from core.clock import ManualClock
from core.settings import Settings, load_settings
from sandbox import Sandbox
from tests.e2e.clock import E2E_START, RunningClock

StartBot = Callable[[], Awaitable[BotApp]]


@pytest.fixture
def settings(sb: Sandbox, database_url: str) -> Settings:
    return load_settings(
        None,
        dingtalk={"client_id": sb.client_id, "client_secret": sb.client_secret},
        database={"url": database_url},
        limits={"shutdown_flush_seconds": 1.0, "outbound_per_second": 200},
        demo_mode=True,
    )


@pytest.fixture
async def start_bot(settings: Settings) -> AsyncIterator[StartBot]:
    """Start bots on the test's database; every bot still running at the end is stopped."""
    running: list[BotApp] = []

    async def start() -> BotApp:
        app = BotApp(settings, clock=RunningClock(E2E_START))
        await app.start()
        running.append(app)
        await app.wait_until_connected()
        return app

    yield start
    for app in running:
        if not app.stopped:
            await app.stop()
        await app.engine.dispose()  # tests may have read the database after stop()


@pytest.fixture
async def bot(start_bot: StartBot) -> BotApp:
    return await start_bot()


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[tuple[BotApp, ManualClock]]:
    """A bot whose clock only moves when the test moves it; starts at ``E2E_START``."""
    clock = ManualClock(E2E_START)
    app = BotApp(settings, clock=clock)
    await app.start()
    await app.wait_until_connected()
    yield app, clock
    await app.stop()
    await app.engine.dispose()
