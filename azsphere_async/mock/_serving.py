"""A restartable listening socket served by uvicorn's h11 protocol (internal).

Behind a capped link (``LinkSettings.bandwidth``) each connection is the board's end of a
slow USB link: its kernel receive buffer is small, the TLS layer reads little ahead, and
request bytes reach the HTTP protocol only at the link's rate, shared by the device's
connections.  Reading stops while a few KiB wait to be delivered, so the client's socket
fills and its writes block: they are spread over the upload as on a real board.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from typing import Any, Final

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from .link import LinkSettings
from .stats import DeviceStats

__all__ = ["Listener", "bind"]

_BACKLOG: Final = 128
_STOP_GRACE: Final = 2.0
_LINK_RECEIVE_BUFFER: Final = 4096
"""``SO_RCVBUF`` of a connection behind a capped link (the kernel doubles it)."""
_LINK_TLS_READ_AHEAD: Final = 4096
"""Encrypted bytes the TLS layer reads ahead of a paused connection behind a capped link."""
_LINK_HELD: Final = 8192
"""Received bytes waiting for the link at which the board's end stops reading."""
_UNCAPPED_RECEIVE_BUFFER: Final = 4 * 1024 * 1024
"""``SO_RCVBUF`` once a cap is lifted (the system's ``rmem_max`` may lower it)."""
_LINK_SEGMENT: Final = 1460
"""Largest TCP segment announced behind a capped link, as over a serial line's 1500-byte MTU.

Loopback's own 64 KiB segments would let a client's kernel grow its send buffer past a
megabyte and take a whole image at once; with small segments it stays a few dozen KiB.
"""


