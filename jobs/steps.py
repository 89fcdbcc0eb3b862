"""What each lifecycle step puts in the outbox, inside the due-work job's transaction.

Every row has a dedup key naming the shift and the step, so a step can never queue the same
message twice, whatever happens to the process in between.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import Language, join_list, reader_language, text
from bot.outbox import KIND_GROUP, KIND_PRIVATE, card_row, private_rows
from bot.settings import Settings
from handlers.render import details_lines, when_label
from handlers.shift_cards import confirm_card
from storage.models import HOLDS_A_SEAT, AssignmentState, OutboxMessage, Shift, Site, Volunteer
from storage.outbox import enqueue
from storage.roles import coordinator_ids
from storage.shifts import people_on
from storage.sites import find_site

log = logging.getLogger(__name__)


async def site_group(session: AsyncSession, shift: Shift) -> tuple[Site, str] | None:
    site = await find_site(session=session, site_id=shift.site_id)
    if site is None or site.conversation_id is None:
        log.warning("shift's site has no group; nothing sent", extra={"shift": shift.id})
        return None
    return site, site.conversation_id


def _message(
    dedup_key: str,
    title: str,
    body: str,
    now: datetime,
    *,
    conversation_id: str | None = None,
    user_ids: Sequence[str] = (),
    essential: bool = True,
) -> OutboxMessage:
    return OutboxMessage(
        dedup_key=dedup_key,
        kind=KIND_GROUP if conversation_id else KIND_PRIVATE,
        conversation_id=conversation_id,
        user_ids=list(user_ids),
        payload={"title": title, "text": body},
        essential=essential,
        next_attempt_at=now,
        created_at=now,
    )


async def queue_private(
    session: AsyncSession,
    key: str,
    *,
    title: str,
    body: str,
    people: Sequence[str],
    now: datetime,
) -> int:
    """The same message to ``people``, in DingTalk-sized batches; returns rows queued."""
    queued = 0
    for row in private_rows(key, title=title, body=body, people=people, now=now):
        queued += await enqueue(session=session, message=row)
    return queued


def shift_block(shift: Shift, site: Site, settings: Settings, language: Language) -> str:
    """The shift as one block of lines: ``#42 六 12-06 09:00–12:00 Site``, title, details."""
    when = when_label(shift, settings.org.zone, language)
    lines = [f"**#{shift.id} {when} {site.name}**"]
    if shift.title:
        lines.append(shift.title)
    return "\n".join(lines + details_lines(shift, language))


async def queue_announcement(
    *, session: AsyncSession, shift: Shift, settings: Settings, now: datetime
) -> bool:
    """The group announcement (a robot group message: its read status can be asked for)."""
    found = await site_group(session, shift)
    if found is None:
        return False
    site, conversation_id = found
    language = settings.org.language
    people = [
        v.nickname
        for a, v in await people_on(session=session, shift_id=shift.id or 0)
        if a.state in HOLDS_A_SEAT
    ]
    lines = [text("announce.header", language), shift_block(shift, site, settings, language)]
    lines.append(
        text(
            "announce.people",
            language,
            count=len(people),
            headcount=shift.headcount,
            names=join_list(people, language) if people else "—",
        )
    )
    title = text("announce.title", language, id=shift.id)
    row = _message(
        f"announce:{shift.id}", title, "\n\n".join(lines), now, conversation_id=conversation_id
    )
    shift.announced_at = now
    session.add(shift)
    return await enqueue(session=session, message=row)


async def queue_confirm_card(
    *,
    session: AsyncSession,
    shift: Shift,
    settings: Settings,
    now: datetime,
    reminder: bool = False,
) -> bool:
    """The confirm card for the site's group; ``reminder`` when the T−24 h reminder rides on it."""
    found = await site_group(session, shift)
    if found is None:
        return False
    site, conversation_id = found
    card = confirm_card(
        shift,
        site,
        await people_on(session=session, shift_id=shift.id or 0),
        settings.org.zone,
        settings.org.language,
        starts_soon=reminder,
    )
    row = card_row(card, conversation_id=conversation_id, language=settings.org.language, now=now)
    return await enqueue(session=session, message=row)


async def coordinators(*, session: AsyncSession, settings: Settings) -> list[str]:
    """Who hears about non-responders and vacancies: admins and coordinators."""
    return await coordinator_ids(session=session, admins=settings.org.admins)


async def queue_nudges(
    *, session: AsyncSession, shift: Shift, settings: Settings, now: datetime
) -> int:
    """A private nudge to whoever has not answered, and a summary for coordinators."""
    found = await site_group(session, shift)
    if found is None:
        return 0
    site, _ = found
    people = await people_on(session=session, shift_id=shift.id or 0)
    waiting = [v for a, v in people if a.state == AssignmentState.INVITED]
    holding = sum(1 for a, _ in people if a.state in HOLDS_A_SEAT)
    queued = 0
    by_language: dict[Language, list[Volunteer]] = {}
    for volunteer in waiting:
        reader = reader_language(volunteer.language_preference, settings.org.language)
        by_language.setdefault(reader, []).append(volunteer)
    for language, readers in by_language.items():
        body = "\n\n".join(
            [text("nudge.body", language), shift_block(shift, site, settings, language)]
        )
        queued += await queue_private(
            session,
            f"nudge:{shift.id}:{language}",
            title=text("nudge.title", language, id=shift.id),
            body=body,
            people=[v.staff_id for v in readers],
            now=now,
        )
    vacancies = max(shift.headcount - holding, 0)
    if waiting or vacancies:
        language = settings.org.language
        names = join_list([v.nickname for v in waiting], language) if waiting else "—"
        body = "\n\n".join(
            [
                shift_block(shift, site, settings, language),
                text(
                    "nudge.summary",
                    language,
                    waiting=len(waiting),
                    names=names,
                    vacancies=vacancies,
                ),
            ]
        )
        queued += await queue_private(
            session,
            f"nudge-summary:{shift.id}",
            title=text("nudge.summary_title", language, id=shift.id),
            body=body,
            people=await coordinators(session=session, settings=settings),
            now=now,
        )
    return queued


async def queue_reminders(
    *, session: AsyncSession, shift: Shift, settings: Settings, now: datetime
) -> int:
    """The T−24 h reminder, privately, to the confirmed volunteers only."""
    found = await site_group(session, shift)
    if found is None:
        return 0
    site, _ = found
    confirmed = [
        v
        for a, v in await people_on(session=session, shift_id=shift.id or 0)
        if a.state == AssignmentState.CONFIRMED
    ]
    by_language: dict[Language, list[str]] = {}
    for volunteer in confirmed:
        reader = reader_language(volunteer.language_preference, settings.org.language)
        by_language.setdefault(reader, []).append(volunteer.staff_id)
    queued = 0
    for language, staff_ids in by_language.items():
        lines = [text("remind.body", language), shift_block(shift, site, settings, language)]
        if shift.health_declaration:
            lines.append(text("remind.health", language))
        queued += await queue_private(
            session,
            f"remind:{shift.id}:{language}",
            title=text("remind.title", language, id=shift.id),
            body="\n\n".join(lines),
            people=staff_ids,
            now=now,
        )
    return queued
