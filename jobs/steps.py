"""What each lifecycle step puts in the outbox, inside the due-work job's transaction.

Every row has a dedup key naming the shift and the step, so a step can never queue the same
message twice, whatever happens to the process in between. What goes to people privately is a
card with a fixed outTrackId (services.shift_cards.queue_notice), so it is never delivered twice
either; only the group announcement is a robot message (its read status can be asked for).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cards import fit_list, status_line
from core.messages import Language, Markdown, inert, join_list, reader_language, text
from core.outgoing import card_row, group_row
from core.settings import Settings
from services.backfill import notify_coordinators
from services.render import shift_block
from services.shift_cards import answer_buttons, confirm_card, queue_notice, withdraw_button
from storage.models import HOLDS_A_SEAT, AssignmentState, Shift, Site, Volunteer
from storage.outbox import enqueue
from storage.shifts import people_on
from storage.sites import find_site

log = logging.getLogger(__name__)


async def site_group(session: AsyncSession, shift: Shift) -> tuple[Site, str] | None:
    site = await find_site(session=session, site_id=shift.site_id)
    if site is None or site.conversation_id is None:
        log.warning("shift's site has no group; nothing sent", extra={"shift": shift.id})
        return None
    return site, site.conversation_id


def by_language(people: Sequence[Volunteer], settings: Settings) -> dict[Language, list[str]]:
    """Staff ids by the language each reads: one card per language."""
    readers: dict[Language, list[str]] = {}
    for volunteer in people:
        language = reader_language(volunteer.language_preference, settings.org.language)
        readers.setdefault(language, []).append(volunteer.staff_id)
    return readers


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
    row = group_row(
        f"announce:{shift.id}",
        title=title,
        body="\n\n".join(lines),
        conversation_id=conversation_id,
        now=now,
        language=language,
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


async def queue_nudges(
    *, session: AsyncSession, shift: Shift, settings: Settings, now: datetime
) -> int:
    """A private nudge card, with the answer buttons, to whoever has not answered; a summary
    for coordinators."""
    assert shift.id is not None
    found = await site_group(session, shift)
    if found is None:
        return 0
    site, _ = found
    people = await people_on(session=session, shift_id=shift.id)
    waiting = [v for a, v in people if a.state == AssignmentState.INVITED]
    holding = sum(1 for a, _ in people if a.state in HOLDS_A_SEAT)
    confirmed = sum(1 for a, _ in people if a.state == AssignmentState.CONFIRMED)
    queued = 0
    for language, readers in by_language(waiting, settings).items():
        queued += await queue_notice(
            session,
            kind="nudge",
            shift_id=shift.id,
            people=readers,
            title=text("nudge.title", language, id=shift.id),
            body="\n\n".join(
                [text("nudge.body", language), shift_block(shift, site, settings, language)]
            ),
            language=language,
            now=now,
            status=status_line(confirmed, shift.headcount, language),
            buttons=answer_buttons(shift.id, language),
            my_status=text("card.my_pending", language),
        )
    vacancies = max(shift.headcount - holding, 0)
    if waiting or vacancies:
        language = settings.org.language
        # A card variable: a long list of names ends "… and N more" to leave room for the rest.
        # Made inert before it is measured, as inert characters can take three times the bytes.
        names = (
            Markdown(fit_list([inert(v.nickname) for v in waiting], language)) if waiting else "—"
        )
        summary = text(
            "nudge.summary", language, waiting=len(waiting), names=names, vacancies=vacancies
        )
        queued += await notify_coordinators(
            session,
            settings,
            kind="nsum",
            essential=False,  # the same is in /roster; dropped first when the budget runs out
            shift_id=shift.id,
            title=text("nudge.summary_title", language, id=shift.id),
            body="\n\n".join([shift_block(shift, site, settings, language), summary]),
            now=now,
        )
    return queued


async def queue_reminders(
    *, session: AsyncSession, shift: Shift, settings: Settings, now: datetime
) -> int:
    """The T−24 h reminder card, privately, to the confirmed volunteers only; its one button
    withdraws, which offers the seat to someone else at once."""
    assert shift.id is not None
    found = await site_group(session, shift)
    if found is None:
        return 0
    site, _ = found
    confirmed = [
        v
        for a, v in await people_on(session=session, shift_id=shift.id)
        if a.state == AssignmentState.CONFIRMED
    ]
    queued = 0
    for language, readers in by_language(confirmed, settings).items():
        lines = [text("remind.body", language), shift_block(shift, site, settings, language)]
        if shift.health_declaration:
            lines.append(text("remind.health", language))
        queued += await queue_notice(
            session,
            kind="remind",
            shift_id=shift.id,
            people=readers,
            title=text("remind.title", language, id=shift.id),
            body="\n\n".join(lines),
            language=language,
            now=now,
            status=status_line(len(confirmed), shift.headcount, language),
            buttons=withdraw_button(shift.id, language),
            my_status=text("card.my_confirmed", language),
        )
    return queued
