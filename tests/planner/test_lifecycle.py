from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.lifecycle import (
    AT_ONCE,
    NOTHING_DUE,
    DuePlan,
    NextStep,
    Offsets,
    ShiftProgress,
    Step,
    due_steps,
    next_step,
)

T = datetime(2026, 3, 14, 1, tzinfo=UTC)  # Saturday 09:00 in Hong Kong
DEFAULTS = Offsets.from_hours(48, 36, 24)
LETTERS = {"A": Step.ANNOUNCE, "C": Step.CONFIRM, "N": Step.NUDGE, "R": Step.REMIND}


def steps(letters: str) -> tuple[Step, ...]:
    """``"ACR"`` -> (ANNOUNCE, CONFIRM, REMIND), so that the tables stay one line a case."""
    return tuple(LETTERS[letter] for letter in letters)


def plan(send: str = "", merged: str = "", skip: str = "") -> DuePlan:
    return DuePlan(steps(send), steps(merged), steps(skip))


def at(hours: float) -> datetime:
    return T + timedelta(hours=hours)


def progress(done: str = "", *, published: bool = True, cancelled: bool = False) -> ShiftProgress:
    return ShiftProgress(1, T, published, cancelled, frozenset(steps(done)))


@pytest.mark.parametrize(
    ("done", "hours", "expected"),
    [
        ("", -100, plan("A")),
        ("A", -100, NOTHING_DUE),
        ("A", -48.01, NOTHING_DUE),
        ("A", -48, plan("C")),  # due at the very moment
        ("", -48, plan("AC")),
        ("AC", -36.01, NOTHING_DUE),
        ("AC", -36, plan("N")),
        ("AC", -30, plan("N")),  # a late nudge after an earlier card is fine
        ("A", -36, plan("C", skip="N")),  # nobody could have answered a card sent this minute
        ("A", -30, plan("C", skip="N")),
        ("", -30, plan("AC", skip="N")),
        ("ACN", -24.01, NOTHING_DUE),
        ("ACN", -24, plan("R")),
        ("ACN", -1, plan("R")),
        ("AC", -24, plan("R", skip="N")),  # the reminder says all a nudge would
        ("AC", -20, plan("R", skip="N")),
        ("A", -24, plan("C", "R", "N")),  # one card with the reminder in it
        ("A", -20, plan("C", "R", "N")),
        ("", -20, plan("AC", "R", "N")),
        ("", -0.01, plan("AC", "R", "N")),
        ("ACNR", -20, NOTHING_DUE),
        ("ACNR", -100, NOTHING_DUE),
        ("C", -40, plan("A")),  # a lost announcement still goes, first
        ("CNR", -20, plan("A")),
        # Hand-edited rows these rules never write; the answers must still make sense.
        ("AN", -40, plan("C")),
        ("AN", -20, plan("C", "R")),
        ("ACR", -20, plan(skip="N")),  # never a nudge after the reminder
        ("AR", -30, plan("C", skip="N")),  # the card is never skipped, nor a reminder repeated
        ("R", -20, plan("AC", skip="N")),
    ],
)
def test_what_is_due_for_a_published_shift(done: str, hours: float, expected: DuePlan) -> None:
    assert due_steps(progress(done), DEFAULTS, at(hours)) == expected


@pytest.mark.parametrize(
    ("shift", "hours"),
    [
        (progress(published=False), -100),
        (progress(published=False), -20),
        (progress(published=False, cancelled=True), -20),
        (progress(cancelled=True), -100),
        (progress(cancelled=True), -20),
        (progress("A", cancelled=True), -30),
        (progress(), 0),  # starts now: too late for anything
        (progress(), 0.5),
        (progress("A"), 3),
        (progress("ACN"), 1),
        (progress(), 24 * 365),
    ],
)
def test_nothing_is_due_for_unpublished_cancelled_or_started_shifts(
    shift: ShiftProgress, hours: float
) -> None:
    assert due_steps(shift, DEFAULTS, at(hours)) == NOTHING_DUE


@dataclass(frozen=True)
class Run:
    """The bot's hourly due-work run, from T−120 h to T+3 h, for one shift."""

    published_at: int
    down_from: int = 0
    down_until: int = 0

    def plans(self, offsets: Offsets = DEFAULTS) -> list[tuple[int, DuePlan]]:
        """The non-empty plans, by hour; missing the runs in ``[down_from, down_until)``."""
        done: frozenset[Step] = frozenset()
        found = []
        for hour in range(-120, 4):
            if self.down_from <= hour < self.down_until:
                continue
            shift = ShiftProgress(1, T, hour >= self.published_at, False, done)
            due = due_steps(shift, offsets, at(hour))
            done |= due.handled
            if due != NOTHING_DUE:
                found.append((hour, due))
        return found


