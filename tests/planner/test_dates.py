from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from planner.dates import (
    MAX_AHEAD,
    parse_date,
    parse_date_range,
    parse_hours_before,
    parse_time_range,
    read_weekday,
    shift_window,
)
from planner.registration import InvalidChoice

WEDNESDAY = date(2026, 3, 11)
HONG_KONG = ZoneInfo("Asia/Hong_Kong")
LONDON = ZoneInfo("Europe/London")


def days(n: int) -> date:
    return WEDNESDAY + timedelta(days=n)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("2026-03-07", date(2026, 3, 7)),  # a full date is taken as typed, past or not
        ("2026-3-7", date(2026, 3, 7)),
        ("2026/03/07", date(2026, 3, 7)),
        ("2026年3月7日", date(2026, 3, 7)),
        ("2028-02-29", date(2028, 2, 29)),
        ("03-11", WEDNESDAY),
        ("03-12", date(2026, 3, 12)),
        ("3-12", date(2026, 3, 12)),
        ("03-10", date(2027, 3, 10)),
        ("12-31", date(2026, 12, 31)),
        ("01-05", date(2027, 1, 5)),
        ("3月20日", date(2026, 3, 20)),
        ("3月20號", date(2026, 3, 20)),
        ("3月20", date(2026, 3, 20)),
        ("today", WEDNESDAY),
        (" Today ", WEDNESDAY),
        ("今日", WEDNESDAY),
        ("今天", WEDNESDAY),
        ("tomorrow", days(1)),
        ("tmr", days(1)),
        ("聽日", days(1)),
        ("明天", days(1)),
        ("明日", days(1)),
        ("day-after", days(2)),
        ("後日", days(2)),
        ("后天", days(2)),
        ("wed", WEDNESDAY),  # today counts: see the module notes
        ("Wednesday", WEDNESDAY),
        ("thu", days(1)),
        ("sat", days(3)),
        ("SAT", days(3)),
        ("sun", days(4)),
        ("mon", days(5)),
        ("tue", days(6)),
        ("星期六", days(3)),
        ("週六", days(3)),
        ("周六", days(3)),
        ("禮拜六", days(3)),
        ("礼拜六", days(3)),
        ("星期日", days(4)),
        ("星期天", days(4)),
        ("禮拜天", days(4)),
        ("星期三", WEDNESDAY),
    ],
)
def test_dates(word: str, expected: date) -> None:
    assert parse_date(word, WEDNESDAY) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("２０２６－０３－０７", date(2026, 3, 7)),
        ("０３－１２", date(2026, 3, 12)),
        ("ＳＡＴ", days(3)),
        ("２０２６年３月７日", date(2026, 3, 7)),
        ("３月２０日", date(2026, 3, 20)),
    ],
)
def test_full_width_dates_after_nfkc(typed: str, expected: date) -> None:
    assert parse_date(unicodedata.normalize("NFKC", typed), WEDNESDAY) == expected


@pytest.mark.parametrize(
    "word",
    [
        "",
        "someday",
        "2026-02-30",
        "2026-13-01",
        "0000-01-01",
        "02-30",
        "13-01",
        "00-10",
        "03-00",
        "2026-03",
        "20260307",
        "2026-03-07-01",
        "03/12",  # MM/DD or DD/MM? Hong Kong writes the latter: refuse rather than guess
        "12/03",
        "六",  # a lone character is a weekday only in a list of weekdays
        "日",
        "星期八",
        "next sat",
        "sat-am",
        "2月30日",
        "02-29",  # no 29 February within a year of 2026-03-11
    ],
)
def test_bad_dates_are_refused(word: str) -> None:
    with pytest.raises(InvalidChoice) as caught:
        parse_date(word, WEDNESDAY)
    assert caught.value.field == "date"
    assert caught.value.value == word
    assert "YYYY-MM-DD" in caught.value.accepted


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 3, 1), date(2028, 2, 29)),
        (date(2028, 2, 1), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2028, 2, 29)),
    ],
)
def test_29_february_is_the_next_one_within_a_year(today: date, expected: date) -> None:
    assert parse_date("02-29", today) == expected


@pytest.mark.parametrize("today", [date(2027, 1, 10), date(2028, 3, 1)])
def test_29_february_more_than_a_year_away_is_refused(today: date) -> None:
    with pytest.raises(InvalidChoice):
        parse_date("02-29", today)


@given(
    st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.dates(date(2000, 1, 1), date(9990, 1, 1))
)
def test_full_dates_round_trip_within_two_years_ahead(day: date, today: date) -> None:
    if day <= today + MAX_AHEAD:
        assert parse_date(day.isoformat(), today) == day
    else:
        with pytest.raises(InvalidChoice, match="at most 2 years ahead"):
            parse_date(day.isoformat(), today)


