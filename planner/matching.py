"""Who is asked to cover a vacancy (backfill): eligibility, then a ranking.

Pure: the caller reads the volunteers, their bookings and their offer history inside its
transaction and hands them over; nothing here reads a clock or the database.

**Eligible** are volunteers who

- are registered and active;
- are not on the shift: no assignment, or one that was withdrawn. Whoever declined this shift is
  not asked again, and neither is whoever just vacated the seat (``Vacancy.vacated_by``);
- have not been offered this shift before (one offer card per person and shift);
- have no booking too close to it (:func:`planner.conflicts.too_close` with ``min_rest``);
- are under the weekly cap: fewer than ``weekly_cap`` bookings in the shift's ISO week (local).

**Ranked** by a score, one point each for

- a registered district that is the site's district;
- speaking a language the shift still needs (:func:`planner.needs.needs_unmet` over the people
  holding a seat);
- an availability slot matching the shift's local weekday and part of day (``sat-am``; am starts
  before 12:00, pm before 18:00, else eve);

then least recently asked first (never asked before anyone asked), then by volunteer id, so the
order is total and stable. :func:`rank` returns the top ``batch``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

from planner.conflicts import DEFAULT_MIN_REST, ShiftSlot, too_close
from planner.needs import needs_unmet
from planner.registration import WEEKDAYS

DEFAULT_WEEKLY_CAP: Final = 3
DEFAULT_BATCH: Final = 3
ASKABLE_STATES: Final = frozenset({None, "withdrawn"})
"""A volunteer's state on the shift itself that still allows asking them (None: not on it)."""

Ineligibility = Literal["inactive", "on_shift", "vacated", "offered", "overlap", "over_cap"]


def day_part(local: time) -> str:
    """``am`` before 12:00, ``pm`` before 18:00, else ``eve`` (planner.registration.DAY_PARTS)."""
    if local < time(12):
        return "am"
    if local < time(18):
        return "pm"
    return "eve"


def availability_slot(starts_at: datetime, zone: ZoneInfo) -> str:
    """The registration slot a shift starting at ``starts_at`` falls in: ``sat-am``."""
    local = starts_at.astimezone(zone)
    return f"{WEEKDAYS[local.weekday()]}-{day_part(local.time())}"