ON_TIME = [(-100, plan("A")), (-48, plan("C")), (-36, plan("N")), (-24, plan("R"))]


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (Run(-100), ON_TIME),
        (Run(-100, -47, -40), ON_TIME),  # down between steps: nothing missed
        (Run(-100, -10, 1), ON_TIME),
        (Run(-100, -1, 0), ON_TIME),
        (Run(-100, -49, -48), ON_TIME),  # back just in time
        (Run(-100, -50, -40), [(-100, plan("A")), (-40, plan("C")), *ON_TIME[2:]]),
        (Run(-100, -50, -36), [(-100, plan("A")), (-36, plan("C", skip="N")), ON_TIME[3]]),
        (Run(-100, -50, -30), [(-100, plan("A")), (-30, plan("C", skip="N")), ON_TIME[3]]),
        (Run(-100, -50, -24), [(-100, plan("A")), (-24, plan("C", "R", "N"))]),
        (Run(-100, -50, -20), [(-100, plan("A")), (-20, plan("C", "R", "N"))]),
        (Run(-100, -40, -30), [*ON_TIME[:2], (-30, plan("N")), ON_TIME[3]]),
        (Run(-100, -40, -20), [*ON_TIME[:2], (-20, plan("R", skip="N"))]),
        (Run(-100, -36, -24), [*ON_TIME[:2], (-24, plan("R", skip="N"))]),
        (Run(-100, -30, -20), [*ON_TIME[:3], (-20, plan("R"))]),
        (Run(-100, -50, 1), [(-100, plan("A"))]),  # down through the start: nothing stale sent
        (Run(-100, -30, 1), ON_TIME[:3]),
        (Run(-100, -120, -20), [(-20, plan("AC", "R", "N"))]),  # published while the bot was down
        (Run(-100, -120, 0), []),
        (Run(-100, -120, 4), []),
        # Published late: the announcement and the card go together.
        (Run(-48), [(-48, plan("AC")), *ON_TIME[2:]]),
        (Run(-40), [(-40, plan("AC")), *ON_TIME[2:]]),
        (Run(-36), [(-36, plan("AC", skip="N")), ON_TIME[3]]),
        (Run(-30), [(-30, plan("AC", skip="N")), ON_TIME[3]]),
        (Run(-24), [(-24, plan("AC", "R", "N"))]),
        (Run(-10), [(-10, plan("AC", "R", "N"))]),
        (Run(-1), [(-1, plan("AC", "R", "N"))]),
        (Run(0), []),
        (Run(2), []),
        (Run(-30, -30, -24), [(-24, plan("AC", "R", "N"))]),
        (Run(-40, -39, -30), [(-40, plan("AC")), (-30, plan("N")), ON_TIME[3]]),
    ],
)
def test_catching_up_after_downtime(run: Run, expected: list[tuple[int, DuePlan]]) -> None:
    assert run.plans() == expected


def test_a_template_can_have_its_own_offsets() -> None:
    offsets = Offsets.from_hours(72, 12, 2)
    assert Run(-100).plans(offsets) == [
        (-100, plan("A")),
        (-72, plan("C")),
        (-12, plan("N")),
        (-2, plan("R")),
    ]
    assert Run(-100, -80, -10).plans(offsets) == [
        (-100, plan("A")),
        (-10, plan("C", skip="N")),
        (-2, plan("R")),
    ]


def test_the_start_is_compared_as_an_instant_whatever_the_zone() -> None:
    hong_kong = T.astimezone(ZoneInfo("Asia/Hong_Kong"))
    shift = ShiftProgress(7, hong_kong, published=True, done=frozenset(steps("A")))
    assert due_steps(shift, DEFAULTS, at(-48)) == plan("C")
    assert due_steps(shift, DEFAULTS, at(-48.01)) == NOTHING_DUE
    assert due_steps(shift, DEFAULTS, at(0)) == NOTHING_DUE


