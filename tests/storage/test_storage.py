from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from storage.database import SessionFactory, create_engine, session_factory, upgrade_schema
from storage.events import DuplicateEvent, find_processed, record_processed
from storage.models import OutboxMessage, OutboxStatus
from storage.outbox import (
    OutboxBacklog,
    due_messages,
    enqueue,
    mark_given_up,
    mark_sent,
    next_attempt_at,
    outbox_backlog,
    pending_messages,
    schedule_retry,
)
from storage.roles import find_grant, grant_role
from storage.usage import add_usage, usage_for
from storage.volunteers import find_volunteer, register_volunteer

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
HORIZON = timedelta(minutes=5)


async def test_migrations_build_exactly_the_models_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    await upgrade_schema(engine)
    await upgrade_schema(engine)  # a second upgrade is a no-op
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
        )
    await engine.dispose()
    assert differences == []


async def test_timestamps_come_back_aware_and_in_utc(sessions: SessionFactory) -> None:
    hong_kong_time = datetime(2026, 11, 27, 12, 0, tzinfo=timezone(timedelta(hours=8)))
    async with sessions.begin() as session:
        await register_volunteer(
            session=session,
            staff_id="u1",
            dingtalk_id="d1",
            nickname="Ada",
            districts=["sham-shui-po"],
            languages=["yue"],
            availability=None,
            now=hong_kong_time,
        )
    async with sessions() as session:
        volunteer = await find_volunteer(session=session, staff_id="u1")
    assert volunteer is not None
    assert volunteer.registered_at == hong_kong_time
    assert volunteer.registered_at.tzinfo == UTC
    assert volunteer.districts == ["sham-shui-po"]


