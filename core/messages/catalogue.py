"""Every family's entries in one catalogue, and the functions that look sentences up in it."""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Final

from core.messages import (
    assignments,
    backfill,
    general,
    help,
    lifecycle,
    roles,
    selftest,
    shifts,
    sites,
    templates,
    volunteers,
)
from core.messages.language import LANGUAGES, Entries, Language

FAMILIES: Final = (
    general,
    help,
    volunteers,
    roles,
    sites,
    templates,
    shifts,
    assignments,
    lifecycle,
    backfill,
    selftest,
)
CATALOGUE: Final[Entries] = {
    key: entry for family in FAMILIES for key, entry in family.ENTRIES.items()
}


class UnknownMessage(KeyError):
    pass


@dataclass(frozen=True)
class Phrase:
    """A parameter that is itself a catalogue entry, shown in the reader's language."""

    key: str


def text(key: str, language: Language, **params: object) -> str:
    """The sentence ``key`` in ``language`` with ``params`` filled in."""
    try:
        template = CATALOGUE[key][language]
    except KeyError as error:
        raise UnknownMessage(key) from error
    resolved = {
        name: text(value.key, language) if isinstance(value, Phrase) else value
        for name, value in params.items()
    }
    return template.format(**resolved)


def bilingual(key: str, language: Language, **params: object) -> str:
    """Both languages, the reader's first, one per line."""
    other: Language = "en" if language == "zh-HK" else "zh-HK"
    return f"{text(key, language, **params)}\n{text(key, other, **params)}"


def reader_language(preference: str | None, default: Language) -> Language:
    """Someone's chosen language if it is one we speak, else the organisation's."""
    for language in LANGUAGES:
        if preference == language:
            return language
    return default


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(template) if field}


def join_list(items: list[str], language: Language) -> str:
    return text("list.separator", language).join(items)
