"""The health report read back from the database on a manual clock, and how it reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.health import healthy, render_status, status_report
from bot.supervisor import TaskState, TaskStatus
from core.clock import ManualClock
from core.settings import Settings, load_settings
from storage.database import SessionFactory
from storage.health import save_snapshot
from storage.models import InboxMessage, OutboxMessage, OutboxStatus
from storage.usage import add_usage

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
SETTINGS: Settings = load_settings(
    None, dingtalk={"client_id": "ding-app", "client_secret": "s"}, demo_mode=True
)


def _state(*tasks: TaskStatus) -> dict[str, object]:
    stream = {
        "connected": True,
        "last_frame_age_seconds": 3.0,
        "thread_alive": True,
        "system_ping_interval_seconds": 25.0,
    }
    return {"stream": stream, "tasks": [task.as_json() for task in tasks]}


def _row(key: str, status: OutboxStatus, created_at: datetime) -> OutboxMessage:
    return OutboxMessage(
        dedup_key=key,
        kind="group",
        conversation_id="cid1",
        payload={"title": "t", "text": key},
        status=status,
        next_attempt_at=created_at,
        created_at=created_at,
    )


async def test_a_backing_off_task_and_failed_rows_read_plainly(sessions: SessionFactory) -> None:
    failing = TaskStatus(
        name="outbox-sender",
        state=TaskState.BACKING_OFF,
        since=NOW - timedelta(seconds=4),
        failures=3,
        failing_since=NOW - timedelta(seconds=11),
        last_error="OperationalError: database or disk is full",
        last_failure_at=NOW - timedelta(seconds=4),
        retry_in_seconds=4.0,
    )
    running = TaskStatus(name="due-work", state=TaskState.RUNNING, since=NOW)
    async with sessions.begin() as session:
        await save_snapshot(
            session=session, written_at=NOW - timedelta(seconds=2), state=_state(running, failing)
        )
        session.add(_row("a", OutboxStatus.PENDING, NOW - timedelta(seconds=90)))
        session.add(_row("b", OutboxStatus.PENDING, NOW - timedelta(seconds=5)))
        session.add(_row("c", OutboxStatus.SENT, NOW - timedelta(hours=1)))
        session.add(_row("d", OutboxStatus.FAILED, NOW - timedelta(hours=1)))
        await add_usage(session=session, month="2026-12", metered_api_calls=1203)
        for msg_id, handled_at in (("m1", NOW), ("m2", None), ("m3", None)):
            session.add(
                InboxMessage(
                    msg_id=msg_id, conversation_id="cid1", received_at=NOW, handled_at=handled_at
                )
            )

    report = await status_report(SETTINGS, sessions, ManualClock(NOW))
    assert not healthy(report)
    assert render_status(report) == [
        "bot: running (health snapshot 2 s old)",
        "stream: connected, last frame 5 s ago, DingTalk pings every 25 s",
        "task due-work: running since 2026-12-02T02:00:00+00:00",
        "task outbox-sender: backing off since 2026-12-02T01:59:56+00:00 (3 failure(s) in a row"
        " since 2026-12-02T01:59:49+00:00; retry in 4 s; last error: OperationalError: database"
        " or disk is full)",
        "inbox: 2 received, not yet answered",
        "outbox: 2 pending (oldest 90 s), 1 sent, 1 failed, 0 dropped",
        "API usage 2026-12: 1203 of 5000 metered calls",
    ]


async def test_a_snapshot_older_than_three_periods_means_not_running(
    sessions: SessionFactory,
) -> None:
    recovered = TaskStatus(
        name="due-work",
        state=TaskState.RUNNING,
        since=NOW,
        last_error="RowsFailed: 1 row(s) failed",
        last_failure_at=NOW - timedelta(minutes=3),
    )
    async with sessions.begin() as session:
        await save_snapshot(session=session, written_at=NOW, state=_state(recovered))
    clock = ManualClock(NOW + timedelta(seconds=15))
    report = await status_report(SETTINGS, sessions, clock)
    assert healthy(report)
    assert render_status(report)[2] == (
        "task due-work: running since 2026-12-02T02:00:00+00:00"
        " (last failed 2026-12-02T01:57:00+00:00: RowsFailed: 1 row(s) failed)"
    )

    clock.advance(timedelta(seconds=1))
    report = await status_report(SETTINGS, sessions, clock)
    assert not healthy(report)
    assert render_status(report)[0] == (
        "bot: not running, or it cannot write to the database (health snapshot 16 s old);"
        " below is what it last said"
    )
