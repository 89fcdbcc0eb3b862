"""Group commit: what arrives while one batch is being written goes together in the next.

Under no load an item is written at once, alone; under a burst every commit carries all that
queued up behind the previous one, so the number of commits, not the number of items, is what
waits on the database.

An item may carry a deadline (the loop's time by which its answer is wanted, such as an ACK's).
Items past theirs wait until no item still in time is queued: under overload the answers that
can still arrive in time do, instead of every answer arriving a little too late. Late items are
still written; only their order changes.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

WriteBatch = Callable[[Sequence[Item]], Awaitable[Sequence[Result | Exception]]]
"""Writes the items in one transaction; one result per item, in order. An exception in the list
fails that item alone; an exception raised fails the whole batch."""


@dataclass(frozen=True)
class _Waiting(Generic[Item, Result]):
    item: Item
    future: asyncio.Future[Result]
    deadline: float


class GroupCommit(Generic[Item, Result]):
    def __init__(self, write: WriteBatch[Item, Result], *, max_batch: int) -> None:
        self._write = write
        self._max_batch = max_batch
        self._late_batch = max(1, max_batch // 8)
        self._queue: list[_Waiting[Item, Result]] = []
        self._writer: asyncio.Task[None] | None = None
        self.last_submit_at = 0.0
        """The loop's time of the latest :meth:`submit`."""

    async def submit(self, item: Item, *, deadline: float = math.inf) -> Result:
        """``item``'s result once the batch holding it has been written."""
        loop = asyncio.get_running_loop()
        self.last_submit_at = loop.time()
        future: asyncio.Future[Result] = loop.create_future()
        self._queue.append(_Waiting(item, future, deadline))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="group-commit")
        return await future

    def _next_batch(self) -> list[_Waiting[Item, Result]]:
        now = asyncio.get_running_loop().time()
        in_time = [waiting for waiting in self._queue if waiting.deadline > now]
        # Late items go in small batches, so that items arriving meanwhile wait less for them.
        batch = in_time[: self._max_batch] if in_time else self._queue[: self._late_batch]
        taken = {id(waiting) for waiting in batch}
        self._queue = [waiting for waiting in self._queue if id(waiting) not in taken]
        return batch

    async def _drain(self) -> None:
        while self._queue:
            batch = self._next_batch()
            try:
                results = await self._write([waiting.item for waiting in batch])
            except Exception as error:  # handed to every waiter of the batch
                results = [error] * len(batch)
            for waiting, result in zip(batch, results, strict=True):
                # A waiter may have given up (cancelled); its item was written all the same.
                if waiting.future.done():
                    continue
                if isinstance(result, Exception):
                    waiting.future.set_exception(result)
                else:
                    waiting.future.set_result(result)
