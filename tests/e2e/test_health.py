"""The health view of a bot running on the sandbox: ``dingshift status`` (another process, reading
the database) and the local HTTP endpoint (the live state)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.app import BotApp
from core.clock import ManualClock
from core.settings import HealthSettings, Settings
from sandbox import Sandbox
from storage.database import SessionFactory
from tests.e2e.clock import E2E_START

SNAPSHOT_SECONDS = 0.2
TASKS = ["due-work", "expand-templates", "inbox-worker", "outbox-sender", "health-snapshot"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def settings(settings: Settings) -> Settings:
    health = {"snapshot_seconds": SNAPSHOT_SECONDS, "http_port": _free_port()}
    return settings.model_copy(update={"health": settings.health.model_copy(update=health)})


@pytest.fixture
def config_file(tmp_path: Path, settings: Settings) -> Path:
    """The running bot's settings as an operator's config.toml."""
    path = tmp_path / "config.toml"
    path.write_text(
        "demo_mode = true\n"
        "[dingtalk]\n"
        f'client_id = "{settings.dingtalk.client_id}"\n'
        f'client_secret = "{settings.dingtalk.client_secret.get_secret_value()}"\n'
        "[database]\n"
        f'url = "{settings.database.url}"\n'
        "[health]\n"
        f"snapshot_seconds = {SNAPSHOT_SECONDS}\n",
        encoding="utf-8",
    )
    return path


async def _run_status(config_file: Path) -> tuple[int, list[str], str]:
    """``dingshift status --config config_file``, as an operator runs it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "status",
        "--config",
        str(config_file),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode().splitlines(), err.decode()


async def _status(config_file: Path) -> tuple[int, list[str]]:
    code, out, err = await _run_status(config_file)
    assert err == "", err
    return code, out


async def _answered_once(sb: Sandbox) -> None:
    group = sb.add_group(title="SSP", members=[sb.add_user(nick="Ada", staff_id="u-ada")])
    sb.post_message(group.conversation_id, "u-ada", "/help")
    await sb.wait_for_messages(1, group.conversation_id)


async def test_status_shows_the_running_bot_and_says_when_it_has_stopped(
    sb: Sandbox, bot: BotApp, config_file: Path
) -> None:
    await _answered_once(sb)
    await bot.wait_until_outbox_empty()
    await asyncio.sleep(3 * SNAPSHOT_SECONDS)  # a snapshot taken while connected

    code, lines = await _status(config_file)
    assert code == 0, lines
    assert lines[0].startswith("bot: running (health snapshot ")
    assert lines[1].startswith("stream: connected, last frame ")
    assert [line.split(":")[0] for line in lines[2:7]] == [f"task {task}" for task in TASKS]
    assert all(": running since 2026-12-02T" in line for line in lines[2:7]), lines
    assert lines[7] == "inbox: 0 received, not yet answered"
    assert lines[8] == "outbox: 0 pending, 1 sent, 0 failed, 0 dropped"
    assert lines[9].startswith("API usage ")
    assert lines[9].endswith(" of 5000 metered calls")

    await bot.stop()
    await asyncio.sleep(4 * SNAPSHOT_SECONDS)
    code, lines = await _status(config_file)
    assert code == 1
    assert lines[0].startswith("bot: not running, or it cannot write to the database")
    assert lines[-2] == "outbox: 0 pending, 1 sent, 0 failed, 0 dropped"


async def test_status_before_the_bot_ever_ran(sessions: SessionFactory, config_file: Path) -> None:
    code, lines = await _status(config_file)
    assert code == 1
    assert lines[0] == "bot: not running (it has never written a health snapshot)"
    assert lines[1:3] == [
        "inbox: 0 received, not yet answered",
        "outbox: 0 pending, 0 sent, 0 failed, 0 dropped",
    ]


@pytest.fixture
def config_without_database(tmp_path: Path, config_file: Path, settings: Settings) -> Path:
    """``config_file`` pointed at a SQLite file no bot has created."""
    path = tmp_path / "config-elsewhere.toml"
    missing = f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"
    path.write_text(
        config_file.read_text(encoding="utf-8").replace(settings.database.url, missing),
        encoding="utf-8",
    )
    return path


async def test_status_on_a_database_the_bot_never_created_says_so(
    config_without_database: Path, tmp_path: Path
) -> None:
    code, out, err = await _run_status(config_without_database)
    assert (code, out) == (2, [])
    assert err.startswith(f"no database at {tmp_path / 'none.db'}: ")
    # Looking did not leave an empty database (and a data folder) behind.
    assert not (tmp_path / "none.db").exists()


async def test_the_health_endpoint_serves_the_live_state_as_json(
    sb: Sandbox, bot: BotApp, settings: Settings
) -> None:
    assert bot.health_port == settings.health.http_port
    await _answered_once(sb)
    await bot.wait_until_outbox_empty()
    url = f"http://127.0.0.1:{bot.health_port}/health"
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        assert response.status == 200
        health = await response.json()
    assert health["bot"] == {"running": True, "snapshot_age_seconds": 0.0}
    assert health["stream"]["connected"] is True
    assert health["stream"]["thread_alive"] is True
    assert 0 <= health["stream"]["last_frame_age_seconds"] < 5
    assert [task["name"] for task in health["tasks"]] == TASKS
    assert {task["state"] for task in health["tasks"]} == {"running"}
    assert health["outbox"] == {
        "pending": 0,
        "sent": 1,
        "failed": 0,
        "dropped": 0,
        "oldest_pending_age_seconds": None,
    }
    assert health["api_usage"] == {"month": "2026-12", "metered_api_calls": 0, "budget": 5000}


async def test_the_health_endpoint_is_off_by_default(settings: Settings) -> None:
    app = BotApp(
        settings.model_copy(update={"health": HealthSettings()}), clock=ManualClock(E2E_START)
    )
    await app.start()
    try:
        assert app.health_port is None
    finally:
        await app.stop()
        await app.engine.dispose()