async def test_reregistering_keeps_availability_unless_given(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        _, created = await register_volunteer(
            session=session,
            staff_id="u1",
            dingtalk_id="d1",
            nickname="Ada",
            districts=["kwun-tong"],
            languages=["yue"],
            availability=["sat-am"],
            now=NOW,
        )
        assert created
    async with sessions.begin() as session:
        volunteer, created = await register_volunteer(
            session=session,
            staff_id="u1",
            dingtalk_id="d1",
            nickname="Ada C",
            districts=["sham-shui-po"],
            languages=["en"],
            availability=None,
            now=NOW + timedelta(hours=1),
        )
        assert not created
    assert volunteer.availability == ["sat-am"]
    assert volunteer.nickname == "Ada C"
    assert volunteer.registered_at == NOW


async def test_an_event_is_recorded_once_even_when_two_deliveries_race(
    sessions: SessionFactory,
) -> None:
    outcomes: list[str] = []

    async def deliver() -> None:
        try:
            async with sessions.begin() as session:
                if await find_processed(session=session, key="msg:1"):
                    outcomes.append("seen")
                    return
                await record_processed(session=session, key="msg:1", ack='"OK"', processed_at=NOW)
                await asyncio.sleep(0.05)  # hold the transaction open while the other runs
                outcomes.append("done")
        except DuplicateEvent:
            outcomes.append("duplicate")

    await asyncio.gather(deliver(), deliver())
    assert sorted(outcomes) in (["done", "duplicate"], ["done", "seen"])


def _row(key: str, at: datetime, attempts: int = 0) -> OutboxMessage:
    return OutboxMessage(
        dedup_key=key,
        kind="group",
        conversation_id="cid1",
        payload={"title": "t", "text": key},
        next_attempt_at=at,
        created_at=at,
        attempts=attempts,
    )


async def test_outbox_keeps_one_row_per_logical_message_and_orders_by_due_time(
    sessions: SessionFactory,
) -> None:
    async with sessions.begin() as session:
        assert await enqueue(
            session=session, message=_row("b", NOW + timedelta(seconds=5), attempts=1)
        )
        assert await enqueue(session=session, message=_row("a", NOW))
        assert not await enqueue(session=session, message=_row("a", NOW))
    async with sessions() as session:
        due_now = await due_messages(session=session, now=NOW, limit=10, horizon=HORIZON)
        assert [row.dedup_key for row in due_now] == ["a"]
        assert await next_attempt_at(session=session) == NOW
    first = due_now[0]
    assert first.id is not None
    async with sessions.begin() as session:
        await mark_sent(session=session, message_id=first.id, now=NOW)
        later = await due_messages(
            session=session, now=NOW + timedelta(seconds=5), limit=10, horizon=HORIZON
        )
        assert [row.dedup_key for row in later] == ["b"]
        assert later[0].id is not None
        await schedule_retry(
            session=session,
            message_id=later[0].id,
            now=NOW,
            delay=timedelta(minutes=1),
            error="503",
        )
    async with sessions() as session:
        assert (
            await due_messages(
                session=session, now=NOW + timedelta(seconds=30), limit=10, horizon=HORIZON
            )
            == []
        )
        sent = await session.get(OutboxMessage, first.id)
        assert sent is not None
        assert sent.status == OutboxStatus.SENT
        assert sent.sent_at == NOW


async def test_a_row_scheduled_before_the_clock_stepped_back_is_due_at_once(
    sessions: SessionFactory,
) -> None:
    """After an NTP correction an hour back, rows queued before it lie an hour "ahead"; nothing
    is scheduled further ahead than the horizon, so they are due now, while a real retry a
    minute ahead still waits."""
    async with sessions.begin() as session:
        await enqueue(session=session, message=_row("queued-before-step", NOW))
        await enqueue(
            session=session, message=_row("retry", NOW - timedelta(minutes=59), attempts=1)
        )
    stepped_back = NOW - timedelta(hours=1)
    async with sessions() as session:
        due = await due_messages(session=session, now=stepped_back, limit=10, horizon=HORIZON)
    assert [row.dedup_key for row in due] == ["queued-before-step"]


async def test_a_first_attempt_is_due_after_a_step_back_shorter_than_the_horizon(
    sessions: SessionFactory,
) -> None:
    """A correction of two minutes leaves rows queued before it two minutes "ahead", inside the
    horizon; a first attempt is never scheduled ahead, so they are due all the same, oldest
    first."""
    async with sessions.begin() as session:
        await enqueue(session=session, message=_row("queued-before-step", NOW))
        await enqueue(
            session=session, message=_row("queued-after-step", NOW - timedelta(minutes=2))
        )
        await enqueue(
            session=session, message=_row("retry", NOW - timedelta(minutes=1), attempts=1)
        )
    stepped_back = NOW - timedelta(minutes=2)
    async with sessions() as session:
        due = await due_messages(session=session, now=stepped_back, limit=10, horizon=HORIZON)
    assert [row.dedup_key for row in due] == ["queued-before-step", "queued-after-step"]


async def test_backlog_counts_rows_by_status_and_dates_the_oldest_pending(
    sessions: SessionFactory,
) -> None:
    async with sessions.begin() as session:
        for key, at in (("a", NOW), ("b", NOW + timedelta(minutes=1)), ("c", NOW)):
            await enqueue(session=session, message=_row(key, at))
    async with sessions() as session:
        assert await outbox_backlog(session=session) == OutboxBacklog(
            by_status={"pending": 3}, oldest_pending_at=NOW
        )
        rows = await pending_messages(session=session)
    assert rows[0].id is not None
    assert rows[1].id is not None
    async with sessions.begin() as session:
        await mark_sent(session=session, message_id=rows[0].id, now=NOW)
        await mark_given_up(
            session=session, message_id=rows[1].id, status=OutboxStatus.FAILED, error="400"
        )
    async with sessions() as session:
        backlog = await outbox_backlog(session=session)
    assert backlog == OutboxBacklog(
        by_status={"pending": 1, "sent": 1, "failed": 1}, oldest_pending_at=NOW
    )


@pytest.mark.parametrize("tasks", [1, 8])
async def test_usage_counters_add_up_under_concurrency(
    sessions: SessionFactory, tasks: int
) -> None:
    async def count() -> None:
        for _ in range(5):
            async with sessions.begin() as session:
                await add_usage(
                    session=session, month="2026-11", metered_api_calls=1, stream_deliveries=2
                )

    await asyncio.gather(*(count() for _ in range(tasks)))
    async with sessions() as session:
        usage = await usage_for(session=session, month="2026-11")
        empty = await usage_for(session=session, month="2026-12")
    assert (usage.metered_api_calls, usage.stream_deliveries) == (5 * tasks, 10 * tasks)
    assert empty.metered_api_calls == 0


async def test_upgrading_keeps_the_volunteers_registered_before(database_url: str) -> None:
    engine = create_engine(database_url)
    await upgrade_schema(engine, "0001")
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO volunteer (staff_id, dingtalk_id, nickname, districts, languages,"
                " availability, active, registered_at, updated_at) VALUES ('u1', '', 'Ada',"
                " '[\"sham-shui-po\"]', '[\"yue\"]', '[]', true, :at, :at)"
            ),
            {"at": NOW.replace(tzinfo=None)},
        )
    await upgrade_schema(engine)
    sessions = session_factory(engine)
    async with sessions() as session:
        volunteer = await find_volunteer(session=session, staff_id="u1")
    await engine.dispose()
    assert volunteer is not None
    assert (volunteer.nickname, volunteer.districts, volunteer.skills) == (
        "Ada",
        ["sham-shui-po"],
        [],
    )


async def test_two_first_grants_of_one_person_at_once_both_succeed_one_after_the_other(
    sessions: SessionFactory,
) -> None:
    async def grant(role: str) -> str | None:
        async with sessions.begin() as session:
            # The dispatcher's first write: the event's dedup record.
            await record_processed(session=session, key=f"msg:{role}", ack="{}", processed_at=NOW)
            return await grant_role(
                session=session,
                staff_id="u-ada",
                role=role,
                regions=[],
                granted_by="u-admin",
                now=NOW,
            )

    previous = await asyncio.gather(grant("coordinator"), grant("scheduler"))

    async with sessions() as session:
        final = await find_grant(session=session, staff_id="u-ada")
    assert final is not None
    # One came first and found nobody; the other replaced it, and says what it replaced.
    [first_role] = {"coordinator", "scheduler"} - {final.role}
    assert sorted(previous, key=str) == sorted([None, first_role], key=str)
