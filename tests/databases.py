"""Fresh databases for tests: a SQLite file per test, and PostgreSQL when a server is given.

Set TEST_POSTGRES_URL (``.ci/run`` does) to an admin URL such as
``postgresql+asyncpg://postgres@127.0.0.1:5433/postgres``; each test then gets its own database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not POSTGRES_ADMIN_URL, reason="TEST_POSTGRES_URL not set"),
    ),
]


@asynccontextmanager
async def fresh_database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'dingshift.db'}"
        return
    name = f"dingshift_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@contextmanager
def refusing_first_insert(engine: AsyncEngine, value_prefix: str) -> Iterator[None]:
    """``engine`` refuses, once, the first INSERT inside the block that writes a value starting
    with ``value_prefix`` (a dedup key, say), as a database under trouble would; the block must
    make one."""
    refused: list[str] = []

    def refuse(
        _conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, _many: bool
    ) -> None:
        values = params.values() if isinstance(params, dict) else params
        written = statement.lstrip().upper().startswith("INSERT") and any(
            isinstance(value, str) and value.startswith(value_prefix) for value in values
        )
        if written and not refused:
            refused.append(statement)
            raise OperationalError(statement, params, Exception("database is locked"))

    event.listen(engine.sync_engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", refuse)
    assert refused, f"nothing starting {value_prefix!r} was written"
