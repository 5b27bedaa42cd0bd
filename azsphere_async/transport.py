"""The network under httpx: one keep-alive HTTP/1.1 connection over TLS, to one board.

:class:`DeviceTransport` is the ``httpx.AsyncBaseTransport`` every
:class:`~azsphere_async.session.DeviceSession` uses unless it is given another. It speaks
HTTP/1.1 (:mod:`.wire`) over a TLS link (:mod:`.links`: asyncio's TCP transport and the ssl
module's TLS object under asyncio, anyio's TLS stream under trio), holds exactly one
connection, and hands it to one request at a time, first come first served. It does what a
board needs and nothing else: no pool to search, no proxies, no HTTP/2, no connection
attributes rebuilt per call. A small request through the library costs about a quarter of the
CPU of one through a bare ``httpx.AsyncClient`` (``python -m benchmarks --only requests``).

Time limits come from the request's ``timeout`` extension, as httpx sets it: ``connect``
bounds TCP and TLS set-up, ``write`` each write, ``pool`` the wait for the connection, and
``read`` both the whole wait for the answer's final head (however the board trickles it, and
however many ``100 Continue`` it sends first) and each wait for body bytes. Failures are
httpx's own exceptions (``ConnectError`` with the ssl error as its cause, ``ReadTimeout``,
``RemoteProtocolError``, ...), so :mod:`azsphere_async.error_mapping` maps them as it maps
httpx's.

A mocking library that patches httpcore's connection pool (respx does) would not see requests
sent here; while such a patch is in place, requests go through ``httpx.AsyncHTTPTransport``
instead, so the mock sees them exactly as httpx sends them.
"""

from __future__ import annotations

import math
import select
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Final

import anyio
import httpcore
import httpx

from .links import BROKEN, Link, LinkFailure, open_link
from .wire import Answer, LocalWireError, WireError, request_head, take_head

__all__ = ["DeviceTransport"]

_HTTP11: Final = b"HTTP/1.1"


def _patched_pool() -> bool:
    """Whether something (a mocking library) has replaced httpcore's request handling."""
    handler = httpcore.AsyncConnectionPool.handle_async_request
    return not getattr(handler, "__module__", "").startswith("httpcore.")


def _readable(sock: socket.socket) -> bool:
    """Whether an idle connection's socket has something to read: the board closed it (or
    sent bytes nobody asked for), so it cannot carry another request."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _deadline(seconds: float | None) -> anyio.CancelScope:
    """A cancel scope ending ``seconds`` from now (``None``: never)."""
    if seconds is None:
        return anyio.CancelScope()
    return anyio.CancelScope(deadline=anyio.current_time() + seconds)


class _Connection:
    """One TLS link, what has been received on it, and whether it is between requests."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.socket = link.socket
        self.buffer = link.buffer
        self.idle = True

    def reusable(self) -> bool:
        """Whether the connection can carry the next request."""
        return self.idle and not self.buffer and self.link.open() and not _readable(self.socket)

    async def aclose(self) -> None:
        await self.link.aclose()


