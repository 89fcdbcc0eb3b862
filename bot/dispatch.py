"""One incoming event -> one transaction: the dedup record, the handler's changes, its replies.

The replies are outbox rows written in that same transaction and sent after it commits, so a
crash can neither lose a reply to a handled message nor handle a message twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cards import MERGE_BY_KEY, ack_response
from core.clock import Clock
from core.commands import Command, CommandSyntaxError, parse_command
from core.incoming import CardTap, ChatMessage
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
from storage.database import SessionFactory
from storage.events import DuplicateEvent, find_processed, record_processed
from storage.models import Volunteer
from storage.outbox import enqueue
from storage.roles import find_grant
from storage.usage import add_usage
from storage.volunteers import find_volunteer

log = logging.getLogger(__name__)
MESSAGE_ACK = "OK"
# Merge-by-key with nothing in it: leaves every variable of the card as it is.
UNCHANGED_CARD = {"cardUpdateOptions": MERGE_BY_KEY}


@dataclass(frozen=True)
class Outcome:
    ack: object
    """What goes into the ACK's ``response``."""


class Dispatcher:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        settings: Settings,
        clock: Clock,
        commands: Router,
        taps: TapRouter,
        on_committed: Callable[[], None],
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._commands = commands
        self._taps = taps
        self._on_committed = on_committed
        self._installation = InstallationTag(sessions, clock)

    async def on_message(self, message: ChatMessage) -> Outcome:
        key = f"msg:{message.msg_id}"
        now = self._clock.now()
        try:
            async with self._sessions.begin() as session:
                processed = await find_processed(session=session, key=key)
                if processed is not None:
                    return Outcome(ack=json.loads(processed.ack))
                await record_processed(
                    session=session, key=key, ack=json.dumps(MESSAGE_ACK), processed_at=now
                )
                staff_id = message.sender.staff_id
                volunteer = (
                    await find_volunteer(session=session, staff_id=staff_id) if staff_id else None
                )
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
                        message=reply_row(
                            message, reply, sequence=sequence, now=now, language=language
                        ),
                    )
                await add_usage(
                    session=session,
                    month=month_of(now, self._settings.org.zone),
                    stream_deliveries=1,
                )
        except DuplicateEvent:
            log.info("duplicate delivery settled by another transaction", extra={"key": key})
            return Outcome(ack=MESSAGE_ACK)
        self._on_committed()
        return Outcome(ack=MESSAGE_ACK)

    async def on_card_tap(self, tap: CardTap) -> Outcome:
        """A button tap: the roster change and its dedup record in one transaction; the ACK
        carries the card's new public status and the tapper's own."""
        key = f"tap:{tap.event_id}"
        now = self._clock.now()
        installation = await self._installation.get()
        try:
            async with self._sessions.begin() as session:
                processed = await find_processed(session=session, key=key)
                if processed is not None:
                    return Outcome(ack=json.loads(processed.ack))
                event = await record_processed(
                    session=session, key=key, ack="{}", processed_at=now
                )
                volunteer = await find_volunteer(session=session, staff_id=tap.staff_id)
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
                event.ack = json.dumps(response)
                session.add(event)
                await add_usage(
                    session=session,
                    month=month_of(now, self._settings.org.zone),
                    stream_deliveries=1,
                )
        except DuplicateEvent:
            # The other delivery's transaction answers the tap; this ACK changes nothing.
            return Outcome(ack=UNCHANGED_CARD)
        self._on_committed()
        return Outcome(ack=response)

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
                spec, card = await self._taps.admit(
                    tap, installation=installation, session=session, volunteer=volunteer
                )
                context = TapContext(
                    session=session,
                    tap=tap,
                    card=card,
                    settings=self._settings,
                    now=now,
                    volunteer=volunteer,
                    language=language,
                )
                return await spec.handler(context)
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
