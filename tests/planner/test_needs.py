from __future__ import annotations

import pytest

from planner.needs import (
    MAX_ITEMS,
    needs_unmet,
    parse_headcount,
    parse_items,
    parse_language_needs,
    parse_yes_no,
)
from planner.registration import InvalidChoice


@pytest.mark.parametrize(("text", "expected"), [("1", 1), ("6", 6), (" 12 ", 12), ("500", 500)])
def test_headcount(text: str, expected: int) -> None:
    assert parse_headcount(text) == expected


@pytest.mark.parametrize("text", ["0", "-1", "six", "", "501", "1.5"])
def test_bad_headcount(text: str) -> None:
    with pytest.raises(InvalidChoice) as caught:
        parse_headcount(text)
    assert caught.value.field == "need"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cmn", {"cmn": 1}),
        ("cmn:1", {"cmn": 1}),
        ("yue:2,en:1", {"yue": 2, "en": 1}),
        ("普通話:2、英文", {"cmn": 2, "en": 1}),
    ],
)
def test_language_needs(text: str, expected: dict[str, int]) -> None:
    assert parse_language_needs(text) == expected


@pytest.mark.parametrize("text", ["", "fr:1", "cmn:0", "cmn:x", ","])
def test_bad_language_needs(text: str) -> None:
    with pytest.raises(InvalidChoice) as caught:
        parse_language_needs(text)
    assert caught.value.field == "lang"


def test_items_and_flags() -> None:
    assert parse_items("gloves, apron、water;", "equipment") == ["gloves", "apron", "water"]
    assert parse_yes_no("YES", "health") is True
    assert parse_yes_no("否", "health") is False
    with pytest.raises(InvalidChoice):
        parse_yes_no("maybe", "health")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (",".join(["a"] * (MAX_ITEMS + 1)), ",".join(["a"] * (MAX_ITEMS + 1))),
        ("ok," + "z" * 65, "z" * 65),
    ],
)
def test_checklists_have_an_item_count_and_length_cap(text: str, value: str) -> None:
    assert len(parse_items(",".join(["a"] * MAX_ITEMS), "tasks")) == MAX_ITEMS
    with pytest.raises(InvalidChoice) as caught:
        parse_items(text, "tasks")
    assert (caught.value.field, caught.value.value) == ("tasks", value)


def test_unmet_language_needs_count_missing_speakers() -> None:
    on_shift = [["yue"], ["yue", "en"], ["cmn"]]
    assert needs_unmet({"cmn": 2, "en": 1, "yue": 1}, on_shift) == {"cmn": 1}
    assert needs_unmet({}, on_shift) == {}
