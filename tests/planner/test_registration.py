from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.registration import (
    DAY_PARTS,
    DISTRICTS,
    WEEKDAYS,
    InvalidChoice,
    district_name,
    parse_availability,
    parse_districts,
    parse_languages,
    slot_name,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ssp", ("sham-shui-po",)),
        ("SSP", ("sham-shui-po",)),
        ("Sham Shui Po", ("sham-shui-po",)),
        ("shamshuipo", ("sham-shui-po",)),
        ("深水埗", ("sham-shui-po",)),
        ("深水埗區", ("sham-shui-po",)),
        ("ssp, 觀塘", ("sham-shui-po", "kwun-tong")),
        ("ssp、kt,ssp", ("sham-shui-po", "kwun-tong")),
        ("北區", ("north",)),
        ("central and western", ("central-western",)),
        ("離島", ("islands",)),
    ],
)
def test_districts(text: str, expected: tuple[str, ...]) -> None:
    assert parse_districts(text) == expected


@pytest.mark.parametrize("text", ["", "Mong Kok", "ssp,atlantis", ","])
def test_unknown_districts_are_refused(text: str) -> None:
    with pytest.raises(InvalidChoice) as caught:
        parse_districts(text)
    assert caught.value.field == "district"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yue", ("yue",)),
        ("yue,cmn,en", ("yue", "cmn", "en")),
        ("粵語,英文", ("yue", "en")),
        ("廣東話、普通話", ("yue", "cmn")),
        ("English", ("en",)),
        ("普通话", ("cmn",)),
        ("en,EN", ("en",)),
    ],
)
def test_languages(text: str, expected: tuple[str, ...]) -> None:
    assert parse_languages(text) == expected


@pytest.mark.parametrize("text", ["", "fr", "yue,klingon"])
def test_unknown_languages_are_refused(text: str) -> None:
    with pytest.raises(InvalidChoice) as caught:
        parse_languages(text)
    assert caught.value.field == "lang"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sat-am", ("sat-am",)),
        ("sun-pm,sat-am", ("sat-am", "sun-pm")),
        ("sat", ("sat-am", "sat-pm", "sat-eve")),
        ("星期六上午", ("sat-am",)),
        ("週日晚", ("sun-eve",)),
        ("禮拜三下午", ("wed-pm",)),
        ("saturday-morning", ("sat-am",)),
        ("mon-eve, mon-eve", ("mon-eve",)),
    ],
)
def test_availability(text: str, expected: tuple[str, ...]) -> None:
    assert parse_availability(text) == expected


@pytest.mark.parametrize("text", ["", "someday", "sat-night-owl", "星期八上午", "sat-noon"])
def test_bad_availability_is_refused(text: str) -> None:
    with pytest.raises(InvalidChoice) as caught:
        parse_availability(text)
    assert caught.value.field == "avail"


slots = st.lists(
    st.sampled_from([f"{day}-{part}" for day in WEEKDAYS for part in DAY_PARTS]), min_size=1
)


@given(slots)
def test_availability_round_trips_through_its_canonical_form(chosen: list[str]) -> None:
    parsed = parse_availability(",".join(chosen))
    assert set(parsed) == set(chosen)
    assert parse_availability(",".join(parsed)) == parsed


@given(st.sampled_from(DISTRICTS), st.sampled_from(["zh-HK", "en"]))
def test_every_district_parses_from_its_displayed_name(district: object, language: str) -> None:
    code = district.code  # type: ignore[attr-defined]
    assert parse_districts(district_name(code, language)) == (code,)


def test_slot_names_read_naturally() -> None:
    assert slot_name("sat-am", "zh-HK") == "星期六上午"
    assert slot_name("sun-eve", "en") == "Sun evening"
