"""Hostile and careless input: what members wrote is shown inert everywhere the bot renders it.

A site, a shift and a volunteer's DingTalk nickname full of markup go through every way the bot
shows them (replies, the shift list, the roster, the group announcement, the confirm card and the
private notices); none of it stays markup.
"""

from __future__ import annotations

from datetime import time

from tests.hostile import PHISH, active_markup
from tests.scenario import GROUP, Scenario, day_ahead, starts

# One line, no quotes: typed inside 「」 in a command.
TYPED = (
    f"{PHISH} ![pic](http://img.example/a.png) <b>bold</b> **strong** _it_ ~~gone~~ `code` "
    "@all |cell|"
)


async def test_markup_in_names_titles_and_details_is_shown_inert(ssp: Scenario) -> None:
    volunteer = await ssp.join("u-phish", PHISH)
    [site] = await ssp.say(
        f"/site add EVIL 「{TYPED}」 district=ssp address=「{TYPED}」 contact=「{TYPED}」"
    )
    day = day_ahead(4)
    [added] = await ssp.say(
        f"/shift add site=EVIL date={day} time=09:00-12:00 need=2 title=「{TYPED}」 "
        f"meet=「{TYPED}」 contact=「{TYPED}」 equipment=「{PHISH},@all」 tasks=「**x**,<i>y</i>」"
    )
    shift_id = int(added.split("**#")[1].split("**", maxsplit=1)[0])
    [assigned] = await ssp.say(f"/assign {shift_id} @{PHISH}", at=[volunteer])
    replies = [
        site,
        added,
        assigned,
        *await ssp.say("/site list"),
        *await ssp.say(f"/shift list {day}"),
        *await ssp.say(f"/roster {shift_id}"),
        *await ssp.say(f"/shift publish {day}"),
    ]
    ssp.clock.set(starts(day, time(9)) - ssp.settings.schedule.offsets().confirm)
    assert await ssp.run_due_work()
    [announcement] = await ssp.group_messages()
    assert announcement.conversation_id == GROUP
    ssp.clock.set(starts(day, time(9)) - ssp.settings.schedule.offsets().remind)
    assert await ssp.run_due_work()
    cards = await ssp.cards()

    assert "［改更請撳呢度］(http:／／phish.example)" in announcement.text
    for shown in [*replies, announcement.text]:
        assert active_markup(shown) == [], shown
    assert cards
    for card in cards:
        for name in ("title", "body", "status"):
            assert active_markup(card.public[name]) == [], card.public[name]
