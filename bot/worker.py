"""The loop shared by the inbox worker and the outbox sender: drain, sleep until woken or due.

A worker does passes (:meth:`DrainingWorker.pass_once`) while they find work, then sleeps until
:meth:`DrainingWorker.wake` or its next due time; :meth:`DrainingWorker.finish` makes it do what
is there now and return.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod


class DrainingWorker(ABC):
    def __init__(self) -> None:
        self._wakeup = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wakeup.set()

    def finish(self) -> None:
        """Ask :meth:`run` to do what is there now and then return."""
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        """Passes as work arrives or falls due, until :meth:`finish`.

        A database error ends it; the supervisor (bot.supervisor) starts it again after a wait.
        """
        while True:
            self._wakeup.clear()
            # Read before the pass: a finish() arriving during it gets one more full pass, so
            # work committed just before finish() is still done.
            finishing = self._stopping
            if await self.pass_once():
                continue
            if finishing:
                return
            timeout = await self.next_due_in()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)

    @abstractmethod
    async def pass_once(self) -> int:
        """Do the work there is now, once; how much was done (0: nothing to do)."""

    @abstractmethod
    async def next_due_in(self) -> float | None:
        """Seconds until work already known falls due; None to sleep until woken."""