class DeviceTransport(httpx.AsyncBaseTransport):
    """One board's HTTPS connection, kept alive and used by one request at a time.

    ``ssl_context`` verifies the board (:attr:`ClientOptions.ssl_context
    <azsphere_async.options.ClientOptions.ssl_context>`). Requests made at the same time wait
    for the connection in the order they came, each at constant cost however many wait. A
    connection that the board closed, or that a failed or abandoned request left in an unknown
    state, is closed, and the next request opens a new one.
    """

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._ssl_context = ssl_context
        self._turn = anyio.Semaphore(1, fast_acquire=True)
        self._connection: _Connection | None = None
        self._standard: httpx.AsyncHTTPTransport | None = None
        self._closed = False

    def __repr__(self) -> str:
        state = "open" if self._connection is not None else "idle"
        return f"<DeviceTransport {'closed' if self._closed else state}>"

    @property
    def socket(self) -> socket.socket | None:
        """The open connection's socket (``None`` between connections), for reading its
        state (:mod:`azsphere_async.acknowledged`); never read from or write to it."""
        connection = self._connection
        return connection.socket if connection is not None else None

    @property
    def borrows_chunks(self) -> bool:
        """Whether a streamed request body is written out a chunk at a time, each one before
        the next is asked for, and none is kept: the body may then hand out views of a buffer
        it refills. Not while a mocking library handles the requests (it keeps them)."""
        return not _patched_pool()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the board's connection; the answer's body streams from it."""
        if _patched_pool():
            return await self._standard_transport().handle_async_request(request)
        if self._closed:
            raise RuntimeError("the transport is closed")
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        pool = timeouts.get("pool")
        if pool is None:
            await self._turn.acquire()
        else:
            with _deadline(pool) as waiting:
                await self._turn.acquire()
            if waiting.cancelled_caught:
                raise httpx.PoolTimeout(
                    "timed out waiting for the board's connection", request=request
                )
        try:
            connection = self._connection
            if connection is not None and not connection.reusable():
                self._connection = None
                await connection.aclose()
                connection = None
            if connection is None:
                connection = await self._connect(request, timeouts.get("connect"))
                self._connection = connection
            response = await self._exchange(connection, request, timeouts)
        except BaseException:
            await self._discard()
            self._turn.release()
            raise
        return response

    async def _connect(self, request: httpx.Request, limit: float | None) -> _Connection:
        url = request.url
        with _deadline(limit) as scope:
            try:
                link = await open_link(url.host, url.port or 443, self._ssl_context)
            except LinkFailure as exc:
                raise httpx.ConnectError(str(exc), request=request) from exc.__cause__
        if scope.cancelled_caught:
            raise httpx.ConnectTimeout("timed out connecting", request=request)
        return _Connection(link)

    async def _exchange(
        self, connection: _Connection, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        connection.idle = False
        write, read = timeouts.get("write"), timeouts.get("read")
        # One cancel scope for the request and its answer's head, its deadline moved on from
        # phase to phase: each write within ``write``, then the whole head within ``read``.
        limit = _Limit(write)
        with limit.scope:
            await _send_request(connection, request, limit)
            # Interim answers and trickled bytes do not renew the head's deadline.
            limit.begin(read, "read")
            answer = await _receive_head(connection, request)
        if limit.scope.cancelled_caught:
            if limit.phase == "write":
                raise httpx.WriteTimeout("timed out writing the request", request=request)
            raise httpx.ReadTimeout("no complete answer head in time", request=request)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(self, connection, request, answer, read),
            extensions={"http_version": _HTTP11, "reason_phrase": answer.reason},
        )

    async def _release(self, connection: _Connection, reusable: bool) -> None:
        """The answer's body was read to its end on a connection that stays open
        (``reusable``), or abandoned: keep or drop the connection."""
        try:
            if reusable and not connection.buffer:
                connection.idle = True
            elif self._connection is connection:
                await self._discard()
        finally:
            self._turn.release()

    async def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.aclose()

    def _standard_transport(self) -> httpx.AsyncHTTPTransport:
        if self._standard is None:
            self._standard = httpx.AsyncHTTPTransport(
                verify=self._ssl_context,
                http1=True,
                http2=False,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            )
        return self._standard

    async def aclose(self) -> None:
        """Close the connection; the transport cannot be used afterwards."""
        self._closed = True
        with anyio.CancelScope(shield=True):
            await self._discard()
            if self._standard is not None:
                await self._standard.aclose()


class _Limit:
    """One cancel scope bounding phase after phase of an exchange, each with its own limit."""

    def __init__(self, seconds: float | None, phase: str = "write") -> None:
        self.seconds = seconds
        self.phase = phase
        self.scope = _deadline(seconds)

    def renew(self) -> None:
        """Start the current phase's limit again (before each write of an upload): the write
        has at least its limit, and a stalled one fails at most a sixteenth of the limit (a
        second at most) later than that.

        Moving a deadline reschedules a timer, and the event loop keeps the cancelled one
        (with a copy of the task's context) until it would have fired: per write of 512 KiB,
        about 8 us and more work for the garbage collector, 3-6 % of an upload's CPU
        (``benchmarks/``: staging). With the slack the deadline moves once per sixteenth of
        the limit at most, however fast the writes come.
        """
        seconds = self.seconds
        if seconds is not None:
            now = anyio.current_time()
            if self.scope.deadline - now < seconds:
                self.scope.deadline = now + seconds + min(seconds / 16, 1.0)

    def begin(self, seconds: float | None, phase: str) -> None:
        """Move on to ``phase``, bounded by ``seconds`` from now (``None``: unbounded)."""
        self.seconds, self.phase = seconds, phase
        self.scope.deadline = math.inf if seconds is None else anyio.current_time() + seconds


async def _send(connection: _Connection, data: bytes | memoryview, request: httpx.Request) -> None:
    """Write ``data`` to the board (the caller bounds the time)."""
    if not data:
        return
    try:
        await connection.link.send(data)
    except BROKEN as exc:
        raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from exc


async def _send_request(connection: _Connection, request: httpx.Request, limit: _Limit) -> None:
    """Write the request: its head, and its body framed as its headers say."""
    try:
        head = request_head(request.method, request.url.raw_path, request.headers.raw)
    except LocalWireError as exc:
        raise httpx.LocalProtocolError(str(exc), request=request) from None
    stream = request.stream
    if isinstance(stream, httpx.ByteStream):
        # Head and body in one write (one TLS record, one system call); httpx set its length.
        await _send(connection, head + request.content, request)
        return
    headers = request.headers
    chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
    declared = None if chunked else int(headers.get("Content-Length", "0"))
    await _send(connection, head, request)
    sent = 0
    async for chunk in stream:  # type: ignore[union-attr]
        if not chunk:
            continue
        sent += len(chunk)
        if declared is not None and sent > declared:
            raise httpx.LocalProtocolError(
                f"more body than the declared Content-Length of {declared}", request=request
            )
        limit.renew()
        if chunked:
            await _send(connection, b"%x\r\n%s\r\n" % (len(chunk), chunk), request)
        else:
            await _send(connection, chunk, request)
    if declared is not None and sent != declared:
        raise httpx.LocalProtocolError(
            f"{sent} bytes of body for a declared Content-Length of {declared}", request=request
        )
    if chunked:
        limit.renew()
        await _send(connection, b"0\r\n\r\n", request)


async def _receive_head(connection: _Connection, request: httpx.Request) -> Answer:
    """The answer's final head, skipping interim ones (the caller bounds the time)."""
    method = request.method
    while True:
        try:
            answer = take_head(connection.buffer, method)
        except WireError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None
        if answer is None:
            if not await _receive(connection, request):
                raise httpx.RemoteProtocolError(
                    "the board closed the connection before it answered", request=request
                )
        elif answer.status >= 200:
            return answer


async def _receive(connection: _Connection, request: httpx.Request) -> bool:
    """Read the next bytes from the board into the buffer; ``False`` if it closed the
    connection (the caller bounds the time)."""
    try:
        return await connection.link.receive()
    except BROKEN as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc


class _Body(httpx.AsyncByteStream):
    """An answer's body, read from the connection as the caller iterates."""

    def __init__(
        self,
        transport: DeviceTransport,
        connection: _Connection,
        request: httpx.Request,
        answer: Answer,
        limit: float | None,
    ) -> None:
        self._transport = transport
        self._connection = connection
        self._request = request
        self._answer = answer
        self._limit = limit
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection, request, limit = self._connection, self._request, self._limit
        reader = self._answer.body
        buffer = connection.buffer
        try:
            while not reader.done:
                data = reader.take(buffer)
                if data:
                    yield data
                    continue
                if reader.done:
                    break
                if limit is None:
                    received = await _receive(connection, request)
                else:
                    with _deadline(limit) as scope:
                        received = await _receive(connection, request)
                    if scope.cancelled_caught:
                        raise httpx.ReadTimeout("the answer's body stalled", request=request)
                if not received:
                    reader.closed(buffer)
        except WireError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            answer = self._answer
            reusable = answer.body.done and answer.keep_alive
            await self._transport._release(self._connection, reusable)
