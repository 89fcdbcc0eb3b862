from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.commands import Command, CommandSyntaxError, parse_command, split_words


@pytest.mark.parametrize(
    ("text", "name", "words", "options"),
    [
        (" /help", "help", (), {}),
        ("/help join", "help", ("join",), {}),
        ("  /JOIN district=ssp lang=yue  ", "join", (), {"district": "ssp", "lang": "yue"}),
        # full-width slash, letters, equals sign, comma and U+3000 spaces
        (
            "／ｊｏｉｎ\u3000district＝ssp\u3000lang＝yue，en",
            "join",
            (),
            {"district": "ssp", "lang": "yue,en"},
        ),
        ("/登記 district=深水埗 lang=粵語", "登記", (), {"district": "深水埗", "lang": "粵語"}),
        (
            '/join district="Sham Shui Po" lang=en',
            "join",
            (),
            {"district": "Sham Shui Po", "lang": "en"},
        ),
        ("/join district=「黃大仙 」 lang=en", "join", (), {"district": "黃大仙", "lang": "en"}),
        ("/shift add site=SSP", "shift", ("add",), {"site": "SSP"}),
        ("/help =x", "help", ("=x",), {}),
        ("/Join DISTRICT=ssp", "join", (), {"district": "ssp"}),
        ("/", "", (), {}),
    ],
)
def test_parse_table(
    text: str, name: str, words: tuple[str, ...], options: dict[str, str]
) -> None:
    command = parse_command(text)
    assert command == Command(name=name, words=words, options=options)


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_a_bare_mention_is_no_command(text: str) -> None:
    assert parse_command(text) is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("hello bot", "error.not_a_command"),
        ('/join district="Sham Shui Po lang=en', "error.unbalanced_quote"),
        ("/join district=「深水埗 lang=en", "error.unbalanced_quote"),
        ("/join lang=en lang=yue", "error.duplicate_option"),
    ],
)
def test_syntax_errors_name_their_message(text: str, key: str) -> None:
    with pytest.raises(CommandSyntaxError) as caught:
        parse_command(text)
    assert caught.value.message_key == key


@given(
    st.lists(
        st.text(
            alphabet=st.characters(
                blacklist_categories=["Z", "C"], blacklist_characters='"「」『』“”'
            ),
            min_size=1,
        ),
        max_size=6,
    )
)
def test_split_words_recovers_space_separated_words(words: list[str]) -> None:
    assert split_words(" ".join(words)) == words


@given(st.text())
def test_the_parser_never_fails_in_an_unexpected_way(text: str) -> None:
    with contextlib.suppress(CommandSyntaxError):
        result = parse_command(text)
        assert result is None or isinstance(result, Command), repr(result)