@pytest.mark.parametrize("word", ["1999-12-31", "9999-12-31", "2029-01-01"])
def test_full_dates_outside_the_window_are_refused(word: str) -> None:
    with pytest.raises(InvalidChoice, match="from 2000-01-01"):
        parse_date(word, date(2026, 12, 6))


@given(
    st.dates(date(2001, 1, 1), date(2098, 12, 31)), st.dates(date(2001, 1, 1), date(2098, 1, 1))
)
def test_month_day_is_the_next_such_day_within_a_year(day: date, today: date) -> None:
    try:
        found = parse_date(f"{day:%m-%d}", today)
    except InvalidChoice:
        assert (day.month, day.day) == (2, 29)
        return
    assert (found.month, found.day) == (day.month, day.day)
    assert today <= found < today + timedelta(days=366)


weekday_names = st.sampled_from(
    [
        ("mon", 0),
        ("tuesday", 1),
        ("wed", 2),
        ("thurs", 3),
        ("fri", 4),
        ("sat", 5),
        ("sun", 6),
        ("星期一", 0),
        ("週二", 1),
        ("周三", 2),
        ("禮拜四", 3),
        ("礼拜五", 4),
        ("星期六", 5),
        ("星期天", 6),
        ("週日", 6),
    ]
)


@given(weekday_names, st.dates())
def test_weekday_is_the_next_such_day_today_included(name: tuple[str, int], today: date) -> None:
    assume(today <= date.max - timedelta(days=7))
    word, number = name
    found = parse_date(word, today)
    assert found.weekday() == number
    assert today <= found <= today + timedelta(days=6)


@pytest.mark.parametrize(
    ("word", "bare", "expected"),
    [
        ("sat", False, 5),
        ("六", False, None),
        ("六", True, 5),
        ("日", True, 6),
        ("天", True, None),  # alone, 天 is "day" before it is Sunday
        ("星期天", False, 6),
        ("禮拜一", False, 0),
        ("someday", True, None),
    ],
)
def test_read_weekday(word: str, bare: bool, expected: int | None) -> None:
    assert read_weekday(word, bare_chinese=bare) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("12-01..12-31", WEDNESDAY, (date(2026, 12, 1), date(2026, 12, 31))),
        # still running on 15 December: this December, not next
        ("12-01..12-31", date(2026, 12, 15), (date(2026, 12, 1), date(2026, 12, 31))),
        ("01-01..03-31", date(2026, 6, 15), (date(2027, 1, 1), date(2027, 3, 31))),
        ("01-01..today", date(2026, 6, 15), (date(2026, 1, 1), date(2026, 6, 15))),
        ("12-01..2026-12-31", date(2026, 12, 15), (date(2026, 12, 1), date(2026, 12, 31))),
        ("12-20..01-10", date(2026, 12, 15), (date(2026, 12, 20), date(2027, 1, 10))),
        ("12-20..01-10", date(2027, 1, 5), (date(2026, 12, 20), date(2027, 1, 10))),
        ("2026-12-01..01-31", WEDNESDAY, (date(2026, 12, 1), date(2027, 1, 31))),
        ("2026-01-01..2026-12-31", WEDNESDAY, (date(2026, 1, 1), date(2026, 12, 31))),
        ("2026-01-01..today", WEDNESDAY, (date(2026, 1, 1), WEDNESDAY)),
        ("today..sun", WEDNESDAY, (WEDNESDAY, days(4))),
        ("today..wed", WEDNESDAY, (WEDNESDAY, WEDNESDAY)),
        ("today..today", WEDNESDAY, (WEDNESDAY, WEDNESDAY)),
        ("tomorrow..sat", WEDNESDAY, (days(1), days(3))),
        ("mon..fri", WEDNESDAY, (days(-2), days(2))),  # this week, already under way
        ("sun..sat", WEDNESDAY, (days(-3), days(3))),
        ("sat..sun", WEDNESDAY, (days(3), days(4))),
        ("sat..sat", days(4), (days(10), days(10))),
        ("mon..today", WEDNESDAY, (days(-2), WEDNESDAY)),
        ("mon..2026-12-31", WEDNESDAY, (days(5), date(2026, 12, 31))),
        ("sat..2026-03-12", WEDNESDAY, (date(2026, 3, 7), date(2026, 3, 12))),
        ("星期六..星期日", WEDNESDAY, (days(3), days(4))),
        ("12-01...12-31", WEDNESDAY, (date(2026, 12, 1), date(2026, 12, 31))),
        ("12-01 .. 12-31", WEDNESDAY, (date(2026, 12, 1), date(2026, 12, 31))),
        ("12-01~12-31", WEDNESDAY, (date(2026, 12, 1), date(2026, 12, 31))),
        ("12月1日至12月31日", WEDNESDAY, (date(2026, 12, 1), date(2026, 12, 31))),
        ("今日到星期日", WEDNESDAY, (WEDNESDAY, days(4))),
        (
            unicodedata.normalize("NFKC", "１２－０１…１２－３１"),
            WEDNESDAY,
            (date(2026, 12, 1), date(2026, 12, 31)),
        ),
    ],
)
def test_date_ranges(text: str, today: date, expected: tuple[date, date]) -> None:
    assert parse_date_range(text, today) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12-31",
        "..",
        "12-01..",
        "..12-31",
        "12-01..12-15..12-31",
        "12-01..someday",
        "2026-02-30..2026-03-01",
        "2026-12-31..2026-12-01",
        "today..2026-01-01",
        "tomorrow..today",
        "12-01-12-31",
    ],
)
def test_bad_date_ranges_are_refused(text: str) -> None:
    with pytest.raises(InvalidChoice) as caught:
        parse_date_range(text, WEDNESDAY)
    assert caught.value.field == "dates"


