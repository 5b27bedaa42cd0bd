"""The link under the transport: one TLS connection to a board, as the running event loop has it.

:class:`~azsphere_async.transport.DeviceTransport` speaks HTTP/1.1 over a :class:`Link`: send
bytes, receive the next bytes into the connection's buffer (or learn that the board closed it),
the socket to read acknowledgements from (:mod:`.acknowledged`), close. :func:`open_link`
connects one, the kind the running loop serves best:

- under asyncio, asyncio's TCP transport with a small protocol of ours holding the ssl
  module's TLS object (as asyncio's own TLS transport does, without the 256 KiB read buffer it
  allocates per connection): a send encrypts and hands the records to the socket at once, and
  waits only while the socket's buffer is full; received records are decrypted straight into
  the connection's buffer. anyio's stream stack above the same transport (a TLS object of its
  own, a checkpoint and a cancel scope per call, a task group to connect) cost about a sixth
  of an upload's CPU, a fifth of a small request's and a quarter of a connection's
  (``benchmarks/README.md``, "Where the time went");
- under trio (or anything else anyio runs on), anyio's ``TLSStream`` over its TCP stream.

Time limits and cancellation stay the caller's (anyio cancel scopes): a wait of either link is
cancellable, and a link whose wait was cancelled is in no known state, so the caller closes it.
Failures: :class:`LinkFailure` for a connection that could not be set up (its cause is the
system's or the ssl module's error), and one of :data:`BROKEN` for a connection lost later.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import Any, Final, Protocol, cast

import anyio
import sniffio
from anyio.abc import SocketAttribute
from anyio.streams.tls import TLSStream

__all__ = ["BROKEN", "Link", "LinkFailure", "open_link"]

# Plaintext bytes asked of a TLS object per read.
_RECEIVE_SIZE: Final = 64 * 1024
# Received bytes nobody has asked for yet beyond which asyncio stops reading the socket.
_READ_AHEAD: Final = 256 * 1024
# Bytes sent without waiting after which a send lets the event loop run other tasks.
_YIELD_EVERY: Final = 4 * 1024 * 1024
# anyio's delay between attempts at a name's addresses (happy eyeballs, RFC 8305).
_HAPPY_EYEBALLS_DELAY: Final = 0.25

#: What a link's ``send`` and ``receive`` raise when the connection is lost.
BROKEN: Final = (
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
    OSError,
    ssl.SSLError,
)


class LinkFailure(Exception):
    """The connection could not be set up (TCP or TLS); the cause is the failure under it."""


class Link(Protocol):
    """One TLS connection to a board; used by one exchange at a time."""

    buffer: bytearray
    """Bytes received and not yet taken (the transport takes them off the front)."""
    socket: socket.socket
    """The connection's socket, for reading its state; never read from or written to."""

    async def send(self, data: bytes | memoryview) -> None:
        """Write ``data`` to the board. When it returns, nothing of ``data`` is kept (it was
        encrypted or copied): the caller may refill the buffer it came from. Raises one of
        :data:`BROKEN` if the connection is lost."""

    async def receive(self) -> bool:
        """Wait for more bytes in :attr:`buffer`; ``False`` once the board closed the
        connection. Raises one of :data:`BROKEN` if the connection is lost."""

    def open(self) -> bool:
        """Whether nothing has told the link that the board closed or reset the connection."""

    async def aclose(self) -> None:
        """Close the connection at once (nothing more is sent)."""


async def open_link(host: str, port: int, ssl_context: ssl.SSLContext) -> Link:
    """Connect to ``host``:``port`` and set up TLS with ``ssl_context`` (the caller bounds
    the time)."""
    if sniffio.current_async_library() == "asyncio":
        return await _AsyncioLink.connect(host, port, ssl_context)
    return await _AnyioLink.connect(host, port, ssl_context)


def _handshake_failure(exc: BaseException) -> str:
    return str(exc) or "the connection closed during the TLS handshake"


def _tcp_failure(exc: OSError) -> str:
    return str(exc) or type(exc).__name__


