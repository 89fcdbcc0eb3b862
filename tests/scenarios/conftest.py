"""A :class:`~tests.scenario.Scenario` on the test's fresh database (``sessions``)."""

from __future__ import annotations

import pytest

from core.settings import Settings
from storage.database import SessionFactory
from tests.scenario import Scenario, scenario_settings


@pytest.fixture
def settings() -> Settings:
    """Override to change a scenario's settings."""
    return scenario_settings()


@pytest.fixture
def scenario(sessions: SessionFactory, settings: Settings) -> Scenario:
    return Scenario(sessions, settings)


@pytest.fixture
async def ssp(scenario: Scenario) -> Scenario:
    """A scenario with the SSP site, added in its group."""
    await scenario.add_site()
    return scenario
