"""Soak tests: a simulated week each, through the sandbox; marked ``soak`` (``-m "not soak"``
leaves them out of a quick local run; CI runs them)."""

from __future__ import annotations

import pytest

from core.settings import Settings, load_settings
from sandbox import Sandbox
from tests.simulation import COORDINATOR, TEMPLATE_ID


@pytest.fixture
def settings(sb: Sandbox, database_url: str) -> Settings:
    return load_settings(
        None,
        dingtalk={
            "client_id": sb.client_id,
            "client_secret": sb.client_secret,
            "card_template_id": TEMPLATE_ID,
        },
        database={"url": database_url},
        org={"admins": [COORDINATOR]},
        schedule={"tick_seconds": 3600},
        limits={"shutdown_flush_seconds": 1.0, "outbound_per_second": 200},
        demo_mode=True,
    )
