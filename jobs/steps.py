"""What each lifecycle step puts in the outbox, inside the due-work job's transaction."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbox import card_row
from bot.settings import Settings
from handlers.shift_cards import confirm_card
from storage.outbox import enqueue
from storage.shifts import find_shift, people_on
from storage.sites import find_site

log = logging.getLogger(__name__)


async def queue_confirm_card(
    *, session: AsyncSession, shift_id: int, settings: Settings, now: datetime
) -> bool:
    """Queue the shift's confirm card for its site's group; False when it has nowhere to go."""
    shift = await find_shift(session=session, shift_id=shift_id)
    site = await find_site(session=session, site_id=shift.site_id) if shift else None
    if shift is None or site is None or site.conversation_id is None:
        log.warning(
            "confirm card not sent: the shift's site has no group", extra={"shift": shift_id}
        )
        return False
    card = confirm_card(
        shift,
        site,
        await people_on(session=session, shift_id=shift_id),
        settings.org.zone,
        settings.org.language,
    )
    row = card_row(card, conversation_id=site.conversation_id, language=settings.org.language,
                   now=now)  # fmt: skip
    return await enqueue(session=session, message=row)
