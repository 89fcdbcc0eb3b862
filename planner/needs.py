"""What a shift asks for: head count, language cover, checklists, yes/no flags."""

from __future__ import annotations

import re

from planner.registration import InvalidChoice, parse_languages

MAX_HEADCOUNT = 500
HEADCOUNT_ACCEPTED = f"a whole number from 1 to {MAX_HEADCOUNT}"
LANGUAGE_NEEDS_ACCEPTED = "cmn, cmn:1, yue:2,en:1 (language:minimum speakers)"
YES_NO_ACCEPTED = "yes, no, 是, 否"
# A checklist is read on a phone: a few short items, not a pasted document.
MAX_ITEMS = 20
MAX_ITEM_CHARS = 64
ITEMS_ACCEPTED = (
    f"at most {MAX_ITEMS} items of at most {MAX_ITEM_CHARS} characters each, separated by commas"
)
_YES = frozenset({"yes", "y", "true", "1", "是", "要", "有"})
_NO = frozenset({"no", "n", "false", "0", "否", "唔要", "不", "冇", "無"})


def parse_headcount(text: str, field: str = "need") -> int:
    if not re.fullmatch(r"\d{1,4}", text.strip()) or not 1 <= int(text) <= MAX_HEADCOUNT:
        raise InvalidChoice(field, text, HEADCOUNT_ACCEPTED)
    return int(text)


def parse_language_needs(text: str) -> dict[str, int]:
    """``"cmn:1,en:2"`` -> ``{"cmn": 1, "en": 2}``; a language without a count needs one."""
    needs: dict[str, int] = {}
    for part in re.split(r"[,、]", text):
        if not part.strip():
            continue
        name, _, count = part.partition(":")
        try:
            (code,) = parse_languages(name)
        except InvalidChoice as error:
            raise InvalidChoice("lang", part.strip(), LANGUAGE_NEEDS_ACCEPTED) from error
        if count and not (count.strip().isdigit() and 1 <= int(count) <= MAX_HEADCOUNT):
            raise InvalidChoice("lang", part.strip(), LANGUAGE_NEEDS_ACCEPTED)
        needs[code] = int(count) if count else 1
    if not needs:
        raise InvalidChoice("lang", text, LANGUAGE_NEEDS_ACCEPTED)
    return needs


def parse_items(text: str, field: str) -> list[str]:
    """A checklist: ``"gloves, apron、water"`` -> ``["gloves", "apron", "water"]``; at most
    :data:`MAX_ITEMS` items of at most :data:`MAX_ITEM_CHARS` characters."""
    items = [item.strip() for item in re.split(r"[,、;；]", text) if item.strip()]
    if len(items) > MAX_ITEMS:
        raise InvalidChoice(field, text, ITEMS_ACCEPTED)
    for item in items:
        if len(item) > MAX_ITEM_CHARS:
            raise InvalidChoice(field, item, ITEMS_ACCEPTED)
    return items


def parse_yes_no(text: str, field: str) -> bool:
    word = text.strip().casefold()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise InvalidChoice(field, text, YES_NO_ACCEPTED)


def needs_unmet(needs: dict[str, int], languages_on_shift: list[list[str]]) -> dict[str, int]:
    """How many more speakers of each needed language the people on a shift leave missing."""
    missing = {}
    for code, minimum in needs.items():
        speakers = sum(1 for spoken in languages_on_shift if code in spoken)
        if speakers < minimum:
            missing[code] = minimum - speakers
    return missing
