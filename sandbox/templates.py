"""Card-builder template files (dingtalk-cards.md §2.2), read so that the sandbox can hold cards
to the variables of the very template the project ships.

A builder file is the `{"editorData", "widgetInfo", "type", "mode"}` envelope that 卡片平台 exports
and imports. `editorData` is itself a JSON *string*; its `variableList` declares the card's
variables, each with a `private` flag (私有). Only the top-level entries are `cardParamMap` keys:
the `schema` of a `loopArray` describes the items of one JSON-string value and adds no keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ENVELOPE_KEYS = ("editorData", "widgetInfo", "type", "mode")


class CardTemplateError(ValueError):
    """The file is not a card-builder template the sandbox can read; the message says why."""


def read_card_template(path: Path) -> dict[str, Any]:
    """The parsed `editorData` of the builder file at `path`, after checking its envelope."""
    try:
        envelope = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise CardTemplateError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(envelope, dict):
        raise CardTemplateError(f"{path}: the top level must be an object")
    missing = [key for key in ENVELOPE_KEYS if key not in envelope]
    if missing:
        raise CardTemplateError(f"{path}: envelope lacks {', '.join(missing)}")
    for key in ENVELOPE_KEYS:
        if not isinstance(envelope[key], str):
            raise CardTemplateError(
                f"{path}: {key} is {type(envelope[key]).__name__}, the builder writes a string"
            )
    try:
        editor_data = json.loads(envelope["editorData"])
    except ValueError as error:
        raise CardTemplateError(f"{path}: editorData holds no valid JSON ({error})") from error
    if not isinstance(editor_data, dict):
        raise CardTemplateError(f"{path}: editorData must hold a JSON object")
    return editor_data


def template_variables(editor_data: dict[str, Any]) -> dict[str, bool]:
    """`{variable name: is private}` from a parsed `editorData`."""
    entries = editor_data.get("variableList")
    if not isinstance(entries, list):
        raise CardTemplateError("editorData.variableList must be a list")
    variables: dict[str, bool] = {}
    for index, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            raise CardTemplateError(f"variableList[{index}] has no name")
        if name in variables:
            raise CardTemplateError(f"variableList declares {name!r} twice")
        private = entry.get("private", False)
        if not isinstance(private, bool):
            raise CardTemplateError(f"variableList[{index}] ({name}): private must be a boolean")
        variables[name] = private
    return variables


def card_template_variables(path: Path) -> dict[str, bool]:
    """`{variable name: is private}` of the builder file at `path`."""
    editor_data = read_card_template(path)
    try:
        return template_variables(editor_data)
    except CardTemplateError as error:
        raise CardTemplateError(f"{path}: {error}") from error
