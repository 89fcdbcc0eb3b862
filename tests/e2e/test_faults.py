"""Faults the bot must ride out, through the real SDK and the sandbox: a database that refuses
writes (a full disk, a read-only database) and a wall clock stepped back.

The full disk is real: the database lives on a small tmpfs that the test fills up (mounting needs
root, as CI runs; elsewhere that case is skipped). The read-only database is SQLite's own
``PRAGMA query_only`` on every connection of the bot's engine (as root, file permissions cannot
make a file read-only, and a filesystem with a file open for writing cannot be remounted
read-only).
"""

from __future__ import annotations

import asyncio
import errno
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.app import HEALTH_SNAPSHOT_TASK, OUTBOX_TASK, BotApp
from bot.supervisor import TaskState
from core.clock import ManualClock
from core.settings import Settings
from jobs.table import DUE_WORK_JOB
from sandbox import Sandbox
from storage.models import OutboxMessage, OutboxStatus
from tests.databases import refusing_first_insert
from tests.e2e.chat import ZONE, Chat, coordinator_settings, notices, site_group

TEMPLATE_ID = "dingshift-faults.schema"
PEOPLE = {"u-ada": "Ada", "u-ben": "Ben"}
# Every route a queued row can take to DingTalk.
SEND_ROUTES = ("/robot/sendBySession", "/v1.0/robot/", "/v1.0/card/")
DISK_BYTES = 32 * 1024 * 1024

Fault = Callable[[BotApp, Path], AbstractAsyncContextManager[None]]


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path | None]:
    """A small tmpfs of the test's own, or None where mounting is not permitted."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        yield None
        return
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


@pytest.fixture
def database_path(disk: Path | None, tmp_path: Path) -> Path:
    return (disk or tmp_path) / "dingshift.db"


@pytest.fixture
def database_url(database_path: Path) -> str:
    return f"sqlite+aiosqlite:///{database_path}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings = coordinator_settings(settings, card_template_id=TEMPLATE_ID)
    return settings.model_copy(
        update={"health": settings.health.model_copy(update={"snapshot_seconds": 0.5})}
    )


@asynccontextmanager
async def disk_full(app: BotApp, database: Path) -> AsyncIterator[None]:
    """Fill the tmpfs the database is on; free it again on exit."""
    if not database.parent.is_mount():
        pytest.skip("mounting a tmpfs is not permitted here")
    # An emptied WAL must grow for any write, and the disk will have no room for it to grow.
    # In threads: SQLite's lock waits must not stop the bot's loop, which holds the locks.
    assert await asyncio.to_thread(_wal_emptied, database)
    filler = database.parent / "filler"
    assert _fill(filler) == errno.ENOSPC
    await asyncio.to_thread(_assert_writes_refused, database, "database or disk is full")
    try:
        yield
    finally:
        filler.unlink()


@asynccontextmanager
async def read_only(app: BotApp, _database: Path) -> AsyncIterator[None]:
    """Every connection the bot takes from its pool refuses writes until the block ends."""
    refusing = True

    def query_only(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA query_only={'ON' if refusing else 'OFF'}")
        cursor.close()

    # Kept until the engine is disposed: a connection set read-only must be set back.
    event.listen(app.engine.sync_engine, "checkout", query_only)
    try:
        yield
    finally:
        refusing = False


async def _until_each_pending_row_was_tried(app: BotApp) -> list[OutboxMessage]:
    """The pending rows, once each has a failed attempt recorded (the sender is idle then)."""
    for _ in range(250):
        async with app.sessions() as session:
            pending = (
                await session.exec(select(OutboxMessage).where(OutboxMessage.status == "pending"))
            ).all()
        if pending and all(row.attempts >= 1 for row in pending):
            return list(pending)
        await asyncio.sleep(0.02)
    raise TimeoutError("the pending rows' failed attempts were never recorded")


def _wal_emptied(database: Path) -> bool:
    with sqlite3.connect(database, timeout=5) as connection:
        busy: int = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    return busy == 0


def _fill(filler: Path) -> int | None:
    """Write zeros to ``filler`` until the disk refuses; returns the refusal's errno."""
    with filler.open("wb") as out:
        try:
            while True:
                out.write(bytes(1 << 16))
                out.flush()
        except OSError as error:
            return error.errno


def _assert_writes_refused(database: Path, error: str) -> None:
    with (
        sqlite3.connect(database, timeout=5) as probe,
        pytest.raises(sqlite3.OperationalError, match=error),
    ):
        probe.execute("PRAGMA user_version=1")


async def _published_shift(
    sb: Sandbox, app: BotApp, clock: ManualClock
) -> tuple[Chat, int, datetime]:
    """A shift four days out with Ada and Ben on it, published, its card out; Ada confirmed."""
    chat = await site_group(sb, app, template_id=TEMPLATE_ID, people=PEOPLE)
    day = clock.now().astimezone(ZONE).date() + timedelta(days=4)
    shift_id = await chat.add_shift(day, hours="10:00-13:00", need=2)
    await chat.say(f"/assign {shift_id} @Ada @Ben", at=tuple(PEOPLE))
    await chat.say(f"/shift publish {day}")
    starts = datetime.combine(day, time(10), tzinfo=ZONE)
    clock.set(starts - timedelta(hours=47))
    await app.run_due_work()
    await app.wait_until_outbox_empty()
    card = app.card_on_wire(f"ds-confirm-{shift_id}")
    await sb.wait_for_ack(sb.tap_card("u-ada", card, {"action": "confirm", "shift_id": shift_id}))
    await app.wait_until_outbox_empty()
    return chat, shift_id, starts


