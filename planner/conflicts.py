"""Whether a volunteer may be booked into a shift: the one place the booking rules live.

The repository calls :func:`booking_refusal` inside the transaction that books, with the rows it
has just read, so the rules and the write see the same state. Backfill (planner.matching) calls
:func:`too_close` too, so that it offers only bookings that would be accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

DEFAULT_MIN_REST = timedelta(0)

RefusalReason = Literal["cancelled", "past", "full", "overlap", "already_booked"]


@dataclass(frozen=True)
class ShiftSlot:
    """What the rules need to know of a shift. Times must be timezone-aware (UTC from storage)."""

    shift_id: int
    starts_at: datetime
    ends_at: datetime
    headcount: int
    cancelled: bool = False

    def __post_init__(self) -> None:
        # A naive datetime (SQLite stores none; storage.columns makes them aware on the way back)
        # would raise far from the cause, or, worse, compare local with UTC. Refuse it here.
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError(f"shift {self.shift_id}: times must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise ValueError(f"shift {self.shift_id}: ends before it starts")
        if self.headcount < 0:
            raise ValueError(f"shift {self.shift_id}: negative headcount")


@dataclass(frozen=True)
class Refusal:
    """Why a booking is refused; ``conflicting_shift_id`` names the clashing shift on overlap."""

    reason: RefusalReason
    conflicting_shift_id: int | None = None


def too_close(first: ShiftSlot, second: ShiftSlot, min_rest: timedelta = DEFAULT_MIN_REST) -> bool:
    """True when the two shifts overlap or leave less than ``min_rest`` between them.

    With no rest required, back-to-back shifts (one ends at 12:00, the next starts at 12:00) are
    fine: a volunteer can move from one to the next at the same site.
    """
    return (
        first.starts_at < second.ends_at + min_rest and second.starts_at < first.ends_at + min_rest
    )


def booking_refusal(
    target: ShiftSlot,
    volunteer_bookings: Iterable[ShiftSlot],
    booked_count: int,
    now: datetime,
    min_rest: timedelta = DEFAULT_MIN_REST,
) -> Refusal | None:
    """None if the volunteer may be booked into ``target``, else the first rule it breaks.

    ``volunteer_bookings`` are the volunteer's current bookings (cancelled shifts among them are
    ignored); ``booked_count`` is how many people the target already has. A shift that has started
    counts as past. The order matters for the reply: someone already on a full shift is told they
    are on it, not that it is full, so a repeated tap reads as a no-op.
    """
    if min_rest < timedelta(0):
        raise ValueError(f"min_rest must not be negative: {min_rest}")
    bookings = [slot for slot in volunteer_bookings if not slot.cancelled]
    if target.cancelled:
        return Refusal("cancelled")
    if target.starts_at <= now:
        return Refusal("past")
    if any(slot.shift_id == target.shift_id for slot in bookings):
        return Refusal("already_booked")
    if booked_count >= target.headcount:
        return Refusal("full")
    clashes = sorted(
        (slot for slot in bookings if too_close(slot, target, min_rest)),
        key=lambda slot: (slot.starts_at, slot.shift_id),
    )
    if clashes:
        return Refusal("overlap", clashes[0].shift_id)
    return None
