"""How a shift template repeats (``every=<rule>``) and which dates it produces.

Rules, as typed and as stored (:attr:`Recurrence.canonical`):

- ``sat``, ``mon,wed``, ``星期六``, ``六,日`` — weekly on those days;
- ``2w:sat``, ``2w:mon,thu`` — every 2 weeks (up to 52), counted from the template's first date;
- ``month:15`` — the 15th; ``month:-1`` the last day; ``15日`` / ``15號`` also read as the 15th;
- ``month:1sat`` — the first Saturday; ``month:-1sun`` the last Sunday (1 to 5, or -1 to -5).

As in RRULE, a month without the day asked for (the 31st, a 5th Saturday) simply has no
occurrence that month: shifting it to a neighbouring day would put volunteers on a day nobody
chose. The dates themselves come from dateutil's ``rrule``, not from our own calendar arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.rrule import FR, MO, MONTHLY, SA, SU, TH, TU, WE, WEEKLY, rrule

from planner.dates import read_weekday
from planner.registration import WEEKDAYS, InvalidChoice

EVERY_ACCEPTED = "sat, mon,wed, 2w:sat, month:1sat, month:-1sun, month:15, 星期六"
DEFAULT_HORIZON = timedelta(weeks=4)
MAX_EVERY_WEEKS = 52
_RRULE_WEEKDAYS = (MO, TU, WE, TH, FR, SA, SU)
_EVERY_N_WEEKS = re.compile(r"(\d+)w:(.*)")
_MONTH_DAY = re.compile(r"([+-]?\d{1,2})[日號号]?")
_NTH_WEEKDAY = re.compile(r"([+-]?\d)(\D.*)")


@dataclass(frozen=True)
class Recurrence:
    """One of three shapes, checked on construction so that equal rules compare equal:

    - weekly: ``weekdays`` (Monday is 0, sorted, no repeats), every ``every_weeks`` weeks;
    - monthly by date: ``month_day`` only (negative counts from the month's end);
    - monthly by weekday: ``nth`` and exactly one weekday.
    """

    weekdays: tuple[int, ...] = ()
    every_weeks: int = 1
    month_day: int | None = None
    nth: int | None = None

    def __post_init__(self) -> None:
        if self.weekdays != tuple(sorted(set(self.weekdays))) or not all(
            0 <= day <= 6 for day in self.weekdays
        ):
            raise ValueError(f"weekdays must be sorted, distinct, 0..6: {self.weekdays}")
        if self.month_day is not None:
            ok = not self.weekdays and self.nth is None and self.every_weeks == 1
            ok = ok and 1 <= abs(self.month_day) <= 31
        elif self.nth is not None:
            ok = len(self.weekdays) == 1 and self.every_weeks == 1 and 1 <= abs(self.nth) <= 5
        else:
            ok = bool(self.weekdays) and 1 <= self.every_weeks <= MAX_EVERY_WEEKS
        if not ok:
            raise ValueError(f"not a recurrence: {self!r}")

    @property
    def canonical(self) -> str:
        if self.month_day is not None:
            return f"month:{self.month_day}"
        if self.nth is not None:
            return f"month:{self.nth}{WEEKDAYS[self.weekdays[0]]}"
        days = ",".join(WEEKDAYS[day] for day in self.weekdays)
        return days if self.every_weeks == 1 else f"{self.every_weeks}w:{days}"

    def __str__(self) -> str:
        return self.canonical


def _build(
    text: str,
    weekdays: tuple[int, ...] = (),
    every_weeks: int = 1,
    month_day: int | None = None,
    nth: int | None = None,
) -> Recurrence:
    try:
        return Recurrence(weekdays, every_weeks, month_day, nth)
    except ValueError:
        raise InvalidChoice("every", text, EVERY_ACCEPTED) from None


def _parse_monthly(body: str, text: str) -> Recurrence:
    if match := _MONTH_DAY.fullmatch(body):
        return _build(text, month_day=int(match[1]))
    if match := _NTH_WEEKDAY.fullmatch(body):
        # No lone "六" here: after a number, "1日" is the 1st and "1天" reads as "one day".
        weekday = read_weekday(match[2])
        if weekday is not None:
            return _build(text, nth=int(match[1]), weekdays=(weekday,))
    raise InvalidChoice("every", text, EVERY_ACCEPTED)


def parse_rule(text: str) -> Recurrence:
    """``"2w:Mon, Thu"`` -> ``Recurrence(weekdays=(0, 3), every_weeks=2)``; see the module doc."""
    compact = re.sub(r"\s+", "", text.casefold())
    if compact.startswith("month:"):
        return _parse_monthly(compact.removeprefix("month:"), text)
    every_weeks = 1
    if match := _EVERY_N_WEEKS.fullmatch(compact):
        every_weeks, compact = int(match[1]), match[2]
    words = [word for word in re.split(r"[,、/]", compact) if word]
    days = [read_weekday(word, bare_chinese=True) for word in words]
    numbers = [day for day in days if day is not None]
    if not words or len(numbers) != len(words):
        raise InvalidChoice("every", text, EVERY_ACCEPTED)
    return _build(text, weekdays=tuple(sorted(set(numbers))), every_weeks=every_weeks)


def _rrule(rule: Recurrence, anchor: date) -> rrule:
    dtstart = datetime.combine(anchor, time())
    if rule.month_day is not None:
        return rrule(MONTHLY, dtstart=dtstart, bymonthday=rule.month_day)
    if rule.nth is not None:
        return rrule(
            MONTHLY, dtstart=dtstart, byweekday=_RRULE_WEEKDAYS[rule.weekdays[0]](rule.nth)
        )
    # wkst=MO makes "every 2 weeks" count Monday-to-Sunday weeks whatever the locale's default.
    return rrule(
        WEEKLY,
        dtstart=dtstart,
        interval=rule.every_weeks,
        byweekday=[_RRULE_WEEKDAYS[day] for day in rule.weekdays],
        wkst=MO,
    )


def occurrences(
    rule: Recurrence,
    anchor: date,
    start: date,
    end: date,
    exceptions: frozenset[date] = frozenset(),
) -> list[date]:
    """The rule's dates in ``[start, end]``, none before ``anchor`` (the template's first date,
    which also fixes which weeks an every-N-weeks rule falls on), none in ``exceptions``.

    Expanding ``[a, c]`` gives exactly what ``[a, b]`` and ``[b + 1 day, c]`` give together.
    """
    if end < start:
        return []
    moments = _rrule(rule, anchor).between(
        datetime.combine(start, time()), datetime.combine(end, time()), inc=True
    )
    return [moment.date() for moment in moments if moment.date() not in exceptions]


def dates_to_create(
    rule: Recurrence,
    anchor: date,
    today: date,
    existing: frozenset[date],
    *,
    exceptions: frozenset[date] = frozenset(),
    horizon: timedelta = DEFAULT_HORIZON,
) -> list[date]:
    """The template's dates from ``today`` to the end of the rolling horizon without a shift yet.

    ``existing`` must include the template's cancelled shifts: a shift a coordinator cancelled is
    not recreated the next time the horizon rolls forward. Run twice, the second run is empty.
    """
    if horizon < timedelta(days=1):
        raise ValueError(f"horizon must be at least a day: {horizon}")
    last = today + horizon - timedelta(days=1)
    return [
        day for day in occurrences(rule, anchor, today, last, exceptions) if day not in existing
    ]