def _is_address(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


class _AsyncioLink(asyncio.Protocol):
    """asyncio's TCP transport, with the ssl module's TLS object in this protocol.

    This is what asyncio's own TLS transport does, less what a board does not need: its
    protocol (3.11) allocates and zero-fills a 256 KiB read buffer per connection, three times
    what a connection of a 253-board sweep may cost in all (``benchmarks/``: fanout). A send
    encrypts its bytes into the TLS object's outgoing buffer (so none of the caller's bytes are
    kept once it returns: they may refill the buffer they came from), hands the records to
    the socket transport, and waits only while the transport is above its high-water mark.
    Received records are decrypted as they arrive, into :attr:`buffer`.
    """

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.socket = cast(socket.socket, None)
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls: ssl.SSLObject | None = None
        self._handshaking = True
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False
        self._unyielded = 0
        self._reading_paused = False
        self._eof = False
        self._lost = False
        self._error: BaseException | None = None

    @classmethod
    async def connect(cls, host: str, port: int, ssl_context: ssl.SSLContext) -> _AsyncioLink:
        loop = asyncio.get_running_loop()
        # Racing a name's addresses as anyio does; other loops (uvloop) refuse the argument.
        racing: dict[str, Any] = {}
        if isinstance(loop, asyncio.BaseEventLoop) and not _is_address(host):
            racing["happy_eyeballs_delay"] = _HAPPY_EYEBALLS_DELAY
        try:
            transport, link = await loop.create_connection(cls, host, port, **racing)
        except OSError as exc:
            raise LinkFailure(_tcp_failure(exc)) from exc
        try:
            link._tls = ssl_context.wrap_bio(link._incoming, link._outgoing, server_hostname=host)
            await link._handshake()
        except BROKEN as exc:
            transport.abort()
            raise LinkFailure(_handshake_failure(exc)) from exc
        except BaseException:
            transport.abort()
            raise
        link.socket = cast(socket.socket, transport.get_extra_info("socket"))
        return link

    async def _handshake(self) -> None:
        tls = self._tls
        assert tls is not None
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
            while not self._incoming.pending:
                if self._eof or self._lost:
                    raise self._error or anyio.EndOfStream()
                await self._wait()
        self._handshaking = False
        self._flush()
        # Records that came with the handshake's last flight.
        self._decrypt()

    def _flush(self) -> None:
        """Hand the TLS object's records to the socket transport."""
        if self._outgoing.pending and self._transport is not None:
            self._transport.write(self._outgoing.read())

    def _decrypt(self) -> None:
        """Decrypt what has arrived into :attr:`buffer`."""
        tls = self._tls
        assert tls is not None
        buffer = self.buffer
        try:
            while True:
                data = tls.read(_RECEIVE_SIZE)
                if not data:  # the board's close_notify
                    self._eof = True
                    break
                buffer += data
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:
            self._eof = True
        except ssl.SSLError as exc:
            self._error = exc
            if self._transport is not None:
                self._transport.abort()
        # A TLS 1.3 key update, say, is answered.
        self._flush()
        if len(buffer) > _READ_AHEAD and not self._reading_paused and self._transport:
            self._reading_paused = True
            self._transport.pause_reading()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._incoming.write(data)
        if not self._handshaking:
            self._decrypt()
        self._wake()

    def eof_received(self) -> None:
        # Without a close_notify first (a board may just close): the end of the stream too.
        self._eof = True
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if self._error is None:
            self._error = exc
        self._wake()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake()

    # Link

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def _wait(self) -> None:
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _broken(self) -> BaseException:
        if self._error is not None:
            return self._error
        return ConnectionResetError("the board closed the connection")

    async def send(self, data: bytes | memoryview) -> None:
        transport, tls = self._transport, self._tls
        if self._lost or self._error is not None or transport is None or tls is None:
            raise self._broken()
        # The TLS object encrypts all of it into its outgoing buffer (a memory BIO never fills).
        tls.write(data)
        transport.write(self._outgoing.read())
        if not self._paused:
            # The kernel took it all: other tasks get a turn now and then all the same.
            self._unyielded += len(data)
            if self._unyielded >= _YIELD_EVERY:
                self._unyielded = 0
                await asyncio.sleep(0)
            return
        self._unyielded = 0
        while self._paused:
            if self._lost:
                raise self._broken()
            await self._wait()

    async def receive(self) -> bool:
        if self._reading_paused and self._transport is not None:
            self._reading_paused = False
            self._transport.resume_reading()
        had = len(self.buffer)
        while True:
            if len(self.buffer) > had:
                return True
            if self._error is not None:
                raise self._error
            if self._eof or self._lost:
                return False
            await self._wait()

    def open(self) -> bool:
        return not (self._eof or self._lost or self._error is not None)

    async def aclose(self) -> None:
        transport = self._transport
        if transport is not None:
            transport.abort()


class _AnyioLink:
    """anyio's TLS stream over its TCP stream (any event loop anyio runs on)."""

    def __init__(self, stream: TLSStream, sock: socket.socket) -> None:
        self.buffer = bytearray()
        self.socket = sock
        self._stream = stream
        self._closed = False

    @classmethod
    async def connect(cls, host: str, port: int, ssl_context: ssl.SSLContext) -> _AnyioLink:
        try:
            tcp = await anyio.connect_tcp(host, port)
        except OSError as exc:
            raise LinkFailure(_tcp_failure(exc)) from exc
        try:
            stream = await TLSStream.wrap(
                tcp, hostname=host, ssl_context=ssl_context, standard_compatible=False
            )
        except BROKEN as exc:
            await anyio.aclose_forcefully(tcp)
            raise LinkFailure(_handshake_failure(exc)) from exc
        except BaseException:
            await anyio.aclose_forcefully(tcp)
            raise
        return cls(stream, tcp.extra(SocketAttribute.raw_socket))

    async def send(self, data: bytes | memoryview) -> None:
        # A view goes straight to SSLObject.write, which encrypts it before send returns.
        await self._stream.send(data)  # type: ignore[arg-type]

    async def receive(self) -> bool:
        try:
            data = await self._stream.receive(_RECEIVE_SIZE)
        except anyio.EndOfStream:
            self._closed = True
            return False
        self.buffer += data
        return True

    def open(self) -> bool:
        return not self._closed

    async def aclose(self) -> None:
        self._closed = True
        await anyio.aclose_forcefully(self._stream)
