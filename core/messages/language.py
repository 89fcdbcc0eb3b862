"""The languages the catalogue speaks, and the shape of each command family's entries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, TypeAlias

Language = Literal["zh-HK", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("zh-HK", "en")
# Key -> the sentence in each language; ``{name}`` placeholders are filled in by ``text``.
Entries: TypeAlias = Mapping[str, Mapping[Language, str]]
