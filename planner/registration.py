"""What a volunteer registers: Hong Kong districts, spoken languages and weekly availability.

Each ``parse_*`` takes what a person typed (already NFKC-normalised) and returns canonical codes,
or raises :class:`InvalidChoice` naming the field, the offending word and what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class District:
    code: str
    name_en: str
    name_zh: str
    short: str


# The 18 District Council districts; `short` is the abbreviation coordinators commonly type.
DISTRICTS: tuple[District, ...] = (
    District("central-western", "Central and Western", "中西區", "cw"),
    District("wan-chai", "Wan Chai", "灣仔", "wc"),
    District("eastern", "Eastern", "東區", "est"),
    District("southern", "Southern", "南區", "sth"),
    District("yau-tsim-mong", "Yau Tsim Mong", "油尖旺", "ytm"),
    District("sham-shui-po", "Sham Shui Po", "深水埗", "ssp"),
    District("kowloon-city", "Kowloon City", "九龍城", "kc"),
    District("wong-tai-sin", "Wong Tai Sin", "黃大仙", "wts"),
    District("kwun-tong", "Kwun Tong", "觀塘", "kt"),
    District("kwai-tsing", "Kwai Tsing", "葵青", "kwt"),
    District("tsuen-wan", "Tsuen Wan", "荃灣", "tw"),
    District("tuen-mun", "Tuen Mun", "屯門", "tm"),
    District("yuen-long", "Yuen Long", "元朗", "yl"),
    District("north", "North", "北區", "n"),
    District("tai-po", "Tai Po", "大埔", "tp"),
    District("sha-tin", "Sha Tin", "沙田", "st"),
    District("sai-kung", "Sai Kung", "西貢", "sk"),
    District("islands", "Islands", "離島", "is"),
)
DISTRICTS_BY_CODE = {district.code: district for district in DISTRICTS}

LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "yue": ("粵語", "Cantonese"),
    "cmn": ("普通話", "Mandarin"),
    "en": ("英文", "English"),
}

_Meaning = TypeVar("_Meaning")


def by_word(meanings: Mapping[_Meaning, Iterable[str]]) -> dict[str, _Meaning]:
    """A lookup from each word to what it means, from the words written down by meaning."""
    return {word: meaning for meaning, words in meanings.items() for word in words}


_LANGUAGE_ALIASES = by_word(
    {
        "yue": ("yue", "cantonese", "粵語", "粤语", "廣東話", "广东话", "廣東"),
        "cmn": ("cmn", "mandarin", "putonghua", "普通話", "普通话", "國語", "国语"),
        "en": ("en", "eng", "english", "英文", "英語", "英语"),
    }
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_PARTS = ("am", "pm", "eve")
WEEKDAY_NAMES_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
DAY_PART_NAMES = {
    "am": ("上午", "morning"),
    "pm": ("下午", "afternoon"),
    "eve": ("晚上", "evening"),
}
_WEEKDAY_ALIASES = {
    **{day: day for day in WEEKDAYS},
    **dict(
        zip(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
            WEEKDAYS,
            strict=True,
        )
    ),
    **dict(zip("一二三四五六日", WEEKDAYS, strict=True)),
    "天": "sun",
}
_DAY_PART_ALIASES = by_word(
    {
        "am": ("am", "morning", "上午", "早", "朝"),
        "pm": ("pm", "afternoon", "下午", "午", "晏"),
        "eve": ("eve", "evening", "night", "晚上", "晚", "夜"),
    }
)
_CHINESE_DAY_PREFIX = re.compile(r"^(?:星期|禮拜|礼拜|週|周)(.)(.*)$")


class InvalidChoice(ValueError):
    def __init__(self, field: str, value: str, accepted: str) -> None:
        super().__init__(f"{field}: {value!r} is not one of {accepted}")
        self.field = field
        self.value = value
        self.accepted = accepted


def _squash(word: str) -> str:
    return re.sub(r"[\s_\-]+", "", word.casefold())


_DISTRICT_ALIASES: dict[str, str] = {}
for _district in DISTRICTS:
    for _alias in (
        _district.code,
        _district.name_en,
        _district.short,
        _district.name_zh,
        _district.name_zh + "區",
        _district.name_zh.removesuffix("區"),
    ):
        _DISTRICT_ALIASES[_squash(_alias)] = _district.code


def _split_list(text: str) -> list[str]:
    return [word.strip() for word in re.split(r"[,、/]", text) if word.strip()]


def _unique(codes: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def parse_districts(text: str) -> tuple[str, ...]:
    """``"ssp, 觀塘"`` -> ``("sham-shui-po", "kwun-tong")``."""
    words = _split_list(text)
    if not words:
        raise InvalidChoice("district", text, "ssp, kt, 深水埗, Sham Shui Po, ...")
    codes = []
    for word in words:
        code = _DISTRICT_ALIASES.get(_squash(word))
        if code is None:
            raise InvalidChoice("district", word, "ssp, kt, 深水埗, Sham Shui Po, ...")
        codes.append(code)
    return _unique(codes)


def parse_languages(text: str) -> tuple[str, ...]:
    """``"yue,English"`` -> ``("yue", "en")``."""
    words = _split_list(text)
    accepted = "yue, cmn, en, 粵語, 普通話, 英文"
    if not words:
        raise InvalidChoice("lang", text, accepted)
    codes = []
    for word in words:
        code = _LANGUAGE_ALIASES.get(word.casefold().replace(" ", ""))
        if code is None:
            raise InvalidChoice("lang", word, accepted)
        codes.append(code)
    return _unique(codes)


def _parse_slot(word: str) -> list[str]:
    compact = word.casefold().replace(" ", "")
    chinese = _CHINESE_DAY_PREFIX.match(compact)
    if chinese:
        day_word, part_word = chinese.groups()
    else:
        day_word, _, part_word = compact.partition("-")
    day = _WEEKDAY_ALIASES.get(day_word)
    if day is None:
        raise InvalidChoice("avail", word, "sat-am, sun-pm, mon-eve, sat, 星期六上午")
    if not part_word:
        return [f"{day}-{part}" for part in DAY_PARTS]
    part = _DAY_PART_ALIASES.get(part_word)
    if part is None:
        raise InvalidChoice("avail", word, "sat-am, sun-pm, mon-eve, sat, 星期六上午")
    return [f"{day}-{part}"]


def parse_availability(text: str) -> tuple[str, ...]:
    """``"sat-am, 星期日下午, mon"`` -> weekly slots in week order, e.g. ``("mon-am", ...)``."""
    words = _split_list(text)
    if not words:
        raise InvalidChoice("avail", text, "sat-am, sun-pm, mon-eve, sat, 星期六上午")
    slots = {slot for word in words for slot in _parse_slot(word)}
    order = [f"{day}-{part}" for day in WEEKDAYS for part in DAY_PARTS]
    return tuple(slot for slot in order if slot in slots)


def district_name(code: str, language: str) -> str:
    district = DISTRICTS_BY_CODE[code]
    return district.name_zh if language == "zh-HK" else district.name_en


def language_name(code: str, language: str) -> str:
    zh, en = LANGUAGE_NAMES[code]
    return zh if language == "zh-HK" else en


def slot_name(slot: str, language: str) -> str:
    day, part = slot.split("-")
    zh_part, en_part = DAY_PART_NAMES[part]
    if language == "zh-HK":
        return WEEKDAY_NAMES_ZH[WEEKDAYS.index(day)] + zh_part
    return f"{day.capitalize()} {en_part}"
