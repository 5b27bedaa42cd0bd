"""A restartable listening socket served by uvicorn's h11 protocol (internal)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import Any, Final

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from .stats import DeviceStats

__all__ = ["Listener", "bind"]

_BACKLOG: Final = 128
_STOP_GRACE: Final = 2.0


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
    """uvicorn's h11 protocol, reporting to the listener that accepted it."""

    def __init__(self, listener: Listener, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._listener = listener

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        raw = transport.get_extra_info("socket")
        if raw is not None:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._listener.register(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._listener.unregister(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
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
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, sock=sock, ssl=self.ssl_context, backlog=_BACKLOG
        )
        bound_host, bound_port = sock.getsockname()[:2]
        return str(bound_host), int(bound_port)

    def stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

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
