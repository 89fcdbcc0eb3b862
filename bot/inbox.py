"""The inbox: a chat message is a committed row before its ACK, and answered afterwards.

DingTalk wants every push ACKed within 3 s, and a reply to a chat message need not be in the
ACK. So :meth:`Inbox.receive` only writes the message down (frames arriving together share one
commit, :class:`bot.batching.GroupCommit`) and the ACK goes back at once; :meth:`Inbox.run`, the
inbox worker, answers the rows one by one in arrival order, each in its own transaction
(``Dispatcher.handle_inbox_message``). A redelivered frame finds its row and adds none; a row
received but not handled before a crash or a stop is handled after the next start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from bot.batching import GroupCommit
from bot.dispatch import MESSAGE_ACK, Outcome
from core.clock import Clock
from core.incoming import ChatMessage, chat_message_payload
from core.outgoing import month_of
from core.settings import Settings
from storage.database import SessionFactory
from storage.inbox import receive_messages, unhandled_count, unhandled_messages
from storage.models import InboxMessage
from storage.usage import add_usage

# Frames arriving while one receipt commits go into the next: a burst of a thousand takes a
# handful of commits.
RECEIPT_BATCH = 500
HANDLING_BATCH = 100
RECEIPTS_RECENT_SECONDS = 0.05

HandleRow = Callable[[InboxMessage], Awaitable[None]]


class Inbox:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        settings: Settings,
        clock: Clock,
        handle: HandleRow,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._handle = handle
        self._receipts = GroupCommit[ChatMessage, Outcome](self._write, max_batch=RECEIPT_BATCH)
        self._wakeup = asyncio.Event()
        self._stopping = False

    async def receive(self, message: ChatMessage) -> Outcome:
        """Once ``message`` is committed to the inbox (or was already there): the ACK."""
        return await self._receipts.submit(message)

    async def _write(self, messages: Sequence[ChatMessage]) -> list[Outcome]:
        now = self._clock.now()
        rows = [
            InboxMessage(
                msg_id=message.msg_id,
                conversation_id=message.conversation_id,
                payload=chat_message_payload(message),
                received_at=now,
            )
            for message in messages
        ]
        async with self._sessions.begin() as session:
            received = await receive_messages(session=session, messages=rows)
            if received:
                await add_usage(
                    session=session,
                    month=month_of(now, self._settings.org.zone),
                    stream_deliveries=received,
                )
        self.wake()
        return [Outcome(ack=MESSAGE_ACK)] * len(messages)

    def wake(self) -> None:
        self._wakeup.set()

    def finish(self) -> None:
        """Ask :meth:`run` to handle what has been received and then return."""
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        """The inbox worker: handle rows as they arrive, in order, until :meth:`finish`.

        A database error ends it (the row stays unhandled, to be retried): run it under a
        supervisor that restarts it.
        """
        while True:
            self._wakeup.clear()
            # Read before the pass: a finish() during it still gets one more pass.
            finishing = self._stopping
            if await self.handle_received():
                continue
            if finishing:
                return
            await self._wakeup.wait()

    async def handle_received(self) -> int:
        """Handle the oldest unhandled rows, in order, each in its own transaction; how many."""
        async with self._sessions() as session:
            rows = await unhandled_messages(session=session, limit=HANDLING_BATCH)
        loop = asyncio.get_running_loop()
        for row in rows:
            started = loop.time()
            await self._handle(row)
            if loop.time() - self._receipts.last_submit_at < RECEIPTS_RECENT_SECONDS:
                # Frames are arriving: give them as much time as this answer took, so that their
                # ACKs stay prompt while answers still progress at half speed or better.
                await asyncio.sleep(loop.time() - started)
        return len(rows)

    async def unhandled(self) -> int:
        """How many received messages are still waiting for an answer."""
        async with self._sessions() as session:
            return await unhandled_count(session=session)
