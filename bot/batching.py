"""Group commit: what arrives while one batch is being written goes together in the next.

Under no load an item is written at once, alone; under a burst every commit carries all that
queued up behind the previous one, so the number of commits, not the number of items, is what
waits on the database. Items are written in the order they were submitted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

WriteBatch = Callable[[Sequence[Item]], Awaitable[Sequence[Result | Exception]]]
"""Writes the items in one transaction; one result per item, in order. An exception in the list
fails that item alone; an exception raised fails the whole batch."""


class GroupCommit(Generic[Item, Result]):
    def __init__(self, write: WriteBatch[Item, Result], *, max_batch: int) -> None:
        self._write = write
        self._max_batch = max_batch
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.last_submit_at = 0.0
        """The loop's time of the latest :meth:`submit`."""

    async def submit(self, item: Item) -> Result:
        """``item``'s result once the batch holding it has been written."""
        loop = asyncio.get_running_loop()
        self.last_submit_at = loop.time()
        future: asyncio.Future[Result] = loop.create_future()
        self._queue.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="group-commit")
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            try:
                results = await self._write([item for item, _ in batch])
            except Exception as error:  # handed to every waiter of the batch
                results = [error] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                # A waiter may have given up (cancelled); its item was written all the same.
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)