def bind(host: str, port: int) -> socket.socket:
    """A non-blocking listening TCP socket on ``host:port`` (``SO_REUSEADDR`` set)."""
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the
    # listening socket says TCP; without it every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(_BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class _Connection(H11Protocol):
    """uvicorn's h11 protocol, reporting to the listener that accepted it.

    Behind a capped link, received bytes queue in :attr:`_waiting` and are handed on one
    piece at a time when the link has carried them.
    """

    def __init__(self, listener: Listener, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._listener = listener
        self._waiting: deque[bytes] = deque()
        self._waiting_bytes = 0
        self._arrival: asyncio.TimerHandle | None = None
        self._holding = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        raw = transport.get_extra_info("socket")
        capped = self._capped()
        if raw is not None:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if capped:
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _LINK_RECEIVE_BUFFER)
        if capped and isinstance(transport, asyncio.Transport):
            limits = getattr(transport, "set_read_buffer_limits", None)
            if limits is not None:  # the TLS transport: it reads ahead 256 KiB by default
                limits(high=_LINK_TLS_READ_AHEAD)
        super().connection_made(transport)
        self._listener.register(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._arrival is not None:
            self._arrival.cancel()
            self._arrival = None
        self._waiting.clear()
        self._listener.unregister(self)
        super().connection_lost(exc)

    def _capped(self) -> bool:
        link = self._listener.link
        return link is not None and bool(link.bandwidth)

    def data_received(self, data: bytes) -> None:
        if not self._waiting and self._arrival is None and not self._capped():
            self._hand_on(data)
            return
        self._waiting.append(data)
        self._waiting_bytes += len(data)
        if self._waiting_bytes >= _LINK_HELD and not self._holding:
            self._holding = True
            self.transport.pause_reading()
        if self._arrival is None:
            self._send_next_piece()

    def _send_next_piece(self) -> None:
        """Put the next piece of waiting bytes on the link; it arrives when carried."""
        link = self._listener.link
        bandwidth = link.bandwidth if link is not None else None
        step = max(1024, int(bandwidth / 50)) if bandwidth else self._waiting_bytes
        first = self._waiting.popleft()
        if len(first) > step:
            self._waiting.appendleft(first[step:])
            first = first[:step]
        self._waiting_bytes -= len(first)
        delay = link.reserve_upload(len(first)) if link is not None else 0.0
        loop = asyncio.get_running_loop()
        self._arrival = loop.call_later(delay, self._arrived, first)

    def _arrived(self, piece: bytes) -> None:
        self._arrival = None
        self._hand_on(piece)
        if self._holding and self._waiting_bytes < _LINK_HELD // 2:
            self._holding = False
            if not self.transport.is_closing():
                self.transport.resume_reading()
        if self._waiting:
            self._send_next_piece()

    def _hand_on(self, data: bytes) -> None:
        stats = self._listener.stats
        if stats is not None:
            stats.bytes_received += len(data)
        super().data_received(data)

    def abort(self) -> None:
        """Close the TCP connection at once."""
        self.transport.abort()

    @property
    def idle(self) -> bool:
        """Whether no request is being handled on this connection."""
        return self.cycle is None or self.cycle.response_complete


class Listener:
    """One listening socket served by uvicorn's h11 protocol; can stop and listen again."""

    def __init__(
        self,
        app: Any,
        *,
        ssl_context: ssl.SSLContext | None,
        stats: DeviceStats | None,
        keep_alive: float,
        link: LinkSettings | None = None,
    ) -> None:
        self.config = uvicorn.Config(
            app,
            http="h11",
            ws="none",
            lifespan="off",
            log_config=None,
            access_log=False,
            proxy_headers=False,
            server_header=False,
            date_header=False,
            timeout_keep_alive=max(1, round(keep_alive)),
        )
        self.config.load()
        self.ssl_context = ssl_context
        self.stats = stats
        self.link = link
        """The device's link: a bandwidth cap paces what connections receive."""
        self._socket: socket.socket | None = None
        self._receive_buffer_set = False
        if link is not None:
            link.watch(self._link_changed)
        self.server_state = ServerState()
        self.connections: dict[Any, _Connection] = {}
        self._server: asyncio.Server | None = None

    def register(self, connection: _Connection) -> None:
        self.connections[connection.client] = connection
        if self.stats is not None:
            self.stats.connections_open = len(self.connections)

    def unregister(self, connection: _Connection) -> None:
        if self.connections.get(connection.client) is connection:
            del self.connections[connection.client]
        if self.stats is not None:
            self.stats.connections_open = len(self.connections)

    def lookup(self, client: Any) -> _Connection | None:
        if client is None:
            return None
        return self.connections.get(tuple(client))

    def _protocol(self) -> asyncio.Protocol:
        # asyncio calls the factory once per TCP accept, before the TLS handshake.
        if self.stats is not None:
            self.stats.connections_accepted += 1
        return _Connection(
            self,
            config=self.config,
            server_state=self.server_state,
            app_state={},
        )

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def listen(
        self, host: str, port: int, sock: socket.socket | None = None
    ) -> tuple[str, int]:
        sock = sock if sock is not None else bind(host, port)
        self._socket = sock
        self._receive_buffer_set = False
        self._link_changed()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, sock=sock, ssl=self.ssl_context, backlog=_BACKLOG
        )
        bound_host, bound_port = sock.getsockname()[:2]
        return str(bound_host), int(bound_port)

    def _link_changed(self) -> None:
        """While the link is capped, new connections start small: short segments, a small
        receive window from the first SYN-ACK on."""
        sock = self._socket
        if sock is None or sock.fileno() < 0:
            return
        capped = self.link is not None and bool(self.link.bandwidth)
        try:
            if hasattr(socket, "TCP_MAXSEG"):
                segment = _LINK_SEGMENT if capped else 0
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, segment)
            if capped:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _LINK_RECEIVE_BUFFER)
                self._receive_buffer_set = True
            elif self._receive_buffer_set:
                # A set buffer no longer grows by itself: give uncapped connections room.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _UNCAPPED_RECEIVE_BUFFER)
        except OSError:  # a system that refuses these: the paced reads still push back
            pass

    def stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._socket = None

    def abort_connections(self) -> None:
        for connection in list(self.connections.values()):
            connection.abort()

    async def drop_connections(self, grace: float = 0.2) -> None:
        """Close every connection: idle ones cleanly (a sent answer is not lost to a reset),
        busy ones at once; whatever is still open after ``grace`` seconds is aborted."""
        for connection in list(self.connections.values()):
            if connection.idle:
                connection.transport.close()
            else:
                connection.abort()
        if self.connections:
            await asyncio.sleep(grace)
            self.abort_connections()

    async def close(self) -> None:
        """Stop listening, close every connection, and wait for request tasks to end."""
        if self.link is not None:
            self.link.unwatch(self._link_changed)
        self.stop_listening()
        for connection in list(self.connections.values()):
            connection.shutdown()
        tasks = set(self.server_state.tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=0.2)
            if pending:
                self.abort_connections()
                _, pending = await asyncio.wait(pending, timeout=_STOP_GRACE)
                for task in pending:
                    task.cancel()
                if pending:
                    await asyncio.wait(pending, timeout=_STOP_GRACE)
        self.abort_connections()
        # Let the transports run their connection_lost callbacks.
        await asyncio.sleep(0)
