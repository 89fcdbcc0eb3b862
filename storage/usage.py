"""Monthly counters of what DingTalk meters, kept by the bot itself."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import MonthlyUsage


async def add_usage(
    *,
    session: AsyncSession,
    month: str,
    metered_api_calls: int = 0,
    stream_deliveries: int = 0,
    session_replies: int = 0,
) -> None:
    # One atomic upsert: concurrent first-of-the-month increments neither collide nor get lost.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(MonthlyUsage).values(
        month=month,
        metered_api_calls=metered_api_calls,
        stream_deliveries=stream_deliveries,
        session_replies=session_replies,
    )
    counters = ("metered_api_calls", "stream_deliveries", "session_replies")
    await session.exec(
        statement.on_conflict_do_update(
            index_elements=["month"],
            set_={
                name: getattr(MonthlyUsage, name) + statement.excluded[name] for name in counters
            },
        )
    )


async def usage_for(*, session: AsyncSession, month: str) -> MonthlyUsage:
    return await session.get(MonthlyUsage, month) or MonthlyUsage(month=month)
