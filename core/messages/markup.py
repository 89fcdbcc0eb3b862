"""Making what people wrote inert where the bot renders it as DingTalk markdown or card text.

Nicknames, site names, titles, reasons, equipment, meeting points and contacts are typed by
members; shown as written, ``[改更請撳呢度](http://phish.example)`` would be a link in a group
announcement. :func:`inert` swaps each character that could start markup for its full-width
twin, which every DingTalk client shows and no markdown renderer reads as syntax. Unlike a
backslash escape this needs nothing from the renderer (whether DingTalk's markdown honours
backslashes is unverified), and it is idempotent: text made inert twice reads the same.

The catalogue (:func:`core.messages.text`) makes every string parameter inert; a parameter that
is itself markdown the bot rendered (a shift's block, a list of lines) is passed as
:class:`Markdown`, and whoever builds it makes the people's parts of it inert. An error quotes
what was typed only as far as :func:`quoted` goes, so a long input is not echoed back in full.
"""

from __future__ import annotations

import re
from typing import Final

# The characters that open markdown or HTML: links and images ([ ] !), emphasis (* _ ~),
# code (`), quotes and tags (< >), tables (|), backslash escapes, @-mentions (@). A heading's #
# counts only at the start of a line, so only a leading one is swapped (``#42`` in a line stays).
_TWINS: Final = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "*": "＊",
        "_": "＿",
        "~": "～",
        "`": "｀",
        "<": "＜",
        ">": "＞",
        "|": "｜",
        "\\": "＼",
        "@": "＠",
    }
)
# Any run of line breaks (and the blanks around it): one field must stay one line.
_LINE_BREAKS: Final = re.compile(r"\s*[\r\n\u2028\u2029\x0b\x0c\x85]+\s*")
_LEADING_HASH: Final = re.compile(r"^(\s*)#")


QUOTE_CHARS: Final = 40
"""How much of what someone typed an error quotes back (twice: it is bilingual)."""


class Markdown(str):
    """A catalogue parameter that is markdown the bot rendered itself: left as it is."""

    __slots__ = ()


def inert(value: str) -> str:
    """``value`` on one line with no markup left: ``[x](http://a)`` -> ``［x］(http:／／a)``.

    ``://`` becomes ``:／／`` too, so a bare address is not turned into a link either."""
    one_line = _LINE_BREAKS.sub(" ", value).translate(_TWINS).replace("://", ":／／")
    return _LEADING_HASH.sub(r"\1＃", one_line)


def quoted(value: str) -> str:
    """The start of what someone typed, for an error to quote: at most :data:`QUOTE_CHARS`
    characters, ``…`` marking a cut."""
    one_line = _LINE_BREAKS.sub(" ", value).strip()
    if len(one_line) <= QUOTE_CHARS:
        return one_line
    return one_line[:QUOTE_CHARS] + "…"
