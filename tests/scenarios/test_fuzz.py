"""Fuzzing the dispatcher with a real database: hypothesis writes command text and card-callback
payloads, half sensible and half hostile. Whatever arrives, the bot answers without an unhandled
exception (the dispatcher's catch-all, which logs ``handler failed`` / ``card tap failed``, must
never be reached), every reply fits one robot message, and a volunteer changes nothing they may
not: the roster, shifts, sites, templates and roles stay as they were.

Kept to ~200 examples each so the suite stays fast; the names say ``fuzz`` so a run can pick
them out (``-k fuzz``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel

from core.incoming import MalformedFrame, parse_card_tap
from handlers.registry import ALL_COMMANDS
from storage.models import Assignment, RoleGrant, Shift, ShiftTemplate, Site
from tests.hostile import HOSTILE, PHISH
from tests.scenario import COORDINATOR, Scenario, day_ahead, read_ack

# DingTalk refuses a robot message whose msgParam is longer (with room for the @-mention).
MAX_REPLY_BYTES = 15_000 - 200
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VOLUNTEER = "u-vol"
# What only coordinators (and above) change; a volunteer's commands and taps leave it alone.
GUARDED: tuple[type[SQLModel], ...] = (Shift, Assignment, Site, ShiftTemplate, RoleGrant)

NAMES = sorted({name for spec in ALL_COMMANDS for name in spec.names})
OPTIONS = sorted({option for spec in ALL_COMMANDS for option in spec.options})
ODD_VALUES = [
    "",
    "0",
    "-1",
    "#1",
    "1",
    "2",
    str(2**31),
    str(2**63),
    str(2**70),
    "9" * 40,
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "12-01..9999-12-31",
    "sat..sun",
    "25:00-26:00",
    "09:00-12:00",
    "ssp",
    "SSP",
    "yue,cmn,en",
    "cmn:999999",
    "a," * 50,
    "x" * 300,
    "1e9h",
    "default",
    "yes",
    "month:-9sun",
    "2w:sat",
    PHISH,
    HOSTILE,
    '"',
    "「",
    "@all",
    "\u200b",
    "\x00",
]


def _word() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ODD_VALUES),
        st.text(max_size=12),
        st.builds(
            lambda key, value: f"{key}={value}",
            st.sampled_from(OPTIONS),
            st.sampled_from(ODD_VALUES),
        ),
        st.builds(
            lambda key, value: f'{key}="{value}"', st.sampled_from(OPTIONS), st.text(max_size=20)
        ),
    )


# Whole commands that work, for mutating: most bugs hide behind a command's required options.
COMMANDS_THAT_WORK = [
    "/shift add site=SSP date={day} time=09:00-12:00 need=2 title=T",
    "/template add Sat site=SSP every=sat time=09:00-12:00 need=2 from={day}",
    "/template edit 1 need=3 except={day}",
    "/template remove 1",
    "/shift edit 1 need=4 date={day}",
    "/shift cancel 1 rain",
    "/shift list {day}",
    "/shift publish {day}",
    "/assign 1 @Vic",
    "/unassign 1 @Vic",
    "/roster 1",
    "/site add ABC name district=ssp",
    "/join district=ssp lang=yue",
    "/avail sat-am",
    "/role grant @Vic viewer region=ssp",
    "/role revoke @Vic",
    "/help shift add",
]
# Odd values by what an option holds, so a mutation is likely to reach the parser behind it.
ODD_DATES = ["9999-12-31", "0001-01-01", "1999-12-31", "2026-02-30", "12-01..9999-12-31", "sat"]
ODD_NUMBERS = ["0", "-1", "#1", str(2**31), str(2**63), str(2**70), "9" * 40, "1e9h"]
DATE_OPTIONS = frozenset({"date", "from", "except"})


def _odd(key: str) -> st.SearchStrategy[str]:
    pool = ODD_DATES if key in DATE_OPTIONS else ODD_VALUES
    return st.one_of(st.sampled_from(pool), st.sampled_from(ODD_NUMBERS), st.text(max_size=8))


@st.composite
def mutated_commands(draw: st.DrawFn) -> str:
    """A command that works with one of its values (an option or a word) made odd, and maybe
    stray words or options it does not take after it."""
    head, *words = draw(st.sampled_from(COMMANDS_THAT_WORK)).format(day=day_ahead(4)).split(" ")
    index = draw(st.integers(0, len(words) - 1))
    key, separator, _ = words[index].partition("=")
    words[index] = f"{key}={draw(_odd(key))}" if separator else draw(_odd(""))
    extra = draw(st.lists(_word(), max_size=2))
    return " ".join([head, *words, *extra])


COMMAND_TEXT = st.one_of(
    mutated_commands(),
    mutated_commands(),
    st.builds(
        lambda name, words, slash: f"{slash}{name} " + " ".join(words),
        st.sampled_from(NAMES),
        st.lists(_word(), max_size=6),
        st.sampled_from(["/", "／", " /"]),
    ),
    st.text(max_size=60).map(lambda text: "/" + text),
    st.text(max_size=60),
)


async def _world(ssp: Scenario) -> int:
    """The SSP site, a volunteer, a shift with them on it; the shift's id."""
    await ssp.join(VOLUNTEER, "Vic")
    await ssp.join("u-out", "Owen")
    shift_id = await ssp.add_shift(day_ahead(4), need=3)
    [assigned] = await ssp.say(f"/assign {shift_id} @Vic", at=[VOLUNTEER])
    assert "Vic" in assigned, assigned
    return shift_id


async def _guarded(ssp: Scenario) -> dict[str, list[dict[str, Any]]]:
    return {
        model.__name__: sorted((row.model_dump() for row in await ssp.rows(model)), key=repr)
        for model in GUARDED
    }


