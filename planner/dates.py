"""Dates and times as coordinators type them, read against a given ``today``.

``today`` is the organisation's local date, passed in: nothing here reads the clock. Callers
NFKC-normalise first, so digits, ``:`` and ``-`` are ASCII by the time they get here. Errors are
:class:`~planner.registration.InvalidChoice`, naming the field, the word and what is accepted.

Choices a coordinator would otherwise have to guess:

- ``MM-DD`` (also ``3月7日``) is the next such day within a year, today included: typed in
  December, ``01-05`` is next January. ``02-29`` is refused when no 29 February is that close.
- A weekday (``sat``, ``星期六``) is the next such day, **today included**: on a Saturday,
  ``sat`` is today, because a coordinator on the day usually means the shift being organised that
  day; next week's is one more word away (``sat`` typed on Sunday, or the date).
- ``MM/DD`` is refused: Hong Kong writes ``DD/MM``, and guessing wrong books the wrong day.
- A full date lies between 2000-01-01 and two years after today: ``9999-12-31`` is refused
  here, not left to overflow a date sum further on.
- A time range ends later on the same day. ``22:00-06:00`` is refused rather than read as
  overnight: volunteer shifts are daytime, and a slip such as ``09:00-01:00`` (meant 13:00)
  silently becoming a 16-hour shift is worse than a reply asking again. A night shift is entered
  as two shifts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner.registration import WEEKDAYS, InvalidChoice, by_word

DATE_ACCEPTED = "YYYY-MM-DD, MM-DD, today, tomorrow, sat, 今日, 聽日, 星期六"
TIME_ACCEPTED = "HH:MM-HH:MM ending later the same day, e.g. 09:00-12:00"
HOURS_ACCEPTED = "hours or days before the start, e.g. 72, 72h, 3d, 1.5h; or default"
MAX_HOURS_BEFORE = 14 * 24
_HOURS = re.compile(r"(\d{1,3}(?:\.\d{1,2})?)\s*(h|hr|hrs|hours?|小時|小时|d|days?|日|天)?")
_DEFAULT_WORDS = frozenset({"default", "org", "預設", "预设", "默認", "默认"})
RANGE_ACCEPTED = "from..to, e.g. 12-01..12-31, today..sun, 2026-01-01..today"

_RELATIVE_DAYS = by_word(
    {
        0: ("today", "今日", "今天"),
        1: ("tomorrow", "tmr", "tmrw", "聽日", "听日", "明天", "明日"),
        2: ("day-after", "後日", "后日", "後天", "后天"),
    }
)
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ENGLISH_WEEKDAYS = {
    **{name: number for number, name in enumerate(WEEKDAYS)},
    **{name: number for number, name in enumerate(_FULL_WEEKDAYS)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_CHINESE_WEEKDAYS = {**{name: number for number, name in enumerate("一二三四五六日")}, "天": 6}
_CHINESE_WEEKDAY_PREFIXES = ("星期", "禮拜", "礼拜", "週", "周")

_FULL_DATES = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日號号]?"),
)
_MONTH_DAYS = (
    re.compile(r"(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{1,2})月(\d{1,2})[日號号]?"),
)
_CLOCKS = (re.compile(r"(\d{1,2}):(\d{2})"), re.compile(r"(\d{2})(\d{2})"))
# En and em dashes, the wave dash and tildes survive NFKC, so they are listed beside "-".
_TIME_SEPARATOR = re.compile(r"\s*(?:-|–|—|~|〜|至|到)\s*")
# NFKC turns "…" into "...", so two or three dots both separate.
_RANGE_SEPARATOR = re.compile(r"\s*(?:\.{2,3}|~|〜|至|到)\s*")
# Within a year, so that "02-29" typed in a common year never lands more than a year away.
_YEAR = timedelta(days=366)
# The days a full date may name: nothing before the organisation could have used the bot, nothing
# so far ahead that it is a slip (``2062`` for ``2026``) or ``9999-12-31`` probing the limits.
EARLIEST_DATE = date(2000, 1, 1)
MAX_AHEAD = timedelta(days=2 * 366)
DATE_WINDOW = f"from {EARLIEST_DATE} to at most 2 years ahead"


def read_weekday(word: str, *, bare_chinese: bool = False) -> int | None:
    """``"sat"``, ``"Saturday"``, ``"星期六"``, ``"禮拜天"`` -> 5 or 6 (Monday is 0); else None.

    A lone ``六`` is a weekday only where the caller says so (``bare_chinese``): in a list of
    weekdays it is, but as a date or after a number (``1日`` is the 1st) it is not.
    """
    compact = word.strip().casefold()
    if compact in _ENGLISH_WEEKDAYS:
        return _ENGLISH_WEEKDAYS[compact]
    for prefix in _CHINESE_WEEKDAY_PREFIXES:
        rest = compact.removeprefix(prefix)
        if rest != compact and rest in _CHINESE_WEEKDAYS:
            return _CHINESE_WEEKDAYS[rest]
    if bare_chinese and compact in _CHINESE_WEEKDAYS and compact != "天":
        return _CHINESE_WEEKDAYS[compact]
    return None


@dataclass(frozen=True)
class _MonthDay:
    month: int
    day: int


@dataclass(frozen=True)
class _Weekday:
    number: int


# What a date word means before it is pinned to a day: fixed, or "the nearest such day".
_DateWord = date | _MonthDay | _Weekday


def _read(word: str, today: date, field: str, accepted: str) -> _DateWord:
    compact = word.strip().casefold()
    if compact in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[compact])
    for pattern in _FULL_DATES:
        if match := pattern.fullmatch(compact):
            year, month, day = (int(group) for group in match.groups())
            try:
                found = date(year, month, day)
            except ValueError:
                raise InvalidChoice(field, word, accepted) from None
            if not EARLIEST_DATE <= found <= today + MAX_AHEAD:
                raise InvalidChoice(field, word, f"{accepted} ({DATE_WINDOW})")
            return found
    for pattern in _MONTH_DAYS:
        if match := pattern.fullmatch(compact):
            month, day = (int(group) for group in match.groups())
            try:
                date(2000, month, day)  # a leap year, so that 02-29 is a real month-day
            except ValueError:
                raise InvalidChoice(field, word, accepted) from None
            return _MonthDay(month, day)
    number = read_weekday(compact)
    if number is None:
        raise InvalidChoice(field, word, accepted)
    return _Weekday(number)


def _on_or_after(word: _DateWord, reference: date) -> date | None:
    if isinstance(word, _Weekday):
        return reference + timedelta(days=(word.number - reference.weekday()) % 7)
    if isinstance(word, _MonthDay):
        for year in (reference.year, reference.year + 1):
            try:
                candidate = date(year, word.month, word.day)
            except ValueError:
                continue
            if reference <= candidate < reference + _YEAR:
                return candidate
        return None
    return word


def _on_or_before(word: _DateWord, reference: date) -> date | None:
    if isinstance(word, _Weekday):
        return reference - timedelta(days=(reference.weekday() - word.number) % 7)
    if isinstance(word, _MonthDay):
        for year in (reference.year, reference.year - 1):
            try:
                candidate = date(year, word.month, word.day)
            except ValueError:
                continue
            if reference - _YEAR < candidate <= reference:
                return candidate
        return None
    return word


def parse_date(word: str, today: date) -> date:
    """``"2026-03-07"``, ``"03-07"``, ``"聽日"``, ``"sat"`` -> a date (see the module notes)."""
    found = _on_or_after(_read(word, today, "date", DATE_ACCEPTED), today)
    if found is None:
        raise InvalidChoice("date", word, DATE_ACCEPTED)
    return found


def parse_date_range(text: str, today: date) -> tuple[date, date]:
    """``"12-01..12-31"``, ``"today..sun"`` -> (first, last), both included, first <= last.

    Words without a year are pinned so the range reads the way it is meant:
    - a relative end (``sun``, ``12-31``) is the first such day on or after the start;
    - a relative start with a fixed end (``01-01..today``) is the upcoming one if that is not
      after the end, else the latest one before the end: the year so far;
    - when both are relative, a range still running today is that one (``12-01..12-31`` typed on
      15 December is this December; ``mon..fri`` on Wednesday is this week), else the next.
    """
    parts = _RANGE_SEPARATOR.split(text.strip())
    if len(parts) != 2 or not all(parts):
        raise InvalidChoice("dates", text, RANGE_ACCEPTED)
    first = _read(parts[0], today, "dates", RANGE_ACCEPTED)
    last = _read(parts[1], today, "dates", RANGE_ACCEPTED)
    start: date | None
    if isinstance(first, date):
        start = first
    elif isinstance(last, date):
        start = _on_or_after(first, today)
        if start is None or start > last:
            start = _on_or_before(first, last)
    else:
        start = _on_or_before(first, today)
        running_end = None if start is None else _on_or_after(last, start)
        if running_end is None or running_end < today:
            start = _on_or_after(first, today)
    end = None if start is None else _on_or_after(last, start)
    if start is None or end is None or end < start:
        raise InvalidChoice("dates", text, RANGE_ACCEPTED + ", the first day not after the last")
    return start, end


def _parse_clock(word: str) -> time | None:
    for pattern in _CLOCKS:
        if match := pattern.fullmatch(word):
            hour, minute = int(match[1]), int(match[2])
            if hour < 24 and minute < 60:
                return time(hour, minute)
    return None


def parse_time_range(text: str) -> tuple[time, time]:
    """``"09:00-12:00"``, ``"9:00-12:00"``, ``"0900-1200"`` -> (start, end), end after start."""
    parts = _TIME_SEPARATOR.split(text.strip())
    if len(parts) != 2:
        raise InvalidChoice("time", text, TIME_ACCEPTED)
    start, end = _parse_clock(parts[0]), _parse_clock(parts[1])
    if start is None or end is None or end <= start:
        raise InvalidChoice("time", text, TIME_ACCEPTED)
    return start, end


def shift_window(day: date, start: time, end: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which a shift on ``day`` from ``start`` to ``end`` (wall clock) runs.

    Across a DST change the wall times follow PEP 495's ``fold=0``: a time the clocks skip is read
    as that long after the jump (01:30 on a spring-forward night is 02:30 summer time), a time
    that occurs twice is its first occurrence. A range that is empty once the jump is counted
    (01:30-02:15 across a one-hour skip) is refused.
    """
    starts_at = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
    ends_at = datetime.combine(day, end, tzinfo=zone).astimezone(UTC)
    if ends_at <= starts_at:
        raise InvalidChoice(
            "time",
            f"{start:%H:%M}-{end:%H:%M}",
            f"a time range that exists on {day} in {zone.key}",
        )
    return starts_at, ends_at


def parse_hours_before(text: str, field: str) -> float | None:
    """``72``, ``72h``, ``3d``, ``1.5h`` -> hours (a day is 24 h); ``default`` -> None.

    Up to two weeks: a confirm card sent earlier than that is answered and forgotten."""
    word = text.strip().casefold()
    if word in _DEFAULT_WORDS:
        return None
    match = _HOURS.fullmatch(word)
    if match is None:
        raise InvalidChoice(field, text, HOURS_ACCEPTED)
    number, unit = float(match.group(1)), match.group(2) or "h"
    hours = number * 24 if unit[0] in "d日天" else number
    if not 0 < hours <= MAX_HOURS_BEFORE:
        raise InvalidChoice(field, text, HOURS_ACCEPTED)
    return hours
