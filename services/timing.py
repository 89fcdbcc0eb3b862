"""When a shift's lifecycle steps fall due: its own timing over the organisation's."""

from __future__ import annotations

import logging
from collections.abc import Collection

from core.settings import ScheduleSettings
from planner.lifecycle import Offsets, ShiftProgress, Step
from storage.models import Shift, ShiftDetails, ShiftStatus

OFFSET_FIELDS = ("confirm_hours_before", "nudge_hours_before", "remind_hours_before")
"""The ShiftDetails fields holding the hours before the start each step falls due, in lifecycle
order, as :meth:`Offsets.overridden` takes them."""
log = logging.getLogger(__name__)


def lifecycle_offsets(details: ShiftDetails, schedule: ScheduleSettings) -> Offsets:
    """When a shift's (or a template's shifts') steps fall due: its own hours over the org's;
    the organisation's alone when the two no longer fit together (``[schedule]`` changed since
    the shift's own were set)."""
    try:
        return schedule.offsets().overridden(*(getattr(details, field) for field in OFFSET_FIELDS))
    except ValueError:
        log.warning(
            "own lifecycle timing out of order; the organisation's is used",
            extra={"shift_or_template": getattr(details, "id", None)},
        )
        return schedule.offsets()


def shift_progress(shift: Shift, done: Collection[str]) -> ShiftProgress:
    """What the lifecycle rules need of a shift, ``done`` being its handled steps."""
    return ShiftProgress(
        shift_id=shift.id or 0,
        starts_at=shift.starts_at,
        published=shift.published_at is not None,
        cancelled=shift.status == ShiftStatus.CANCELLED,
        done=frozenset(Step(step) for step in done),
    )
