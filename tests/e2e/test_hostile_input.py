"""Hostile input through the real SDK and the sandbox: a member whose DingTalk nickname is a
phishing link joins, is put on a shift, and the group's announcement and roster show the name
as text, not as a link; a roster too long for one DingTalk message still reaches the group."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from bot.app import BotApp
from core.clock import ManualClock
from core.settings import Settings
from sandbox import Sandbox
from tests.e2e.chat import ZONE, coordinator_settings, site_group
from tests.hostile import PHISH, active_markup
from tests.scenarios.test_reply_budget import crowd

TEMPLATE_ID = "dingshift-hostile.schema"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return coordinator_settings(settings, card_template_id=TEMPLATE_ID)


async def test_a_phishing_nickname_is_shown_inert_in_the_announcement_and_roster(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, clock = clocked
    chat = await site_group(sb, app, template_id=TEMPLATE_ID, people={})
    sb.add_members(chat.cid, [sb.add_user(nick=PHISH, staff_id="u-phish")])
    joined = await chat.say("/join district=ssp lang=yue", sender="u-phish")
    day = clock.now().astimezone(ZONE).date() + timedelta(days=4)
    shift_id = await chat.add_shift(day, need=2)
    assigned = await chat.say(f"/assign {shift_id} @{PHISH}", at=("u-phish",))
    roster = await chat.say(f"/roster {shift_id}")
    await chat.say(f"/shift publish {day}")
    clock.set(datetime.combine(day, time(9), tzinfo=ZONE) - timedelta(hours=47))
    assert await app.run_due_work()
    await app.wait_until_outbox_empty()
    [announcement] = [m for m in sb.sent_messages(chat.cid) if m.via == "group_send"]

    assert "多謝登記" in joined
    assert announcement.msgtype == "markdown"
    assert "［改更請撳呢度］(http:／／phish.example)" in announcement.text
    assert "［改更請撳呢度］" in roster
    for shown in (joined, assigned, roster, announcement.text):
        assert active_markup(shown) == [], shown


async def test_a_roster_of_300_reaches_the_group_cut_to_one_message(
    sb: Sandbox, clocked: tuple[BotApp, ManualClock]
) -> None:
    app, _ = clocked
    chat = await site_group(sb, app, template_id=TEMPLATE_ID, people={})
    shift_id = await crowd(app.sessions, shifts=1, people=300)

    # The sandbox refuses a message over 15,000 bytes, as DingTalk does: this one was accepted.
    roster = await chat.say(f"/roster {shift_id}")

    assert "陳大文" in roster
    assert "line(s) not shown in full" in roster
    assert "line(s) not shown in full: too long for one message." in roster
