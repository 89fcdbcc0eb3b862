"""The due-work job's backfill pass: offers nobody took by their deadline expire.

Each expired offer's card is closed (no button, "offer closed"), and when the shift still has
free seats the coordinators are told privately, naming who was asked; they can still
``/assign`` someone. Offers on a shift cancelled or started meanwhile just expire. One
transaction per shift, with the shift row locked like a ``take`` tap, so a tap and the
deadline cannot both win.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.messages import join_list, text
from core.settings import Settings
from jobs.runner import JobDeps, each_in_own_transaction
from jobs.steps import site_group
from services.backfill import close_offers_saying, notify_coordinators
from services.render import shift_block
from storage.models import OfferState, ShiftStatus
from storage.offers import expired_offers, shifts_with_expired_offers
from storage.shifts import find_shift, seats_taken

log = logging.getLogger(__name__)


async def expire_offers(deps: JobDeps, now: datetime) -> int:
    """Expire every open offer past its deadline; returns how many expired."""
    return await each_in_own_transaction(
        deps,
        now=now,
        due=lambda session: shifts_with_expired_offers(session=session, now=now),
        step=_expire,
        what="expiring offers",
        id_name="shift",
    )


async def _expire(session: AsyncSession, shift_id: int, settings: Settings, now: datetime) -> int:
    shift = await find_shift(session=session, shift_id=shift_id, for_update=True)
    if shift is None:
        return 0
    due = await expired_offers(session=session, shift_id=shift_id, now=now)
    if not due:
        return 0  # taken or expired by someone else since the list was read
    cancelled = shift.status == ShiftStatus.CANCELLED
    await close_offers_saying(
        session,
        due,
        state=OfferState.EXPIRED,
        settings=settings,
        status_key="backfill.status_cancelled" if cancelled else "backfill.status_expired",
        my_status_key="card.shift_cancelled" if cancelled else "backfill.expired",
        now=now,
    )
    vacancies = shift.headcount - await seats_taken(session=session, shift_id=shift_id)
    found = await site_group(session, shift)
    if cancelled or shift.starts_at <= now or vacancies <= 0 or found is None:
        return len(due)
    site, _ = found
    language = settings.org.language
    asked = join_list([volunteer.nickname for _, volunteer in due], language)
    body = "\n\n".join(
        [
            shift_block(shift, site, settings, language),
            text("backfill.unfilled", language, id=shift_id, names=asked, vacancies=vacancies),
        ]
    )
    last = max(offer.id or 0 for offer, _ in due)
    await notify_coordinators(
        session,
        settings,
        kind=f"unfilled_{last}",
        shift_id=shift_id,
        title=text("backfill.unfilled_title", language, id=shift_id),
        body=body,
        now=now,
    )
    log.info("backfill offers expired", extra={"shift": shift_id, "offers": len(due)})
    return len(due)