@pytest.mark.parametrize(
    ("done", "published", "cancelled", "expected"),
    [
        ("", True, False, NextStep(Step.ANNOUNCE, AT_ONCE)),
        ("C", True, False, NextStep(Step.ANNOUNCE, AT_ONCE)),
        ("A", True, False, NextStep(Step.CONFIRM, at(-48))),
        ("AC", True, False, NextStep(Step.NUDGE, at(-36))),
        ("ACN", True, False, NextStep(Step.REMIND, at(-24))),
        ("ACNR", True, False, None),
        # hand-edited: the nudge is still to be skipped
        ("ACR", True, False, NextStep(Step.NUDGE, at(-36))),
        ("", False, False, None),
        ("A", False, False, None),
        ("", True, True, None),
        ("A", True, True, None),
    ],
)
def test_next_step(done: str, published: bool, cancelled: bool, expected: object) -> None:
    shift = progress(done, published=published, cancelled=cancelled)
    assert next_step(shift, DEFAULTS) == expected


@pytest.mark.parametrize(
    ("hours", "valid"),
    [
        ((48, 36, 24), True),
        ((0.03, 0.02, 0.01), True),
        ((24 * 14, 24 * 7, 1), True),
        ((48, 48, 24), False),
        ((48, 36, 36), False),
        ((36, 48, 24), False),
        ((48, 24, 36), False),
        ((24, 36, 48), False),
        ((48, 36, 0), False),
        ((48, 36, -1), False),
        ((0, 0, 0), False),
    ],
)
def test_offsets_must_come_in_lifecycle_order(
    hours: tuple[float, float, float], valid: bool
) -> None:
    if valid:
        assert Offsets.from_hours(*hours).remind == timedelta(hours=hours[2])
    else:
        with pytest.raises(ValueError, match="confirm > nudge > remind > 0"):
            Offsets.from_hours(*hours)


def test_offsets_by_step() -> None:
    assert [DEFAULTS.before(step) for step in Step] == [
        None,
        timedelta(hours=48),
        timedelta(hours=36),
        timedelta(hours=24),
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda: ShiftProgress(1, datetime(2026, 3, 14, 9), True),  # noqa: DTZ001
        lambda: due_steps(progress(), DEFAULTS, datetime(2026, 3, 12, 9)),  # noqa: DTZ001
    ],
)
def test_naive_times_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_steps_are_stored_by_name_in_lifecycle_order() -> None:
    assert list(Step) == list(steps("ACNR"))
    assert [str(step) for step in Step] == ["announce", "confirm", "nudge", "remind"]


# -- properties -----------------------------------------------------------------------------------

MINUTE = timedelta(minutes=1)


@st.composite
def offsets(draw: st.DrawFn) -> Offsets:
    remind = draw(st.integers(1, 72 * 60))
    nudge = remind + draw(st.integers(1, 72 * 60))
    confirm = nudge + draw(st.integers(1, 72 * 60))
    return Offsets(confirm * MINUTE, nudge * MINUTE, remind * MINUTE)


# Minutes relative to the start, from well before the earliest card to a while after the start.
EARLIEST, LATEST = -240 * 60, 6 * 60
moments = st.integers(EARLIEST, LATEST)