def _sends(sb: Sandbox) -> list[dict[str, Any]]:
    """The bodies of every send DingTalk accepted, in order."""
    return [
        {"path": request.path, **(request.body if isinstance(request.body, dict) else {})}
        for route in SEND_ROUTES
        for request in sb.requests(route)
        if request.status == 200 and request.method in ("POST", "PUT")
    ]


async def _wait_for_state(sb: Sandbox, app: BotApp, task: str, state: TaskState) -> None:
    await sb.wait_until(lambda: app.supervisor.status(task).state is state, timeout=10)


@pytest.mark.parametrize("fault", [disk_full, read_only], ids=["disk-full", "read-only"])
async def test_a_database_refusing_writes_stops_nothing_and_everything_goes_out_once(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock], database_path: Path, fault: Fault
) -> None:
    app, clock = clocked
    chat, shift_id, starts = await _published_shift(sb, app, clock)

    # DingTalk unreachable for a while: the nudges and a command's reply stay queued.
    for route in SEND_ROUTES:
        sb.fail_randomly(route, rate=1.0, statuses=[503], seed=1)
    clock.set(starts - timedelta(hours=35, minutes=59))
    await app.run_due_work()
    replies_before = len(sb.sent_messages(chat.cid))
    asked = sb.post_message(chat.cid, "u-coord", "/shift list")
    await sb.wait_for_ack(asked)
    pending = await _until_each_pending_row_was_tried(app)
    assert {row.kind for row in pending} >= {"card", "reply"}, "nudge cards and the reply wait"
    # DingTalk is back, but on this clock no retry is due yet.
    sb.reset_faults()
    delivered_before = len(_sends(sb))

    async with fault(app, database_path):
        # The reminders fall due while no write can be made: the tick fails and says so.
        clock.set(starts - timedelta(hours=23, minutes=59))
        await app.run_job(DUE_WORK_JOB)
        due_work = app.supervisor.status(DUE_WORK_JOB)
        assert due_work.state is TaskState.BACKING_OFF
        assert due_work.last_error is not None
        assert "RowsFailed" in due_work.last_error

        # The retries are due: one row goes out, but cannot be marked sent.
        app.outbox.wake()
        await sb.wait_until(lambda: len(_sends(sb)) > delivered_before, timeout=15)
        await _wait_for_state(sb, app, OUTBOX_TASK, TaskState.BACKING_OFF)
        await _wait_for_state(sb, app, HEALTH_SNAPSHOT_TASK, TaskState.BACKING_OFF)
        sender = app.supervisor.status(OUTBOX_TASK)
        assert sender.last_error is not None
        assert "OperationalError" in sender.last_error
        # The sender keeps trying to record that row, and sends nothing more meanwhile.
        await asyncio.sleep(3.5)
        assert len(_sends(sb)) == delivered_before + 1
        assert app.supervisor.status(OUTBOX_TASK).failures >= 2

    await app.run_job(DUE_WORK_JOB)
    assert app.supervisor.status(DUE_WORK_JOB).state is TaskState.RUNNING
    await app.wait_until_outbox_empty(within_seconds=30)
    for task in (OUTBOX_TASK, HEALTH_SNAPSHOT_TASK):
        await _wait_for_state(sb, app, task, TaskState.RUNNING)

    async with app.sessions() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    # Nothing twice: DingTalk accepted exactly one send per row.
    sends = _sends(sb)
    assert len(sends) == len(rows)
    card_ids = [send["outTrackId"] for send in sends if "outTrackId" in send]
    assert len(card_ids) == len(set(card_ids))
    [reminder] = notices(sb, "u-ada")
    assert "你已確認出席以下呢更" in reminder.text
    [nudge] = notices(sb, "u-ben")
    assert "你仲未回覆" in nudge.text
    [listing] = sb.sent_messages(chat.cid)[replies_before:]
    assert f"#{shift_id}" in listing.text


async def test_a_clock_stepped_back_holds_no_queued_reply_back(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    """An NTP correction an hour back: the reply queued (and retried) before it goes out at
    once, not an hour later."""
    app, clock = clocked
    chat = await site_group(sb, app, template_id=TEMPLATE_ID, people=PEOPLE)
    before = len(sb.sent_messages(chat.cid))
    tried = len(sb.requests("/robot/sendBySession"))
    sb.fail_next("/robot/sendBySession", status=503)
    asked = sb.post_message(chat.cid, "u-coord", "/site list")
    await sb.wait_for_ack(asked)
    await sb.wait_until(lambda: len(sb.requests("/robot/sendBySession")) > tried)
    [retrying] = await _until_each_pending_row_was_tried(app)
    assert retrying.attempts == 1

    clock.advance(-timedelta(hours=1))
    app.outbox.wake()
    [reply] = (await sb.wait_for_messages(before + 1, chat.cid, timeout=5))[before:]
    assert "SSP" in reply.text


async def test_a_person_a_card_missed_gets_it_though_the_database_refused_to_record_that(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    _chat, _shift_id, starts = await _published_shift(sb, app, clock)

    # Ben has not answered: his nudge card is created but misses his chat, and the database
    # refuses the row that would deliver it to him again.
    sb.fail_card_space_next("u-ben")
    with refusing_first_insert(app.engine, "card-redeliver:"):
        clock.set(starts - timedelta(hours=35, minutes=59))
        await app.run_due_work()
        await _wait_for_state(sb, app, OUTBOX_TASK, TaskState.BACKING_OFF)
    await app.wait_until_outbox_empty(within_seconds=30)

    [nudge] = notices(sb, "u-ben")
    assert "你仲未回覆" in nudge.text
    card = sb.card(nudge.out_track_id)
    assert card is not None
    assert [change.kind for change in card.history] == ["create", "deliver"]