def iso_week(instant: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """(ISO year, ISO week) of the local date of ``instant``."""
    year, week, _ = instant.astimezone(zone).isocalendar()
    return year, week


def shifts_in_week(target: ShiftSlot, bookings: Iterable[ShiftSlot], zone: ZoneInfo) -> int:
    """How many of ``bookings`` (cancelled ones and the target itself aside) start in the
    target's local ISO week."""
    week = iso_week(target.starts_at, zone)
    return sum(
        1
        for slot in bookings
        if not slot.cancelled
        and slot.shift_id != target.shift_id
        and iso_week(slot.starts_at, zone) == week
    )


def over_weekly_cap(
    target: ShiftSlot, bookings: Iterable[ShiftSlot], cap: int, zone: ZoneInfo
) -> bool:
    """True when one more shift in the target's week would exceed ``cap``."""
    return shifts_in_week(target, bookings, zone) >= cap


@dataclass(frozen=True)
class Vacancy:
    """The shift with a free seat, as the ranking sees it."""

    slot: ShiftSlot
    district: str
    """The site's district code."""
    zone: ZoneInfo
    language_needs: Mapping[str, int] = field(default_factory=dict)
    languages_on_shift: tuple[tuple[str, ...], ...] = ()
    """Languages of each person holding a seat now (after the vacancy opened)."""
    vacated_by: frozenset[int] = frozenset()
    """Volunteer ids who just left the seat(s): not offered them straight back."""

    @property
    def languages_needed(self) -> frozenset[str]:
        unmet = needs_unmet(dict(self.language_needs), [list(s) for s in self.languages_on_shift])
        return frozenset(unmet)


@dataclass(frozen=True)
class Candidate:
    """A volunteer as the ranking sees them. Times must be timezone-aware."""

    volunteer_id: int
    active: bool = True
    districts: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    availability: tuple[str, ...] = ()
    bookings: tuple[ShiftSlot, ...] = ()
    """Their current bookings (seats held on scheduled shifts), at least those near the shift."""
    state_on_shift: str | None = None
    """Their assignment's state on the vacancy's shift, None if they have none."""
    offered_this_shift: bool = False
    last_offered_at: datetime | None = None
    """When they were last offered any shift; None if never."""

    def __post_init__(self) -> None:
        if self.last_offered_at is not None and self.last_offered_at.tzinfo is None:
            raise ValueError(f"volunteer {self.volunteer_id}: last_offered_at must be aware")


@dataclass(frozen=True)
class MatchRules:
    min_rest: timedelta = DEFAULT_MIN_REST
    weekly_cap: int = DEFAULT_WEEKLY_CAP
    batch: int = DEFAULT_BATCH

    def __post_init__(self) -> None:
        if self.min_rest < timedelta(0):
            raise ValueError(f"min_rest must not be negative: {self.min_rest}")
        if self.weekly_cap < 1 or self.batch < 1:
            raise ValueError(f"weekly_cap and batch must be positive: {self}")


@dataclass(frozen=True)
class Score:
    district: bool
    language: bool
    availability: bool

    @property
    def points(self) -> int:
        return int(self.district) + int(self.language) + int(self.availability)


@dataclass(frozen=True)
class Ranked:
    volunteer_id: int
    score: Score
    last_offered_at: datetime | None


def ineligibility(
    vacancy: Vacancy, candidate: Candidate, rules: MatchRules
) -> Ineligibility | None:
    """None if ``candidate`` may be offered the vacancy, else the first rule that forbids it."""
    bookings = [
        slot
        for slot in candidate.bookings
        if not slot.cancelled and slot.shift_id != vacancy.slot.shift_id
    ]
    rules_in_order: tuple[tuple[Ineligibility, bool], ...] = (
        ("inactive", not candidate.active),
        ("vacated", candidate.volunteer_id in vacancy.vacated_by),
        ("on_shift", candidate.state_on_shift not in ASKABLE_STATES),
        ("offered", candidate.offered_this_shift),
        ("overlap", any(too_close(slot, vacancy.slot, rules.min_rest) for slot in bookings)),
        ("over_cap", over_weekly_cap(vacancy.slot, bookings, rules.weekly_cap, vacancy.zone)),
    )
    return next((reason for reason, broken in rules_in_order if broken), None)


def score(vacancy: Vacancy, candidate: Candidate) -> Score:
    return Score(
        district=vacancy.district in candidate.districts,
        language=bool(vacancy.languages_needed & set(candidate.languages)),
        availability=availability_slot(vacancy.slot.starts_at, vacancy.zone)
        in candidate.availability,
    )


def _order(ranked: Ranked) -> tuple[int, bool, float, int]:
    # Never asked sorts before anyone asked; then the longest ago first.
    asked = ranked.last_offered_at
    return (
        -ranked.score.points,
        asked is not None,
        asked.timestamp() if asked is not None else 0.0,
        ranked.volunteer_id,
    )


def rank_all(vacancy: Vacancy, candidates: Iterable[Candidate], rules: MatchRules) -> list[Ranked]:
    """Every eligible candidate, best first."""
    eligible = [
        Ranked(candidate.volunteer_id, score(vacancy, candidate), candidate.last_offered_at)
        for candidate in candidates
        if ineligibility(vacancy, candidate, rules) is None
    ]
    return sorted(eligible, key=_order)


def rank(vacancy: Vacancy, candidates: Iterable[Candidate], rules: MatchRules) -> list[Ranked]:
    """The best ``rules.batch`` eligible candidates, best first."""
    return rank_all(vacancy, candidates, rules)[: rules.batch]
