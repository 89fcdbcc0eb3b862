"""Hostile strings, and a check that none of their markup survived rendering."""

from __future__ import annotations

import re

PHISH = "[改更請撳呢度](http://phish.example)"
HOSTILE = (
    f"{PHISH} ![pic](http://img.example/a.png) <b>bold</b> **strong** _it_ ~~gone~~ "
    "`code` @all |cell| \\*\n# heading\n> quoted"
)


def active_markup(rendered: str) -> list[str]:
    """The pieces of :data:`HOSTILE` that would still be markup in ``rendered``."""
    found = [
        piece
        for piece in (
            "](",
            "![",
            "[改更",
            "<b>",
            "</b>",
            "**strong**",
            "_it_",
            "~~gone~~",
            "`code`",
            "@all",
            "|cell|",
            "\\*",
            "http://",
        )
        if piece in rendered
    ]
    found += re.findall(r"(?m)^\s*(?:# heading|> quoted)", rendered)
    return found
