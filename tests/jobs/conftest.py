"""Jobs in process: each job function on a real database (SQLite, and PostgreSQL when the run
has a server) with a clock the test moves, judged by the rows it leaves, the outbox's above all.
No DingTalk: nothing here sends what the jobs queue (tests/e2e does)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import ManualClock
from core.openapi import OpenApiClient
from core.settings import Settings, load_settings
from jobs.runner import JobDeps
from storage.database import SessionFactory
from storage.models import Site
from storage.sites import add_site

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Hong Kong


class OutboxWakes:
    """Counts the times a job woke the outbox sender."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


async def site_with_group(session: AsyncSession) -> Site:
    """The SSP site, whose group gets its shifts' announcements and confirm cards."""
    return await add_site(
        session=session,
        code="SSP",
        name="SSP food bank",
        district="sham-shui-po",
        conversation_id="cid-ssp",
        created_by="u-coord",
        now=NOW,
    )


@pytest.fixture
def settings() -> Settings:
    return load_settings(
        None, dingtalk={"client_id": "ding-test", "client_secret": "demo-secret"}, demo_mode=True
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def wakes() -> OutboxWakes:
    return OutboxWakes()


@pytest.fixture
async def deps(
    sessions: SessionFactory, settings: Settings, clock: ManualClock, wakes: OutboxWakes
) -> AsyncIterator[JobDeps]:
    client = OpenApiClient(settings.dingtalk)
    yield JobDeps(
        sessions=sessions, settings=settings, clock=clock, client=client, wake_outbox=wakes
    )
    await client.close()
