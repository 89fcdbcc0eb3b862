"""The tap router: each refusal, before any handler runs, and the taps it lets through.

The table here is the router's own (two kinds of button, one per audience); the real table,
``handlers.registry.ALL_TAPS``, is exercised end to end in tests/e2e/test_cards.py and
test_backfill.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from core.cards import out_track_id, wire_id
from core.incoming import CardAction, CardTap
from core.taps import (
    Audience,
    TapContext,
    TapIgnored,
    TapRefused,
    TapResult,
    TapRouter,
    TapSpec,
)
from storage.database import SessionFactory
from storage.models import Assignment, AssignmentState, Shift, Site, Volunteer

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
LONG_STAFF_ID = "u-" + "7" * 62  # as long as a staffId may be: their offer card's id holds a hash


async def _handler(ctx: TapContext) -> TapResult:
    raise AssertionError("the router never runs a handler")


ROUTER = TapRouter(
    [
        TapSpec("confirm", _handler, frozenset({"confirm", "nudge"}), Audience.ON_THE_SHIFT),
        TapSpec("take", _handler, frozenset({"offer"}), Audience.ADDRESSEE),
    ]
)
# staffId -> their assignment on the shift (None: registered, not on it).
PEOPLE = {
    "u-ann": AssignmentState.INVITED,
    "u-dee": AssignmentState.DECLINED,
    "u-wyn": AssignmentState.WITHDRAWN,
    "u-off": None,
    LONG_STAFF_ID: None,
}


INSTALLATION = "5ce0a710"
IGNORED = "(ignored)"


@dataclass(frozen=True)
class Case:
    tapper: str
    action: CardAction
    card: str
    """A card id; ``{shift}``, ``{other}`` and ``{long_offer}`` are filled in."""
    button_shift: str = "{shift}"
    refused: str | None = None
    """The message key the tapper is told; None: let through; IGNORED: not even answered."""
    as_sent: bool = False
    """``card`` is the id exactly as DingTalk sends it, not ours to tag with INSTALLATION."""


CASES = {
    "on the shift, on the group's card": Case("u-ann", "confirm", "ds-confirm-{shift}"),
    "on the shift, on a private nudge": Case("u-ann", "confirm", "ds-nudge-{shift}-en"),
    "declined, may take it back": Case("u-dee", "confirm", "ds-confirm-{shift}"),
    "their own offer": Case("u-off", "take", "ds-offer-{shift}-u-off"),
    "their own offer, long id": Case(LONG_STAFF_ID, "take", "{long_offer}"),
    "a card we did not make": Case(
        "u-ann", "confirm", "ext-card-{shift}", refused=IGNORED, as_sent=True
    ),
    "another installation's card": Case(
        "u-ann", "confirm", "ds-0badc0de-confirm-{shift}", refused=IGNORED, as_sent=True
    ),
    "our untagged card from before installation tags": Case(
        "u-ann", "confirm", "ds-confirm-{shift}", refused="card.outdated", as_sent=True
    ),
    "a tagged id that is not a card of ours": Case(
        "u-ann", "confirm", f"ds-{INSTALLATION}-Confirm-{{shift}}", refused=IGNORED, as_sent=True
    ),
    "an action without a row": Case(
        "u-ann", "checkin", "ds-confirm-{shift}", refused="card.not_for_this_card"
    ),
    "an action on a card kind it is not on": Case(
        "u-ann", "confirm", "ds-remind-{shift}-en", refused="card.not_for_this_card"
    ),
    "a take on the group's card": Case(
        "u-ann", "take", "ds-confirm-{shift}", refused="card.not_for_this_card"
    ),
    "a button naming another shift than its card": Case(
        "u-ann",
        "confirm",
        "ds-confirm-{shift}",
        button_shift="{other}",
        refused="card.not_for_this_card",
    ),
    "a forged card id for the other shift": Case(
        "u-ann", "confirm", "ds-confirm-{other}", "{other}", refused="card.not_on_shift"
    ),
    "withdrawn from the shift": Case(
        "u-wyn", "confirm", "ds-confirm-{shift}", refused="card.not_on_shift"
    ),
    "registered, not on the shift": Case(
        "u-off", "confirm", "ds-confirm-{shift}", refused="card.not_on_shift"
    ),
    "not registered": Case(
        "u-nobody", "confirm", "ds-confirm-{shift}", refused="card.not_on_shift"
    ),
    "someone else's offer": Case(
        "u-ann", "take", "ds-offer-{shift}-u-off", refused="card.not_for_this_card"
    ),
    "someone else's offer, long id": Case(
        "u-off", "take", "{long_offer}", refused="card.not_for_this_card"
    ),
}


@dataclass(frozen=True)
class World:
    shift_id: int
    other_shift_id: int
    people: dict[str, Volunteer]


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    """One shift with the people of :data:`PEOPLE` on it as given, and another with nobody."""
    async with sessions.begin() as session:
        site = Site(code="S", name="S", district="sham-shui-po", created_by="t", created_at=NOW)
        session.add(site)
        await session.flush()
        assert site.id is not None
        starts = NOW + timedelta(days=1)
        shifts = [
            Shift(
                site_id=site.id,
                occurs_on=starts.date(),
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                headcount=3,
                created_by="t",
                created_at=NOW,
                updated_at=NOW,
            )
            for _ in range(2)
        ]
        people = {
            staff_id: Volunteer(
                staff_id=staff_id, nickname=staff_id, registered_at=NOW, updated_at=NOW
            )
            for staff_id in PEOPLE
        }
        session.add_all([*shifts, *people.values()])
        await session.flush()
        shift_id, other_shift_id = (shift.id or 0 for shift in shifts)
        for staff_id, state in PEOPLE.items():
            if state is not None:
                session.add(
                    Assignment(
                        shift_id=shift_id,
                        volunteer_id=people[staff_id].id or 0,
                        state=state,
                        assigned_by="t",
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
    return World(shift_id, other_shift_id, people)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_the_router_lets_through_only_taps_the_card_takes_from_the_tapper(
    sessions: SessionFactory, world: World, case: Case
) -> None:
    names = {
        "shift": world.shift_id,
        "other": world.other_shift_id,
        "long_offer": out_track_id("offer", world.shift_id, LONG_STAFF_ID),
    }
    card_id = case.card.format(**names)
    tap = CardTap(
        event_id="m1",
        out_track_id=card_id if case.as_sent else wire_id(card_id, INSTALLATION),
        staff_id=case.tapper,
        action=case.action,
        shift_id=int(case.button_shift.format(**names)),
    )
    async with sessions() as session:
        admitting = ROUTER.admit(
            tap,
            installation=INSTALLATION,
            session=session,
            volunteer=world.people.get(case.tapper),
        )
        if case.refused is None:
            admitted = await admitting
            assert (admitted.spec.action, admitted.card.shift_id) == (case.action, world.shift_id)
            if admitted.spec.audience is Audience.ON_THE_SHIFT:
                # The handler goes on from the place the router read, not from a second read.
                assert admitted.place is not None
                assert admitted.place.shift.id == world.shift_id
                assert admitted.place.assignment.volunteer_id == world.people[case.tapper].id
        elif case.refused == IGNORED:
            with pytest.raises(TapIgnored):
                await admitting
        else:
            with pytest.raises(TapRefused) as refused:
                await admitting
            assert refused.value.message_key == case.refused


async def test_a_button_naming_another_shift_is_logged_with_the_tapper_card_and_claim(
    sessions: SessionFactory, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    card = wire_id(f"ds-confirm-{world.shift_id}", INSTALLATION)
    tap = CardTap("m1", card, "u-ann", "confirm", shift_id=world.other_shift_id)
    async with sessions() as session:
        with pytest.raises(TapRefused):
            await ROUTER.admit(
                tap,
                installation=INSTALLATION,
                session=session,
                volunteer=world.people["u-ann"],
            )

    [record] = [r for r in caplog.records if r.name == "core.taps"]
    assert record.levelno == logging.WARNING
    assert "forged tap" in record.getMessage()
    logged = {name: record.__dict__[name] for name in ("staff_id", "out_track_id")}
    assert logged == {"staff_id": "u-ann", "out_track_id": card}
    claimed = (record.__dict__["card_shift_id"], record.__dict__["claimed_shift_id"])
    assert claimed == (world.shift_id, world.other_shift_id)


def test_an_action_registered_twice_is_refused() -> None:
    spec = TapSpec("take", _handler, frozenset({"offer"}), Audience.ADDRESSEE)
    with pytest.raises(ValueError, match="'take' registered twice"):
        TapRouter([spec, spec])
