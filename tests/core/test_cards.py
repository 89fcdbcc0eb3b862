"""Card ids: every id we make reads back as what made it; ids we did not make read as nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.cards import MAX_OUT_TRACK_ID, CardId, out_track_id, parse_out_track_id

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
