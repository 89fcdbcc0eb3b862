"""Where the end-to-end bots' clocks start, whatever day the tests run."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

E2E_START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
"""Wednesday 2 December 2026, 10:00 in Hong Kong: where every end-to-end bot's clock starts."""


class RunningClock:
    """Starts at ``start`` and then moves with real time, as a deployed bot's clock does."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)
