"""From a card tap to the handler that owns it, with the checks every tap shares.

A tap names an action (the button's 回传参数) and arrives from a card whose id we chose
(:mod:`core.cards`). A card with another installation's tag, or one no DingShift made, is not
ours to answer: it is ignored (:class:`TapIgnored`, an ACK that changes nothing). Before any
handler runs, the router refuses an untagged card from before installation tags
(``card.outdated``), an action no table row has, an action on a kind of card it does not
belong to, a button whose shift is not its card's (a forged tap), and a tapper the tap is not
for; the tapper is told why, privately, and nothing changes. A handler therefore sees only taps
it owns, and takes the shift from the card.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cards import CardId, Origin, card_of, out_track_id
from core.incoming import MAX_ROW_ID, CardAction, CardTap
from core.messages import Language, text
from core.settings import Settings
from storage.models import Assignment, AssignmentState, Shift, Volunteer
from storage.shifts import lock_place

ANSWERING = frozenset(
    {AssignmentState.INVITED, AssignmentState.CONFIRMED, AssignmentState.DECLINED}
)
"""The people a shift's cards ask for an answer; a decline can still be taken back."""
log = logging.getLogger(__name__)


class Audience(StrEnum):
    """Who may tap a button."""

    ON_THE_SHIFT = "on_the_shift"
    """Anyone the card's shift asks for an answer (:data:`ANSWERING`), whoever it was sent to."""
    ADDRESSEE = "addressee"
    """Only the person the card was made for: its id's suffix is their staffId."""


@dataclass(frozen=True)
class Place:
    """The tapper's assignment on the card's shift, read with the shift locked: concurrent taps
    on the shift take turns, so it stays as read until the transaction ends."""

    shift: Shift
    assignment: Assignment


@dataclass(frozen=True)
class TapContext:
    session: AsyncSession
    tap: CardTap
    card: CardId
    """The card tapped; its shift is the tap's shift."""
    settings: Settings
    now: datetime
    volunteer: Volunteer | None
    language: Language
    """The tapper's language, for their private status."""
    place: Place | None
    """The tapper's place, for a button only the shift's people may tap
    (:attr:`Audience.ON_THE_SHIFT`)."""


@dataclass(frozen=True)
class TapResult:
    my_status: str
    status: str | None = None
    """The card's new public status; None leaves it as it is."""
    accepted: bool = True

    @classmethod
    def refusal(cls, language: Language, message_key: str, /, **params: object) -> TapResult:
        """Told privately to the tapper; the card's public status stays as it is."""
        return cls(my_status=text(message_key, language, **params), accepted=False)


TapHandler = Callable[[TapContext], Awaitable[TapResult]]


@dataclass(frozen=True)
class TapSpec:
    """One kind of button: a row of the taps table."""

    action: CardAction
    handler: TapHandler
    card_kinds: frozenset[str]
    """The kinds of card (``confirm`` in ``ds-confirm-42``) that carry this button."""
    audience: Audience


class TapRefused(Exception):
    """A tap that changes nothing; ``message_key`` tells the tapper why. Raised by the router,
    or by a handler before it writes anything (its savepoint is rolled back)."""

    def __init__(self, message_key: str, **params: object) -> None:
        super().__init__(message_key)
        self.message_key = message_key
        self.params = params


class TapIgnored(Exception):
    """A tap on another installation's card (or one no DingShift made): nothing is changed, not
    even the tapper's own line, since the card belongs to someone else."""


@dataclass(frozen=True)
class Admission:
    """A tap the router let through."""

    spec: TapSpec
    card: CardId
    place: Place | None
    """Read by the audience check, for :attr:`Audience.ON_THE_SHIFT`: the handler goes on from
    it instead of reading the same row again."""


class TapRouter:
    def __init__(self, specs: Sequence[TapSpec]) -> None:
        self.specs = tuple(specs)
        self._by_action: dict[str, TapSpec] = {}
        for spec in self.specs:
            if spec.action in self._by_action:
                raise ValueError(f"card action {spec.action!r} registered twice")
            self._by_action[spec.action] = spec

    async def admit(
        self,
        tap: CardTap,
        *,
        installation: str,
        session: AsyncSession,
        volunteer: Volunteer | None,
    ) -> Admission:
        """The spec for ``tap``, the card it came from and the tapper's place; raises
        :class:`TapIgnored` for a card that is not ``installation``'s and :class:`TapRefused`
        unless the tap is one this card takes from this person."""
        origin, card = card_of(tap.out_track_id, installation)
        if origin is Origin.ELSEWHERE:
            raise TapIgnored(tap.out_track_id)
        if origin is Origin.UNTAGGED:
            raise TapRefused("card.outdated")
        spec = self._by_action.get(tap.action)
        assert card is not None  # card_of reads a card as ours only with the card
        if spec is None or card.kind not in spec.card_kinds:
            raise TapRefused("card.not_for_this_card")
        if card.shift_id > MAX_ROW_ID:
            # An id no row can have: refused here, before a query would overflow on it.
            raise TapRefused("card.not_for_this_card")
        if tap.shift_id != card.shift_id:
            # The button's parameters name another shift than its card: not a button we made,
            # so someone is forging taps; whoever looks after the bot should hear of it.
            log.warning(
                "forged tap refused: its button names another shift than its card",
                extra={
                    "staff_id": tap.staff_id,
                    "out_track_id": tap.out_track_id,
                    "card_shift_id": card.shift_id,
                    "claimed_shift_id": tap.shift_id,
                },
            )
            raise TapRefused("card.not_for_this_card")
        place = await self._check_audience(
            spec.audience, tap, card, session=session, volunteer=volunteer
        )
        return Admission(spec, card, place)

    @staticmethod
    async def _check_audience(
        audience: Audience,
        tap: CardTap,
        card: CardId,
        *,
        session: AsyncSession,
        volunteer: Volunteer | None,
    ) -> Place | None:
        match audience:
            case Audience.ADDRESSEE:
                # Rebuilt rather than compared with the suffix: a long id holds only its hash.
                addressee_card = out_track_id(card.kind, card.shift_id, tap.staff_id)
                if addressee_card != out_track_id(card.kind, card.shift_id, card.suffix):
                    raise TapRefused("card.not_for_this_card")
                return None
            case Audience.ON_THE_SHIFT:
                found = (
                    await lock_place(
                        session=session, shift_id=card.shift_id, volunteer_id=volunteer.id
                    )
                    if volunteer is not None and volunteer.id is not None
                    else None
                )
                if found is None or found[1].state not in ANSWERING:
                    raise TapRefused("card.not_on_shift", id=card.shift_id)
                return Place(*found)
