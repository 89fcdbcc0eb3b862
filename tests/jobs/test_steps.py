"""What one lifecycle step queues, read from the outbox row it leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from core.messages import text
from core.settings import Settings, load_settings
from jobs.steps import queue_nudges
from storage.database import SessionFactory
from storage.models import OutboxMessage, Shift
from storage.shifts import add_shift, book
from storage.volunteers import register_volunteer
from tests.jobs.conftest import NOW, site_with_group

START = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # Saturday 09:00 in Hong Kong
# Every character opens markup, so each takes three bytes once made inert (its full-width twin).
HOSTILE_NICKNAME = "*_[]<>|`" * 3
NOT_ANSWERED = 30


async def test_a_coordinators_list_of_hostile_names_keeps_its_count_of_the_rest(
    sessions: SessionFactory,
) -> None:
    settings: Settings = load_settings(
        None,
        dingtalk={"client_id": "ding-test", "client_secret": "demo-secret"},
        org={"admins": ["u-coord"]},
        demo_mode=True,
    )
    async with sessions.begin() as session:
        site = await site_with_group(session)
        assert site.id is not None
        shift = await add_shift(
            session=session,
            shift=Shift(
                site_id=site.id,
                occurs_on=START.date(),
                starts_at=START,
                ends_at=START + timedelta(hours=3),
                headcount=NOT_ANSWERED,
                created_by="u-coord",
                created_at=NOW,
                updated_at=NOW,
            ),
        )
        assert shift.id is not None
        for number in range(NOT_ANSWERED):
            volunteer, _ = await register_volunteer(
                session=session,
                staff_id=f"u-{number}",
                dingtalk_id=f"u-{number}",
                nickname=f"{HOSTILE_NICKNAME}{number}",
                districts=["sham-shui-po"],
                languages=["yue"],
                availability=None,
                now=NOW,
            )
            await book(
                session=session,
                shift_id=shift.id,
                volunteer_id=volunteer.id or 0,
                assigned_by="u-coord",
                now=NOW,
                min_rest=timedelta(0),
            )
        await queue_nudges(session=session, shift=shift, settings=settings, now=NOW)

    async with sessions() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    [summary] = [row for row in rows if row.dedup_key.startswith("card:ds-nsum-")]
    body = summary.payload["public"]["body"]
    language = settings.org.language
    shown = body.count("＊＿［］＜＞｜｀" * 3)
    assert 0 < shown < NOT_ANSWERED
    assert text("card.and_more", language, count=NOT_ANSWERED - shown) in body
