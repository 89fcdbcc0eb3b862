"""Shared fixtures.

The dingtalk-stream SDK reads DINGTALK_OPENAPI_ENDPOINT once, when it is first imported, so the
port of the session's sandbox is reserved and exported here, before any test module can import
the SDK. The sandbox fixture then binds exactly that port.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sandbox import Sandbox
from storage.database import SessionFactory, create_engine, session_factory, upgrade_schema
from tests.databases import BACKENDS, fresh_database


def _reserve_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SANDBOX_PORT = _reserve_loopback_port()
os.environ["DINGTALK_OPENAPI_ENDPOINT"] = f"http://127.0.0.1:{SANDBOX_PORT}"
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
for proxy_variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(proxy_variable, None)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox per session, on the port the SDK was pointed at above."""
    server = Sandbox(port=SANDBOX_PORT)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    """The session's sandbox with a clean conversation; live connections are kept."""
    sandbox.reset()
    return sandbox


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, and PostgreSQL when the run has a server."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on a fresh database with the schema migrated to the newest revision."""
    engine = create_engine(database_url)
    await upgrade_schema(engine)
    yield session_factory(engine)
    await engine.dispose()
