"""A shift's own lifecycle timing over the organisation's (handlers.details)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.router import UsageError
from core.settings import ScheduleSettings
from handlers.details import check_offsets, timing_line
from services.timing import lifecycle_offsets
from storage.models import ShiftDetails

SCHEDULE = ScheduleSettings()  # 48 / 36 / 24 hours


def test_own_hours_replace_the_organisations_one_by_one() -> None:
    details = ShiftDetails(headcount=3, confirm_hours_before=72, remind_hours_before=30)
    offsets = lifecycle_offsets(details, SCHEDULE)
    assert (offsets.confirm, offsets.nudge, offsets.remind) == (
        timedelta(hours=72),
        timedelta(hours=36),
        timedelta(hours=30),
    )
    assert timing_line(details, SCHEDULE, "en") == (
        "Confirm card, nudge, reminder: 72h, 36h*, 30h before the start "
        "(* the organisation's default)"
    )
    assert timing_line(ShiftDetails(headcount=3), SCHEDULE, "en") is None


def test_own_hours_that_no_longer_fit_the_organisations_fall_back_to_them() -> None:
    # Stored when the organisation nudged at 48 h; [schedule] now nudges at 36 h.
    details = ShiftDetails(headcount=3, remind_hours_before=40)
    assert lifecycle_offsets(details, SCHEDULE) == SCHEDULE.offsets()


def test_out_of_order_timing_is_refused_naming_each_step() -> None:
    with pytest.raises(UsageError) as refused:
        check_offsets(SCHEDULE, {"remind_hours_before": 40.0})
    assert refused.value.message_key == "error.offsets_order"
    assert refused.value.params == {"confirm": "48h*", "nudge": "36h*", "remind": "40h"}
    current = ShiftDetails(headcount=3, confirm_hours_before=72, nudge_hours_before=60)
    check_offsets(SCHEDULE, {"remind_hours_before": 40.0}, current)  # fits with its own hours
