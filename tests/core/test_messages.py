from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.messages import CATALOGUE, LANGUAGES, UnknownMessage, bilingual, placeholders, text

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_exists_in_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = CATALOGUE[key]
    assert set(entry) == set(LANGUAGES)
    assert placeholders(entry["zh-HK"]) == placeholders(entry["en"])


def test_every_key_used_in_code_is_in_the_catalogue() -> None:
    used: set[str] = set()
    prefixes = "|".join(sorted({key.split(".")[0] for key in CATALOGUE}))
    pattern = re.compile(rf'"((?:{prefixes})\.[a-z_.]+)"')
    for package in ("bot", "handlers", "jobs"):
        for path in (ROOT / package).rglob("*.py"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found no keys at all"
    assert used <= set(CATALOGUE), used - set(CATALOGUE)


def test_bilingual_puts_the_readers_language_first() -> None:
    zh_first = bilingual("error.unknown_command", "zh-HK", command="/x")
    en_first = bilingual("error.unknown_command", "en", command="/x")
    assert zh_first.splitlines() == [
        text("error.unknown_command", "zh-HK", command="/x"),
        text("error.unknown_command", "en", command="/x"),
    ]
    assert en_first.splitlines()[0].startswith("I don't know")


def test_an_unknown_key_is_an_error() -> None:
    with pytest.raises(UnknownMessage):
        text("no.such.key", "en")
