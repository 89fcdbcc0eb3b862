"""A simulated week with 20% of OpenAPI calls failing: 5xx and DingTalk's 403 throttling.

The bot runs in this process on a ManualClock (as in tests/e2e/test_lifecycle.py), connected
through the real SDK to the sandbox, which fails a fifth of all ``/v1.0/`` calls at random
(including the access-token call). The driver moves the clock to every retry the outbox schedules,
so backoff delays fall due. Afterwards every message and card the week called for has arrived
exactly once, nothing arrived twice or unasked, and no outbox row gave up.

The sandbox injects a failure before the call does anything, so a failed call never delivered
anything and exactly-once is the right expectation here; a failure after DingTalk had accepted a
message is the crash test's at-least-once window (tests/soak/test_crash_recovery.py).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from bot.app import BotApp
from core.cards import SHIPPED_CARD_TEMPLATE
from core.clock import ManualClock
from core.settings import Settings
from sandbox import Sandbox
from tests.simulation import (
    TEMPLATE_ID,
    InProcessBot,
    Simulation,
    sandbox_on_simulated_time,
    seed_org,
)
from tests.soak.week import (
    OFFERS,
    SCENARIO,
    START,
    assert_week_complete,
    week_actions,
    week_report,
)

pytestmark = pytest.mark.soak

FAILURE_RATE = 0.2
FAILURE_STATUSES = (500, 502, 503, 403)
SEED = 20260302


async def test_a_week_of_5xx_and_throttling_delivers_everything_once(
    sb: Sandbox, settings: Settings
) -> None:
    started = time.monotonic()
    sb.register_card_template_file(TEMPLATE_ID, SHIPPED_CARD_TEMPLATE)
    clock = ManualClock(START)
    app = BotApp(settings, clock=clock)
    await app.start()
    try:
        await app.wait_until_connected()
        org = await seed_org(sessions=app.sessions, sb=sb, scenario=SCENARIO, now=clock.now())
        actions, until = week_actions(org, SEED)
        sb.fail_randomly("/v1.0/", FAILURE_RATE, FAILURE_STATUSES, SEED)
        simulation = Simulation(
            sb, app.sessions, InProcessBot(app, clock), actions, offers=OFFERS, seed=SEED
        )
        with sandbox_on_simulated_time(clock.now):
            await simulation.run(START, until)
        sb.reset_faults()
        usage = await app.usage_this_month()
        report = await week_report(app.sessions, sb, org, simulation)
    finally:
        await app.stop()
        await app.engine.dispose()

    requests = [r for r in sb.requests("/v1.0/") if r.path != "/v1.0/gateway/connections/open"]
    failed = Counter(r.status for r in requests if r.status in FAILURE_STATUSES)
    retries = sum(row.attempts - 1 for row in report.deliveries.rows)
    print(  # noqa: T201 - the numbers are the point of a soak test
        f"\nfaults: {len(requests)} OpenAPI calls, {sum(failed.values())} failed"
        f" {dict(sorted(failed.items()))}, {retries} retries, {simulation.stats.retry_steps}"
        f" clock moves to a retry; bot counted {usage.metered_api_calls} metered calls,"
        f" {usage.session_replies} session replies, {usage.stream_deliveries} stream deliveries"
        f"\n  {report.line()}\n  {time.monotonic() - started:.1f} s"
    )
    assert sum(failed.values()) > 0.1 * len(requests)
    assert retries > 0
    assert_week_complete(report)
    assert report.deliveries.repeated() == []
    assert all(len(copies) == 1 for copies in report.deliveries.copies.values())
    assert report.reminders["repeated"] == report.nudges["repeated"] == 0
