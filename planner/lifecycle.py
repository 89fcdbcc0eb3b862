"""What a shift's lifecycle asks of the bot at a given moment: announce, card, nudge, reminder.

The due-work job reads each upcoming shift's progress from the database (the database is the
state machine), asks :func:`due_steps` what is due at ``now``, queues it in the outbox and records
every step of :attr:`DuePlan.handled` in the same transaction. Nothing here reads a clock or keeps
state, so a restart simply asks again and catches up; asking twice gives the same plan.

The steps, with the default offsets (``[schedule]``, or the template's own ones):

- ANNOUNCE: the group announcement, due as soon as the shift is published;
- CONFIRM: the confirm / decline card in the site's group, @-mentioning everyone on the shift,
  due at T−48 h;
- NUDGE: a private nudge to those who have not answered and a summary for coordinators, T−36 h;
- REMIND: the reminder (time, meeting point, contact, equipment, tasks) to those confirmed, T−24 h.

Nothing is due for a shift that is unpublished, cancelled or has started (``now >= starts_at``): a
message about a shift already under way arrives too late to help. A timed step is due from
``starts_at − offset`` until it is handled. When the bot was down, or the shift was published
late, several timed steps fall due at once; sending them all would bury volunteers in stale
messages, so the plan sends only what still makes sense:

============================  ===========  =========  =========
timed steps due, unhandled    send         merged     skip
============================  ===========  =========  =========
CONFIRM                       CONFIRM
CONFIRM NUDGE                 CONFIRM                 NUDGE
CONFIRM NUDGE REMIND          CONFIRM      REMIND     NUDGE
CONFIRM REMIND (1)            CONFIRM      REMIND
NUDGE                         NUDGE
NUDGE REMIND                  REMIND                  NUDGE
REMIND                        REMIND
NUDGE (REMIND handled) (1)                            NUDGE
============================  ===========  =========  =========

(1) Not reached through these rules (NUDGE is only ever skipped together with the card or the
reminder); listed because a row can be edited by hand, and the answer must still be sane.

- CONFIRM is never skipped, however late: the card is the only way volunteers answer.
- REMIND merged means the reminder's details ride in the confirm card: one message, not two in the
  same minute. Its recipients are the people on the shift, who have not had a chance to confirm.
- NUDGE is skipped when the card goes out in the same plan (nobody could have answered yet, so it
  would nudge everyone) and when the reminder has gone or goes now (a day before, the reminder
  says all a nudge would). Coordinators then see the answers in the shift's status instead.
- ANNOUNCE is never skipped and comes first: the group learns of the shift before anyone is
  asked about it, late or not.

Skipped steps are recorded as handled, like sent ones, so they are never planned again; how each
was handled (sent, merged, skipped) is the caller's to store, for the audit trail and the stats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final


class Step(StrEnum):
    """In lifecycle order (iterating over ``Step`` gives that order); values are what is stored."""

    ANNOUNCE = "announce"
    CONFIRM = "confirm"
    NUDGE = "nudge"
    REMIND = "remind"


_ORDER: Final = {step: index for index, step in enumerate(Step)}

AT_ONCE: Final = datetime.min.replace(tzinfo=UTC)
"""What :func:`next_step` gives when the announcement is pending: it has been due since the
shift was published, a moment the progress does not carry; any ``now`` is past it."""


@dataclass(frozen=True)
class Offsets:
    """How long before the start each timed step falls due; the organisation's or a template's."""

    confirm: timedelta
    nudge: timedelta
    remind: timedelta

    def __post_init__(self) -> None:
        # Equal offsets would nudge people the minute their card arrives, and a reminder before
        # the card would go to nobody (nobody has confirmed yet): refuse them where they are made.
        if not self.confirm > self.nudge > self.remind > timedelta(0):
            raise ValueError(
                "offsets must satisfy confirm > nudge > remind > 0: "
                f"{self.confirm}, {self.nudge}, {self.remind}"
            )

    @classmethod
    def from_hours(cls, confirm: float, nudge: float, remind: float) -> Offsets:
        """From the hours the settings and templates hold (``confirm_hours_before`` and so on)."""
        return cls(timedelta(hours=confirm), timedelta(hours=nudge), timedelta(hours=remind))

    def overridden(
        self, confirm: float | None, nudge: float | None, remind: float | None
    ) -> Offsets:
        """These offsets with the given ones replaced (hours, a template's or a shift's own);
        None keeps ours. Raises ValueError when the result is out of order."""
        hours = (confirm, nudge, remind)
        mine = (self.confirm, self.nudge, self.remind)
        return Offsets(
            *(
                ours if given is None else timedelta(hours=given)
                for given, ours in zip(hours, mine, strict=True)
            )
        )

    def before(self, step: Step) -> timedelta | None:
        """How long before the start ``step`` falls due; None for ANNOUNCE (due on publication)."""
        match step:
            case Step.CONFIRM:
                return self.confirm
            case Step.NUDGE:
                return self.nudge
            case Step.REMIND:
                return self.remind
            case Step.ANNOUNCE:
                return None


@dataclass(frozen=True)
class ShiftProgress:
    """What the rules need to know of a shift; ``done`` holds every step already handled (sent,
    merged or skipped). ``starts_at`` must be timezone-aware (UTC from storage)."""

    shift_id: int
    starts_at: datetime
    published: bool
    cancelled: bool = False
    done: frozenset[Step] = frozenset()

    def __post_init__(self) -> None:
        # A naive time (a caller's mistake) would raise far from the cause, or compare local
        # with UTC.
        if self.starts_at.tzinfo is None:
            raise ValueError(f"shift {self.shift_id}: starts_at must be timezone-aware")


@dataclass(frozen=True)
class DuePlan:
    """What to do now. Each step in ``send`` is its own delivery, in lifecycle order; ``merged``
    steps ride in another delivery (only REMIND, inside the CONFIRM card); ``skip`` steps are
    stale and never sent. The three are disjoint; record all of :attr:`handled` as done."""

    send: tuple[Step, ...] = ()
    merged: tuple[Step, ...] = ()
    skip: tuple[Step, ...] = ()

    @property
    def handled(self) -> frozenset[Step]:
        return frozenset((*self.send, *self.merged, *self.skip))

    @property
    def reminder_in_card(self) -> bool:
        """Whether the confirm card must carry the reminder's details."""
        return Step.REMIND in self.merged


