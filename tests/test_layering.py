"""Imports point one way, down the layers of docs/architecture.md, and every package is covered.

    bot               the process: CLI, wiring, demo, SDK adapter, dispatcher, outbox sender
    handlers   jobs   what people and the clock set off (neither imports the other)
    services          what handlers and jobs share: backfill, shift cards, rendering, timing
    core              the shared vocabulary: settings, clock, parsing, router types,
                      catalogue, cards, outbox rows, the OpenAPI client
    storage           tables, sessions, repository functions
    planner           pure rules

``sandbox`` is the local DingTalk and imports none of ours; ``tests`` and ``bench`` stand outside
(benchmarks may borrow the tests' organisation simulation, never the other way round).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each package -> the packages of ours it may import (besides itself).
ALLOWED = {
    "planner": set(),
    "storage": {"planner"},  # booking rules are applied where rows are locked
    "core": {"storage", "planner"},
    "services": {"core", "storage", "planner"},
    "handlers": {"services", "core", "storage", "planner"},
    "jobs": {"services", "core", "storage", "planner"},
    "bot": {"handlers", "jobs", "services", "core", "storage", "planner", "sandbox"},
    "sandbox": set(),
    "bench": {
        "bot",
        "handlers",
        "jobs",
        "services",
        "core",
        "storage",
        "planner",
        "sandbox",
        "tests",
    },
    "tests": {"bot", "handlers", "jobs", "services", "core", "storage", "planner", "sandbox"},
}
OURS = set(ALLOWED)


def imported_packages(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_every_package_has_its_layer() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages == OURS


def test_only_the_stream_module_imports_the_sdk() -> None:
    """And the benchmark that measures the bare SDK beside the bot."""
    importers = [
        path
        for package in OURS - {"tests"}  # the sandbox's own tests speak to it through the SDK
        for path, names in imported_packages(package).items()
        if "dingtalk_stream" in names
    ]
    assert sorted(importers) == ["bench/bare_sdk.py", "bot/stream.py"]


@pytest.mark.parametrize("package", sorted(OURS))
def test_imports_point_down(package: str) -> None:
    allowed = ALLOWED[package] | {package}
    for path, names in imported_packages(package).items():
        assert names & OURS <= allowed, f"{path} imports {names & OURS - allowed}"


def _reaches(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in edges[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_the_allowed_imports_have_no_cycle() -> None:
    for package in OURS:
        assert package not in _reaches(package, ALLOWED), f"{package} can reach itself"


def test_nothing_imports_the_composition_root() -> None:
    importers = {package for package, allowed in ALLOWED.items() if "bot" in allowed}
    assert importers <= {"bench", "tests"}


def test_the_dispatcher_is_handed_its_handlers() -> None:
    """bot/app.py gives the dispatcher its command and tap routers; it imports no handler."""
    assert "handlers" not in imported_packages("bot")["bot/dispatch.py"]
