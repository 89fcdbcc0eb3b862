"""The outbox sender: the one worker that turns queued rows into DingTalk calls.

Rows are sent oldest first at a bounded rate. Server errors, lost connections and throttling
(DingTalk's 403 with a QPS code) are retried with exponential backoff, and throttling also slows
the sender down; other errors are final and logged. When the month's metered API budget is used
up, optional messages are dropped and essential ones still go out.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.worker import DrainingWorker
from core.cards import wire_id
from core.clock import Clock
from core.installation import InstallationTag
from core.openapi import DingTalkError, OpenApiClient
from core.outgoing import (
    CardDelivery,
    CardUpdate,
    GroupMessage,
    OutgoingMessage,
    ReplyMessage,
    UnreadableRow,
    fallback_row,
    month_of,
    outgoing_message,
    redelivery_rows,
)
from core.settings import Settings
from storage.database import SessionFactory
from storage.models import OutboxMessage, OutboxStatus
from storage.outbox import (
    due_messages,
    enqueue,
    mark_card_created,
    mark_given_up,
    mark_sent,
    next_attempt_at,
    schedule_retry,
)
from storage.usage import add_usage, usage_for

log = logging.getLogger(__name__)

BATCH_SIZE = 50
MAX_RETRY_DELAY_SECONDS = 300.0
# No row is ever scheduled further ahead than the longest retry: one that is must have been
# scheduled before the wall clock stepped back, and is due now.
SCHEDULE_HORIZON = timedelta(seconds=MAX_RETRY_DELAY_SECONDS)
# A session webhook this close to expiry is not trusted with a reply.
WEBHOOK_SAFETY_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class MissedSpaces:
    """The spaces a card's delivery did not reach, each to get a redelivery row of its own."""

    card: CardDelivery
    spaces: tuple[str, ...]


@dataclass(frozen=True)
class Delivery:
    """What one sent row cost, the key DingTalk gave for asking who read it, and the spaces a
    card missed: their rows are queued in the transaction that marks this row sent, so they
    are never lost while the row is not retried."""

    metered: int = 0
    session_replies: int = 0
    process_query_key: str | None = None
    missed: MissedSpaces | None = None


@dataclass(frozen=True)
class Unrecorded:
    """A row DingTalk accepted whose marking as sent failed (the database refused the write)."""

    delivery: Delivery
    month: str
    sent_at: datetime


