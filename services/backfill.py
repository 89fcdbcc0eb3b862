"""Backfill: a seat that opens on a published shift is offered privately to the best matches.

- :func:`open_vacancy` runs in the transaction that opens the seat (a decline tap, ``/unassign``):
  it ranks the volunteers (:mod:`planner.matching`), records an :class:`~storage.models.Offer`
  each and queues their offer cards, one per person in their 1:1 chat with the robot
  (``ds-offer-<shift>-<staffId>``, one button: ``take``).
- :func:`take_offer` handles a ``take`` tap under the shift's row lock: the first tap books the
  seat (by the booking rules, plus the weekly cap) and confirms it; once the shift is full the
  other open offers are lost and their cards say so, and the group's confirm card shows the new
  count. Later tappers are told, privately, that the seat is gone; nothing changes for them.
- Offers nobody takes expire at their deadline (jobs.offers) and the coordinators are told.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cards import Button, Card, out_track_id, private_status
from core.messages import Language, join_list, reader_language, text
from core.outgoing import card_row, card_update_row
from core.settings import Settings
from planner.conflicts import Refusal
from planner.matching import MatchRules, Vacancy, over_weekly_cap, rank
from services.render import day_label, details_lines, when_label
from services.shift_cards import occasion, queue_group_card_update, queue_notice
from storage.models import (
    HOLDS_A_SEAT,
    AssignmentState,
    Offer,
    OfferState,
    Shift,
    ShiftStatus,
    Site,
    Volunteer,
)
from storage.offers import add_offer, backfill_candidates, close_offers, find_offer, offers_on
from storage.outbox import enqueue
from storage.roles import coordinator_ids
from storage.shifts import (
    book,
    bookings_of,
    lock_volunteer,
    people_on,
    respond,
    seats_taken,
    slot_of,
)
from storage.sites import find_site
from storage.volunteers import find_volunteer_by_id

TakeOutcome = Literal[
    "taken",
    "yours",
    "already_taken",
    "expired",
    "not_offered",
    "over_cap",
    "overlap",
    "already_booked",
    "past",
    "cancelled",
]


def match_rules(settings: Settings) -> MatchRules:
    schedule = settings.schedule
    return MatchRules(
        min_rest=schedule.min_rest,
        weekly_cap=schedule.weekly_cap,
        batch=schedule.offer_batch,
    )


def offer_deadline(shift: Shift, settings: Settings, now: datetime) -> datetime:
    """``offer_hours`` from now, but never after the shift starts."""
    return min(now + timedelta(hours=settings.schedule.offer_hours), shift.starts_at)


def offer_card(
    shift: Shift,
    site: Site,
    *,
    volunteer: Volunteer,
    deadline: datetime,
    settings: Settings,
    language: Language,
) -> Card:
    """The private offer: the shift's details, the deadline, one button (``take``)."""
    assert shift.id is not None
    zone = settings.org.zone
    local_deadline = deadline.astimezone(zone)
    lines = [text("backfill.card_intro", language, title=shift.title or site.code)]
    lines += details_lines(shift, language)
    lines.append(
        text(
            "backfill.card_deadline",
            language,
            deadline=f"{day_label(local_deadline.date(), language)} {local_deadline:%H:%M}",
        )
    )
    return Card(
        out_track_id=out_track_id("offer", shift.id, volunteer.staff_id),
        title=text(
            "backfill.card_title", language, when=when_label(shift, zone, language), site=site.name
        ),
        body="\n".join(lines),
        status=text("backfill.status_open", language),
        shift_id=shift.id,
        buttons=(Button(text("backfill.button_take", language), "take", shift.id),),
        private={volunteer.staff_id: private_status(text("backfill.my_open", language))},
    )


def _reader(volunteer: Volunteer, settings: Settings) -> Language:
    return reader_language(volunteer.language_preference, settings.org.language)


def _open_for_offers(shift: Shift, now: datetime) -> bool:
    return (
        shift.published_at is not None
        and shift.status == ShiftStatus.SCHEDULED
        and shift.starts_at > now
    )


