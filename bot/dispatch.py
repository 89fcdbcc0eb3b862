"""One incoming event -> one transaction: the dedup record, the handler's changes, its replies.

A chat message is answered from its inbox row (``bot/inbox.py`` received and ACKed it before):
the row is marked handled in the transaction that answers it. A card tap is answered inside its
ACK. The replies are outbox rows written in that same transaction and sent after it commits, so
a crash can neither lose a reply to a handled message nor handle a message twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.batching import GroupCommit
from core.cards import MERGE_BY_KEY, ack_response
from core.clock import Clock
from core.commands import Command, CommandSyntaxError, parse_command
from core.incoming import CardTap, ChatMessage, chat_message_from_payload
from core.installation import InstallationTag
from core.messages import Language, bilingual, quoted, reader_language
from core.outgoing import month_of, reply_row
from core.router import (
    CommandContext,
    CommandSpec,
    Reply,
    Router,
    UsageError,
    overview,
    usage_reply,
)
from core.settings import Settings
from core.taps import TapContext, TapIgnored, TapRefused, TapResult, TapRouter
from planner.permissions import Role
from storage.database import SessionFactory, database_unavailable
from storage.events import (
    DuplicateEvent,
    find_processed,
    find_processed_among,
    record_all_processed,
    record_processed,
)
from storage.inbox import mark_handled
from storage.models import InboxMessage, ProcessedEvent, Volunteer
from storage.outbox import enqueue
from storage.roles import find_grant
from storage.usage import add_usage
from storage.volunteers import find_volunteer, find_volunteers

log = logging.getLogger(__name__)
MESSAGE_ACK = "OK"
# A batch of taps must commit well inside the card ACK deadline (bot/stream.py).
TAP_BATCH = 64
# Merge-by-key with nothing in it: leaves every variable of the card as it is.
UNCHANGED_CARD = {"cardUpdateOptions": MERGE_BY_KEY}


@dataclass(frozen=True)
class Outcome:
    ack: object
    """What goes into the ACK's ``response``."""


@dataclass(frozen=True)
class _FirstTap:
    """A tap recorded for the first time: it counts as a stream delivery."""

    outcome: Outcome


