"""The message catalogue: every user-facing sentence, in Traditional Chinese (HK) and English.

Handlers and jobs refer to sentences by key; nothing else inlines user-facing text. Errors are
shown in both languages (the reader's language first) so that nobody is left guessing.

One module per command family holds its ``ENTRIES`` and, where a value (a role, a weekday, a
refusal's reason) chooses the sentence, a table from that value to its key: keys are always
written out whole, so that the catalogue's test can find every key the code uses.
``catalogue.py`` joins the families and looks sentences up.
"""

from __future__ import annotations

from core.messages.catalogue import (
    CATALOGUE,
    Phrase,
    UnknownMessage,
    bilingual,
    join_list,
    placeholders,
    reader_language,
    text,
)
from core.messages.language import LANGUAGES, Language
from core.messages.markup import Markdown, inert, quoted

__all__ = [
    "CATALOGUE",
    "LANGUAGES",
    "Language",
    "Markdown",
    "Phrase",
    "UnknownMessage",
    "bilingual",
    "inert",
    "join_list",
    "placeholders",
    "quoted",
    "reader_language",
    "text",
]