async def open_vacancy(
    *,
    session: AsyncSession,
    shift: Shift,
    settings: Settings,
    now: datetime,
    vacated_by: Collection[int] = (),
    tell_coordinators: bool = True,
) -> list[Volunteer] | None:
    """Offer the shift's free seats to the best-ranked eligible volunteers, in the caller's
    transaction (the shift row locked by it). Returns who was offered; None when nothing is to
    be offered (not published, cancelled, started, or no free seat). With nobody to ask, the
    coordinators are told at once if ``tell_coordinators``."""
    assert shift.id is not None
    if not _open_for_offers(shift, now):
        return None
    taken = await seats_taken(session=session, shift_id=shift.id)
    if taken >= shift.headcount:
        return None
    site = await find_site(session=session, site_id=shift.site_id)
    if site is None:
        return None
    holding = [
        tuple(volunteer.languages)
        for assignment, volunteer in await people_on(session=session, shift_id=shift.id)
        if assignment.state in HOLDS_A_SEAT
    ]
    vacancy = Vacancy(
        slot=slot_of(shift),
        district=site.district,
        zone=settings.org.zone,
        language_needs=dict(shift.language_needs),
        languages_on_shift=tuple(holding),
        vacated_by=frozenset(vacated_by),
    )
    rules = match_rules(settings)
    candidates = await backfill_candidates(
        session=session, shift=shift, zone=settings.org.zone, min_rest=rules.min_rest
    )
    deadline = offer_deadline(shift, settings, now)
    offered: list[Volunteer] = []
    for ranked in rank(vacancy, candidates, rules):
        volunteer = await find_volunteer_by_id(session=session, volunteer_id=ranked.volunteer_id)
        assert volunteer is not None
        language = _reader(volunteer, settings)
        card = offer_card(
            shift,
            site,
            volunteer=volunteer,
            deadline=deadline,
            settings=settings,
            language=language,
        )
        await add_offer(
            session=session,
            shift_id=shift.id,
            volunteer_id=ranked.volunteer_id,
            out_track_id=card.out_track_id,
            now=now,
            deadline=deadline,
        )
        row = card_row(card, staff_ids=[volunteer.staff_id], language=language, now=now)
        await enqueue(session=session, message=row)
        offered.append(volunteer)
    if not offered and tell_coordinators:
        language = settings.org.language
        await notify_coordinators(
            session,
            settings,
            kind="nobody_" + occasion(sorted(vacated_by), now.isoformat()),
            shift_id=shift.id,
            title=text("backfill.nobody_title", language, id=shift.id),
            body=text("backfill.nobody", language, id=shift.id, vacancies=shift.headcount - taken),
            now=now,
        )
    return offered


_CLOSED: dict[str, TakeOutcome] = {
    OfferState.TAKEN: "yours",
    OfferState.LOST: "already_taken",
    OfferState.EXPIRED: "expired",
}
_BOOKING_REFUSED: dict[str, TakeOutcome] = {
    "full": "already_taken",
    "overlap": "overlap",
    "already_booked": "already_booked",
    "past": "past",
    "cancelled": "cancelled",
}


def _refusal_before_booking(
    offer: Offer | None, shift: Shift, now: datetime
) -> TakeOutcome | None:
    if offer is None:
        return "not_offered"
    if offer.state in _CLOSED:
        return _CLOSED[offer.state]
    if shift.status == ShiftStatus.CANCELLED:
        return "cancelled"
    if shift.starts_at <= now:
        return "past"
    return None


async def take_offer(
    *,
    session: AsyncSession,
    shift: Shift,
    volunteer: Volunteer | None,
    settings: Settings,
    now: datetime,
) -> TakeOutcome:
    """A ``take`` tap, with the shift row already locked by the caller (so the first tap wins).

    On success the volunteer is booked and confirmed, their offer is taken, and the shift's
    other offers and cards are settled; otherwise nothing changes (but offers the shift has no
    seat left for are closed as lost).
    """
    assert shift.id is not None
    offer = None
    if volunteer is not None and volunteer.id is not None:
        offer = await find_offer(session=session, shift_id=shift.id, volunteer_id=volunteer.id)
    refusal = _refusal_before_booking(offer, shift, now)
    if refusal is not None:
        return refusal
    assert offer is not None
    assert volunteer is not None
    assert volunteer.id is not None
    # The volunteer row next (the order storage.shifts.book uses), so that the week's bookings
    # cannot change between the cap check and the booking.
    await lock_volunteer(session=session, volunteer_id=volunteer.id)
    others = await bookings_of(
        session=session, volunteer_id=volunteer.id, exclude_shift_id=shift.id
    )
    if over_weekly_cap(
        slot_of(shift),
        [slot_of(other) for other in others],
        settings.schedule.weekly_cap,
        settings.org.zone,
    ):
        return "over_cap"
    outcome = await book(
        session=session,
        shift_id=shift.id,
        volunteer_id=volunteer.id,
        assigned_by=volunteer.staff_id,
        now=now,
        min_rest=settings.schedule.min_rest,
    )
    if isinstance(outcome, Refusal):
        await close_if_full(session=session, shift=shift, settings=settings, now=now)
        return _BOOKING_REFUSED[outcome.reason]
    await respond(session=session, assignment=outcome, state=AssignmentState.CONFIRMED, now=now)
    await close_offers(session=session, offers=[offer], state=OfferState.TAKEN, now=now)
    await close_if_full(session=session, shift=shift, settings=settings, now=now)
    await queue_group_card_update(
        session,
        shift=shift,
        volunteer=volunteer,
        my_status=text("card.my_confirmed", _reader(volunteer, settings)),
        group_language=settings.org.language,
        version=f"take-{offer.id}",
        now=now,
    )
    return "taken"


