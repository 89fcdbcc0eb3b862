"""Command text -> a frozen :class:`Command`.

Pure and total: every input either parses or raises :class:`CommandSyntaxError` carrying the
catalogue key and parameters of the explanation. Input is NFKC-normalised first, which turns
full-width letters, digits, ``／``, ``＝``, ``，`` and U+3000 spaces into their ASCII forms.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Opening quote -> closing quote. NFKC leaves the CJK corner brackets alone.
_QUOTES = {'"': '"', "「": "」", "『": "』", "“": "”"}


@dataclass(frozen=True)
class Command:
    name: str
    """What was typed after the slash, case-folded (``join``, ``登記``)."""
    words: tuple[str, ...] = ()
    """Positional arguments, in order."""
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """``key=value`` arguments; keys case-folded."""


class CommandSyntaxError(ValueError):
    def __init__(self, message_key: str, **params: str) -> None:
        super().__init__(message_key, params)
        self.message_key = message_key
        self.params = params


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def split_words(text: str) -> list[str]:
    """Split on spaces; a quoted run (``"..."``, ``「...」``) is one word, without its quotes."""
    words: list[str] = []
    current: list[str] = []
    in_word = False
    index = 0
    while index < len(text):
        char = text[index]
        if char in _QUOTES:
            closing = _QUOTES[char]
            end = text.find(closing, index + 1)
            if end < 0:
                raise CommandSyntaxError("error.unbalanced_quote", quote=text[index:])
            current.append(text[index + 1 : end])
            in_word = True
            index = end + 1
            continue
        if char.isspace():
            if in_word:
                words.append("".join(current))
                current, in_word = [], False
        else:
            current.append(char)
            in_word = True
        index += 1
    if in_word:
        words.append("".join(current))
    return words


def parse_command(text: str) -> Command | None:
    """``" /join district=ssp"`` -> ``Command("join", (), {"district": "ssp"})``.

    Returns None for an empty message (a bare @-mention). Raises for text that is not a command.
    """
    normalised = normalise(text)
    if not normalised:
        return None
    if not normalised.startswith("/"):
        raise CommandSyntaxError("error.not_a_command")
    head, *rest = split_words(normalised[1:]) or [""]
    words: list[str] = []
    options: dict[str, str] = {}
    for word in rest:
        key, separator, value = word.partition("=")
        if not separator or not key:
            words.append(word)
            continue
        key = key.casefold()
        if key in options:
            raise CommandSyntaxError("error.duplicate_option", option=key)
        options[key] = value.strip()
    return Command(name=head.casefold(), words=tuple(words), options=MappingProxyType(options))
