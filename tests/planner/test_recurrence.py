from __future__ import annotations

import calendar
import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.recurrence import (
    DEFAULT_HORIZON,
    MAX_EVERY_WEEKS,
    Recurrence,
    dates_to_create,
    occurrences,
    parse_rule,
)
from planner.registration import InvalidChoice


@pytest.mark.parametrize(
    ("text", "canonical", "expected"),
    [
        ("sat", "sat", Recurrence((5,))),
        ("Sat", "sat", Recurrence((5,))),
        ("saturday", "sat", Recurrence((5,))),
        ("星期六", "sat", Recurrence((5,))),
        ("週六", "sat", Recurrence((5,))),
        ("六", "sat", Recurrence((5,))),
        ("日", "sun", Recurrence((6,))),
        ("mon,wed", "mon,wed", Recurrence((0, 2))),
        ("wed,mon", "mon,wed", Recurrence((0, 2))),
        ("mon, wed", "mon,wed", Recurrence((0, 2))),
        ("mon、wed", "mon,wed", Recurrence((0, 2))),
        ("mon/wed", "mon,wed", Recurrence((0, 2))),
        ("mon,mon", "mon", Recurrence((0,))),
        ("mon,,wed,", "mon,wed", Recurrence((0, 2))),
        ("一,三", "mon,wed", Recurrence((0, 2))),
        ("六,日", "sat,sun", Recurrence((5, 6))),
        ("星期一、星期四", "mon,thu", Recurrence((0, 3))),
        ("2w:sat", "2w:sat", Recurrence((5,), every_weeks=2)),
        ("2W:Sat", "2w:sat", Recurrence((5,), every_weeks=2)),
        ("1w:sat", "sat", Recurrence((5,))),
        ("2w:mon,thu", "2w:mon,thu", Recurrence((0, 3), every_weeks=2)),
        ("2w: thu, mon", "2w:mon,thu", Recurrence((0, 3), every_weeks=2)),
        ("3w:星期日", "3w:sun", Recurrence((6,), every_weeks=3)),
        ("52w:sun", "52w:sun", Recurrence((6,), every_weeks=52)),
        ("month:15", "month:15", Recurrence(month_day=15)),
        ("Month: 15", "month:15", Recurrence(month_day=15)),
        ("month:15日", "month:15", Recurrence(month_day=15)),
        ("month:15號", "month:15", Recurrence(month_day=15)),
        ("month:1日", "month:1", Recurrence(month_day=1)),  # after a number 日 is the day
        ("month:31", "month:31", Recurrence(month_day=31)),
        ("month:-1", "month:-1", Recurrence(month_day=-1)),
        ("month:1sat", "month:1sat", Recurrence((5,), nth=1)),
        ("month:+1sat", "month:1sat", Recurrence((5,), nth=1)),
        ("month:1saturday", "month:1sat", Recurrence((5,), nth=1)),
        ("month:1星期六", "month:1sat", Recurrence((5,), nth=1)),
        ("month:3禮拜三", "month:3wed", Recurrence((2,), nth=3)),
        ("month:-1sun", "month:-1sun", Recurrence((6,), nth=-1)),
        ("month:5fri", "month:5fri", Recurrence((4,), nth=5)),
        (
            unicodedata.normalize("NFKC", "ｍｏｎｔｈ：１ｓａｔ"),
            "month:1sat",
            Recurrence((5,), nth=1),
        ),
        (
            unicodedata.normalize("NFKC", "２ｗ：ｍｏｎ，ｔｈｕ"),
            "2w:mon,thu",
            Recurrence((0, 3), 2),
        ),
    ],
)
def test_rules(text: str, canonical: str, expected: Recurrence) -> None:
    rule = parse_rule(text)
    assert rule == expected
    assert rule.canonical == canonical
    assert str(rule) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "",
        ",",
        "someday",
        "sat-am",
        "sat,someday",
        "天",
        "星期八",
        "0w:sat",
        "53w:sat",
        "2w:",
        "w:sat",
        "2x:sat",
        "-2w:sat",
        "2w:month:1sat",
        "month:",
        "month:0",
        "month:32",
        "month:-32",
        "month:0sat",
        "month:6sat",
        "month:-6sat",
        "month:1六",  # "1六" is too easily misread; 星期六 or sat say it plainly
        "month:1天",
        "month:1sat,3sat",
        "month:sat",
        "month:1someday",
        "monthly:15",
    ],
)
def test_bad_rules_are_refused(text: str) -> None:
    with pytest.raises(InvalidChoice) as caught:
        parse_rule(text)
    assert caught.value.field == "every"
    assert caught.value.value == text
    assert "2w:sat" in caught.value.accepted