async def close_if_full(
    *, session: AsyncSession, shift: Shift, settings: Settings, now: datetime
) -> int:
    """Once the shift has no free seat, its open offers are lost and their cards say it is
    filled. Returns how many offers were closed."""
    assert shift.id is not None
    if await seats_taken(session=session, shift_id=shift.id) < shift.headcount:
        return 0
    still_open = await offers_on(session=session, shift_id=shift.id, state=OfferState.OPEN)
    await close_offers_saying(
        session,
        still_open,
        state=OfferState.LOST,
        settings=settings,
        status_key="backfill.status_filled",
        my_status_key="backfill.already_taken",
        now=now,
    )
    return len(still_open)


async def close_offers_saying(
    session: AsyncSession,
    offers: Sequence[tuple[Offer, Volunteer]],
    *,
    state: OfferState,
    settings: Settings,
    status_key: str,
    my_status_key: str,
    now: datetime,
) -> None:
    """Close ``offers`` as ``state``; each card loses its button and says why, in its reader's
    language (``my_status_key`` may name the shift as ``id``)."""
    await close_offers(
        session=session, offers=[offer for offer, _ in offers], state=state, now=now
    )
    for offer, volunteer in offers:
        language = _reader(volunteer, settings)
        await queue_offer_update(
            session,
            offer,
            volunteer,
            status=text(status_key, language),
            my_status=text(my_status_key, language, id=offer.shift_id),
            now=now,
        )


async def follow_shift_change(
    session: AsyncSession, *, shift: Shift, site: Site, settings: Settings, now: datetime
) -> int:
    """After an announced shift was edited or cancelled (jobs.changes), its open offers' cards
    show it: a cancelled shift's offers close; an edited one's show the new details, and an
    offer cannot outlast a start moved earlier. Returns how many offers were touched."""
    assert shift.id is not None
    still_open = await offers_on(session=session, shift_id=shift.id, state=OfferState.OPEN)
    if shift.status == ShiftStatus.CANCELLED:
        await close_offers_saying(
            session,
            still_open,
            state=OfferState.EXPIRED,
            settings=settings,
            status_key="backfill.status_cancelled",
            my_status_key="card.shift_cancelled",
            now=now,
        )
        return len(still_open)
    for offer, volunteer in still_open:
        if offer.deadline > shift.starts_at:
            offer.deadline = shift.starts_at
            session.add(offer)
        language = _reader(volunteer, settings)
        card = offer_card(
            shift,
            site,
            volunteer=volunteer,
            deadline=offer.deadline,
            settings=settings,
            language=language,
        )
        variables = card.public_variables(language)
        row = card_update_row(
            offer.out_track_id,
            public={key: variables[key] for key in ("title", "body")},
            version=f"r{shift.revision}",
            now=now,
        )
        await enqueue(session=session, message=row)
    return len(still_open)


async def queue_offer_update(
    session: AsyncSession,
    offer: Offer,
    volunteer: Volunteer,
    *,
    status: str,
    my_status: str,
    now: datetime,
) -> bool:
    """Close an offer card: a new status, no button, the person's own line; once per outcome."""
    row = card_update_row(
        offer.out_track_id,
        public={"status": status, "buttons": "[]"},
        private={volunteer.staff_id: private_status(my_status, "refused")},
        version=str(offer.state),
        now=now,
    )
    return await enqueue(session=session, message=row)


async def notify_coordinators(
    session: AsyncSession,
    settings: Settings,
    *,
    kind: str,
    shift_id: int,
    title: str,
    body: str,
    now: datetime,
    essential: bool = True,
) -> int:
    """The same notice to every coordinator, on a private card (services.shift_cards);
    ``essential=False`` for one that may be dropped once the month's API budget is spent."""
    return await queue_notice(
        session,
        kind=kind,
        shift_id=shift_id,
        people=await coordinator_ids(session=session, admins=settings.org.admins),
        title=title,
        body=body,
        language=settings.org.language,
        now=now,
        essential=essential,
    )


def offered_line(offered: Sequence[Volunteer] | None, language: Language) -> str | None:
    """For the coordinator's reply to ``/unassign``: who was asked, or that nobody could be."""
    if offered is None:
        return None
    if not offered:
        return text("backfill.offered_none", language)
    names = join_list([volunteer.nickname for volunteer in offered], language)
    return text("backfill.offered", language, count=len(offered), names=names)
