"""Interactive cards (the card platform, ``createAndDeliver`` with ``callbackType`` STREAM).

One template serves every card (core/dingshift-card-template.json); this module fills
its variables (:func:`card_variables`). Every value is a string of at most 1 KB of UTF-8, as
DingTalk requires ("1 KB" is not said to be bytes or characters: bytes is the safe reading);
longer bodies are cut and point to a command, longer lists end "… and N more".

Card ids are chosen here, deterministically, so that a retried delivery is recognisably the same
card. Inside the bot a card is ``ds-<kind>-<shift_id>[-<suffix>]``, the suffix naming whom it
is for (a staffId, or a language for a card shared by several people). DingTalk keeps one card
per outTrackId for good and refuses a second (``param.cardAlreadyExist``), so on the wire
(:func:`wire_id`) the id also carries this installation's tag, generated once per database:
``ds-<8 hex>-<kind>-<shift_id>[-<suffix>]``. Another organisation's bot, or this one after a
database reset, then never collides with cards DingTalk already has.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from core.messages import Language, Markdown, inert, join_list, text

SHIPPED_CARD_TEMPLATE = Path(__file__).with_name("dingshift-card-template.json")
"""The card-builder file an organisation imports (docs/setup-dingtalk.md §7); package data, so
an installed bot and its demo have it too."""
MAX_VALUE_BYTES = 1024
MAX_WIRE_ID = 64
"""DingTalk's limit on an outTrackId (``outTrackId.outOfLimit``)."""
TAG_LENGTH = 8
MAX_OUT_TRACK_ID = MAX_WIRE_ID - len("-") - TAG_LENGTH
"""Our ids leave room for the installation tag."""
MERGE_BY_KEY = {"updateCardDataByKey": True, "updatePrivateDataByKey": True}
"""``cardUpdateOptions`` for every update: without it DingTalk replaces all card data."""


# A kind is one word without hyphens (``confirm``, ``change_3``), so that the first hyphen after
# it ends it and the id can be read back.
_KIND = r"[a-z0-9_]+"
_CARD_ID = re.compile(
    rf"ds-(?P<kind>{_KIND})-(?P<shift_id>0|[1-9][0-9]*)(?:-(?P<suffix>.+))?", re.DOTALL
)


_TAG = re.compile(rf"[0-9a-f]{{{TAG_LENGTH}}}")
_WIRE_ID = re.compile(rf"ds-(?P<tag>[0-9a-f]{{{TAG_LENGTH}}})-(?P<rest>.+)", re.DOTALL)