@pytest.mark.parametrize(
    "fields",
    [
        {"weekdays": ()},
        {"weekdays": (5, 0)},
        {"weekdays": (1, 1)},
        {"weekdays": (7,)},
        {"weekdays": (5,), "every_weeks": 0},
        {"month_day": 0},
        {"month_day": 15, "weekdays": (5,)},
        {"nth": 1},
        {"nth": 1, "weekdays": (5, 6)},
        {"nth": 1, "weekdays": (5,), "every_weeks": 2},
    ],
)
def test_malformed_rules_cannot_be_built(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"weekdays|recurrence"):
        Recurrence(**fields)  # type: ignore[arg-type]


def _day(text: str) -> date:
    return date.fromisoformat(text if len(text) == 10 else f"2026-{text}")


@pytest.mark.parametrize(
    ("rule", "anchor", "window", "exceptions", "expected"),
    [
        ("sat", "01-01", "03-01..03-31", "", "03-07 03-14 03-21 03-28"),
        ("sat", "01-01", "03-07..03-14", "", "03-07 03-14"),  # both ends included
        ("sat", "01-01", "03-01..03-31", "03-14 04-04", "03-07 03-21 03-28"),
        ("mon,wed", "03-01", "03-01..03-11", "", "03-02 03-04 03-09 03-11"),
        ("sat", "03-10", "03-01..03-31", "", "03-14 03-21 03-28"),
        ("2w:sat", "03-07", "03-01..04-30", "", "03-07 03-21 04-04 04-18"),
        # the anchor's Monday-to-Sunday week is week 0, even when the anchor is mid-week
        ("2w:sat", "03-04", "03-01..04-30", "", "03-07 03-21 04-04 04-18"),
        # ... but nothing comes before the anchor: Saturday 03-07 precedes Sunday 03-08
        ("2w:sat", "03-08", "03-01..04-30", "", "03-21 04-04 04-18"),
        ("2w:mon,thu", "03-02", "03-01..03-31", "", "03-02 03-05 03-16 03-19 03-30"),
        ("2w:sat", "03-07", "03-08..03-20", "", ""),
        ("month:1sat", "01-01", "01-01..04-30", "", "01-03 02-07 03-07 04-04"),
        ("month:-1sun", "01-01", "01-01..03-31", "", "01-25 02-22 03-29"),
        ("month:15", "01-20", "01-01..04-30", "", "02-15 03-15 04-15"),
        # months without a 31st have no occurrence at all, rather than one moved to the 30th
        ("month:31", "01-01", "01-01..06-30", "", "01-31 03-31 05-31"),
        ("month:-1", "01-01", "01-01..04-30", "", "01-31 02-28 03-31 04-30"),
        ("month:5sat", "01-01", "01-01..06-30", "", "01-31 05-30"),
        ("sat", "04-01", "03-01..03-31", "", ""),
        ("sat", "01-01", "03-31..03-01", "", ""),
    ],
)
def test_occurrences(rule: str, anchor: str, window: str, exceptions: str, expected: str) -> None:
    start, end = window.split("..")
    found = occurrences(
        parse_rule(rule),
        _day(anchor),
        _day(start),
        _day(end),
        frozenset(_day(day) for day in exceptions.split()),
    )
    assert found == [_day(day) for day in expected.split()]


def test_29_february_comes_round_in_leap_years_only() -> None:
    found = occurrences(
        parse_rule("month:29"), date(2026, 1, 1), date(2026, 1, 1), date(2028, 12, 31)
    )
    assert [day for day in found if day.month == 2] == [date(2028, 2, 29)]


weekday_sets = st.sets(st.integers(0, 6), min_size=1).map(lambda days: tuple(sorted(days)))
rules = st.one_of(
    st.builds(Recurrence, weekday_sets, st.integers(1, 8)),
    st.builds(Recurrence, st.just(()), st.just(1), st.integers(1, 31) | st.integers(-31, -1)),
    st.builds(
        Recurrence,
        st.integers(0, 6).map(lambda day: (day,)),
        st.just(1),
        st.none(),
        st.integers(1, 5) | st.integers(-5, -1),
    ),
)
anchors = st.dates(date(2020, 1, 1), date(2030, 12, 31))


@st.composite
def windows(draw: st.DrawFn) -> tuple[date, date, date, frozenset[date]]:
    anchor = draw(anchors)
    start = anchor + timedelta(days=draw(st.integers(-60, 400)))
    end = start + timedelta(days=draw(st.integers(-1, 400)))
    exceptions = draw(
        st.frozensets(st.integers(0, 400).map(lambda n: start + timedelta(days=n)), max_size=20)
    )
    return anchor, start, end, exceptions


@given(rules)
def test_rules_round_trip_through_their_canonical_form(rule: Recurrence) -> None:
    assert parse_rule(rule.canonical) == rule