NOTHING_DUE: Final = DuePlan()


def _due_at(step: Step, progress: ShiftProgress, offsets: Offsets) -> datetime:
    before = offsets.before(step)
    return AT_ONCE if before is None else progress.starts_at - before


def _in_order(steps: list[Step]) -> tuple[Step, ...]:
    return tuple(sorted(steps, key=_ORDER.__getitem__))


def due_steps(progress: ShiftProgress, offsets: Offsets, now: datetime) -> DuePlan:
    """What to do for this shift at ``now`` (timezone-aware); see the module doc for the rules."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not progress.published or progress.cancelled or now >= progress.starts_at:
        return NOTHING_DUE
    pending = {
        step
        for step in Step
        if step not in progress.done and _due_at(step, progress, offsets) <= now
    }
    send: list[Step] = [step for step in (Step.ANNOUNCE, Step.CONFIRM) if step in pending]
    merged: list[Step] = []
    skip: list[Step] = []
    if Step.REMIND in pending:
        (merged if Step.CONFIRM in pending else send).append(Step.REMIND)
    if Step.NUDGE in pending:
        stale = Step.CONFIRM in pending or Step.REMIND in pending | progress.done
        (skip if stale else send).append(Step.NUDGE)
    return DuePlan(_in_order(send), _in_order(merged), _in_order(skip))


@dataclass(frozen=True)
class NextStep:
    step: Step
    at: datetime
    """From when :func:`due_steps` has it to do; may be past (overdue), or :data:`AT_ONCE`."""


def next_step(progress: ShiftProgress, offsets: Offsets) -> NextStep | None:
    """The step :func:`due_steps` will plan next for this shift and from when, or None if
    nothing is ever due again; for the coordinators' view of a shift.

    The moment may be past (overdue work, to catch up now; :data:`AT_ONCE` for a pending
    announcement) and is always before the start; but once the shift has started nothing is
    due any more, whatever this says, so the caller only asks it about shifts that have not
    started. The step is the earliest pending one; :func:`due_steps` may still merge or skip it.
    """
    if not progress.published or progress.cancelled:
        return None
    pending = [
        NextStep(step, _due_at(step, progress, offsets))
        for step in Step
        if step not in progress.done
    ]
    return min(pending, key=lambda upcoming: (upcoming.at, _ORDER[upcoming.step]), default=None)
