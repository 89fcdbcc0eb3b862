from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from random import Random
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.conflicts import ShiftSlot
from planner.matching import (
    Candidate,
    MatchRules,
    Vacancy,
    availability_slot,
    day_part,
    ineligibility,
    iso_week,
    over_weekly_cap,
    rank,
    rank_all,
    score,
    shifts_in_week,
)

HK = ZoneInfo("Asia/Hong_Kong")
# Saturday 14 March 2026, 09:00-12:00 in Hong Kong; its ISO week runs Mon 9 to Sun 15 March.
SAT = datetime(2026, 3, 14, tzinfo=HK)
VACANCY_SLOT = ShiftSlot(1, SAT + timedelta(hours=9), SAT + timedelta(hours=12), 3)
VACANCY = Vacancy(slot=VACANCY_SLOT, district="sham-shui-po", zone=HK)
RULES = MatchRules()
ASKED = datetime(2026, 3, 1, tzinfo=UTC)


def hk_slot(
    shift_id: int, day: int, start: float, end: float, *, cancelled: bool = False
) -> ShiftSlot:
    """A shift on ``day`` March 2026 from ``start`` to ``end`` o'clock, Hong Kong time."""
    base = datetime(2026, 3, day, tzinfo=HK)
    return ShiftSlot(
        shift_id, base + timedelta(hours=start), base + timedelta(hours=end), 2, cancelled
    )


def person(volunteer_id: int = 7, **fields: object) -> Candidate:
    return replace(Candidate(volunteer_id), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("local", "part"),
    [
        (time(0), "am"),
        (time(9), "am"),
        (time(11, 59), "am"),
        (time(12), "pm"),
        (time(17, 59), "pm"),
        (time(18), "eve"),
        (time(23, 59), "eve"),
    ],
)
def test_parts_of_the_day(local: time, part: str) -> None:
    assert day_part(local) == part


@pytest.mark.parametrize(
    ("starts_at", "slot"),
    [
        (SAT + timedelta(hours=9), "sat-am"),
        (SAT + timedelta(hours=14), "sat-pm"),
        (SAT + timedelta(hours=19), "sat-eve"),
        (datetime(2026, 3, 14, 16, 30, tzinfo=UTC), "sun-am"),  # 00:30 on Sunday in Hong Kong
        (datetime(2026, 3, 9, 1, tzinfo=UTC), "mon-am"),
    ],
)
def test_the_availability_slot_is_the_local_weekday_and_part(
    starts_at: datetime, slot: str
) -> None:
    assert availability_slot(starts_at, HK) == slot


def test_iso_weeks_are_local() -> None:
    assert iso_week(SAT, HK) == (2026, 11)
    # Sunday 16:30 UTC is already Monday in Hong Kong: the next week.
    assert iso_week(datetime(2026, 3, 15, 16, 30, tzinfo=UTC), HK) == (2026, 12)


@pytest.mark.parametrize(
    ("bookings", "count"),
    [
        ([], 0),
        ([hk_slot(2, 9, 9, 12), hk_slot(3, 11, 9, 12), hk_slot(4, 15, 18, 20)], 3),
        ([hk_slot(2, 8, 9, 12)], 0),  # the Sunday before
        ([hk_slot(2, 16, 9, 12)], 0),  # the Monday after
        ([hk_slot(2, 9, 0.5, 2)], 1),  # 00:30 Monday local is Sunday in UTC: still this week
        ([hk_slot(2, 10, 9, 12, cancelled=True)], 0),
        ([VACANCY_SLOT], 0),  # the vacancy itself never counts
    ],
)
def test_shifts_in_the_week(bookings: list[ShiftSlot], count: int) -> None:
    assert shifts_in_week(VACANCY_SLOT, bookings, HK) == count
    assert over_weekly_cap(VACANCY_SLOT, bookings, cap=count or 1, zone=HK) == (count > 0)


THREE_THIS_WEEK = (hk_slot(2, 9, 9, 12), hk_slot(3, 11, 9, 12), hk_slot(4, 12, 18, 20))


