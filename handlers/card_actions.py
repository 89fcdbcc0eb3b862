"""Taps on card buttons: Confirm / Can't make it on a shift's confirm card (or on the person's
own nudge or reminder card, after which the group's card is updated), and I can cover on a
private backfill offer (services.backfill). A decline opens the vacancy's offers in the same
transaction.

Answered from the database inside the ACK (DingTalk allows 2 s): the shift's new public status
(``4/6 confirmed``) and the tapper's own status. A tap that does not belong to the tapper (not on
the shift, shift cancelled or started) changes nothing and says why, privately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cards import out_track_id, status_line
from core.incoming import CardTap
from core.messages import Language, text
from core.messages.lifecycle import REBOOK_REFUSALS
from core.settings import Settings
from planner.conflicts import Refusal
from services.backfill import TakeOutcome, close_if_full, open_vacancy, take_offer
from services.shift_cards import queue_group_card_update
from storage.models import HOLDS_A_SEAT, AssignmentState, Shift, ShiftStatus, Volunteer
from storage.shifts import book, count_in_state, find_assignment, find_shift, respond

ANSWERABLE = frozenset(
    {AssignmentState.INVITED, AssignmentState.CONFIRMED, AssignmentState.DECLINED}
)
# A take that changes nothing -> what the tapper is told.
TAKE_REFUSED = {
    "already_taken": "backfill.already_taken",
    "expired": "backfill.expired",
    "not_offered": "backfill.not_offered",
    "overlap": "card.rebook_overlap",
    "already_booked": "card.rebook_already_booked",
    "past": "card.shift_started",
    "cancelled": "card.shift_cancelled",
}


@dataclass(frozen=True)
class TapContext:
    session: AsyncSession
    tap: CardTap
    settings: Settings
    now: datetime
    volunteer: Volunteer | None
    language: Language
    """The tapper's language, for their private status."""


@dataclass(frozen=True)
class TapResult:
    my_status: str
    status: str | None = None
    """The card's new public status; None leaves it as it is."""
    accepted: bool = True


def _refused(ctx: TapContext, key: str, **params: object) -> TapResult:
    return TapResult(my_status=text(key, ctx.language, **params), accepted=False)


async def handle_tap(ctx: TapContext) -> TapResult:
    if ctx.tap.action not in ("confirm", "decline", "take"):
        return _refused(ctx, "card.not_for_this_card")
    offer_card_id = out_track_id("offer", ctx.tap.shift_id, ctx.tap.staff_id)
    if ctx.tap.action == "take" and ctx.tap.out_track_id != offer_card_id:
        return _refused(ctx, "card.not_for_this_card")
    shift = await find_shift(session=ctx.session, shift_id=ctx.tap.shift_id, for_update=True)
    if shift is None or shift.status == ShiftStatus.CANCELLED:
        return _refused(ctx, "card.shift_cancelled", id=ctx.tap.shift_id)
    if shift.starts_at <= ctx.now:
        return _refused(ctx, "card.shift_started", id=shift.id)
    if ctx.tap.action == "take":
        return await _take(ctx, shift)
    return await _answer(ctx, shift)


async def _take(ctx: TapContext, shift: Shift) -> TapResult:
    outcome: TakeOutcome = await take_offer(
        session=ctx.session,
        shift=shift,
        volunteer=ctx.volunteer,
        settings=ctx.settings,
        now=ctx.now,
    )
    if outcome == "taken":
        return TapResult(
            my_status=text("backfill.my_taken", ctx.language, id=shift.id),
            status=text("backfill.status_taken", ctx.language),
        )
    if outcome == "yours":
        return TapResult(my_status=text("backfill.already_yours", ctx.language, id=shift.id))
    if outcome == "over_cap":
        cap = ctx.settings.schedule.weekly_cap
        return _refused(ctx, "backfill.over_cap", cap=cap, id=shift.id)
    return _refused(ctx, TAKE_REFUSED[outcome], id=shift.id)


async def _answer(ctx: TapContext, shift: Shift) -> TapResult:
    assert shift.id is not None
    volunteer = ctx.volunteer
    assignment = (
        await find_assignment(session=ctx.session, shift_id=shift.id, volunteer_id=volunteer.id)
        if volunteer is not None and volunteer.id is not None
        else None
    )
    if assignment is None or assignment.state not in ANSWERABLE:
        return _refused(ctx, "card.not_on_shift", id=shift.id)
    if ctx.tap.action == "confirm":
        if assignment.state == AssignmentState.DECLINED:
            # Their seat may have gone to someone else meanwhile: book it again by the rules.
            assert volunteer is not None
            assert volunteer.id is not None
            refusal = await book(
                session=ctx.session,
                shift_id=shift.id,
                volunteer_id=volunteer.id,
                assigned_by=volunteer.staff_id,
                now=ctx.now,
                min_rest=ctx.settings.schedule.min_rest,
            )
            if isinstance(refusal, Refusal):
                return _refused(ctx, REBOOK_REFUSALS[refusal.reason], id=shift.id)
            await close_if_full(
                session=ctx.session, shift=shift, settings=ctx.settings, now=ctx.now
            )
        await respond(
            session=ctx.session,
            assignment=assignment,
            state=AssignmentState.CONFIRMED,
            now=ctx.now,
        )
        mine = text("card.my_confirmed", ctx.language)
    else:
        vacating = assignment.state in HOLDS_A_SEAT
        await respond(
            session=ctx.session, assignment=assignment, state=AssignmentState.DECLINED, now=ctx.now
        )
        mine = text("card.my_declined", ctx.language)
        if vacating:
            assert volunteer is not None
            assert volunteer.id is not None
            await open_vacancy(
                session=ctx.session,
                shift=shift,
                settings=ctx.settings,
                now=ctx.now,
                vacated_by=[volunteer.id],
            )
    confirmed = await count_in_state(
        session=ctx.session, shift_id=shift.id, state=AssignmentState.CONFIRMED
    )
    group_language = ctx.settings.org.language
    if ctx.tap.out_track_id == out_track_id("confirm", shift.id):
        return TapResult(
            my_status=mine, status=status_line(confirmed, shift.headcount, group_language)
        )
    # Answered on their own nudge or reminder card: the group's card follows.
    assert volunteer is not None
    await queue_group_card_update(
        ctx.session,
        shift=shift,
        volunteer=volunteer,
        my_status=mine,
        group_language=group_language,
        version=f"tap-{ctx.tap.event_id}",
        now=ctx.now,
    )
    return TapResult(my_status=mine, status=status_line(confirmed, shift.headcount, ctx.language))
