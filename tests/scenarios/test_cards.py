"""Taps on the confirm card and on backfill offers, in-process: the ACK each tapper gets, the
roster, and the cards queued.

The same through the SDK and the sandbox: tests/e2e/test_cards.py and test_backfill.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import replace
from datetime import time
from typing import Any

import pytest
from sqlalchemy import Connection, event
from sqlalchemy.exc import OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cards import MERGE_BY_KEY
from storage.models import Offer, OfferState, Volunteer
from storage.usage import add_usage
from storage.volunteers import find_volunteers
from tests.scenario import GROUP, Ack, Scenario, day_ahead, read_ack, starts

ON_SHIFT = {"u-ada": "Ada", "u-ben": "Ben", "u-cat": "Cat"}
# Sham Shui Po volunteers not on the shift, best match first: offered a freed seat.
STANDBY = {"u-dora": "Dora", "u-eli": "Eli", "u-fay": "Fay"}


@pytest.fixture
async def shift_id(ssp: Scenario) -> int:
    """A published Saturday shift for three with Ada, Ben and Cat on it, at T−48 h: its confirm
    card queued into the group; Dora, Eli and Fay registered besides."""
    for staff_id, nick in ON_SHIFT.items():
        await ssp.join(staff_id, nick)
    await ssp.join("u-dora", "Dora", "district=ssp lang=yue avail=sat-am")
    await ssp.join("u-eli", "Eli", "district=ssp lang=yue")
    await ssp.join("u-fay", "Fay", "district=kt lang=yue")
    day = day_ahead(8)
    shift_id = await ssp.add_shift(day, need=3, extra="meet=港鐵C2出口")
    await ssp.say(f"/assign {shift_id} @Ada @Ben @Cat", at=list(ON_SHIFT))
    await ssp.say(f"/shift publish {day}")
    ssp.clock.set(starts(day, time(9)) - ssp.settings.schedule.offsets().confirm)
    assert await ssp.run_due_work()
    return shift_id


def _confirm_card(shift_id: int) -> str:
    return f"ds-confirm-{shift_id}"


async def test_the_confirm_card_goes_to_the_group_mentioning_the_people_on_it(
    ssp: Scenario, shift_id: int
) -> None:
    card = await ssp.card(_confirm_card(shift_id))
    assert card.conversation_id == GROUP
    assert card.public["status"] == "已確認 0/3"
    assert "港鐵C2出口" in card.public["body"]
    assert {button["action"] for button in card.buttons()} == {"confirm", "decline"}


async def test_a_confirm_updates_the_count_and_the_tappers_status(
    ssp: Scenario, shift_id: int
) -> None:
    ada = await ssp.tap(_confirm_card(shift_id), "confirm", as_="u-ada")
    ben = await ssp.tap(_confirm_card(shift_id), "confirm", as_="u-ben")

    assert (ada.status, ada.my_status, ada.result) == (
        "已確認 1/3",
        "✅ 你已確認出席，多謝！",
        "ok",
    )
    assert ben.status == "已確認 2/3"
    assert await ssp.states(shift_id) == {"Ada": "confirmed", "Ben": "confirmed", "Cat": "invited"}


async def test_the_same_tap_delivered_twice_changes_the_roster_once(
    ssp: Scenario, shift_id: int
) -> None:
    tap = await ssp.card_tap(await ssp.card(_confirm_card(shift_id)), "confirm", as_="u-ada")

    first = await ssp.dispatcher.on_card_tap(tap)
    await ssp.tap(_confirm_card(shift_id), "decline", as_="u-ada")
    again = await ssp.dispatcher.on_card_tap(tap)

    assert again == first
    assert (await ssp.states(shift_id))["Ada"] == "declined"


async def test_the_same_tap_twice_in_one_batch_is_answered_alike_in_one_commit(
    ssp: Scenario, shift_id: int
) -> None:
    commits = _count_tap_commits(ssp)
    tap = await ssp.card_tap(await ssp.card(_confirm_card(shift_id)), "confirm", as_="u-ada")

    first, again = await asyncio.gather(
        ssp.dispatcher.on_card_tap(tap), ssp.dispatcher.on_card_tap(tap)
    )

    assert again == first
    assert read_ack(first.ack).status == "已確認 1/3"
    assert (await ssp.states(shift_id))["Ada"] == "confirmed"
    # The second delivery is answered from the batch's own record, not by a failed batch
    # retried tap by tap.
    assert len(commits) == 1


async def test_someone_not_on_the_shift_is_told_privately_and_nothing_changes(
    ssp: Scenario, shift_id: int
) -> None:
    ack = await ssp.tap(_confirm_card(shift_id), "confirm", as_="u-dora")
    assert ack.status is None
    assert ack.my_status == f"你唔喺 #{shift_id} 呢更嘅名單上，所以乜都冇改到。"
    assert ack.result == "refused"
    assert set((await ssp.states(shift_id)).values()) == {"invited"}


async def test_a_decline_frees_the_seat_and_offers_it_to_the_best_matches(
    ssp: Scenario, shift_id: int
) -> None:
    ack = await ssp.tap(_confirm_card(shift_id), "decline", as_="u-ben")

    assert ack.status == "已確認 0/3"
    assert (await ssp.states(shift_id))["Ben"] == "declined"
    offers = await ssp.rows(Offer)
    assert {offer.state for offer in offers} == {OfferState.OPEN}
    offer_cards = [card for card in await ssp.cards() if card.out_track_id.startswith("ds-offer")]
    assert [card.user_ids for card in offer_cards] == [(staff_id,) for staff_id in STANDBY]
    assert [button["action"] for button in offer_cards[0].buttons()] == ["take"]


async def test_the_first_take_wins_the_seat(ssp: Scenario, shift_id: int) -> None:
    await ssp.tap(_confirm_card(shift_id), "decline", as_="u-ben")

    took = await ssp.tap(f"ds-offer-{shift_id}-u-eli", "take", as_="u-eli")
    late = await ssp.tap(f"ds-offer-{shift_id}-u-dora", "take", as_="u-dora")

    assert took.my_status.startswith("✅ 你已頂上")
    assert late.my_status == f"#{shift_id} 已經有人頂咗，多謝你！乜都冇改到。"
    states = await ssp.states(shift_id)
    assert (states["Eli"], states["Ben"]) == ("confirmed", "declined")
    assert "Dora" not in states


def _count_tap_commits(ssp: Scenario) -> list[int]:
    """A list that grows by one at each commit that recorded a tap on the scenario's database."""
    engine = ssp.sessions.kw["bind"].sync_engine
    recording: set[int] = set()
    commits: list[int] = []

    def noticed(connection: Connection, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("INSERT INTO processed_event"):
            recording.add(id(connection))

    def committed(connection: Connection) -> None:
        if id(connection) in recording:
            recording.discard(id(connection))
            commits.append(1)

    event.listen(engine, "before_cursor_execute", noticed)
    event.listen(engine, "commit", committed)
    return commits


async def test_taps_arriving_together_share_commits_and_each_get_their_answer(
    ssp: Scenario, shift_id: int
) -> None:
    commits = _count_tap_commits(ssp)

    acks = await ssp.taps_together(_confirm_card(shift_id), dict.fromkeys(ON_SHIFT, "confirm"))

    assert sorted(ack.status or "" for ack in acks if isinstance(ack, Ack)) == [
        "已確認 1/3",
        "已確認 2/3",
        "已確認 3/3",
    ]
    assert set((await ssp.states(shift_id)).values()) == {"confirmed"}
    # Handed over in the same moment, they queue before the writer runs: one commit for three.
    assert len(commits) == 1


async def test_a_tap_failing_in_a_batch_leaves_the_others_answered(
    ssp: Scenario, shift_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing_for_ben(
        *, session: AsyncSession, staff_ids: Collection[str]
    ) -> dict[str, Volunteer]:
        if "u-ben" in staff_ids:
            raise RuntimeError("Ben's row cannot be read")
        return await find_volunteers(session=session, staff_ids=staff_ids)

    monkeypatch.setattr("bot.dispatch.find_volunteers", failing_for_ben)

    ada, ben, cat = await ssp.taps_together(
        _confirm_card(shift_id), dict.fromkeys(ON_SHIFT, "confirm")
    )

    assert isinstance(ben, RuntimeError)
    assert isinstance(ada, Ack)
    assert isinstance(cat, Ack)
    assert (ada.result, cat.result) == ("ok", "ok")
    assert await ssp.states(shift_id) == {"Ada": "confirmed", "Ben": "invited", "Cat": "confirmed"}


async def test_a_batch_that_cannot_commit_is_retried_tap_by_tap(
    ssp: Scenario, shift_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing_for_batches(*, stream_deliveries: int = 0, **usage: Any) -> None:
        if stream_deliveries > 1:
            raise OperationalError("UPDATE monthly_usage", {}, Exception("database is locked"))
        await add_usage(stream_deliveries=stream_deliveries, **usage)

    monkeypatch.setattr("bot.dispatch.add_usage", failing_for_batches)

    acks = await ssp.taps_together(_confirm_card(shift_id), dict.fromkeys(ON_SHIFT, "confirm"))

    assert all(isinstance(ack, Ack) and ack.result == "ok" for ack in acks)
    assert set((await ssp.states(shift_id)).values()) == {"confirmed"}


async def test_a_tap_on_another_installations_card_is_ignored_and_an_old_card_says_so(
    ssp: Scenario, shift_id: int
) -> None:
    tap = await ssp.card_tap(await ssp.card(_confirm_card(shift_id)), "confirm", as_="u-ada")
    ours = tap.out_track_id
    elsewhere = replace(tap, out_track_id=ours.replace(await ssp.installation_tag(), "0badc0de"))
    old = replace(tap, event_id="old-card", out_track_id=_confirm_card(shift_id))

    ignored = (await ssp.dispatcher.on_card_tap(elsewhere)).ack
    told = (await ssp.dispatcher.on_card_tap(old)).ack

    assert ignored == {"cardUpdateOptions": MERGE_BY_KEY}  # someone else's card stays as it is
    assert isinstance(told, dict)
    assert "cardData" not in told
    assert "舊卡" in told["userPrivateData"]["cardParamMap"]["my_status"]
    assert await ssp.states(shift_id) == dict.fromkeys(["Ada", "Ben", "Cat"], "invited")
