"""Hostile and careless input: what members wrote is shown inert everywhere the bot renders it.

A site, a shift and a volunteer's DingTalk nickname full of markup go through every way the bot
shows them (replies, the shift list, the roster, the group announcement, the confirm card and the
private notices); none of it stays markup.
"""

from __future__ import annotations

import json
import logging
from datetime import date, time

import pytest

from core.incoming import CardAction, CardTap, MalformedFrame, parse_card_tap
from storage.models import Shift
from tests.hostile import PHISH, active_markup
from tests.scenario import (
    GROUP,
    Scenario,
    assert_nothing_changed,
    day_ahead,
    read_ack,
    shift_add,
    starts,
)

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


# -- size and range limits at the edge ---------------------------------------------------------

# DingTalk refuses a robot message whose msgParam is over this many bytes.
MSG_PARAM_BYTES = 15_000


def assert_short_refusal(reply: str, typed: str) -> None:
    """One bilingual refusal that quotes no more than a few dozen characters of ``typed``."""
    assert "乜都冇改到" in reply or "太長" in reply, reply
    assert len(reply.encode()) < 2_000, len(reply)
    assert typed[:200] not in reply


async def test_an_oversized_message_gets_one_short_error(ssp: Scenario) -> None:
    typed = "/shift add " + "x" * 8_000
    unknown = "/" + "字" * 3_000

    [long_command] = await ssp.say(typed)
    [long_name] = await ssp.say(unknown)

    assert_short_refusal(long_command, typed)
    assert "2000" in long_command
    assert_short_refusal(long_name, unknown)


async def test_errors_quote_only_the_start_of_what_was_typed(ssp: Scenario) -> None:
    word = "y" * 1_500
    typed = [
        f"/shift add site=SSP date={word} time=09:00-12:00 need=2",
        f"/roster {word}",
        f"/site list {word}",
        f'/shift add site=SSP date=2026-12-01 time=09:00-12:00 need=2 title="{word}',
        f"/{word}",
        f"/help {word}",
    ]
    replies = await ssp.say_each(typed)

    for typed_text, reply in zip(typed, replies, strict=True):
        assert word[:100] not in reply, reply
        assert len(reply.encode()) < MSG_PARAM_BYTES
        assert "y" * 30 in reply or typed_text.startswith(("/help", "/y")), reply


async def test_list_options_have_item_count_and_length_caps(ssp: Scenario) -> None:
    day = day_ahead(4)
    many = ",".join(f"item{number}" for number in range(200))
    long_item = "z" * 300
    replies = await ssp.say_each(
        [
            shift_add(day, extra=f"equipment={many}"),
            shift_add(day, extra=f"tasks=gloves,{long_item}"),
            f"/template add Sat site=SSP every=sat time=09:00-12:00 need=2 equipment={many}",
        ]
    )

    for reply, option in zip(replies, ("equipment=", "tasks=", "equipment="), strict=True):
        assert option in reply, reply
        assert "at most 20 items of at most 64 characters each" in reply, reply
    assert_nothing_changed(replies)
    assert await ssp.rows(Shift) == []


async def test_dates_stay_within_a_sane_window(ssp: Scenario) -> None:
    replies = await ssp.say_each(
        [
            shift_add(date(9999, 12, 31)),
            shift_add(day_ahead(3 * 366)),
            "/shift list 9999-12-31",
            "/shift list 1900-01-01..9999-12-31",
            "/template add Sat site=SSP every=sat time=09:00-12:00 need=2 from=9999-12-31",
            "/template add Sat site=SSP every=sat time=09:00-12:00 need=2 except=9999-12-31",
        ]
    )

    for reply in replies:
        assert "Sorry, something went wrong" not in reply, reply
    for reply in (replies[0], replies[1], replies[4], replies[5]):
        assert "to at most 2 years ahead" in reply, reply
    assert_nothing_changed(replies)
    assert await ssp.rows(Shift) == []


async def test_huge_numbers_are_refused_before_any_query(ssp: Scenario) -> None:
    huge = str(2**70)
    replies = await ssp.say_each(
        [
            f"/roster {huge}",
            f"/shift edit {huge} need=2",
            f"/shift cancel #{huge}",
            f"/assign {huge}",
        ]
    )
    for reply in replies:
        assert "Sorry, something went wrong" not in reply, reply
    assert_nothing_changed(replies)


@pytest.mark.parametrize(
    ("action", "card", "button_shift"),
    [
        ("confirm", f"ds-confirm-{2**70}", 2**70),
        ("confirm", "ds-confirm-1", 2**70),
        ("take", f"ds-offer-{2**63}-u-vic", 2**63),
    ],
)
async def test_a_tap_with_a_huge_id_is_refused_before_any_query(
    ssp: Scenario,
    caplog: pytest.LogCaptureFixture,
    action: CardAction,
    card: str,
    button_shift: int,
) -> None:
    vic = await ssp.join("u-vic", "Vic")
    # As DingTalk sends it: with this installation's tag (built by hand; wire_id checks ranges).
    tagged = card.replace("ds-", f"ds-{await ssp.installation_tag()}-", 1)
    tap = CardTap("tap-huge", tagged, vic, action, shift_id=button_shift)
    ack = await ssp.dispatcher.on_card_tap(tap)

    assert read_ack(ack.ack).result == "refused"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_tap_frame_naming_a_huge_shift_is_malformed() -> None:
    params = {"action": "confirm", "shift_id": str(2**70)}
    frame = {
        "outTrackId": "ds-confirm-1",
        "userId": "u-x",
        "value": json.dumps({"params": params}),
    }
    with pytest.raises(MalformedFrame):
        parse_card_tap(frame, "m1")
