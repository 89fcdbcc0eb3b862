"""Private notices (services.shift_cards.queue_notice) as outbox rows, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from core.outgoing import MAX_PRIVATE_CARD_SPACES, CardDelivery, outgoing_message
from services.shift_cards import queue_notice
from storage.database import SessionFactory
from storage.models import OutboxMessage

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


async def _queue(sessions: SessionFactory, people: list[str]) -> int:
    async with sessions.begin() as session:
        return await queue_notice(
            session,
            kind="remind",
            shift_id=7,
            people=people,
            title="Reminder: #7",
            body="Saturday 09:00",
            language="en",
            now=NOW,
            my_status="confirmed",
        )


async def test_a_notice_is_one_card_per_twenty_people_and_is_queued_once(
    sessions: SessionFactory,
) -> None:
    people = [f"u-{number}" for number in range(2 * MAX_PRIVATE_CARD_SPACES + 5)]

    assert await _queue(sessions, people) == 3
    assert await _queue(sessions, people) == 0  # the step ran twice: nothing more

    async with sessions() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    cards = [card for card in map(outgoing_message, rows) if isinstance(card, CardDelivery)]
    assert len(cards) == len(rows)  # every row delivers a card
    assert [card.out_track_id for card in cards] == [
        "ds-remind-7-en",
        "ds-remind-7-en-1",
        "ds-remind-7-en-2",
    ]
    assert [len(card.user_ids) for card in cards] == [20, 20, 5]
    assert [person for card in cards for person in card.user_ids] == people
    assert all(card.conversation_id is None for card in cards)
    for card in cards:
        assert set(card.private) == set(card.user_ids)
        assert {values["my_status"] for values in card.private.values()} == {"confirmed"}
