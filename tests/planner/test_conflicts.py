from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.conflicts import Refusal, ShiftSlot, booking_refusal, too_close

DAY = datetime(2026, 3, 14, tzinfo=UTC)
NOW = DAY + timedelta(hours=7)


def slot(
    shift_id: int, start: float, end: float, headcount: int = 2, *, cancelled: bool = False
) -> ShiftSlot:
    """A shift on DAY from ``start`` to ``end`` o'clock (UTC; 12.5 is 12:30)."""
    return ShiftSlot(
        shift_id, DAY + timedelta(hours=start), DAY + timedelta(hours=end), headcount, cancelled
    )


MORNING = slot(1, 9, 12)


@pytest.mark.parametrize(
    ("target", "bookings", "rest_minutes", "booked", "expected"),
    [
        (MORNING, [], 0, 0, None),
        (MORNING, [], 0, 1, None),
        (slot(1, 9, 12, cancelled=True), [], 0, 0, Refusal("cancelled")),
        (slot(1, 6, 8, cancelled=True), [], 0, 0, Refusal("cancelled")),  # cancelled, and past
        (slot(1, 7, 9), [], 0, 0, Refusal("past")),  # starts now
        (slot(1, 6, 8), [], 0, 0, Refusal("past")),  # under way
        (slot(1, 5, 6), [], 0, 0, Refusal("past")),
        (slot(1, 7.01, 9), [], 0, 0, None),
        (MORNING, [MORNING], 0, 1, Refusal("already_booked")),
        (MORNING, [MORNING], 0, 2, Refusal("already_booked")),  # on it, though it is full
        (MORNING, [], 0, 2, Refusal("full")),
        (MORNING, [], 0, 3, Refusal("full")),
        (slot(1, 9, 12, headcount=0), [], 0, 0, Refusal("full")),
        (MORNING, [slot(2, 11, 13)], 0, 0, Refusal("overlap", 2)),
        (MORNING, [slot(2, 8, 10)], 0, 0, Refusal("overlap", 2)),
        (MORNING, [slot(2, 10, 11)], 0, 0, Refusal("overlap", 2)),  # inside
        (MORNING, [slot(2, 8, 13)], 0, 0, Refusal("overlap", 2)),  # around
        (MORNING, [slot(2, 9, 12)], 0, 0, Refusal("overlap", 2)),  # same times, other shift
        (MORNING, [slot(2, 12, 14)], 0, 0, None),  # back to back is fine without a rest
        (MORNING, [slot(2, 7.5, 9)], 0, 0, None),
        (MORNING, [slot(2, 12, 14)], 30, 0, Refusal("overlap", 2)),
        (MORNING, [slot(2, 12.5, 14)], 30, 0, None),
        (MORNING, [slot(2, 12.49, 14)], 30, 0, Refusal("overlap", 2)),
        (MORNING, [slot(2, 7.5, 8.5)], 30, 0, None),
        (MORNING, [slot(2, 7.5, 8.51)], 30, 0, Refusal("overlap", 2)),
        (MORNING, [slot(2, 19, 22)], 7 * 60, 0, None),
        (MORNING, [slot(2, 18, 22)], 7 * 60, 0, Refusal("overlap", 2)),
        (MORNING, [slot(2, 11, 13, cancelled=True)], 0, 0, None),
        (MORNING, [slot(1, 9, 12, cancelled=True)], 0, 0, None),
        (MORNING, [slot(5, 14, 16), slot(4, 11, 13), slot(3, 8, 10)], 0, 0, Refusal("overlap", 3)),
        (MORNING, [slot(2, 11, 13)], 0, 2, Refusal("full")),  # full says more than overlap
        (MORNING, [slot(2, 6, 8.5)], 60, 0, Refusal("overlap", 2)),  # a running shift still counts
    ],
)
def test_booking_rules(
    target: ShiftSlot, bookings: list[ShiftSlot], rest_minutes: int, booked: int, expected: object
) -> None:
    rest = timedelta(minutes=rest_minutes)
    assert booking_refusal(target, bookings, booked, NOW, rest) == expected