def _matches(rule: Recurrence, anchor: date, day: date) -> bool:
    """Each rule read straight off a calendar, as an oracle for the rrule-backed expansion."""
    month_length = calendar.monthrange(day.year, day.month)[1]
    if rule.month_day is not None:
        wanted = rule.month_day if rule.month_day > 0 else month_length + 1 + rule.month_day
        return day.day == wanted
    if rule.nth is not None:
        count = (day.day - 1) // 7 + 1 if rule.nth > 0 else -((month_length - day.day) // 7 + 1)
        return day.weekday() == rule.weekdays[0] and count == rule.nth
    weeks = (
        (day - timedelta(days=day.weekday())) - (anchor - timedelta(days=anchor.weekday()))
    ).days
    return day.weekday() in rule.weekdays and weeks // 7 % rule.every_weeks == 0


@given(rules, windows())
def test_occurrences_are_exactly_the_matching_days(
    rule: Recurrence, window: tuple[date, date, date, frozenset[date]]
) -> None:
    anchor, start, end, exceptions = window
    found = occurrences(rule, anchor, start, end, exceptions)
    assert found == sorted(set(found))
    assert all(max(start, anchor) <= day <= end for day in found)
    assert not set(found) & exceptions
    first = max(start, anchor)
    every_day = (first + timedelta(days=n) for n in range((end - first).days + 1))
    assert found == [
        day for day in every_day if day not in exceptions and _matches(rule, anchor, day)
    ]


@given(weekday_sets, st.integers(1, MAX_EVERY_WEEKS), windows())
def test_every_n_weeks_falls_a_multiple_of_n_weeks_after_the_anchor_week(
    weekdays: tuple[int, ...], every: int, window: tuple[date, date, date, frozenset[date]]
) -> None:
    anchor, start, end, exceptions = window
    anchor_monday = anchor - timedelta(days=anchor.weekday())
    for day in occurrences(Recurrence(weekdays, every), anchor, start, end, exceptions):
        assert day.weekday() in weekdays
        assert (day - timedelta(days=day.weekday()) - anchor_monday).days % (7 * every) == 0


@given(rules, windows(), st.integers(0, 400))
def test_expanding_in_two_parts_gives_the_same_dates(
    rule: Recurrence, window: tuple[date, date, date, frozenset[date]], cut: int
) -> None:
    anchor, start, end, exceptions = window
    middle = min(start + timedelta(days=cut), end)
    whole = occurrences(rule, anchor, start, end, exceptions)
    first = occurrences(rule, anchor, start, middle, exceptions)
    rest = occurrences(rule, anchor, middle + timedelta(days=1), end, exceptions)
    assert whole == first + rest


@given(rules, anchors, st.integers(0, 60), st.integers(0, 60), st.integers(1, 8))
def test_rolling_the_horizon_creates_exactly_the_missing_shifts(
    rule: Recurrence, anchor: date, first_run: int, days_later: int, horizon_weeks: int
) -> None:
    horizon = timedelta(weeks=horizon_weeks)
    today = anchor + timedelta(days=first_run)
    created = dates_to_create(rule, anchor, today, frozenset(), horizon=horizon)
    assert dates_to_create(rule, anchor, today, frozenset(created), horizon=horizon) == []

    later = today + timedelta(days=days_later)
    more = dates_to_create(rule, anchor, later, frozenset(created), horizon=horizon)
    assert not set(more) & set(created)
    wanted = occurrences(rule, anchor, later, later + horizon - timedelta(days=1))
    assert set(wanted) <= set(created) | set(more)
    assert all(later <= day < later + horizon for day in more)


def test_the_default_horizon_is_four_weeks_from_today() -> None:
    today = date(2026, 3, 11)
    created = dates_to_create(parse_rule("sat"), date(2026, 1, 1), today, frozenset())
    assert timedelta(weeks=4) == DEFAULT_HORIZON
    assert created == [date(2026, 3, 14), date(2026, 3, 21), date(2026, 3, 28), date(2026, 4, 4)]


def test_cancelled_and_excepted_dates_are_not_recreated() -> None:
    today = date(2026, 3, 11)
    created = dates_to_create(
        parse_rule("sat"),
        date(2026, 1, 1),
        today,
        existing=frozenset({date(2026, 3, 14)}),
        exceptions=frozenset({date(2026, 3, 21)}),
    )
    assert created == [date(2026, 3, 28), date(2026, 4, 4)]


def test_a_horizon_shorter_than_a_day_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="horizon"):
        dates_to_create(
            parse_rule("sat"),
            date(2026, 1, 1),
            date(2026, 3, 11),
            frozenset(),
            horizon=timedelta(0),
        )
