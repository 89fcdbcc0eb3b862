"""Imports point inward (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"bot", "handlers", "storage", "jobs", "planner", "sandbox"}


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


def test_only_the_stream_module_imports_the_sdk() -> None:
    importers = [
        path
        for package in OURS
        for path, names in imported_packages(package).items()
        if "dingtalk_stream" in names
    ]
    assert importers == ["bot/stream.py"]


@pytest.mark.parametrize(
    ("package", "allowed"),
    [
        ("planner", {"planner"}),
        ("storage", {"storage", "planner"}),  # booking rules are applied where rows are locked
        ("handlers", {"handlers", "bot", "storage", "planner"}),
        ("sandbox", {"sandbox"}),
    ],
)
def test_imports_point_inward(package: str, allowed: set[str]) -> None:
    for path, names in imported_packages(package).items():
        assert names & OURS <= allowed, f"{path} imports {names & OURS - allowed}"