@pytest.mark.parametrize(
    ("candidate", "rules", "reason"),
    [
        (person(), RULES, None),
        (person(active=False), RULES, "inactive"),
        (person(volunteer_id=99), RULES, "vacated"),
        (person(state_on_shift="invited"), RULES, "on_shift"),
        (person(state_on_shift="confirmed"), RULES, "on_shift"),
        (person(state_on_shift="declined"), RULES, "on_shift"),  # declined this one: not again
        (person(state_on_shift="standby"), RULES, "on_shift"),
        (person(state_on_shift="withdrawn"), RULES, None),
        (person(offered_this_shift=True), RULES, "offered"),
        (person(bookings=(hk_slot(2, 14, 11, 13),)), RULES, "overlap"),
        (person(bookings=(hk_slot(2, 14, 8, 9.5),)), RULES, "overlap"),
        (person(bookings=(hk_slot(2, 14, 12, 14),)), RULES, None),  # back to back
        (
            person(bookings=(hk_slot(2, 14, 12, 14),)),
            MatchRules(min_rest=timedelta(minutes=30)),
            "overlap",
        ),
        (person(bookings=(hk_slot(2, 14, 10, 11, cancelled=True),)), RULES, None),
        (person(bookings=THREE_THIS_WEEK[:2]), RULES, None),
        (person(bookings=THREE_THIS_WEEK), RULES, "over_cap"),
        (person(bookings=THREE_THIS_WEEK), MatchRules(weekly_cap=4), None),
        (person(bookings=THREE_THIS_WEEK[:1]), MatchRules(weekly_cap=1), "over_cap"),
        (
            person(bookings=(*THREE_THIS_WEEK[:2], hk_slot(4, 12, 18, 20, cancelled=True))),
            RULES,
            None,
        ),
        # The first rule broken is the one named.
        (person(active=False, state_on_shift="declined"), RULES, "inactive"),
        (person(state_on_shift="invited", offered_this_shift=True), RULES, "on_shift"),
        (person(bookings=(hk_slot(2, 14, 11, 13), *THREE_THIS_WEEK)), RULES, "overlap"),
    ],
)
def test_who_may_be_offered_the_vacancy(
    candidate: Candidate, rules: MatchRules, reason: str | None
) -> None:
    vacancy = replace(VACANCY, vacated_by=frozenset({99}))
    assert ineligibility(vacancy, candidate, rules) == reason


def test_languages_still_needed_count_only_the_people_holding_seats() -> None:
    needs = replace(VACANCY, language_needs={"cmn": 1, "en": 2})
    assert needs.languages_needed == {"cmn", "en"}
    assert replace(needs, languages_on_shift=(("yue", "cmn"),)).languages_needed == {"en"}
    covered = replace(needs, languages_on_shift=(("cmn", "en"), ("en",)))
    assert covered.languages_needed == frozenset()


@pytest.mark.parametrize(
    ("candidate", "points"),
    [
        (person(), 0),
        (person(districts=("sham-shui-po",)), 1),
        (person(districts=("kwun-tong", "sham-shui-po")), 1),
        (person(districts=("kwun-tong",)), 0),
        (person(languages=("cmn",)), 1),
        (person(languages=("en",)), 0),  # English is not needed
        (person(availability=("sat-am",)), 1),
        (person(availability=("sat-pm", "sun-am")), 0),
        (
            person(
                districts=("sham-shui-po",), languages=("yue", "cmn"), availability=("sat-am",)
            ),
            3,
        ),
    ],
)
def test_the_score(candidate: Candidate, points: int) -> None:
    vacancy = replace(VACANCY, language_needs={"cmn": 1}, languages_on_shift=(("yue",),))
    assert score(vacancy, candidate).points == points


def test_nobody_needs_a_language_when_the_shift_needs_none() -> None:
    assert score(VACANCY, person(languages=("cmn", "en", "yue"))).language is False


LOCAL = ("sham-shui-po",)


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        # a better score first
        ([person(1), person(2, districts=LOCAL)], [2, 1]),
        (
            [person(1, districts=LOCAL), person(2, districts=LOCAL, availability=("sat-am",))],
            [2, 1],
        ),
        # then whoever was never asked, then whoever was asked longest ago
        (
            [
                person(1, last_offered_at=ASKED + timedelta(days=2)),
                person(2, last_offered_at=ASKED),
                person(3),
            ],
            [3, 2, 1],
        ),
        # the score beats fairness
        ([person(1), person(2, districts=LOCAL, last_offered_at=ASKED)], [2, 1]),
        # then the id, so that the order is stable
        ([person(5), person(3), person(4)], [3, 4, 5]),
        ([person(2, last_offered_at=ASKED), person(1, last_offered_at=ASKED)], [1, 2]),
        # the ineligible are left out, however well they match
        ([person(1, districts=LOCAL, state_on_shift="declined"), person(2)], [2]),
        ([person(1, active=False), person(2, offered_this_shift=True)], []),
    ],
)
def test_the_ranking(candidates: list[Candidate], expected: list[int]) -> None:
    assert [ranked.volunteer_id for ranked in rank_all(VACANCY, candidates, RULES)] == expected


def test_only_the_top_of_the_batch_is_asked() -> None:
    candidates = [person(n) for n in range(10, 0, -1)]
    assert [r.volunteer_id for r in rank(VACANCY, candidates, RULES)] == [1, 2, 3]
    assert len(rank(VACANCY, candidates, MatchRules(batch=5))) == 5
    assert len(rank(VACANCY, candidates[:2], RULES)) == 2


@pytest.mark.parametrize(
    "fields",
    [{"weekly_cap": 0}, {"batch": 0}, {"min_rest": timedelta(minutes=-1)}],
)
def test_senseless_rules_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the field
        MatchRules(**fields)  # type: ignore[arg-type]


