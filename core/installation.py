"""This installation's tag (see :mod:`core.cards`), read from the database once per process."""

from __future__ import annotations

import asyncio

from core.cards import new_installation_tag
from core.clock import Clock
from storage.database import SessionFactory
from storage.installation import installation_tag


class InstallationTag:
    """The tag, made and stored by whichever part of the bot asks for it first."""

    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._tag: str | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:
            if self._tag is None:
                # Its own transaction: a caller's rollback must not undo a tag already handed out.
                async with self._sessions.begin() as session:
                    self._tag = await installation_tag(
                        session=session, new_tag=new_installation_tag(), now=self._clock.now()
                    )
            return self._tag
