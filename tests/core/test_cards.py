"""Card ids: every id we make reads back as what made it; ids we did not make read as nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.cards import (
    MAX_OUT_TRACK_ID,
    MAX_VALUE_BYTES,
    MAX_WIRE_ID,
    CardId,
    Origin,
    card_of,
    card_variables,
    fit_list,
    new_installation_tag,
    out_track_id,
    parse_out_track_id,
    wire_id,
)
from core.outgoing import CardUpdate, card_update_row, outgoing_message

KINDS = st.from_regex(r"[a-z0-9_]{1,20}", fullmatch=True)
SHIFT_IDS = st.integers(min_value=0, max_value=10**12)
# Whatever a suffix holds: staffIds, languages with a batch number, hashes.
SUFFIXES = st.text(min_size=1)
LONG_SUFFIXES = st.text(min_size=MAX_OUT_TRACK_ID)


@given(KINDS, SHIFT_IDS, st.none() | SUFFIXES)
def test_an_id_reads_back_as_what_made_it(kind: str, shift_id: int, suffix: str | None) -> None:
    card_id = out_track_id(kind, shift_id, suffix)
    card = parse_out_track_id(card_id)
    assert card is not None
    assert (card.kind, card.shift_id) == (kind, shift_id)
    assert out_track_id(card.kind, card.shift_id, card.suffix) == card_id
    if card.suffix != suffix:  # only a long id stands its suffix in by a hash
        assert len(f"ds-{kind}-{shift_id}-{suffix}") > MAX_OUT_TRACK_ID
        assert card.suffix is not None
        assert re.fullmatch(r"[0-9a-f]{16}", card.suffix)


@given(KINDS, SHIFT_IDS, LONG_SUFFIXES)
def test_a_long_id_keeps_its_kind_and_shift_and_tells_suffixes_apart(
    kind: str, shift_id: int, suffix: str
) -> None:
    card_id = out_track_id(kind, shift_id, suffix)
    card = parse_out_track_id(card_id)
    assert len(card_id) <= MAX_OUT_TRACK_ID
    assert card is not None
    assert (card.kind, card.shift_id) == (kind, shift_id)
    assert card.suffix != suffix
    assert out_track_id(kind, shift_id, suffix + "x") != card_id


@pytest.mark.parametrize(
    ("card_id", "card"),
    [
        ("ds-confirm-42", CardId("confirm", 42, None)),
        ("ds-offer-42-u-17", CardId("offer", 42, "u-17")),
        ("ds-remind-42-zh-HK-1", CardId("remind", 42, "zh-HK-1")),
        ("ds-change_3-42-en", CardId("change_3", 42, "en")),
        ("ds-confirm-0", CardId("confirm", 0, None)),
    ],
)
def test_our_ids_read_back(card_id: str, card: CardId) -> None:
    assert parse_out_track_id(card_id) == card


@pytest.mark.parametrize(
    "card_id",
    [
        "",
        "ds-",
        "ds-confirm",
        "ds-confirm-",
        "ds-confirm-42-",
        "ds-confirm-x42",
        "ds-confirm-042",  # never made: ours have no leading zeros
        "ds-confirm--42",
        "ds-Confirm-42",
        "ds-con-firm-42",
        "ds-confirm-４２",  # full-width digits
        "dsx-confirm-42",
        " ds-confirm-42",
        "card-42",
    ],
)
def test_ids_we_did_not_make_read_as_nothing(card_id: str) -> None:
    assert parse_out_track_id(card_id) is None


@pytest.mark.parametrize("kind", ["", "con-firm", "Confirm", "確認"])
def test_a_kind_that_could_not_be_read_back_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="card kind"):
        out_track_id(kind, 42)


INSTALLATION = "5ce0a710"


@given(KINDS, SHIFT_IDS, st.none() | SUFFIXES)
def test_on_the_wire_every_id_carries_the_installation_and_fits_dingtalk(
    kind: str, shift_id: int, suffix: str | None
) -> None:
    card_id = out_track_id(kind, shift_id, suffix)
    on_wire = wire_id(card_id, INSTALLATION)
    assert on_wire.startswith(f"ds-{INSTALLATION}-{kind}-")
    assert len(on_wire) <= MAX_WIRE_ID
    assert card_of(on_wire, INSTALLATION) == (Origin.OURS, parse_out_track_id(card_id))


def test_two_installations_never_share_a_card_id() -> None:
    tags = {new_installation_tag() for _ in range(50)}
    assert all(re.fullmatch(r"[0-9a-f]{8}", tag) for tag in tags)
    assert len(tags) == 50
    card_id = out_track_id("confirm", 42)
    assert len({wire_id(card_id, tag) for tag in tags}) == 50


@pytest.mark.parametrize(
    ("on_wire", "origin"),
    [
        ("ds-0badc0de-confirm-42", Origin.ELSEWHERE),  # another installation's
        ("ds-confirm-42", Origin.UNTAGGED),  # ours, from before tags
        (f"ds-{INSTALLATION}-Confirm-42", Origin.ELSEWHERE),
        (f"ds-{INSTALLATION}-confirm", Origin.ELSEWHERE),
        ("card-42", Origin.ELSEWHERE),
        ("", Origin.ELSEWHERE),
    ],
)
def test_a_card_that_is_not_this_installations_has_no_card(on_wire: str, origin: Origin) -> None:
    assert card_of(on_wire, INSTALLATION) == (origin, None)


def test_only_our_own_ids_and_tags_go_on_the_wire() -> None:
    with pytest.raises(ValueError, match="hex"):
        wire_id("ds-confirm-42", "XYZ")
    with pytest.raises(ValueError, match="not one of our card ids"):
        wire_id("card-42", INSTALLATION)


def test_a_long_list_ends_with_how_many_more_and_fits() -> None:
    names = [f"義工{number:03}" for number in range(200)]
    listed = fit_list(names, "en")
    assert len(listed.encode()) <= MAX_VALUE_BYTES // 2
    shown = listed.count("義工")
    assert listed.endswith(f"… and {200 - shown} more")
    assert fit_list(names[:3], "en") == "義工000, 義工001, 義工002"


def test_card_variables_are_cut_to_dingtalk_s_1_kb_of_utf8() -> None:
    values = card_variables({"body": "字" * 2000, "status": "ok"}, more="…(more)")
    assert len(values["body"].encode()) <= MAX_VALUE_BYTES
    assert values["body"].endswith("…(more)")
    assert values["status"] == "ok"


def test_a_card_update_is_held_to_the_same_1_kb() -> None:
    row = card_update_row(
        "ds-confirm-42",
        public={"status": "x" * 5000},
        private={"u-ada": {"my_status": "字" * 1000}},
        version="v1",
        now=datetime(2026, 12, 6, tzinfo=UTC),
    )
    update = outgoing_message(row)
    assert isinstance(update, CardUpdate)
    assert len(update.public["status"].encode()) <= MAX_VALUE_BYTES
    assert len(update.private["u-ada"]["my_status"].encode()) <= MAX_VALUE_BYTES
