"""Interactive cards (the card platform, ``createAndDeliver`` with ``callbackType`` STREAM).

One template serves every card (core/dingshift-card-template.json); this module fills
its variables. Every value is a string of at most 1 KB of UTF-8, as DingTalk requires; longer
bodies are cut and point to a command. Card ids are chosen here, deterministically, so that a
retried delivery is recognisably the same card: ``ds-<kind>-<shift_id>[-<suffix>]``, the suffix
naming whom it is for (a staffId, or a language for a card shared by several people).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.messages import Language, text

SHIPPED_CARD_TEMPLATE = Path(__file__).with_name("dingshift-card-template.json")
"""The card-builder file an organisation imports (docs/setup-dingtalk.md §7); package data, so
an installed bot and its demo have it too."""
MAX_VALUE_BYTES = 1024
MAX_OUT_TRACK_ID = 64
MERGE_BY_KEY = {"updateCardDataByKey": True, "updatePrivateDataByKey": True}
"""``cardUpdateOptions`` for every update: without it DingTalk replaces all card data."""


# A kind is one word without hyphens (``confirm``, ``change_3``), so that the first hyphen after
# it ends it and the id can be read back.
_KIND = r"[a-z0-9_]+"
_CARD_ID = re.compile(
    rf"ds-(?P<kind>{_KIND})-(?P<shift_id>0|[1-9][0-9]*)(?:-(?P<suffix>.+))?", re.DOTALL
)


@dataclass(frozen=True)
class CardId:
    """One of our card ids, read back: what kind of card, about which shift, for whom."""

    kind: str
    shift_id: int
    suffix: str | None
    """As given to :func:`out_track_id`, or the hash that stands for it in a long id."""


def out_track_id(kind: str, shift_id: int, suffix: str | None = None) -> str:
    """``ds-confirm-42``, ``ds-offer-42-u17``, ``ds-remind-42-en``; a long one is shortened by a
    stable hash of its suffix."""
    if not re.fullmatch(_KIND, kind):
        raise ValueError(f"card kind {kind!r} is not one lower-case word")
    card_id = f"ds-{kind}-{shift_id}" + (f"-{suffix}" if suffix else "")
    if len(card_id) <= MAX_OUT_TRACK_ID:
        return card_id
    digest = hashlib.sha256(card_id.encode()).hexdigest()[:16]
    return f"ds-{kind}-{shift_id}-{digest}"


def parse_out_track_id(card_id: str) -> CardId | None:
    """The inverse of :func:`out_track_id`; None for an id we did not make."""
    found = _CARD_ID.fullmatch(card_id)
    if found is None:
        return None
    return CardId(
        kind=found["kind"], shift_id=int(found["shift_id"]), suffix=found["suffix"] or None
    )


def fit(value: str, more: str = "…") -> str:
    """``value`` cut to the 1 KB DingTalk allows, ending with ``more`` when cut."""
    if len(value.encode()) <= MAX_VALUE_BYTES:
        return value
    budget = MAX_VALUE_BYTES - len(more.encode())
    cut = value.encode()[:budget].decode(errors="ignore")
    return cut + more


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    shift_id: int


@dataclass(frozen=True)
class Card:
    """What one delivery puts on a card: public variables, and private ones per person."""

    out_track_id: str
    title: str
    body: str
    status: str
    shift_id: int
    buttons: Sequence[Button]
    private: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """staffId -> private variables (``my_status``)."""
    mentions: Mapping[str, str] = field(default_factory=dict)
    """staffId -> nickname, @-mentioned by the delivery."""

    def public_variables(self, language: Language) -> dict[str, str]:
        more = text("card.more", language, shift_id=self.shift_id)
        buttons = [
            {"label": button.label, "action": button.action, "shift_id": str(button.shift_id)}
            for button in self.buttons
        ]
        return {
            "title": fit(self.title),
            "body": fit(self.body, more),
            "status": fit(self.status),
            "shift_id": str(self.shift_id),
            "buttons": json.dumps(buttons, ensure_ascii=False),
        }


def status_line(confirmed: int, headcount: int, language: Language) -> str:
    return text("card.status", language, confirmed=confirmed, headcount=headcount)


def private_status(my_status: str, result: str = "ok") -> dict[str, str]:
    """The tapper's own variables; ``last_result`` drives the template's success toast."""
    return {"my_status": fit(my_status), "last_result": result}


def ack_response(*, status: str | None, my_status: str, result: str = "ok") -> dict[str, object]:
    """The card-callback ACK: merge by key (DingTalk replaces all card data otherwise)."""
    response: dict[str, object] = {
        "cardUpdateOptions": MERGE_BY_KEY,
        "userPrivateData": {"cardParamMap": private_status(my_status, result)},
    }
    if status is not None:
        response["cardData"] = {"cardParamMap": {"status": fit(status)}}
    return response
