"""Sites and templates below the chat: the repositories on a real database with a fixed
clock, and how templates read. The commands run end to end in tests/e2e/test_sites_templates.py.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.messages import CATALOGUE, Language
from handlers.templates import rule_words
from planner.recurrence import parse_rule
from planner.registration import WEEKDAYS
from services.render import day_label
from storage.database import SessionFactory
from storage.models import AssignmentState, Shift, ShiftStatus, ShiftTemplate, Site, Volunteer
from storage.shifts import add_shift, book, change_shift
from storage.sites import DuplicateSite, add_site, find_site_by_code, list_sites
from storage.templates import (
    TEMPLATE_CHANGED,
    TemplateEdit,
    add_template,
    edit_template,
    expand_all_templates,
    expand_template,
    list_templates,
    remove_template,
)
from storage.volunteers import register_volunteer

HK = ZoneInfo("Asia/Hong_Kong")
TODAY = date(2026, 11, 27)  # a Friday
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=HK).astimezone(UTC)
FOUR_WEEKS = timedelta(weeks=4)
NO_REST = timedelta(0)
DETAILS = {
    "headcount": 6,
    "language_needs": {"cmn": 1},
    "meeting_point": "MTR exit A",
    "contact": "Ms Chan",
    "equipment": ["gloves", "apron"],
    "tasks": ["packing"],
    "health_declaration": True,
}


def day(text: str) -> date:
    return date.fromisoformat(text)


async def _person(session: AsyncSession, staff_id: str, nickname: str) -> Volunteer:
    volunteer, _ = await register_volunteer(
        session=session,
        staff_id=staff_id,
        dingtalk_id=staff_id,
        nickname=nickname,
        districts=["sham-shui-po"],
        languages=["yue"],
        availability=None,
        now=NOW,
    )
    return volunteer


async def _book(session: AsyncSession, shift: Shift, volunteer: Volunteer) -> object:
    assert shift.id is not None
    assert volunteer.id is not None
    return await book(
        session=session,
        shift_id=shift.id,
        volunteer_id=volunteer.id,
        assigned_by="u-coord",
        now=NOW,
        min_rest=NO_REST,
    )


async def _site(session: AsyncSession, code: str = "SSP", district: str = "sham-shui-po") -> Site:
    return await add_site(
        session=session,
        code=code,
        name=f"{code} food bank",
        district=district,
        conversation_id="cid-1",
        created_by="u-coord",
        now=NOW,
    )


async def _template(
    session: AsyncSession, site: Site, rule: str = "sat", anchor: date = TODAY, **details: object
) -> ShiftTemplate:
    return await add_template(
        session=session,
        site=site,
        name="Saturday packing",
        rule=parse_rule(rule),
        anchor_date=anchor,
        start_time=time(9),
        end_time=time(12),
        details={**DETAILS, **details},
        created_by="u-coord",
        now=NOW,
    )


async def _expand(
    session: AsyncSession,
    template: ShiftTemplate,
    site: Site,
    *,
    today: date = TODAY,
    now: datetime = NOW,
    horizon: timedelta = FOUR_WEEKS,
) -> list[Shift]:
    return await expand_template(
        session=session,
        template=template,
        site=site,
        today=today,
        zone=HK,
        horizon=horizon,
        created_by="u-coord",
        now=now,
    )


async def _shifts(session: AsyncSession, template: ShiftTemplate) -> dict[date, Shift]:
    result = await session.exec(
        select(Shift).where(Shift.template_id == template.id).order_by(col(Shift.occurs_on))
    )
    return {shift.occurs_on: shift for shift in result.all()}


# -- sites ----------------------------------------------------------------------------------------


async def test_site_codes_are_unique_whatever_their_case(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        site = await add_site(
            session=session,
            code="ssp",
            name="深水埗派米站",
            district="sham-shui-po",
            conversation_id=None,
            created_by="u-coord",
            now=NOW,
        )
        assert site.code == "SSP"
        with pytest.raises(DuplicateSite) as raised:
            await _site(session, code="Ssp")
        assert raised.value.existing is site
        # The failed add left the transaction usable.
        await _site(session, code="KT", district="kwun-tong")
    async with sessions() as session:
        found = await find_site_by_code(session=session, code=" ssp ")
        assert found is not None
        assert found.name == "深水埗派米站"
        assert [s.code for s in await list_sites(session=session)] == ["KT", "SSP"]
        only_kt = await list_sites(session=session, districts={"kwun-tong"})
        assert [s.code for s in only_kt] == ["KT"]


# -- expansion ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "horizon_weeks", "expected"),
    [
        ("sat", 4, ["2026-11-28", "2026-12-05", "2026-12-12", "2026-12-19"]),
        ("2w:sat", 4, ["2026-11-28", "2026-12-12"]),
        ("month:1sat", 8, ["2026-12-05", "2027-01-02"]),
        ("mon,wed", 1, ["2026-11-30", "2026-12-02"]),
    ],
)
async def test_a_template_expands_into_its_dates_with_a_copy_of_its_details(
    sessions: SessionFactory, rule: str, horizon_weeks: int, expected: list[str]
) -> None:
    async with sessions.begin() as session:
        site = await _site(session)
        template = await _template(session, site, rule)
        created = await _expand(session, template, site, horizon=timedelta(weeks=horizon_weeks))
    assert [shift.occurs_on.isoformat() for shift in created] == expected
    first = created[0]
    assert first.starts_at == datetime.combine(first.occurs_on, time(9), HK)
    assert first.ends_at == datetime.combine(first.occurs_on, time(12), HK)
    assert (first.site_id, first.template_id) == (site.id, template.id)
    assert first.title == "Saturday packing"
    for name, value in DETAILS.items():
        assert getattr(first, name) == value
    assert first.equipment is not template.equipment  # a copy, not the template's own list
    assert template.expanded_until == TODAY + timedelta(weeks=horizon_weeks, days=-1)


async def test_expanding_again_creates_nothing_and_cancelled_dates_stay_cancelled(
    sessions: SessionFactory,
) -> None:
    async with sessions.begin() as session:
        site = await _site(session)
        template = await _template(session, site)
        first = await _expand(session, template, site)
        assert len(first) == 4
        first[1].status = ShiftStatus.CANCELLED
        session.add(first[1])
        assert await _expand(session, template, site) == []
        # A week later the horizon has rolled one Saturday further: only that one is new.
        later = await _expand(
            session, template, site, today=TODAY + timedelta(days=7), now=NOW + timedelta(days=7)
        )
        assert [shift.occurs_on for shift in later] == [day("2026-12-26")]
        assert len(await _shifts(session, template)) == 5


async def test_an_occurrence_moved_to_another_day_is_not_created_again(
    sessions: SessionFactory,
) -> None:
    async with sessions.begin() as session:
        site = await _site(session)
        template = await _template(session, site)
        saturday = (await _expand(session, template, site))[0]
        friday = saturday.occurs_on - timedelta(days=1)
        refusal = await change_shift(
            session=session,
            shift=saturday,
            changes={
                "occurs_on": friday,
                "starts_at": saturday.starts_at - timedelta(days=1),
                "ends_at": saturday.ends_at - timedelta(days=1),
            },
            shown={"date": (str(saturday.occurs_on), str(friday))},
            changed_by="u-coord",
            now=NOW,
            min_rest=NO_REST,
        )
        assert refusal is None
        assert await _expand(session, template, site) == []
        assert template.exceptions == [(friday + timedelta(days=1)).isoformat()]
        assert sorted(await _shifts(session, template))[0] == friday


async def test_an_occurrence_that_has_already_started_is_not_created(
    sessions: SessionFactory,
) -> None:
    saturday_afternoon = datetime(2026, 11, 28, 13, 0, tzinfo=HK)
    async with sessions.begin() as session:
        site = await _site(session)
        template = await _template(session, site)
        created = await _expand(
            session, template, site, today=day("2026-11-28"), now=saturday_afternoon
        )
    assert created[0].occurs_on == day("2026-12-05")


async def test_exceptions_and_the_first_date_limit_the_dates(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        site = await _site(session)
        template = await add_template(
            session=session,
            site=site,
            name="Sat",
            rule=parse_rule("sat"),
            anchor_date=day("2026-12-01"),
            start_time=time(9),
            end_time=time(12),
            details={"headcount": 2},
            exceptions=[day("2026-12-12")],
            created_by="u-coord",
            now=NOW,
        )
        created = await _expand(session, template, site)
    assert template.exceptions == ["2026-12-12"]
    assert [shift.occurs_on for shift in created] == [day("2026-12-05"), day("2026-12-19")]


async def test_expand_all_rolls_every_active_template_forward(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        site = await _site(session)
        saturday = await _template(session, site, "sat")
        sunday = await _template(session, site, "sun")
        stopped = await _template(session, site, "mon")
        stopped.active = False
        created = await expand_all_templates(
            session=session,
            today=TODAY,
            zone=HK,
            horizon=FOUR_WEEKS,
            created_by="scheduler",
            now=NOW,
        )
        assert set(created) == {saturday.id, sunday.id}
        assert (
            await expand_all_templates(
                session=session,
                today=TODAY,
                zone=HK,
                horizon=FOUR_WEEKS,
                created_by="scheduler",
                now=NOW,
            )
            == {}
        )
        listed = await list_templates(session=session)
        assert [template.id for template, _ in listed] == [saturday.id, sunday.id]
        everything = await list_templates(session=session, include_inactive=True)
        assert len(everything) == 3


# -- editing --------------------------------------------------------------------------------------


async def _edit(
    session: AsyncSession,
    template: ShiftTemplate,
    site: Site,
    changes: dict[str, object],
    *,
    today: date = TODAY,
    now: datetime = NOW,
) -> TemplateEdit:
    return await edit_template(
        session=session,
        template=template,
        site=site,
        changes=changes,
        today=today,
        zone=HK,
        horizon=FOUR_WEEKS,
        changed_by="u-coord",
        now=now,
        min_rest=NO_REST,
    )


async def test_an_edit_changes_only_future_unannounced_shifts(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        site = await _site(session)
        template = await _template(session, site)
        await _expand(session, template, site)
        shifts = await _shifts(session, template)
        announced = shifts[day("2026-12-05")]
        announced.announced_at = NOW
        session.add(announced)
        # Saturday 11:00: the 11-28 shift (09:00-12:00) has started.
        during_first = datetime(2026, 11, 28, 11, 0, tzinfo=HK)
        report = await edit_template(
            session=session,
            template=template,
            site=site,
            changes={
                "headcount": 8,
                "start_time": time(10),
                "end_time": time(13),
                "meeting_point": "Hall B",
            },
            today=day("2026-11-28"),
            zone=HK,
            horizon=FOUR_WEEKS,
            changed_by="u-coord",
            now=during_first,
            min_rest=NO_REST,
        )
        shifts = await _shifts(session, template)

    assert [shift.occurs_on for shift in report.updated] == [day("2026-12-12"), day("2026-12-19")]
    assert [shift.occurs_on for shift in report.announced] == [day("2026-12-05")]
    assert report.kept == []
    assert report.cancelled == report.created == []
    for untouched in ("2026-11-28", "2026-12-05"):
        shift = shifts[day(untouched)]
        assert (shift.headcount, shift.meeting_point) == (6, "MTR exit A")
        assert shift.starts_at.astimezone(HK).time() == time(9)
        assert shift.revision == 1
    for changed in ("2026-12-12", "2026-12-19"):
        shift = shifts[day(changed)]
        assert (shift.headcount, shift.meeting_point) == (8, "Hall B")
        assert shift.starts_at == datetime.combine(shift.occurs_on, time(10), HK)
        assert shift.ends_at == datetime.combine(shift.occurs_on, time(13), HK)
        assert shift.revision == 2
        assert shift.equipment == ["gloves", "apron"]  # not part of the change: left alone
    assert (template.headcount, template.start_time) == (8, time(10))


async def test_an_edit_keeps_and_reports_shifts_whose_booked_people_would_not_fit(
    sessions: SessionFactory,
) -> None:
    async with sessions.begin() as session:
        site = await _site(session)
        template = await _template(session, site)
        await _expand(session, template, site)
        shifts = await _shifts(session, template)
        people = []
        for staff_id in ("u-1", "u-2"):
            volunteer = await _person(session, staff_id, staff_id)
            people.append(volunteer)
        crowded = shifts[day("2026-12-05")]
        for person in people:
            await _book(session, crowded, person)
        report = await _edit(session, template, site, {"headcount": 1, "end_time": time(13)})
        shifts = await _shifts(session, template)

    kept = {item.shift.occurs_on: item.refusal.reason for item in report.kept}
    assert kept == {day("2026-12-05"): "below_booked"}
    assert [shift.occurs_on for shift in report.updated] == [
        day("2026-11-28"),
        day("2026-12-12"),
        day("2026-12-19"),
    ]
    assert shifts[day("2026-12-05")].headcount == 6
    assert shifts[day("2026-11-28")].headcount == 1


async def test_a_new_time_that_would_make_someone_clash_is_kept_as_it_was(
    sessions: SessionFactory,
) -> None:
    async with sessions.begin() as session:
        site = await _site(session)
        template = await _template(session, site)
        await _expand(session, template, site)
        volunteer = await _person(session, "u-1", "Ada")
        assert site.id is not None
        other = await add_shift(
            session=session,
            shift=Shift(
                site_id=site.id,
                occurs_on=day("2026-12-12"),
                starts_at=datetime(2026, 12, 12, 12, 30, tzinfo=HK),
                ends_at=datetime(2026, 12, 12, 15, 0, tzinfo=HK),
                headcount=2,
                created_by="u-coord",
                created_at=NOW,
                updated_at=NOW,
            ),
        )
        busy = (await _shifts(session, template))[day("2026-12-12")]
        for shift in (other, busy):
            await _book(session, shift, volunteer)
        report = await _edit(session, template, site, {"end_time": time(13)})
    [kept] = report.kept
    assert kept.shift.occurs_on == day("2026-12-12")
    assert (kept.refusal.reason, kept.refusal.conflicting_shift_id) == ("overlap", other.id)
    assert kept.shift.ends_at == datetime(2026, 12, 12, 12, 0, tzinfo=HK)
    assert len(report.updated) == 3


async def test_a_changed_rule_cancels_dates_it_dropped_and_creates_new_ones(
    sessions: SessionFactory,
) -> None:
    async with sessions.begin() as session:
        site = await _site(session)
        template = await _template(session, site)
        await _expand(session, template, site)
        shifts = await _shifts(session, template)
        announced = shifts[day("2026-12-05")]
        announced.announced_at = NOW
        volunteer = await _person(session, "u-1", "Ada")
        staffed = shifts[day("2026-12-12")]
        await _book(session, staffed, volunteer)

        to_sunday = await _edit(session, template, site, {"rule": "sun"})
        assert [s.occurs_on for s in to_sunday.cancelled] == [
            day("2026-11-28"),
            day("2026-12-12"),
            day("2026-12-19"),
        ]
        assert to_sunday.cancelled_with_people == 1
        assert [s.occurs_on for s in to_sunday.announced] == [day("2026-12-05")]
        assert [s.occurs_on for s in to_sunday.created] == [
            day("2026-11-29"),
            day("2026-12-06"),
            day("2026-12-13"),
            day("2026-12-20"),
        ]
        shifts = await _shifts(session, template)
        assert shifts[day("2026-12-05")].status == ShiftStatus.SCHEDULED
        assert shifts[day("2026-11-28")].cancel_reason == TEMPLATE_CHANGED

        # Back to Saturdays, leaving out 12-19: the empty Saturday comes back, the one with
        # someone on it stays cancelled (they may have been booked elsewhere since).
        back = await _edit(session, template, site, {"rule": "sat", "exceptions": ["2026-12-19"]})
        assert [s.occurs_on for s in back.created] == [day("2026-11-28")]
        assert len(back.cancelled) == 4
        shifts = await _shifts(session, template)
        assert shifts[day("2026-11-28")].status == ShiftStatus.SCHEDULED
        assert shifts[day("2026-11-28")].cancel_reason == ""
        assert shifts[day("2026-12-12")].status == ShiftStatus.CANCELLED
        assert shifts[day("2026-12-19")].status == ShiftStatus.CANCELLED


async def test_removing_a_template_cancels_its_future_unannounced_shifts(
    sessions: SessionFactory,
) -> None:
    async with sessions.begin() as session:
        site = await _site(session)
        template = await _template(session, site)
        await _expand(session, template, site)
        shifts = await _shifts(session, template)
        shifts[day("2026-12-05")].announced_at = NOW
        volunteer = await _person(session, "u-1", "Ada")
        staffed = shifts[day("2026-12-12")]
        assignment = await _book(session, staffed, volunteer)
        assert getattr(assignment, "state", None) == AssignmentState.INVITED

        removal = await remove_template(
            session=session, template=template, changed_by="u-coord", now=NOW
        )
        assert [s.occurs_on for s in removal.cancelled] == [
            day("2026-11-28"),
            day("2026-12-12"),
            day("2026-12-19"),
        ]
        assert removal.cancelled_with_people == 1
        assert [s.occurs_on for s in removal.announced] == [day("2026-12-05")]
        assert not template.active
        assert await _expand(session, template, site, today=TODAY + timedelta(days=7)) == []
        shifts = await _shifts(session, template)
    assert shifts[day("2026-12-05")].status == ShiftStatus.SCHEDULED
    assert shifts[day("2026-12-19")].status == ShiftStatus.CANCELLED


# -- how templates read ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "zh", "en"),
    [
        ("sat", "逢星期六", "every Saturday"),
        ("mon,wed", "逢星期一、星期三", "every Monday, Wednesday"),
        ("2w:sat", "每 2 個星期嘅星期六", "every 2 weeks on Saturday"),
        ("month:1sat", "每月第一個星期六", "the first Saturday of every month"),
        ("month:-1sun", "每月最後一個星期日", "the last Sunday of every month"),
        ("month:15", "每月 15 號", "monthly on day 15"),
        ("month:-1", "每月最後一日", "monthly on the last day"),
        ("month:-3", "每月倒數第 3 日", "monthly on day 3 from the end"),
    ],
)
def test_rules_read_as_words(rule: str, zh: str, en: str) -> None:
    assert rule_words(parse_rule(rule), "zh-HK") == zh
    assert rule_words(parse_rule(rule), "en") == en


@pytest.mark.parametrize(
    ("language", "this_year", "next_year"),
    [("zh-HK", "六 11-28", "六 2027-01-02"), ("en", "Sat 11-28", "Sat 2027-01-02")],
)
def test_days_are_short_with_the_year_only_when_it_differs(
    language: Language, this_year: str, next_year: str
) -> None:
    assert day_label(day("2026-11-28"), language, TODAY) == this_year
    assert day_label(day("2027-01-02"), language, TODAY) == next_year
    assert day_label(day("2027-01-02"), language) == next_year.replace("2027-", "")


def test_every_catalogue_key_these_commands_use_exists() -> None:
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r'"((?:site|template|rule|avail|command)\.[a-z_.]+)"')
    used: set[str] = set()
    for module in ("handlers/sites.py", "handlers/templates.py", "handlers/volunteers.py"):
        used |= set(pattern.findall((root / module).read_text(encoding="utf-8")))
    # Keys the code builds from values.
    used |= {f"rule.day.{day}" for day in WEEKDAYS} | {f"rule.day_short.{d}" for d in WEEKDAYS}
    used |= {f"rule.nth.{n}" for n in (1, 2, 3, 4, 5, -1, -2, -3, -4, -5)}
    used |= {f"template.kept.{reason}" for reason in ("below_booked", "overlap", "no_such_time")}
    assert "template.added" in used
    assert used <= set(CATALOGUE), used - set(CATALOGUE)
