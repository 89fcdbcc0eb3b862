"""Telling people about changes to a shift they are on, after it was announced.

Editing or cancelling an announced shift records a ``shift_change`` row (storage.shifts); this
pass of the due-work job turns each into a private card to everyone on the shift, an update of
the open backfill offers' cards (closed if the shift was cancelled) and, when the
confirm card is out, an update of that card. The row is marked notified in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cards import out_track_id
from core.messages import Language, Phrase, text
from core.messages.shifts import FIELD_NAMES
from core.outgoing import card_update_row
from core.settings import Settings
from jobs.runner import JobDeps, each_in_own_transaction
from jobs.steps import by_language, site_group
from planner.lifecycle import Step
from services.backfill import follow_shift_change
from services.render import shift_block, when_label
from services.shift_cards import confirm_card, queue_notice
from storage.lifecycle import find_change, handled_steps, unnotified_changes
from storage.models import ON_SHIFT, Shift, ShiftChange, Site
from storage.outbox import enqueue
from storage.shifts import find_shift, people_on


async def notify_changes(deps: JobDeps, now: datetime) -> int:
    """Queue the messages and card updates for every change not yet told; returns how many."""
    return await each_in_own_transaction(
        deps,
        now=now,
        due=lambda session: unnotified_changes(session=session),
        step=_notify,
        what="change notification",
        id_name="change",
    )


async def _notify(session: AsyncSession, change_id: int, settings: Settings, now: datetime) -> int:
    change = await find_change(session=session, change_id=change_id)
    if change is None or change.notified_at is not None:
        return 0  # told by a concurrent pass since the list was read
    # Locked like a take tap: the shift's open offers may be closed below.
    shift = await find_shift(session=session, shift_id=change.shift_id, for_update=True)
    found = await site_group(session, shift) if shift else None
    if shift is not None and found is not None:
        site, _ = found
        people = [
            (a, v)
            for a, v in await people_on(session=session, shift_id=change.shift_id)
            if a.state in ON_SHIFT
        ]
        for language, readers in by_language([v for _, v in people], settings).items():
            await queue_notice(
                session,
                kind=f"change_{change.revision}",
                shift_id=change.shift_id,
                people=readers,
                title=text("change.title", language, id=shift.id),
                body=_change_text(change, shift, site, settings, language),
                language=language,
                now=now,
            )
        await follow_shift_change(session, shift=shift, site=site, settings=settings, now=now)
        if Step.CONFIRM in await handled_steps(session=session, shift_id=shift.id or 0):
            await _update_card(session, change, shift=shift, site=site, settings=settings, now=now)
    change.notified_at = now
    session.add(change)
    return 1


def _change_text(
    change: ShiftChange, shift: Shift, site: Site, settings: Settings, language: Language
) -> str:
    if change.kind == "cancel":
        reason = shift.cancel_reason or text("shift.empty_value", language)
        when = when_label(shift, settings.org.zone, language)
        return text(
            "change.cancelled", language, id=shift.id, when=when, site=site.name, reason=reason
        )
    lines = [text("change.edited", language, id=shift.id)]
    lines += [
        text(
            "shift.change_line",
            language,
            field=Phrase(FIELD_NAMES[field]),
            before=before or text("shift.empty_value", language),
            after=after or text("shift.empty_value", language),
        )
        for field, (before, after) in change.changes.items()
    ]
    return "\n".join(lines) + "\n\n" + shift_block(shift, site, settings, language)


async def _update_card(
    session: AsyncSession,
    change: ShiftChange,
    *,
    shift: Shift,
    site: Site,
    settings: Settings,
    now: datetime,
) -> None:
    assert shift.id is not None
    language = settings.org.language
    if change.kind == "cancel":
        public = {
            "status": text("card.cancelled", language),
            "buttons": "[]",
        }
    else:
        card = confirm_card(
            shift,
            site,
            await people_on(session=session, shift_id=shift.id),
            settings.org.zone,
            language,
        )
        variables = card.public_variables(language)
        public = {key: variables[key] for key in ("title", "body", "status")}
    row = card_update_row(
        out_track_id("confirm", shift.id), public=public, version=f"r{change.revision}", now=now
    )
    await enqueue(session=session, message=row)
