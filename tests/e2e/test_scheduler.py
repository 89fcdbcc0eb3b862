"""The scheduler through the real SDK and the sandbox: nobody calls ``run_due_work`` here.

The due-work job runs at start-up and then every ``schedule.tick_seconds``; the template job at
start-up and then nightly. The bot's clock is a :class:`ManualClock` the test moves, days away
from the real time; the scheduler fires on the real clock, so its start-up runs must happen
however far the bot's clock is from it, and however long the bot takes to start.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, time, timedelta
from itertools import pairwise

import pytest
from sqlmodel import col, select

from bot.app import BotApp
from core.clock import ManualClock
from core.settings import Settings
from jobs.table import TEMPLATES_JOB
from sandbox import Sandbox
from storage.models import Shift, ShiftStep
from tests.e2e.chat import (
    COORDINATOR,
    ZONE,
    Chat,
    coordinator_settings,
    notices,
    site_group,
)
from tests.e2e.clock import E2E_START

TEMPLATE_ID = "dingshift-scheduler.schema"
PEOPLE = {"u-ada": "Ada", "u-ben": "Ben", "u-cat": "Cat"}
TICK = 0.2
NEVER = 3600.0
"""A tick no test outlives: only the start-up run happens."""
WAIT = 10.0

StartAt = Callable[..., Awaitable[tuple[BotApp, ManualClock]]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return coordinator_settings(settings, card_template_id=TEMPLATE_ID)


@pytest.fixture
async def start_at(settings: Settings) -> AsyncIterator[StartAt]:
    """Start bots on the test's database whose clocks read ``instant`` and whose due-work job
    ticks every ``tick`` seconds, ``late`` real seconds after they are built; every bot still
    running at the end is stopped."""
    running: list[BotApp] = []

    async def start(
        instant: datetime, tick: float, late: float = 0.0
    ) -> tuple[BotApp, ManualClock]:
        schedule = settings.schedule.model_copy(update={"tick_seconds": tick})
        clock = ManualClock(instant)
        app = BotApp(settings.model_copy(update={"schedule": schedule}), clock=clock)
        await asyncio.sleep(late)
        await app.start()
        running.append(app)
        await app.wait_until_connected()
        return app, clock

    yield start
    for app in running:
        if not app.stopped:
            await app.stop()
        await app.engine.dispose()  # tests read the database after stop()


async def _published_shift(
    sb: Sandbox, app: BotApp, clock: ManualClock
) -> tuple[Chat, int, datetime]:
    """A shift four days out with Ada, Ben and Cat on it, published in the SSP group."""
    chat = await site_group(sb, app, template_id=TEMPLATE_ID, people=PEOPLE)
    day = clock.now().astimezone(ZONE).date() + timedelta(days=4)
    shift_id = await chat.add_shift(day, hours="10:00-13:00", need=3)
    assert "✅" in await chat.say(f"/assign {shift_id} @Ada @Ben @Cat", at=tuple(PEOPLE))
    assert f"#{shift_id}" in await chat.say(f"/shift publish {day}")
    return chat, shift_id, datetime.combine(day, time(10), tzinfo=ZONE)


def _announcements(sb: Sandbox, chat: Chat) -> int:
    return sum(m.via == "group_send" and "新更公佈" in m.text for m in sb.sent_messages(chat.cid))


def _deliveries(sb: Sandbox, out_track_id: str) -> int:
    """How many times the bot asked for the card ``out_track_id`` to be created."""
    return sum(
        r.body["outTrackId"] == out_track_id
        for r in sb.requests("/v1.0/card/instances/createAndDeliver")
    )


def _nudges(sb: Sandbox, staff_id: str) -> int:
    return sum("你仲未回覆" in notice.text for notice in notices(sb, staff_id))


async def _steps(app: BotApp, shift_id: int) -> dict[str, str]:
    async with app.sessions() as session:
        rows = await session.exec(select(ShiftStep).where(ShiftStep.shift_id == shift_id))
        return {row.step: row.outcome for row in rows.all()}


async def test_the_scheduler_sends_what_is_due_on_its_own_ticks(
    sb: Sandbox, start_at: StartAt
) -> None:
    app, clock = await start_at(E2E_START, TICK)
    chat, shift_id, starts = await _published_shift(sb, app, clock)
    card_id = app.card_on_wire(f"ds-confirm-{shift_id}")

    # The announcement is due as soon as the shift is published: a tick sends it.
    await sb.wait_until(lambda: _announcements(sb, chat) == 1, timeout=WAIT)
    await asyncio.sleep(3 * TICK)
    assert sb.card(card_id) is None, "the confirm card went out before T−48 h"

    clock.set(starts - timedelta(hours=47, minutes=59))
    await sb.wait_until(lambda: sb.card(card_id) is not None, timeout=WAIT)
    card = sb.card(card_id)
    assert card is not None
    assert set(card.at_user_ids) == set(PEOPLE)

    # Later ticks find the steps done and repeat nothing.
    await asyncio.sleep(5 * TICK)
    await app.wait_until_outbox_empty()
    assert _deliveries(sb, card_id) == 1
    assert _announcements(sb, chat) == 1
    assert await _steps(app, shift_id) == {"announce": "sent", "confirm": "sent"}


async def test_a_bot_started_after_downtime_catches_up_at_once_and_repeats_nothing(
    sb: Sandbox, start_at: StartAt
) -> None:
    first, clock = await start_at(E2E_START, TICK)
    chat, shift_id, starts = await _published_shift(sb, first, clock)
    card_id = first.card_on_wire(f"ds-confirm-{shift_id}")
    clock.set(starts - timedelta(hours=47, minutes=59))
    await sb.wait_until(lambda: sb.card(card_id) is not None, timeout=WAIT)
    tap = sb.tap_card("u-ada", card_id, {"action": "confirm", "shift_id": shift_id})
    [ack] = await sb.wait_for_ack(tap)
    assert ack.code == 200
    await first.wait_until_outbox_empty()
    await first.stop()
    assert await _steps(first, shift_id) == {"announce": "sent", "confirm": "sent"}

    # Down from before the nudge (T−36 h) until after it; the new bot's own ticks are too rare
    # to matter, so only its start-up run can send the nudge, though the bot is slow to start.
    second, _ = await start_at(starts - timedelta(hours=35, minutes=59), NEVER, late=1.5)
    await sb.wait_until(
        lambda: _nudges(sb, "u-ben") == 1 and _nudges(sb, "u-cat") == 1, timeout=WAIT
    )
    await second.wait_until_outbox_empty()
    assert _nudges(sb, "u-ada") == 0  # she had confirmed on the card
    assert _deliveries(sb, card_id) == 1
    assert _announcements(sb, chat) == 1
    assert sb.card_view(card_id, "u-ada")["status"] == "已確認 1/3"
    assert await _steps(second, shift_id) == {
        "announce": "sent",
        "confirm": "sent",
        "nudge": "sent",
    }


async def _template_shifts(app: BotApp) -> list[tuple[date, str]]:
    """(day, created_by) of every shift a template made, in date order."""
    async with app.sessions() as session:
        rows = await session.exec(
            select(col(Shift.occurs_on), col(Shift.created_by))
            .where(col(Shift.template_id).is_not(None))
            .order_by(col(Shift.occurs_on))
        )
        return list(rows.all())


async def _saturday_template(sb: Sandbox, app: BotApp, clock: ManualClock) -> list[date]:
    """A Saturday-morning template from tomorrow on; the days it made at once."""
    sb.add_user(nick="美姐", staff_id=COORDINATOR)
    group = sb.add_group(title="SSP", members=[COORDINATOR])
    chat = Chat(sb, app, group.conversation_id)
    assert "✅" in await chat.say("/site add SSP 深水埗派米站 district=ssp")
    tomorrow = clock.now().astimezone(ZONE).date() + timedelta(days=1)
    added = await chat.say(
        f"/template add 早更 site=SSP every=sat time=09:00-12:00 need=2 from={tomorrow}"
    )
    assert "✅" in added, added
    made = await _template_shifts(app)
    days = [day for day, _ in made]
    # A four-week horizon holds four Saturdays, or three when the first one is today.
    assert len(days) in (3, 4), made
    assert all(day.weekday() == 5 for day in days)
    assert {later - earlier for earlier, later in pairwise(days)} <= {timedelta(weeks=1)}
    return days


async def test_the_nightly_roll_forward_adds_the_next_occurrence_of_a_template(
    sb: Sandbox, start_at: StartAt
) -> None:
    app, clock = await start_at(E2E_START, NEVER)
    days = await _saturday_template(sb, app, clock)

    clock.advance(timedelta(weeks=1))
    await app.run_job(TEMPLATES_JOB)
    made = await _template_shifts(app)
    assert [day for day, _ in made] == [*days, days[-1] + timedelta(weeks=1)]
    assert made[-1][1] == "dingshift"

    # Run again the same night, it has nothing more to make.
    await app.run_job(TEMPLATES_JOB)
    assert await _template_shifts(app) == made


async def test_a_bot_started_a_week_later_rolls_the_templates_forward_at_start_up(
    sb: Sandbox, start_at: StartAt
) -> None:
    first, clock = await start_at(E2E_START, NEVER)
    days = await _saturday_template(sb, first, clock)
    await first.stop()

    second, _ = await start_at(clock.now() + timedelta(weeks=1), NEVER)
    wanted = [*days, days[-1] + timedelta(weeks=1)]

    async def made_days() -> list[date]:
        return [day for day, _ in await _template_shifts(second)]

    async with asyncio.timeout(WAIT):
        while await made_days() != wanted:
            assert len(await made_days()) <= len(wanted)
            await asyncio.sleep(0.05)
    created_by = [who for _, who in await _template_shifts(second)]
    assert created_by == [COORDINATOR] * len(days) + ["dingshift"]
