"""Taps on card buttons: Confirm / Can't make it on a shift's confirm card (or on the person's
own nudge or reminder card, after which the group's card is updated), and I can cover on a
private backfill offer (services.backfill). A decline opens the vacancy's offers in the same
transaction. Which card each button belongs on, and who may tap it, is the taps table's
(``handlers/registry.py``), checked by the router before these run.

Answered from the database inside the ACK (DingTalk allows 2 s): the shift's new public status
(``4/6 confirmed``) and the tapper's own status. A tap that does not belong to the tapper (not on
the shift, shift cancelled or started) changes nothing and says why, privately.
"""

from __future__ import annotations

from core.cards import status_line
from core.messages import text
from core.messages.lifecycle import REBOOK_REFUSALS
from core.taps import TapContext, TapRefused, TapResult
from planner.conflicts import Refusal
from services.backfill import TakeOutcome, close_if_full, open_vacancy, take_offer
from services.shift_cards import queue_group_card_update
from storage.models import (
    HOLDS_A_SEAT,
    Assignment,
    AssignmentState,
    Shift,
    ShiftStatus,
    Volunteer,
)
from storage.shifts import book, count_in_state, find_shift, respond

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


async def confirm(ctx: TapContext) -> TapResult:
    shift, volunteer, assignment = _open_place(ctx)
    if assignment.state == AssignmentState.DECLINED:
        # Their seat may have gone to someone else meanwhile: book it again by the rules.
        refusal = await book(
            session=ctx.session,
            shift_id=assignment.shift_id,
            volunteer_id=assignment.volunteer_id,
            assigned_by=volunteer.staff_id,
            now=ctx.now,
            min_rest=ctx.settings.schedule.min_rest,
        )
        if isinstance(refusal, Refusal):
            return TapResult.refusal(ctx.language, REBOOK_REFUSALS[refusal.reason], id=shift.id)
        await close_if_full(session=ctx.session, shift=shift, settings=ctx.settings, now=ctx.now)
    await respond(
        session=ctx.session, assignment=assignment, state=AssignmentState.CONFIRMED, now=ctx.now
    )
    return await _answered(ctx, shift, volunteer, "card.my_confirmed")


async def decline(ctx: TapContext) -> TapResult:
    shift, volunteer, assignment = _open_place(ctx)
    vacating = assignment.state in HOLDS_A_SEAT
    await respond(
        session=ctx.session, assignment=assignment, state=AssignmentState.DECLINED, now=ctx.now
    )
    if vacating:
        await open_vacancy(
            session=ctx.session,
            shift=shift,
            settings=ctx.settings,
            now=ctx.now,
            vacated_by=[assignment.volunteer_id],
        )
    return await _answered(ctx, shift, volunteer, "card.my_declined")


async def take(ctx: TapContext) -> TapResult:
    shift = await _lock_open_shift(ctx)
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
        return TapResult.refusal(ctx.language, "backfill.over_cap", cap=cap, id=shift.id)
    return TapResult.refusal(ctx.language, TAKE_REFUSED[outcome], id=shift.id)


async def _lock_open_shift(ctx: TapContext) -> Shift:
    """The card's shift, locked so that concurrent taps on it take turns; refused once it is
    cancelled or has started."""
    shift = await find_shift(session=ctx.session, shift_id=ctx.card.shift_id, for_update=True)
    if shift is None:
        raise TapRefused("card.shift_cancelled", id=ctx.card.shift_id)
    _refuse_unless_open(ctx, shift)
    return shift


def _open_place(ctx: TapContext) -> tuple[Shift, Volunteer, Assignment]:
    """The tapper's place on the card's shift, which the router read under the shift's lock
    (``core.taps.ANSWERING``, for an ``Audience.ON_THE_SHIFT`` button); refused once the shift is
    cancelled or has started."""
    place, volunteer = ctx.place, ctx.volunteer
    # The router admits a tap on these buttons only from someone with a place on the shift.
    assert place is not None
    assert volunteer is not None
    _refuse_unless_open(ctx, place.shift)
    return place.shift, volunteer, place.assignment


def _refuse_unless_open(ctx: TapContext, shift: Shift) -> None:
    if shift.status == ShiftStatus.CANCELLED:
        raise TapRefused("card.shift_cancelled", id=ctx.card.shift_id)
    if shift.starts_at <= ctx.now:
        raise TapRefused("card.shift_started", id=shift.id)


async def _answered(
    ctx: TapContext, shift: Shift, volunteer: Volunteer, my_status_key: str
) -> TapResult:
    """The tapper's answer and the shift's new count, on the card tapped."""
    assert shift.id is not None
    mine = text(my_status_key, ctx.language)
    confirmed = await count_in_state(
        session=ctx.session, shift_id=shift.id, state=AssignmentState.CONFIRMED
    )
    group_language = ctx.settings.org.language
    if ctx.card.kind == "confirm":
        return TapResult(
            my_status=mine, status=status_line(confirmed, shift.headcount, group_language)
        )
    # Answered on their own nudge or reminder card: the group's card follows.
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