def retry_delay(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s ... up to five minutes, with jitter so retries do not arrive together."""
    # The exponent is capped too: 2.0 ** 1024 overflows a float (outbox_max_attempts is unbounded).
    base = min(MAX_RETRY_DELAY_SECONDS, 2.0 ** min(max(attempts, 0), 30))
    return timedelta(seconds=base * random.uniform(0.5, 1.0))


class RateLimiter:
    """Spaces calls at least ``1 / rate`` seconds apart; throttling widens the gap for a while."""

    def __init__(self, per_second: float) -> None:
        self._base_interval = 1.0 / per_second
        self._interval = self._base_interval
        self._next_slot = 0.0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def throttled(self) -> None:
        self._interval = min(self._interval * 2, 5.0)

    def succeeded(self) -> None:
        self._interval = max(self._base_interval, self._interval * 0.9)


class OutboxSender(DrainingWorker):
    """Sends rows as they fall due, sleeping in between, until :meth:`finish`."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        client: OpenApiClient,
        settings: Settings,
        clock: Clock,
        installation: InstallationTag,
    ) -> None:
        super().__init__()
        self._sessions = sessions
        self._client = client
        self._settings = settings
        self._clock = clock
        self._limiter = RateLimiter(settings.limits.outbound_per_second)
        # Kept across restarts of run(), so a row already delivered is recorded, not resent.
        self._unrecorded: dict[int, Unrecorded] = {}
        self._installation = installation

    async def pass_once(self) -> int:
        return await self.send_due()

    async def next_due_in(self) -> float | None:
        async with self._sessions() as session:
            due_at = await next_attempt_at(session=session)
        if due_at is None:
            return None
        ahead = min(due_at - self._clock.now(), SCHEDULE_HORIZON)
        return max(0.0, ahead.total_seconds())

    async def send_due(self) -> int:
        """Attempt every row due now, once; returns how many were attempted.

        Rows delivered earlier but not yet marked sent are recorded first: while the database
        refuses writes, nothing more goes out, so at most one row waits in memory.
        """
        for outbox_id, sent in list(self._unrecorded.items()):
            await self._record_sent(outbox_id, sent)
        async with self._sessions() as session:
            rows = await due_messages(
                session=session,
                now=self._clock.now(),
                limit=BATCH_SIZE,
                horizon=SCHEDULE_HORIZON,
            )
        for row in rows:
            await self._attempt(row)
        return len(rows)

    async def _attempt(self, row: OutboxMessage) -> None:
        assert row.id is not None
        now = self._clock.now()
        month = month_of(now, self._settings.org.zone)
        if not row.essential and await self._over_budget(month):
            await self._give_up(
                row.id,
                OutboxStatus.DROPPED,
                "monthly API budget used up; optional message dropped",
            )
            log.warning("outbox message dropped for budget", extra={"outbox_id": row.id})
            return
        try:
            message = outgoing_message(row)
            await self._limiter.wait()
            delivery = await self._send(message, now, row)
        except DingTalkError as error:
            await self._failed(row, error)
            return
        except SQLAlchemyError:
            raise  # the database's trouble, not the row's: the supervisor restarts the sender
        except Exception as error:
            # An unreadable row, or one whose call cannot be built (a card id from an older
            # version): retrying cannot help, and the rows behind it must still go out.
            reason = str(error) if isinstance(error, UnreadableRow) else repr(error)
            await self._give_up(row.id, OutboxStatus.FAILED, reason)
            log.exception(
                "outbox message cannot be sent", extra={"outbox_id": row.id, "error": reason}
            )
            return
        self._limiter.succeeded()
        await self._record_sent(row.id, Unrecorded(delivery, month, self._clock.now()))

    async def _record_sent(self, outbox_id: int, sent: Unrecorded) -> None:
        """Mark the row sent and count its cost; if the database refuses, the row is remembered
        as delivered, so the next pass records it instead of sending it again."""
        self._unrecorded[outbox_id] = sent
        async with self._sessions.begin() as session:
            await mark_sent(
                session=session,
                message_id=outbox_id,
                now=sent.sent_at,
                process_query_key=sent.delivery.process_query_key,
            )
            await add_usage(
                session=session,
                month=sent.month,
                metered_api_calls=sent.delivery.metered,
                session_replies=sent.delivery.session_replies,
            )
            missed = sent.delivery.missed
            if missed is not None:
                for again in redelivery_rows(missed.card, missed.spaces, now=sent.sent_at):
                    await enqueue(session=session, message=again)
        del self._unrecorded[outbox_id]

    async def _give_up(self, outbox_id: int, status: OutboxStatus, error: str) -> None:
        async with self._sessions.begin() as session:
            await mark_given_up(session=session, message_id=outbox_id, status=status, error=error)

    async def _over_budget(self, month: str) -> bool:
        async with self._sessions() as session:
            usage = await usage_for(session=session, month=month)
        return usage.metered_api_calls >= self._settings.limits.monthly_api_budget

    async def _failed(self, row: OutboxMessage, error: DingTalkError) -> None:
        assert row.id is not None
        if error.throttled:
            self._limiter.throttled()
        attempts = row.attempts + 1
        retry = error.transient and attempts < self._settings.limits.outbox_max_attempts
        async with self._sessions.begin() as session:
            if retry:
                await schedule_retry(
                    session=session,
                    message_id=row.id,
                    now=self._clock.now(),
                    delay=retry_delay(row.attempts),
                    error=str(error),
                )
            else:
                await mark_given_up(
                    session=session,
                    message_id=row.id,
                    status=OutboxStatus.FAILED,
                    error=str(error),
                )
        if error.quota_exhausted:
            log.error("DingTalk's monthly API quota is used up; nothing more goes out this month")
        level = logging.INFO if retry else logging.ERROR
        log.log(
            level,
            "outbox send failed",
            extra={"outbox_id": row.id, "attempts": attempts, "retry": retry, "error": str(error)},
        )

    async def _send(self, message: OutgoingMessage, now: datetime, row: OutboxMessage) -> Delivery:
        """Deliver ``message``, read from ``row``; returns what it cost and DingTalk's
        read-tracking key."""
        assert row.id is not None
        match message:
            case CardDelivery():
                return await self._deliver_card(message, row)
            case CardUpdate():
                return await self._update_card(message)
            case ReplyMessage():
                return await self._reply(message, now, row.id)
            case GroupMessage():
                return await self._to_group(message.conversation_id, _markdown(message))

    async def _deliver_card(self, card: CardDelivery, row: OutboxMessage) -> Delivery:
        """Create and deliver a card under this installation's id for it; a space DingTalk
        reports as missed gets a row of its own (:meth:`_redeliver_card`).

        When an earlier attempt of this row created the card, which spaces it missed was lost
        with that attempt's answer (or with the bot, stopped before recording it): the card is
        delivered again into all of the row's spaces. The sandbox keeps one copy per space;
        whether DingTalk shows a space that has the card a second copy is unverified."""
        assert row.id is not None
        if card.redelivery:
            return await self._redeliver_card(card, attempts=row.attempts)
        tried_before = row.attempts > 0 or row.card_created_at is not None
        if not tried_before:
            async with self._sessions.begin() as session:
                await mark_card_created(session=session, message_id=row.id, now=self._clock.now())
        wire = await self._wire_id(card.out_track_id)
        try:
            missed = await self._client.create_and_deliver_card(
                out_track_id=wire,
                public=card.public,
                private=card.private,
                conversation_id=card.conversation_id,
                mentions=card.mentions,
                staff_ids=() if card.conversation_id else card.user_ids,
            )
        except DingTalkError as error:
            if not error.card_already_exists:
                raise
            if tried_before:
                log.info(
                    "card already created by an earlier attempt; delivering it again",
                    extra={"outbox_id": row.id},
                )
                missed = await self._client.deliver_card(
                    out_track_id=wire,
                    conversation_id=card.conversation_id,
                    staff_ids=card.user_ids,
                )
                return self._card_delivered(card, missed, row.id, metered=2)
            log.exception(
                "card id already taken at DingTalk; the card was not sent",
                extra={"outbox_id": row.id, "out_track_id": card.out_track_id},
            )
            raise
        return self._card_delivered(card, missed, row.id, metered=1)

    @staticmethod
    def _card_delivered(
        card: CardDelivery, missed: list[str], outbox_id: int, *, metered: int
    ) -> Delivery:
        if not missed:
            return Delivery(metered=metered)
        log.warning(
            "card not delivered to some spaces; each is retried on its own row",
            extra={"outbox_id": outbox_id, "spaces": missed},
        )
        return Delivery(metered=metered, missed=MissedSpaces(card, tuple(missed)))

    async def _redeliver_card(self, card: CardDelivery, *, attempts: int) -> Delivery:
        """One missed space, again; when its last attempt misses too, the row fails (so the
        health view counts it) and the card's words go as a robot message instead."""
        missed = await self._client.deliver_card(
            out_track_id=await self._wire_id(card.out_track_id),
            conversation_id=card.conversation_id,
            staff_ids=card.user_ids,
        )
        if not missed:
            return Delivery(metered=1)
        last_attempt = attempts + 1 >= self._settings.limits.outbox_max_attempts
        if last_attempt:
            async with self._sessions.begin() as session:
                await enqueue(
                    session=session,
                    message=fallback_row(
                        card, language=self._settings.org.language, now=self._clock.now()
                    ),
                )
        # Not really a server error; 503 makes it retried with backoff like one.
        raise DingTalkError(
            400 if last_attempt else 503,
            "deliverResults",
            f"card {card.out_track_id} not delivered to {', '.join(missed)}"
            + ("; sent as a robot message instead" if last_attempt else ""),
        )

    async def _wire_id(self, card_id: str) -> str:
        return wire_id(card_id, await self._installation.get())

    async def _update_card(self, update: CardUpdate) -> Delivery:
        await self._client.update_card(
            out_track_id=await self._wire_id(update.out_track_id),
            public=update.public,
            private=update.private,
        )
        return Delivery(metered=1)

    async def _reply(self, reply: ReplyMessage, now: datetime, outbox_id: int) -> Delivery:
        """Through the session webhook while it lives (free), else through the OpenAPI."""
        webhook_alive = (
            reply.session_webhook is not None
            and reply.session_webhook_expires_at is not None
            and reply.session_webhook_expires_at - WEBHOOK_SAFETY_MARGIN > now
        )
        if webhook_alive and not self._client.trusts_session_webhook(reply.session_webhook or ""):
            log.warning(
                "session webhook not on DingTalk's hosts; using the OpenAPI",
                extra={"outbox_id": outbox_id, "webhook": reply.session_webhook},
            )
            webhook_alive = False
        if webhook_alive:
            assert reply.session_webhook is not None
            try:
                await self._client.reply_by_session(reply.session_webhook, _webhook_body(reply))
            except DingTalkError as error:
                if error.transient:
                    raise
                # An expired or revoked session: the OpenAPI can still reach the conversation.
                log.info("session webhook refused; using the OpenAPI", extra={"error": str(error)})
            else:
                return Delivery(session_replies=1)
        if reply.conversation_id:
            return await self._to_group(reply.conversation_id, _markdown(reply))
        return await self._to_people(reply.user_ids, _markdown(reply), outbox_id)

    async def _to_group(self, conversation_id: str, markdown: dict[str, str]) -> Delivery:
        sent = await self._client.send_group_message(conversation_id, "sampleMarkdown", markdown)
        return Delivery(metered=1, process_query_key=sent.process_query_key)

    async def _to_people(
        self, user_ids: list[str], markdown: dict[str, str], outbox_id: int
    ) -> Delivery:
        private = await self._client.send_private_messages(user_ids, "sampleMarkdown", markdown)
        if private.invalid_user_ids or private.throttled_user_ids:
            # Accepted for the others; these people's copy is lost, so it is at least logged.
            log.warning(
                "1:1 message not delivered to some",
                extra={
                    "outbox_id": outbox_id,
                    "invalid": private.invalid_user_ids,
                    "throttled": private.throttled_user_ids,
                },
            )
        return Delivery(metered=1, process_query_key=private.process_query_key)


def _markdown(message: ReplyMessage | GroupMessage) -> dict[str, str]:
    return {"title": message.title, "text": message.text}


def _webhook_body(reply: ReplyMessage) -> dict[str, Any]:
    mentions = reply.at_user_ids
    text = reply.text
    if mentions:
        # DingTalk highlights a mention only when the text itself names the person.
        text = " ".join(f"@{staff_id}" for staff_id in mentions) + "\n\n" + text
    return {
        "msgtype": "markdown",
        "markdown": {"title": reply.title, "text": text},
        "at": {"atUserIds": mentions, "isAtAll": False},
    }