def test_no_rest_is_the_default() -> None:
    assert booking_refusal(MORNING, [slot(2, 12, 14)], 0, NOW) is None
    assert too_close(MORNING, slot(2, 12, 14)) is False


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ShiftSlot(1, datetime(2026, 3, 14, 9), DAY, 2, False), "timezone-aware"),  # noqa: DTZ001
        (lambda: ShiftSlot(1, DAY, datetime(2026, 3, 14, 9), 2, False), "timezone-aware"),  # noqa: DTZ001
        (lambda: slot(1, 12, 9), "ends before"),
        (lambda: slot(1, 9, 9), "ends before"),
        (lambda: slot(1, 9, 12, headcount=-1), "negative"),
    ],
)
def test_malformed_slots_are_refused(make: Callable[[], ShiftSlot], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_a_negative_rest_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="min_rest"):
        booking_refusal(MORNING, [], 0, NOW, timedelta(minutes=-1))


def gap(first: ShiftSlot, second: ShiftSlot) -> timedelta:
    """From the end of the earlier shift to the start of the later; negative when they overlap."""
    return max(first.starts_at, second.starts_at) - min(first.ends_at, second.ends_at)


# Quarter-hour steps across two days, so that touching, overlapping and nested shifts are common.
QUARTER = timedelta(minutes=15)
shift_shapes = st.tuples(st.integers(0, 190), st.integers(1, 40), st.integers(0, 3), st.booleans())
rests = st.sampled_from([timedelta(0), QUARTER, timedelta(hours=1), timedelta(hours=10)])


@given(
    st.lists(shift_shapes, min_size=1, max_size=12),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 11)), max_size=60),
    st.integers(0, 100),
    rests,
)
def test_applied_bookings_never_clash_or_overfill(
    shapes: list[tuple[int, int, int, bool]],
    attempts: list[tuple[int, int]],
    now_step: int,
    min_rest: timedelta,
) -> None:
    shifts = [
        ShiftSlot(index, DAY + start * QUARTER, DAY + (start + length) * QUARTER, need, cancelled)
        for index, (start, length, need, cancelled) in enumerate(shapes)
    ]
    now = DAY + now_step * QUARTER
    bookings: dict[int, list[ShiftSlot]] = {volunteer: [] for volunteer in range(5)}
    counts = dict.fromkeys(range(len(shifts)), 0)
    for volunteer, index in attempts:
        target = shifts[index % len(shifts)]
        mine = bookings[volunteer]
        refusal = booking_refusal(target, mine, counts[target.shift_id], now, min_rest)
        clashing = [other for other in mine if gap(other, target) < min_rest]
        # refused exactly when some rule is broken, and for a true reason
        broken = (
            target.cancelled
            or target.starts_at <= now
            or target in mine
            or counts[target.shift_id] >= target.headcount
            or bool(clashing)
        )
        assert (refusal is not None) == broken
        if refusal is not None and refusal.reason == "overlap":
            assert refusal.conflicting_shift_id in {other.shift_id for other in clashing}
        if refusal is None:
            mine.append(target)
            counts[target.shift_id] += 1

    # What was accepted one at a time holds together: no two of anyone's bookings are too close.
    for mine in bookings.values():
        for position, first in enumerate(mine):
            for second in mine[position + 1 :]:
                assert not too_close(first, second, min_rest)


@given(shift_shapes, shift_shapes, rests)
def test_too_close_is_symmetric(
    first_shape: tuple[int, int, int, bool],
    second_shape: tuple[int, int, int, bool],
    min_rest: timedelta,
) -> None:
    first, second = (
        ShiftSlot(n, DAY + start * QUARTER, DAY + (start + length) * QUARTER, 1)
        for n, (start, length, _, _) in enumerate((first_shape, second_shape))
    )
    assert too_close(first, second, min_rest) == too_close(second, first, min_rest)
    assert too_close(first, second, min_rest) == (gap(first, second) < min_rest)
