"""What people write is shown inert: every catalogue entry, filled with hostile strings, keeps
no markup of theirs."""

from __future__ import annotations

import pytest

from core.messages import CATALOGUE, LANGUAGES, Language, Markdown, inert, placeholders, text
from tests.hostile import HOSTILE, PHISH, active_markup


def test_inert_swaps_every_character_that_opens_markup() -> None:
    assert inert(PHISH) == "［改更請撳呢度］(http:／／phish.example)"
    assert inert("# 標題") == "＃ 標題"
    assert inert("#42 and #43") == "＃42 and #43"
    assert inert("line one\r\n\n  line two") == "line one line two"
    assert inert("@all <script>") == "＠all ＜script＞"


def test_inert_twice_reads_the_same() -> None:
    assert inert(inert(HOSTILE)) == inert(HOSTILE)


def test_plain_words_are_left_alone() -> None:
    plain = "深水埗食物銀行 SSP food bank, 09:00–12:00 (3/6)"
    assert inert(plain) == plain


PARAMETRISED = sorted(
    (key, language)
    for key, entry in CATALOGUE.items()
    for language in LANGUAGES
    if placeholders(entry[language])
)


@pytest.mark.parametrize(("key", "language"), PARAMETRISED)
def test_every_sentence_keeps_hostile_parameters_inert(key: str, language: Language) -> None:
    names = placeholders(CATALOGUE[key][language])
    rendered = text(key, language, **dict.fromkeys(names, HOSTILE))
    assert active_markup(rendered) == [], rendered


def test_markdown_the_bot_rendered_is_left_as_it_is() -> None:
    rendered = text("help.usage", "en", usage=Markdown("`/shift list [site]`"))
    assert rendered == "Usage: `/shift list [site]`"