range_words = st.one_of(
    st.sampled_from(
        ["today", "tomorrow", "後日", "mon", "wed", "sat", "sun", "星期六", "02-29", "12-31"]
    ),
    st.dates(date(2020, 1, 1), date(2030, 12, 31)).map(lambda day: f"{day:%m-%d}"),
    st.dates(date(2020, 1, 1), date(2030, 12, 31)).map(date.isoformat),
)
FIXED = {"today", "tomorrow", "後日"}


def _in_order(first: str, last: str, today: date) -> bool:
    """Two fixed days, each within the window of full dates, the first not after the last."""
    try:
        return parse_date(first, today) <= parse_date(last, today)
    except InvalidChoice:
        return False


@given(range_words, range_words, st.dates(date(2021, 1, 1), date(2029, 12, 31)))
def test_date_ranges_are_ordered_and_pin_words_sensibly(
    first: str, last: str, today: date
) -> None:
    first_fixed = first in FIXED or len(first) == 10
    last_fixed = last in FIXED or len(last) == 10
    try:
        start, end = parse_date_range(f"{first}..{last}", today)
    except InvalidChoice:
        # Words can be refused when no pinning works, but two fixed days in order always make a
        # range: only a pair of fixed days with the first after the last may be refused here.
        assert not (first_fixed and last_fixed and _in_order(first, last, today)), (
            f"{first}..{last} was refused on {today}"
        )
        return
    assert start <= end
    if first_fixed:
        assert start == parse_date(first, today)
    if last_fixed:
        assert end == parse_date(last, today)
    else:
        assert end - start < timedelta(days=366)
        if not first_fixed:
            # words alone never make a range that is over already
            assert end >= today


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-12:00", (time(9), time(12))),
        ("9:00-12:00", (time(9), time(12))),
        ("0900-1200", (time(9), time(12))),
        ("09:00 - 12:00", (time(9), time(12))),
        (" 09:00-12:00 ", (time(9), time(12))),
        ("09:00–12:00", (time(9), time(12))),
        ("09:00—12:00", (time(9), time(12))),
        ("09:00~12:00", (time(9), time(12))),
        ("09:00〜12:00", (time(9), time(12))),
        ("09:00至12:00", (time(9), time(12))),
        ("09:00到12:00", (time(9), time(12))),
        ("13:30-17:45", (time(13, 30), time(17, 45))),
        ("00:00-23:59", (time(0), time(23, 59))),
        ("0930-10:00", (time(9, 30), time(10))),
        (unicodedata.normalize("NFKC", "０９：００－１２：００"), (time(9), time(12))),
        (unicodedata.normalize("NFKC", "０９００～１２００"), (time(9), time(12))),
    ],
)
def test_time_ranges(text: str, expected: tuple[time, time]) -> None:
    assert parse_time_range(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "09:00",
        "12:00-09:00",
        "22:00-06:00",  # overnight: refused, see the module notes
        "09:00-09:00",
        "09:00-24:00",
        "24:00-25:00",
        "09:60-10:00",
        "9-12",
        "900-1200",
        "09:00-12:0",
        "9am-12pm",
        "09:00-12:00-13:00",
        "09:00..12:00",
    ],
)
def test_bad_time_ranges_are_refused(text: str) -> None:
    with pytest.raises(InvalidChoice) as caught:
        parse_time_range(text)
    assert caught.value.field == "time"
    assert "HH:MM-HH:MM" in caught.value.accepted


