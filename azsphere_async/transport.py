"""The network under httpx: one keep-alive HTTP/1.1 connection over TLS, on anyio streams.

:class:`DeviceTransport` is the ``httpx.AsyncBaseTransport`` every
:class:`~azsphere_async.session.DeviceSession` uses unless it is given another. It speaks
HTTP/1.1 with h11 over an anyio TLS stream (so it runs under asyncio and trio), holds exactly
one connection, and hands it to one request at a time, first come first served. It does what
a board needs and nothing else: no pool to search, no proxies, no HTTP/2, no connection
attributes rebuilt per call. A request costs about a third of the CPU of httpx's default
transport (``benchmarks/``: ``python -m benchmarks --only requests``).

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

import select
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any, Final

import anyio
import h11
import httpcore
import httpx
from anyio.abc import SocketAttribute
from anyio.streams.tls import TLSStream

__all__ = ["DeviceTransport"]

# The largest answer head (status line and headers) accepted; a device's are a few hundred bytes.
MAX_HEAD_BYTES: Final = 64 * 1024
# Bytes asked of the TLS stream per read.
_RECEIVE_SIZE: Final = 64 * 1024
_HTTP11: Final = b"HTTP/1.1"

# Errors of the stream below h11 that mean the connection is gone.
_BROKEN: Final = (
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
    OSError,
    ssl.SSLError,
)


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
    """One TLS connection and its HTTP/1.1 state."""

    def __init__(self, stream: TLSStream, sock: socket.socket) -> None:
        self.stream = stream
        self.socket = sock
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)

    def reusable(self) -> bool:
        """Whether the connection can carry the next request."""
        state = self.h11
        return (
            state.our_state is h11.IDLE
            and state.their_state is h11.IDLE
            and not state.trailing_data[0]
            and not _readable(self.socket)
        )

    async def aclose(self) -> None:
        await anyio.aclose_forcefully(self.stream)


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
        port = url.port or 443
        with _deadline(limit) as scope:
            try:
                tcp = await anyio.connect_tcp(url.host, port)
            except OSError as exc:
                raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
            try:
                stream = await TLSStream.wrap(
                    tcp,
                    hostname=url.host,
                    ssl_context=self._ssl_context,
                    standard_compatible=False,
                )
            except (*_BROKEN, anyio.EndOfStream) as exc:
                await anyio.aclose_forcefully(tcp)
                detail = str(exc) or "the connection closed during the TLS handshake"
                raise httpx.ConnectError(detail, request=request) from exc
            except BaseException:
                await anyio.aclose_forcefully(tcp)
                raise
        if scope.cancelled_caught:
            raise httpx.ConnectTimeout("timed out connecting", request=request)
        return _Connection(stream, tcp.extra(SocketAttribute.raw_socket))

    async def _exchange(
        self, connection: _Connection, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        state = connection.h11
        target = request.url.raw_path
        write = timeouts.get("write")
        stream = request.stream
        try:
            head = state.send(
                h11.Request(method=request.method, target=target, headers=request.headers.raw)
            )
            assert head is not None
            if isinstance(stream, httpx.ByteStream):
                # Head and body in one write (one TLS record, one system call).
                body = request.content
                if body:
                    head += b"".join(state.send_with_data_passthrough(h11.Data(body)) or ())
                await self._send(connection, head + _end(state), write, request)
            else:
                await self._send(connection, head, write, request)
                async for chunk in stream:  # type: ignore[union-attr]
                    for piece in state.send_with_data_passthrough(h11.Data(chunk)) or ():
                        await self._send(connection, piece, write, request)
                await self._send(connection, _end(state), write, request)
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from exc
        answer = await self._receive_head(connection, request, timeouts.get("read"))
        return httpx.Response(
            status_code=answer.status_code,
            headers=answer.headers.raw_items(),
            stream=_Body(self, connection, request, timeouts.get("read")),
            extensions={"http_version": _HTTP11, "reason_phrase": answer.reason},
        )

    async def _send(
        self, connection: _Connection, data: bytes, limit: float | None, request: httpx.Request
    ) -> None:
        if not data:
            return
        try:
            if limit is None:
                await connection.stream.send(data)
                return
            with _deadline(limit) as scope:
                await connection.stream.send(data)
        except _BROKEN as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from exc
        if scope.cancelled_caught:
            raise httpx.WriteTimeout("timed out writing the request", request=request)

    async def _receive_head(
        self, connection: _Connection, request: httpx.Request, limit: float | None
    ) -> h11.Response:
        # One deadline for the whole head: interim answers and trickled bytes do not renew it.
        with _deadline(limit) as scope:
            while True:
                event = _event(connection, request)
                if event is h11.NEED_DATA:
                    await _receive(connection, request)
                elif isinstance(event, h11.Response):
                    return event
                elif not isinstance(event, h11.InformationalResponse):
                    raise httpx.RemoteProtocolError(
                        f"the board answered with {type(event).__name__} instead of a head",
                        request=request,
                    )
        assert scope.cancelled_caught
        raise httpx.ReadTimeout("no complete answer head in time", request=request)

    async def _release(self, connection: _Connection, complete: bool) -> None:
        """The answer's body was read (``complete``) or abandoned: keep or drop the connection."""
        try:
            state = connection.h11
            if complete and state.our_state is h11.DONE and state.their_state is h11.DONE:
                state.start_next_cycle()
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


def _end(state: h11.Connection) -> bytes:
    return state.send(h11.EndOfMessage()) or b""


def _event(connection: _Connection, request: httpx.Request) -> Any:
    """h11's next event from what has been received (``h11.NEED_DATA`` if it needs more)."""
    try:
        event = connection.h11.next_event()
    except h11.RemoteProtocolError as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    if event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
        raise httpx.RemoteProtocolError(
            "the board closed the connection before it answered", request=request
        )
    return event


async def _receive(connection: _Connection, request: httpx.Request) -> None:
    """Read the next bytes from the board into h11 (the caller bounds the time)."""
    try:
        data = await connection.stream.receive(_RECEIVE_SIZE)
    except anyio.EndOfStream:
        data = b""
    except _BROKEN as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
    connection.h11.receive_data(data)


class _Body(httpx.AsyncByteStream):
    """An answer's body, read from the connection as the caller iterates."""

    def __init__(
        self,
        transport: DeviceTransport,
        connection: _Connection,
        request: httpx.Request,
        limit: float | None,
    ) -> None:
        self._transport = transport
        self._connection = connection
        self._request = request
        self._limit = limit
        self._complete = False
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection, request = self._connection, self._request
        limit = self._limit
        while not self._complete:
            event = _event(connection, request)
            if event is h11.NEED_DATA:
                if limit is None:
                    await _receive(connection, request)
                    continue
                with _deadline(limit) as scope:
                    await _receive(connection, request)
                if scope.cancelled_caught:
                    raise httpx.ReadTimeout("the answer's body stalled", request=request)
            elif isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._complete = True
            else:
                raise httpx.RemoteProtocolError(
                    f"unexpected {type(event).__name__} in an answer's body", request=request
                )

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            await self._transport._release(self._connection, self._complete)
