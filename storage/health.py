"""The running bot's last word on its health, read by ``dingshift status`` (another process)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import HealthSnapshot

BOT_PROCESS = "bot"


async def save_snapshot(
    *, session: AsyncSession, written_at: datetime, state: dict[str, Any]
) -> None:
    snapshot = await session.get(HealthSnapshot, BOT_PROCESS)
    if snapshot is None:
        session.add(HealthSnapshot(process=BOT_PROCESS, written_at=written_at, state=state))
        return
    snapshot.written_at = written_at
    snapshot.state = state
    session.add(snapshot)


async def latest_snapshot(*, session: AsyncSession) -> HealthSnapshot | None:
    return await session.get(HealthSnapshot, BOT_PROCESS)