def _failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.fixture
async def fuzzed(ssp: Scenario) -> Scenario:
    await _world(ssp)
    return ssp


@FUZZ
@given(text=COMMAND_TEXT, as_coordinator=st.booleans(), in_group=st.booleans())
# Found before the fuzzing was written; kept as examples that every run tries first.
@example(
    text="/template add Sat site=SSP every=sat time=09:00-12:00 need=2 from=9999-12-31",
    as_coordinator=True,
    in_group=True,
)
@example(text="/shift add " + "x" * 8_000, as_coordinator=True, in_group=True)
async def test_fuzz_commands_never_fail_and_volunteers_change_nothing_guarded(
    fuzzed: Scenario,
    caplog: pytest.LogCaptureFixture,
    text: str,
    as_coordinator: bool,
    in_group: bool,
) -> None:
    caplog.clear()
    sender = COORDINATOR if as_coordinator else VOLUNTEER
    before = await _guarded(fuzzed)

    replies = await fuzzed.say(text, as_=sender, in_group="cid-ssp" if in_group else None)

    assert _failures(caplog) == [], text
    assert len(replies) >= 1 or not text.strip(), text
    for reply in replies:
        assert len(json.dumps(reply, ensure_ascii=False).encode()) <= MAX_REPLY_BYTES
    if not as_coordinator:
        assert await _guarded(fuzzed) == before, text


SHIFT_NUMBERS = st.sampled_from([1, 2, 0, -1, 2**31, 2**63, 2**70])
PARAM_VALUES = st.one_of(
    st.integers(),
    st.text(max_size=20),
    st.sampled_from(["1", "2", str(2**70), "-1", "1.5", "", "confirm", "take", "decline"]),
    st.none(),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=2),
)
# A button and the kinds of card it is on, and a few that are not.
BUTTONS = st.sampled_from(
    [
        ("confirm", "confirm"),
        ("confirm", "decline"),
        ("nudge", "confirm"),
        ("remind", "decline"),
        ("offer", "take"),
        ("confirm", "take"),
        ("x", "checkin"),
        ("confirm", "nope"),
    ]
)
ODDS = st.sampled_from([True, True, True, False])
TAPPERS = st.sampled_from([VOLUNTEER, "u-out", "u-nobody", "", COORDINATOR])
SHAPES = st.sampled_from(["content", "value", "raw", "broken"])


@st.composite
def taps(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """A card id and its button's params: mostly a real button on a card naming the card's own
    shift (as a number or a string), sometimes another, sometimes params of any shape. ``{tag}``
    in the id stands for this installation's tag (mostly there, as on our cards)."""
    kind, action = draw(BUTTONS)
    shift = draw(SHIFT_NUMBERS)
    suffix = draw(st.sampled_from(["-u-out", "-u-vol"] if kind == "offer" else ["", "-en"]))
    # One draw in four is anything at all; the rest look like our own cards and buttons.
    tag = draw(st.sampled_from(["{tag}-", "{tag}-", "{tag}-", "", "0badcafe-"]))
    card_id = f"ds-{tag}{kind}-{shift}{suffix}" if draw(ODDS) else draw(st.text(max_size=40))
    claimed = draw(st.sampled_from([shift, shift, str(shift), draw(PARAM_VALUES)]))
    params = (
        {"action": action, "shift_id": claimed}
        if draw(ODDS)
        else draw(st.dictionaries(st.text(max_size=10), PARAM_VALUES, max_size=4))
    )
    return card_id, params


def _callback(
    card_id: object, staff_id: object, params: Mapping[str, object], shape: str
) -> dict[str, Any]:
    """A card-callback frame's ``data`` in one of the shapes DingTalk (or a forger) sends."""
    match shape:
        case "content":
            payload: object = json.dumps({"cardPrivateData": {"params": params}})
            key = "content"
        case "value":
            payload = json.dumps({"params": params})
            key = "value"
        case "raw":
            payload = {"params": params}
            key = "value"
        case _:
            payload = "{not json"
            key = "content"
    return {"outTrackId": card_id, "userId": staff_id, key: payload}


@FUZZ
@given(tap=taps(), tapper=TAPPERS, shape=SHAPES)
@example(
    tap=(f"ds-{{tag}}-confirm-{2**70}", {"action": "confirm", "shift_id": 2**70}),
    tapper=VOLUNTEER,
    shape="value",
)
async def test_fuzz_card_taps_never_fail_and_outsiders_change_nothing(
    fuzzed: Scenario,
    caplog: pytest.LogCaptureFixture,
    tap: tuple[str, dict[str, object]],
    tapper: str,
    shape: str,
) -> None:
    caplog.clear()
    card_id, params = tap
    if card_id.startswith("ds-{tag}-"):
        card_id = card_id.replace("{tag}", await fuzzed.installation_tag(), 1)
    before = await _guarded(fuzzed)
    try:
        # Each example its own frame: a repeated messageId would be answered as a redelivery.
        parsed = parse_card_tap(_callback(card_id, tapper, params, shape), f"tap-{uuid4()}")
    except MalformedFrame:
        return  # refused at the edge; the SDK adapter answers it and logs a warning

    response = (await fuzzed.dispatcher.on_card_tap(parsed)).ack

    assert _failures(caplog) == [], (card_id, tapper, params)
    assert isinstance(response, dict)
    if "userPrivateData" in response:  # else ignored: another installation's card, untouched
        assert read_ack(response).result in {"ok", "refused"}
    if tapper != VOLUNTEER:
        # Only the volunteer on shift 1 may answer its cards; nobody has been offered a seat.
        assert await _guarded(fuzzed) == before, (card_id, tapper, params)