clock_times = st.times().map(lambda moment: moment.replace(second=0, microsecond=0))


@given(clock_times, clock_times)
def test_time_ranges_round_trip(start: time, end: time) -> None:
    for text in (f"{start:%H:%M}-{end:%H:%M}", f"{start:%H%M}-{end:%H%M}"):
        if end > start:
            assert parse_time_range(text) == (start, end)
        else:
            with pytest.raises(InvalidChoice):
                parse_time_range(text)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "start", "end", "zone", "expected"),
    [
        (
            date(2026, 3, 14),
            time(9),
            time(12),
            HONG_KONG,
            (utc(2026, 3, 14, 1), utc(2026, 3, 14, 4)),
        ),
        (
            date(2026, 3, 14),
            time(7),
            time(9),
            HONG_KONG,
            (utc(2026, 3, 13, 23), utc(2026, 3, 14, 1)),
        ),
        (
            date(2026, 1, 10),
            time(9),
            time(12),
            LONDON,
            (utc(2026, 1, 10, 9), utc(2026, 1, 10, 12)),
        ),
        (date(2026, 7, 4), time(9), time(12), LONDON, (utc(2026, 7, 4, 8), utc(2026, 7, 4, 11))),
        # clocks go forward at 01:00 on 29 March 2026: 00:30-03:00 lasts an hour and a half
        (
            date(2026, 3, 29),
            time(0, 30),
            time(3),
            LONDON,
            (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 2)),
        ),
        # 01:30 does not exist that night and is read as 02:30 summer time
        (
            date(2026, 3, 29),
            time(1, 30),
            time(3),
            LONDON,
            (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2)),
        ),
        # clocks go back at 02:00 on 25 October 2026: 00:30-03:00 lasts three and a half hours
        (
            date(2026, 10, 25),
            time(0, 30),
            time(3),
            LONDON,
            (utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 3)),
        ),
        # 01:30 happens twice that night; the first one is meant
        (
            date(2026, 10, 25),
            time(1, 30),
            time(3),
            LONDON,
            (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 3)),
        ),
    ],
)
def test_shift_windows(
    day: date, start: time, end: time, zone: ZoneInfo, expected: tuple[datetime, datetime]
) -> None:
    window = shift_window(day, start, end, zone)
    assert window == expected
    assert all(moment.tzinfo is UTC for moment in window)


def test_a_window_emptied_by_the_clocks_going_forward_is_refused() -> None:
    with pytest.raises(InvalidChoice) as caught:
        shift_window(date(2026, 3, 29), time(1, 30), time(2, 15), LONDON)
    assert caught.value.field == "time"


zones = st.sampled_from(
    [HONG_KONG, LONDON, ZoneInfo("America/New_York"), ZoneInfo("Australia/Sydney")]
)


@given(st.dates(date(2000, 1, 1), date(2050, 12, 31)), clock_times, clock_times, zones)
def test_shift_windows_keep_wall_times_except_where_clocks_jump(
    day: date, start: time, end: time, zone: ZoneInfo
) -> None:
    assume(start < end)
    midnight_offsets = {
        datetime.combine(day + timedelta(days=n), time(), tzinfo=zone).utcoffset() for n in (0, 1)
    }
    try:
        starts_at, ends_at = shift_window(day, start, end, zone)
    except InvalidChoice:
        assert len(midnight_offsets) == 2
        return
    assert starts_at < ends_at
    assert starts_at.tzinfo is UTC
    if len(midnight_offsets) == 1:
        assert starts_at.astimezone(zone).replace(tzinfo=None) == datetime.combine(day, start)
        assert ends_at.astimezone(zone).replace(tzinfo=None) == datetime.combine(day, end)
        wall = datetime.combine(day, end) - datetime.combine(day, start)
        assert ends_at - starts_at == wall


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("72", 72.0),
        ("72h", 72.0),
        ("72 小時", 72.0),
        ("3d", 72.0),
        ("2 days", 48.0),
        ("1.5h", 1.5),
        ("1日", 24.0),
        ("336h", 336.0),
        ("default", None),
        ("預設", None),
    ],
)
def test_hours_before_the_start(text: str, hours: float | None) -> None:
    assert parse_hours_before(text, "confirm") == hours


@pytest.mark.parametrize("text", ["0", "0h", "15d", "337", "-4h", "48m", "soon", "", "4.123h"])
def test_bad_hours_before_the_start_are_refused(text: str) -> None:
    with pytest.raises(InvalidChoice) as refused:
        parse_hours_before(text, "nudge")
    assert refused.value.field == "nudge"
