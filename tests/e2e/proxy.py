"""A local HTTP proxy for tests: ``CONNECT host:port`` tunnels (the websocket, any https) and
plain ``http://`` requests in absolute form (the sandbox's OpenAPI), each one recorded."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from urllib.parse import urlsplit

# What a client may ask the proxy to keep open; every forwarded request closes instead.
_HOP_BY_HOP = ("connection:", "proxy-connection:", "keep-alive:")


class ForwardProxy:
    def __init__(self) -> None:
        self.seen: list[str] = []
        """``CONNECT host:port`` or ``METHOD http://host:port/path``, in arrival order."""
        self.url = ""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> ForwardProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        host, port = self._server.sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    def tunnels(self) -> list[str]:
        return [line.removeprefix("CONNECT ") for line in self.seen if line.startswith("CONNECT ")]

    def forwarded(self) -> list[str]:
        return [line for line in self.seen if not line.startswith("CONNECT ")]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, version = request_line.split(" ", 2)
            self.seen.append(f"{method} {target}")
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                url = urlsplit(target)
                upstream_reader, upstream_writer = await asyncio.open_connection(
                    url.hostname, url.port or 80
                )
                path = url.path + (f"?{url.query}" if url.query else "")
                headers = [
                    line
                    for line in header_lines
                    if line and not line.lower().startswith(_HOP_BY_HOP)
                ]
                lines = [f"{method} {path} {version}", *headers, "Connection: close", "", ""]
                upstream_writer.write("\r\n".join(lines).encode("latin-1"))
            self._writers.add(upstream_writer)
            await asyncio.gather(_copy(reader, upstream_writer), _copy(upstream_reader, writer))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Bytes from ``reader`` to ``writer`` until either side ends; then ``writer`` is closed."""
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()