@dataclass(frozen=True)
class Lifetime:
    """One shift seen by a bot that runs at irregular moments (restarts, downtime, slow runs)."""

    offsets: Offsets
    published_at: int | None
    cancelled_at: int | None
    runs: tuple[int, ...]

    def simulate(self) -> list[tuple[datetime, ShiftProgress, DuePlan]]:
        """Each run's moment, what it read, and the plan it recorded."""
        done: frozenset[Step] = frozenset()
        seen = []
        for minute in self.runs:
            published = self.published_at is not None and minute >= self.published_at
            cancelled = self.cancelled_at is not None and minute >= self.cancelled_at
            shift = ShiftProgress(3, T, published, cancelled, done)
            now = T + minute * MINUTE
            due = due_steps(shift, self.offsets, now)
            seen.append((now, shift, due))
            done |= due.handled
        return seen

    def saw_it_live_before_the_start(self) -> bool:
        """Whether some run fell in the reminder's window while the shift was live."""
        window = range(-self.offsets.remind // MINUTE, 0)
        return any(
            minute in window
            and self.published_at is not None
            and minute >= self.published_at
            and (self.cancelled_at is None or minute < self.cancelled_at)
            for minute in self.runs
        )


@st.composite
def lifetimes(draw: st.DrawFn) -> Lifetime:
    lifecycle_offsets = draw(offsets())
    # Time only moves forward, by random increments: a few minutes, or days of downtime.
    runs = draw(st.sets(moments, min_size=1, max_size=60))
    published_at = draw(st.none() | moments)
    cancelled_at = draw(st.none() | moments)
    if draw(st.booleans()):
        # Half the time the bot sees the shift live in the reminder's window at least once, when
        # every step must have been handled; left to chance, that is rare.
        live = -draw(st.integers(1, lifecycle_offsets.remind // MINUTE))
        runs.add(live)
        published_at = draw(st.integers(EARLIEST, live))
        cancelled_at = draw(st.none() | st.integers(live + 1, LATEST))
    return Lifetime(lifecycle_offsets, published_at, cancelled_at, tuple(sorted(runs)))


@given(lifetimes())
def test_every_step_is_handled_once_sent_merged_or_skipped(lifetime: Lifetime) -> None:
    plans = [due for _, _, due in lifetime.simulate()]
    handled = [step for due in plans for step in (*due.send, *due.merged, *due.skip)]
    assert len(handled) == len(set(handled))
    if lifetime.saw_it_live_before_the_start():
        assert set(handled) == set(Step)
    for due in plans:
        # These rules only ever skip a nudge, and only ever fold the reminder into the card.
        assert set(due.skip) <= {Step.NUDGE}
        assert set(due.merged) <= {Step.REMIND}
        assert not due.merged or Step.CONFIRM in due.send
        assert due == NOTHING_DUE or due.send


@given(lifetimes())
def test_nothing_goes_out_after_the_start_or_for_a_shift_not_live(lifetime: Lifetime) -> None:
    for now, shift, due in lifetime.simulate():
        if now >= shift.starts_at or not shift.published or shift.cancelled:
            assert due == NOTHING_DUE


@given(lifetimes())
def test_deliveries_follow_the_lifecycle_order(lifetime: Lifetime) -> None:
    delivered = [
        step
        for _, _, due in lifetime.simulate()
        for step in sorted((*due.send, *due.merged), key=list(Step).index)
    ]
    assert delivered == sorted(set(delivered), key=list(Step).index)
    for _, _, due in lifetime.simulate():
        assert list(due.send) == sorted(due.send, key=list(Step).index)


@given(lifetimes())
def test_a_nudge_or_a_separate_reminder_only_follows_an_earlier_card(lifetime: Lifetime) -> None:
    for _, shift, due in lifetime.simulate():
        if Step.NUDGE in due.send or Step.REMIND in due.send:
            assert Step.CONFIRM in shift.done


any_progress = st.builds(
    ShiftProgress,
    shift_id=st.integers(1, 10),
    starts_at=st.just(T),
    published=st.booleans(),
    cancelled=st.booleans(),
    done=st.frozensets(st.sampled_from(Step)),
)


@given(any_progress, offsets(), moments)
def test_the_plan_depends_only_on_its_inputs_and_recording_it_settles_it(
    shift: ShiftProgress, lifecycle_offsets: Offsets, minute: int
) -> None:
    now = T + minute * MINUTE
    due = due_steps(shift, lifecycle_offsets, now)
    assert due_steps(shift, lifecycle_offsets, now) == due
    assert len(due.send) + len(due.merged) + len(due.skip) == len(due.handled)
    assert not due.handled & shift.done
    recorded = ShiftProgress(
        shift.shift_id, shift.starts_at, shift.published, shift.cancelled, shift.done | due.handled
    )
    assert due_steps(recorded, lifecycle_offsets, now) == NOTHING_DUE


@given(any_progress, offsets(), moments)
def test_the_next_step_is_due_when_the_plan_stops_being_empty(
    shift: ShiftProgress, lifecycle_offsets: Offsets, minute: int
) -> None:
    now = T + minute * MINUTE
    due = due_steps(shift, lifecycle_offsets, now)
    upcoming = next_step(shift, lifecycle_offsets)
    assert upcoming is None or upcoming.at < shift.starts_at
    if now < shift.starts_at:
        assert (due != NOTHING_DUE) == (upcoming is not None and upcoming.at <= now)
        if upcoming is not None and upcoming.at <= now:
            assert upcoming.step in due.handled
        recorded = ShiftProgress(
            shift.shift_id,
            shift.starts_at,
            shift.published,
            shift.cancelled,
            shift.done | due.handled,
        )
        later = next_step(recorded, lifecycle_offsets)
        assert later is None or later.at > now


def test_own_offsets_replace_only_the_ones_given() -> None:
    own = DEFAULTS.overridden(72, None, 30)
    assert own == Offsets(timedelta(hours=72), timedelta(hours=36), timedelta(hours=30))
    assert DEFAULTS.overridden(None, None, None) == DEFAULTS
    with pytest.raises(ValueError, match="confirm > nudge > remind"):
        DEFAULTS.overridden(None, None, 40)  # a reminder before the nudge