class Dispatcher:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        settings: Settings,
        clock: Clock,
        commands: Router,
        taps: TapRouter,
        installation: InstallationTag,
        on_committed: Callable[[], None],
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._commands = commands
        self._taps = taps
        self._on_committed = on_committed
        self._installation = installation
        self._tap_batches = GroupCommit[CardTap, Outcome](self._write_taps, max_batch=TAP_BATCH)

    async def handle_inbox_message(self, row: InboxMessage) -> None:
        """Answer one received message: its dedup record, the handler's changes, its replies and
        the row marked handled, in one transaction."""
        assert row.id is not None
        now = self._clock.now()
        try:
            message = chat_message_from_payload(row.payload)
        except ValueError:
            # Not one of ours (a newer version wrote it?): skipped, or it would block the rest.
            log.exception("inbox row is not a chat message", extra={"inbox_id": row.id})
            await self._mark_handled(row.id, now)
            return
        key = f"msg:{message.msg_id}"
        try:
            async with self._sessions.begin() as session:
                await mark_handled(session=session, inbox_id=row.id, now=now)
                if await find_processed(session=session, key=key) is not None:
                    return
                await record_processed(
                    session=session, key=key, ack=json.dumps(MESSAGE_ACK), processed_at=now
                )
                await self._answer_message(session, message, now=now)
        except DuplicateEvent:
            log.info("message answered by another transaction", extra={"key": key})
            await self._mark_handled(row.id, now)
            return
        self._on_committed()

    async def give_up_inbox_message(self, row: InboxMessage) -> None:
        """Mark a message that cannot be answered handled, queueing the apology to its sender
        in the same transaction; just handled when even the apology cannot be written."""
        assert row.id is not None
        now = self._clock.now()
        try:
            message = chat_message_from_payload(row.payload)
            async with self._sessions.begin() as session:
                await mark_handled(session=session, inbox_id=row.id, now=now)
                staff_id = message.sender.staff_id
                volunteer = (
                    await find_volunteer(session=session, staff_id=staff_id) if staff_id else None
                )
                language = self._language_of(volunteer)
                apology = Reply(bilingual("error.internal", language))
                await enqueue(
                    session=session,
                    message=reply_row(message, apology, sequence=0, now=now, language=language),
                )
        except Exception as error:
            if database_unavailable(error):
                raise
            log.exception("no apology for a message given up", extra={"inbox_id": row.id})
            await self._mark_handled(row.id, now)
            return
        self._on_committed()

    async def _mark_handled(self, inbox_id: int, now: datetime) -> None:
        async with self._sessions.begin() as session:
            await mark_handled(session=session, inbox_id=inbox_id, now=now)

    async def _answer_message(
        self, session: AsyncSession, message: ChatMessage, *, now: datetime
    ) -> None:
        staff_id = message.sender.staff_id
        volunteer = await find_volunteer(session=session, staff_id=staff_id) if staff_id else None
        role, regions = await self._role_of(session, staff_id)
        language = self._language_of(volunteer)
        replies = await self._answer(
            session,
            message,
            now=now,
            language=language,
            volunteer=volunteer,
            role=role,
            regions=regions,
        )
        for sequence, reply in enumerate(replies):
            await enqueue(
                session=session,
                message=reply_row(message, reply, sequence=sequence, now=now, language=language),
            )

    async def on_card_tap(self, tap: CardTap) -> Outcome:
        """A button tap: the roster change and its dedup record committed before the ACK, which
        carries the card's new public status and the tapper's own.

        Taps arriving together share one transaction (each tap's handler in its savepoint), in
        the order they came: under a burst the database commits once per batch instead of once
        per tap.
        """
        return await self._tap_batches.submit(tap)

    async def _write_taps(self, taps: Sequence[CardTap]) -> list[Outcome | Exception]:
        now = self._clock.now()
        month = month_of(now, self._settings.org.zone)
        installation = await self._installation.get()
        try:
            async with self._sessions.begin() as session:
                # A write first: on SQLite it takes the write lock for the whole batch. A read
                # first would take a snapshot that another commit can make stale, failing the
                # batch's first write at once ("database is locked") instead of waiting.
                await add_usage(session=session, month=month, stream_deliveries=len(taps))
                # One query each for the whole batch's dedup records and tappers: per-statement
                # cost, not the database work, is what limits the taps per second.
                recorded = await find_processed_among(
                    session=session, keys=[_tap_key(tap) for tap in taps]
                )
                acks = {key: event.ack for key, event in recorded.items()}
                volunteers = await find_volunteers(
                    session=session, staff_ids={tap.staff_id for tap in taps}
                )
                answers = [
                    await self._tap_in_batch(
                        session,
                        tap,
                        installation=installation,
                        now=now,
                        volunteer=volunteers.get(tap.staff_id),
                        acks=acks,
                    )
                    for tap in taps
                ]
                # A concurrent delivery (another process) that recorded one first fails this
                # batch, whose taps are then retried alone: that one then answers as a duplicate.
                await record_all_processed(
                    session=session,
                    events=[
                        ProcessedEvent(
                            key=_tap_key(tap), ack=acks[_tap_key(tap)], processed_at=now
                        )
                        for tap, answer in zip(taps, answers, strict=True)
                        if isinstance(answer, _FirstTap)
                    ],
                )
                repeated = sum(1 for answer in answers if not isinstance(answer, _FirstTap))
                if repeated:
                    await add_usage(session=session, month=month, stream_deliveries=-repeated)
        except DuplicateEvent:
            if len(taps) == 1:
                # The other delivery's transaction answers the tap; this ACK changes nothing.
                return [Outcome(ack=UNCHANGED_CARD)]
            return [await self._write_tap_alone(tap) for tap in taps]
        except Exception:
            if len(taps) == 1:
                raise
            # Nothing of the batch was written: each tap again in its own transaction, so one
            # that cannot be applied does not take the others down.
            log.warning("a batch of taps failed; retrying each alone", exc_info=True)
            return [await self._write_tap_alone(tap) for tap in taps]
        self._on_committed()
        return [answer.outcome if isinstance(answer, _FirstTap) else answer for answer in answers]

    async def _write_tap_alone(self, tap: CardTap) -> Outcome | Exception:
        try:
            [answer] = await self._write_taps([tap])
        except Exception as error:  # the ACK reports it for this tap alone
            log.exception("card tap failed", extra={"event_id": tap.event_id})
            return error
        return answer

    async def _tap_in_batch(
        self,
        session: AsyncSession,
        tap: CardTap,
        *,
        installation: str,
        now: datetime,
        volunteer: Volunteer | None,
        acks: dict[str, str],
    ) -> _FirstTap | Outcome:
        """One tap in its batch's transaction. ``acks`` holds the answers recorded so far, by
        key, this batch's included, so a delivery of the same tap later in the batch finds it;
        the caller writes the new ones."""
        key = _tap_key(tap)
        recorded = acks.get(key)
        if recorded is not None:
            return Outcome(ack=json.loads(recorded))
        result = await self._run_tap(
            session, tap, installation=installation, now=now, volunteer=volunteer
        )
        response = (
            UNCHANGED_CARD
            if result is None
            else ack_response(
                status=result.status,
                my_status=result.my_status,
                result="ok" if result.accepted else "refused",
            )
        )
        acks[key] = json.dumps(response)
        return _FirstTap(Outcome(ack=response))

    async def _run_tap(
        self,
        session: AsyncSession,
        tap: CardTap,
        *,
        installation: str,
        now: datetime,
        volunteer: Volunteer | None,
    ) -> TapResult | None:
        """The tap's result; None for a tap on a card that is not ours, which changes nothing."""
        language = self._language_of(volunteer)
        try:
            # A savepoint, so that a tap refused or failing half-way leaves nothing behind.
            async with session.begin_nested():
                admitted = await self._taps.admit(
                    tap, installation=installation, session=session, volunteer=volunteer
                )
                context = TapContext(
                    session=session,
                    tap=tap,
                    card=admitted.card,
                    settings=self._settings,
                    now=now,
                    volunteer=volunteer,
                    language=language,
                    place=admitted.place,
                )
                return await admitted.spec.handler(context)
        except TapIgnored:
            log.warning(
                "tap on a card of another installation ignored",
                extra={"out_track_id": tap.out_track_id, "installation": installation},
            )
            return None
        except TapRefused as refused:
            return TapResult.refusal(language, refused.message_key, **refused.params)
        except Exception:
            log.exception("card tap failed", extra={"out_track_id": tap.out_track_id})
            return TapResult.refusal(language, "card.failed")

    def _language_of(self, volunteer: Volunteer | None) -> Language:
        preference = volunteer.language_preference if volunteer else None
        return reader_language(preference, self._settings.org.language)

    async def _role_of(
        self, session: AsyncSession, staff_id: str | None
    ) -> tuple[Role, tuple[str, ...]]:
        if staff_id is None:
            return Role.VOLUNTEER, ()
        if staff_id in self._settings.org.admins:
            return Role.ADMIN, ()
        grant = await find_grant(session=session, staff_id=staff_id)
        if grant is None:
            return Role.VOLUNTEER, ()
        return Role(grant.role), tuple(grant.regions)

    async def _answer(
        self,
        session: AsyncSession,
        message: ChatMessage,
        *,
        now: datetime,
        language: Language,
        volunteer: Volunteer | None,
        role: Role,
        regions: tuple[str, ...],
    ) -> list[Reply]:
        specs = self._commands.specs
        limit = self._settings.limits.max_message_chars
        if len(message.text) > limit:
            start = quoted(message.text)
            return [Reply(bilingual("error.message_too_long", language, limit=limit, start=start))]
        try:
            command = parse_command(message.text)
        except CommandSyntaxError as error:
            syntax = UsageError(error.message_key, **error.params)
            usage = usage_reply(None, syntax, language).text
            return [Reply(f"{usage}\n\n{overview(specs, language, role)}")]
        if command is None:
            return [Reply(overview(specs, language, role))]
        found = self._commands.find(command)
        if found is None:
            return [Reply(self._unknown(command, language, role))]
        spec, command = found
        if spec.needs_staff_id and message.sender.staff_id is None:
            return [Reply(bilingual("error.outside_org", language))]
        context = CommandContext(
            session=session,
            message=message,
            command=command,
            settings=self._settings,
            now=now,
            language=language,
            volunteer=volunteer,
            role=role,
            regions=regions,
            commands=specs,
        )
        return await self._run(spec, context)

    def _unknown(self, command: Command, language: Language, role: Role) -> str:
        """The name not found, the nearest command this person may run, and their commands."""
        typed = quoted("/" + command.name)
        lines = [bilingual("error.unknown_command", language, command=typed)]
        nearest = self._commands.closest(command, role)
        if nearest is not None:
            lines.append(bilingual("help.did_you_mean", language, command=nearest.name))
        lines.append(overview(self._commands.specs, language, role))
        return "\n\n".join(lines)

    async def _run(self, spec: CommandSpec, context: CommandContext) -> list[Reply]:
        try:
            self._commands.check(spec, context.command, context.role)
            # A savepoint, so that a handler refusing bad input half-way leaves nothing behind.
            async with context.session.begin_nested():
                return await spec.handler(context)
        except UsageError as error:
            return [usage_reply(spec, error, context.language)]
        except Exception:
            # A bug must not leave the person unanswered or half of their command applied: the
            # savepoint has rolled the handler back; the event and this reply still commit.
            log.exception(
                "handler failed", extra={"command": spec.name, "msg_id": context.message.msg_id}
            )
            return [Reply(bilingual("error.internal", context.language))]


def _tap_key(tap: CardTap) -> str:
    return f"tap:{tap.event_id}"
