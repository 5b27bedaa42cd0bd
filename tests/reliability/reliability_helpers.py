"""Shared helpers of the reliability tests: limits and retries, scripted servers, an fd count.

:class:`ScriptedServer` is a bare loopback TCP server (TLS or not) whose every connection runs
a script the test writes. It plays the boards the mock device cannot: one that accepts and
never says a word, one that never reads an upload, one that resets the connection, one that
answers with a redirect or with bytes that are not HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import struct
from collections.abc import Awaitable, Callable
from types import TracebackType

import trustme

from azsphere_async import RetryPolicy, Timeouts
from tests.shared_data import DEVICE_NAME, REST_API_VERSION

#: Short limits for boards on loopback: a test that waits, waits seconds, not minutes.
LIMITS = Timeouts(connect=2.0, read=2.0, write=2.0)
#: Quick retries, for tests of what a retried read sees.
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01)
#: Generous retries: if a change were ever retried, these would show it.
EAGER_RETRY = RetryPolicy(attempts=5, backoff=0.01)

#: One connection's script: the reader, the writer and the connection's number (from 0).
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


def open_fds() -> int:
    """How many file descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


def reset(writer: asyncio.StreamWriter) -> None:
    """Close the connection with a TCP reset (what an unplugged board's link does)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str]]:
    """Read one request's head (and drop its body); returns the request line and headers."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length:
        await reader.readexactly(length)
    return lines[0], headers


def http_answer(
    status: int,
    body: bytes = b"",
    *,
    reason: str = "OK",
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
) -> bytes:
    """The bytes of a complete HTTP/1.1 answer carrying the device's version header."""
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
    lines.append(f"REST-API-Version: {REST_API_VERSION}")
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class ScriptedServer:
    """A loopback server running ``script`` on each connection; an async context manager.

    With ``tls`` the server presents a certificate for the device name and its address,
    issued by ``ca`` (a fresh trustme CA unless given); ``tls=False`` speaks plain TCP.
    ``handshake=False`` accepts TCP but never starts TLS (a board that accepts and then
    says nothing). Scripts that are still running when the server stops are cancelled.
    """

    def __init__(
        self,
        script: Script,
        *,
        tls: bool = True,
        ca: trustme.CA | None = None,
        host: str = "127.0.0.1",
        handshake: bool = True,
    ) -> None:
        self.script = script
        self.ca = ca if ca is not None else trustme.CA()
        self.host = host
        self.port = 0
        self.connections = 0
        self._tls = tls
        self._handshake = handshake
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._silent: list[socket.socket] = []

    @property
    def address(self) -> str:
        """``host:port`` for a client."""
        return f"{self.host}:{self.port}"

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting the server's CA the way the library checks devices."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        self.ca.configure_trust(context)
        return context

    def _server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert(DEVICE_NAME, self.host).configure_cert(context)
        return context

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.connections
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self.script(reader, writer, number)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, OSError):
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.transport.abort()

    def _accept_silently(self) -> None:
        assert self._listener is not None
        with contextlib.suppress(BlockingIOError):
            while True:
                connection, _ = self._listener.accept()
                self.connections += 1
                self._silent.append(connection)

    async def __aenter__(self) -> ScriptedServer:
        if not self._handshake:
            self._listener: socket.socket | None = socket.socket()
            self._listener.bind((self.host, 0))
            self._listener.listen(16)
            self._listener.setblocking(False)
            self.port = self._listener.getsockname()[1]
            asyncio.get_running_loop().add_reader(self._listener, self._accept_silently)
            return self
        self._listener = None
        self._server = await asyncio.start_server(
            self._serve, self.host, 0, ssl=self._server_context() if self._tls else None
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._listener is not None:
            asyncio.get_running_loop().remove_reader(self._listener)
            self._listener.close()
            for connection in self._silent:
                connection.close()
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=2)
            await self._server.wait_closed()


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
    """A script that reads one request head and then waits forever without answering."""
    await read_request(reader)
    await asyncio.Event().wait()


async def answer_status(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer the client's first request (its ``GET /status`` version probe) like a device."""
    await read_request(reader)
    writer.write(http_answer(200, b'{"uptime": 1}'))
    await writer.drain()