def test_a_naive_offer_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        person(last_offered_at=datetime(2026, 3, 1))  # noqa: DTZ001


# -- properties ---------------------------------------------------------------------------------

HOUR = timedelta(hours=1)
WEEK_START = datetime(2026, 3, 9, tzinfo=HK)
DISTRICTS = ("sham-shui-po", "kwun-tong", "islands")
LANGUAGES = ("yue", "cmn", "en")
SLOTS = ("sat-am", "sat-pm", "sun-am", "mon-eve")
STATES = (None, "withdrawn", "invited", "confirmed", "declined", "standby")


# Bookings from the Friday before to the Tuesday after, in whole hours, so that overlaps, touching
# shifts and week boundaries are all common.
@st.composite
def people(draw: st.DrawFn) -> list[Candidate]:
    built = []
    for volunteer_id in range(1, draw(st.integers(0, 12)) + 1):
        booked = draw(
            st.lists(
                st.tuples(st.integers(-72, 9 * 24), st.integers(1, 8), st.booleans()), max_size=5
            )
        )
        asked = draw(st.one_of(st.none(), st.integers(0, 5)))
        built.append(
            Candidate(
                volunteer_id=volunteer_id,
                active=draw(st.booleans()),
                districts=tuple(sorted(draw(st.sets(st.sampled_from(DISTRICTS))))),
                languages=tuple(sorted(draw(st.sets(st.sampled_from(LANGUAGES))))),
                availability=tuple(sorted(draw(st.sets(st.sampled_from(SLOTS))))),
                bookings=tuple(
                    ShiftSlot(
                        100 * volunteer_id + n,
                        WEEK_START + start * HOUR,
                        WEEK_START + (start + length) * HOUR,
                        2,
                        cancelled,
                    )
                    for n, (start, length, cancelled) in enumerate(booked)
                ),
                state_on_shift=draw(st.sampled_from(STATES)),
                offered_this_shift=draw(st.booleans()),
                last_offered_at=None if asked is None else ASKED + asked * HOUR,
            )
        )
    return built


rules_drawn = st.builds(
    MatchRules,
    min_rest=st.sampled_from([timedelta(0), HOUR, 10 * HOUR]),
    weekly_cap=st.integers(1, 4),
    batch=st.integers(1, 4),
)


def gap(first: ShiftSlot, second: ShiftSlot) -> timedelta:
    return max(first.starts_at, second.starts_at) - min(first.ends_at, second.ends_at)


def eligible_by_hand(candidate: Candidate, rules: MatchRules, vacated: frozenset[int]) -> bool:
    """The rules restated independently of planner.matching."""
    live = [b for b in candidate.bookings if not b.cancelled]
    week = [b for b in live if b.starts_at.astimezone(HK).isocalendar()[:2] == (2026, 11)]
    return (
        candidate.active
        and candidate.volunteer_id not in vacated
        and candidate.state_on_shift in (None, "withdrawn")
        and not candidate.offered_this_shift
        and all(gap(b, VACANCY_SLOT) >= rules.min_rest for b in live)
        and len(week) < rules.weekly_cap
    )


def key(candidate: Candidate, vacancy: Vacancy) -> tuple[int, bool, float, int]:
    asked = candidate.last_offered_at
    return (
        -score(vacancy, candidate).points,
        asked is not None,
        asked.timestamp() if asked else 0.0,
        candidate.volunteer_id,
    )


@given(
    people(),
    rules_drawn,
    st.sets(st.integers(1, 12), max_size=2),
    st.randoms(use_true_random=False),
)
def test_the_batch_is_the_best_of_the_eligible_whatever_the_input_order(
    candidates: list[Candidate], rules: MatchRules, vacated: set[int], shuffler: Random
) -> None:
    vacancy = Vacancy(
        slot=VACANCY_SLOT,
        district="sham-shui-po",
        zone=HK,
        language_needs={"cmn": 1},
        vacated_by=frozenset(vacated),
    )
    chosen = rank(vacancy, candidates, rules)
    eligible = [p for p in candidates if eligible_by_hand(p, rules, vacancy.vacated_by)]
    # exactly the best `batch` of the eligible, best first
    best = sorted(eligible, key=lambda p: key(p, vacancy))[: rules.batch]
    assert [r.volunteer_id for r in chosen] == [p.volunteer_id for p in best]
    assert len({r.volunteer_id for r in chosen}) == len(chosen)
    # nobody asked would clash with a booking
    by_id = {p.volunteer_id: p for p in candidates}
    for ranked in chosen:
        booked = [b for b in by_id[ranked.volunteer_id].bookings if not b.cancelled]
        assert all(gap(b, VACANCY_SLOT) >= rules.min_rest for b in booked)
    # the input order changes nothing
    shuffled = list(candidates)
    shuffler.shuffle(shuffled)
    assert rank(vacancy, shuffled, rules) == chosen