def new_installation_tag() -> str:
    """Eight random hex digits: 4 billion values, so two installations practically never meet."""
    return secrets.token_hex(TAG_LENGTH // 2)


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


def wire_id(card_id: str, installation: str) -> str:
    """``ds-confirm-42`` as DingTalk knows it: ``ds-<installation>-confirm-42``."""
    if not _TAG.fullmatch(installation):
        raise ValueError(f"installation tag {installation!r} is not {TAG_LENGTH} hex digits")
    if parse_out_track_id(card_id) is None:
        raise ValueError(f"{card_id!r} is not one of our card ids")
    tagged = f"ds-{installation}-{card_id.removeprefix('ds-')}"
    if len(tagged) > MAX_WIRE_ID:
        # out_track_id leaves room for the tag; an id queued by an older version may not.
        raise ValueError(f"{card_id!r} is too long for DingTalk with the installation tag")
    return tagged


class Origin(StrEnum):
    """Whose card a tap came from, read from its outTrackId alone."""

    OURS = "ours"
    UNTAGGED = "untagged"
    """Our form from before installation tags (or a copy of it): no tag to prove it is ours."""
    ELSEWHERE = "elsewhere"
    """Another installation's tag (a second organisation, or this one before a database reset),
    or an id no DingShift made."""


def card_of(wire: str, installation: str) -> tuple[Origin, CardId | None]:
    """The card behind outTrackId ``wire``, only when it carries ``installation``'s tag."""
    tagged = _WIRE_ID.fullmatch(wire)
    if tagged is not None and tagged["tag"] == installation:
        card = parse_out_track_id(f"ds-{tagged['rest']}")
        return (Origin.OURS, card) if card is not None else (Origin.ELSEWHERE, None)
    if tagged is None and parse_out_track_id(wire) is not None:
        return Origin.UNTAGGED, None
    return Origin.ELSEWHERE, None


def fit(value: str, more: str = "…", limit: int = MAX_VALUE_BYTES) -> str:
    """``value`` cut to ``limit`` bytes (DingTalk allows 1 KB), ending with ``more`` when cut."""
    if len(value.encode()) <= limit:
        return value
    budget = limit - len(more.encode())
    cut = value.encode()[:budget].decode(errors="ignore")
    return cut + more


def fit_list(items: Sequence[str], language: Language, budget: int = MAX_VALUE_BYTES // 2) -> str:
    """``items`` joined as a sentence in at most ``budget`` bytes: as many as fit, then
    "… and N more", so a long list of names leaves room for the rest of a card's body. The items
    are measured as given: names must be made inert (:func:`inert`) first, which can triple their
    bytes, and the result passed on as :class:`Markdown`."""
    for shown in range(len(items), -1, -1):
        hidden = len(items) - shown
        parts = list(items[:shown])
        if hidden:
            parts.append(text("card.and_more", language, count=hidden))
        joined = join_list(parts, language)
        if len(joined.encode()) <= budget or shown == 0:
            return fit(joined)
    raise AssertionError("unreachable: shown == 0 returns")  # pragma: no cover


_STAFF_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def highlighted(staff_id: str, nickname: str) -> str:
    """``@nickname`` as card markdown that DingTalk highlights for ``staff_id``, who must also be
    in the delivery's ``cardAtUserIds``; the nickname is made inert, and an id that is not a
    plain DingTalk userId gets no markup at all."""
    name = "@" + inert(nickname)
    if _STAFF_ID.fullmatch(staff_id) is None:
        return name
    return f'<a atId="{staff_id}">{name}</a>'


_HIGHLIGHT = re.compile(r'<a atId="[^"]*">([^<]*)</a>')


def without_highlights(card_text: str) -> str:
    """Card text with :func:`highlighted`'s markup taken off, the plain ``@nickname`` left:
    robot-message markdown does not render it."""
    return _HIGHLIGHT.sub(r"\1", card_text)


def card_variables(values: Mapping[str, str], more: str = "…") -> dict[str, str]:
    """The one place card variables are made wire-ready: each value cut to DingTalk's 1 KB,
    ``more`` ending a value that was cut."""
    return {name: fit(value, more) for name, value in values.items()}


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
            **card_variables({"title": self.title, "status": self.status}),
            "body": self._body_with_mentions(language, more),
            "shift_id": str(self.shift_id),
            # Our own labels, at most three buttons: far under 1 KB, and never cut (JSON).
            "buttons": json.dumps(buttons, ensure_ascii=False),
        }

    def _body_with_mentions(self, language: Language, more: str) -> str:
        """The body, then the mentioned people highlighted; the body is cut first, so a cut
        never splits a mention's markup."""
        if not self.mentions:
            return fit(self.body, more)
        people = [highlighted(staff_id, nick) for staff_id, nick in self.mentions.items()]
        asked = text("card.asked", language, people=Markdown(fit_list(people, language)))
        room = MAX_VALUE_BYTES - len(asked.encode()) - len(b"\n\n")
        return fit(self.body, more, room) + "\n\n" + asked


def status_line(confirmed: int, headcount: int, language: Language) -> str:
    return text("card.status", language, confirmed=confirmed, headcount=headcount)


def private_status(my_status: str, result: str = "ok") -> dict[str, str]:
    """The tapper's own variables; ``last_result`` drives the template's success toast."""
    return card_variables({"my_status": my_status, "last_result": result})


def ack_response(*, status: str | None, my_status: str, result: str = "ok") -> dict[str, object]:
    """The card-callback ACK: merge by key (DingTalk replaces all card data otherwise)."""
    response: dict[str, object] = {
        "cardUpdateOptions": MERGE_BY_KEY,
        "userPrivateData": {"cardParamMap": private_status(my_status, result)},
    }
    if status is not None:
        response["cardData"] = {"cardParamMap": card_variables({"status": status})}
    return response
