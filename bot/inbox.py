"""The inbox: a chat message is a committed row before its ACK, and answered afterwards.

DingTalk wants every push ACKed within 3 s, and a reply to a chat message need not be in the
ACK. So :meth:`Inbox.receive` only writes the message down (frames arriving together share one
commit, :class:`bot.batching.GroupCommit`) and the ACK goes back at once; :meth:`Inbox.run`, the
inbox worker, answers the rows one by one in arrival order, each in its own transaction
(``Dispatcher.handle_inbox_message``). A redelivered frame finds its row and adds none; a row
received but not handled before a crash or a stop is handled after the next start.

A row whose answer fails for a reason of its own is tried again, and after :data:`MAX_ATTEMPTS`
given up with an apology, so that one bad message cannot keep everyone behind it waiting; a
database that cannot be used fails the worker instead (the supervisor restarts it), the row's
attempts untouched, as the same row succeeds once the database is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.batching import GroupCommit
from bot.dispatch import MESSAGE_ACK, Outcome
from bot.worker import DrainingWorker
from core.clock import Clock
from core.incoming import ChatMessage, chat_message_payload
from core.outgoing import month_of
from core.settings import Settings
from storage.database import SessionFactory, database_unavailable
from storage.inbox import (
    receive_messages,
    record_failed_attempt,
    unhandled_count,
    unhandled_messages,
)
from storage.models import InboxMessage
from storage.usage import add_usage

# Frames arriving while one receipt commits go into the next: a burst of a thousand takes a
# handful of commits.
RECEIPT_BATCH = 500
HANDLING_BATCH = 100
RECEIPTS_RECENT_SECONDS = 0.05

# Failures of a message's own (not of the database) before it is given up with an apology.
MAX_ATTEMPTS = 3

HandleRow = Callable[[InboxMessage], Awaitable[None]]

log = logging.getLogger(__name__)


class Inbox(DrainingWorker):
    """Receives chat messages, and as its worker (:meth:`run`) answers them in arrival order."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        settings: Settings,
        clock: Clock,
        handle: HandleRow,
        give_up: HandleRow,
    ) -> None:
        """``handle`` answers a row and marks it handled; ``give_up`` marks one that failed
        :data:`MAX_ATTEMPTS` times handled, apologising to its sender if it can."""
        super().__init__()
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._handle = handle
        self._give_up = give_up
        self._receipts = GroupCommit[ChatMessage, Outcome](self._write, max_batch=RECEIPT_BATCH)

    async def receive(self, message: ChatMessage) -> Outcome:
        """Once ``message`` is committed to the inbox (or was already there): the ACK."""
        return await self._receipts.submit(message)

    async def _write(self, messages: Sequence[ChatMessage]) -> list[Outcome | Exception]:
        try:
            await self._commit(messages)
        except Exception as error:
            if len(messages) == 1 or database_unavailable(error):
                raise
            # Nothing of the batch was written: each message again in its own transaction, so
            # one that cannot be written does not fail the others' ACKs.
            log.warning("a batch of received messages failed; retrying each alone", exc_info=True)
            return [await self._write_alone(message) for message in messages]
        self.wake()
        return [Outcome(ack=MESSAGE_ACK)] * len(messages)

    async def _write_alone(self, message: ChatMessage) -> Outcome | Exception:
        try:
            [outcome] = await self._write([message])
        except Exception as error:  # the ACK reports it for this message alone
            log.exception("chat message not received", extra={"msg_id": message.msg_id})
            return error
        return outcome

    async def _commit(self, messages: Sequence[ChatMessage]) -> None:
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

    async def pass_once(self) -> int:
        return await self.handle_received()

    async def next_due_in(self) -> None:
        # Rows arrive with a wake(); none is scheduled ahead.
        return None

    async def handle_received(self) -> int:
        """Handle the oldest unhandled rows, in order, each in its own transaction; how many
        were tried.

        A database error ends it, the row unhandled and its attempts not counted: once the
        database is back it is answered.
        """
        async with self._sessions() as session:
            rows = await unhandled_messages(session=session, limit=HANDLING_BATCH)
        loop = asyncio.get_running_loop()
        for tried, row in enumerate(rows, start=1):
            started = loop.time()
            if not await self._attempt(row):
                # Still the oldest: the next pass tries it again before any row behind it.
                return tried
            if loop.time() - self._receipts.last_submit_at < RECEIPTS_RECENT_SECONDS:
                # Frames are arriving: give them as much time as this answer took, so that their
                # ACKs stay prompt while answers still progress at half speed or better.
                await asyncio.sleep(loop.time() - started)
        return len(rows)

    async def _attempt(self, row: InboxMessage) -> bool:
        """Answer ``row``; False if it failed and is to be tried again."""
        assert row.id is not None
        try:
            await self._handle(row)
        except Exception as error:
            if database_unavailable(error):
                raise
            async with self._sessions.begin() as session:
                await record_failed_attempt(session=session, inbox_id=row.id)
            attempts = row.attempts + 1
            extra = {"inbox_id": row.id, "msg_id": row.msg_id, "attempts": attempts}
            if attempts < MAX_ATTEMPTS:
                log.warning("inbox message failed; tried again", exc_info=True, extra=extra)
                return False
            log.exception("inbox message failed; given up", extra=extra)
            await self._give_up(row)
        return True

    async def unhandled(self) -> int:
        """How many received messages are still waiting for an answer."""
        async with self._sessions() as session:
            return await unhandled_count(session=session)
