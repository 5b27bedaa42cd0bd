"""A real HTTP endpoint for the webhook tests: the line's MES on its own loopback port.

:class:`WebhookEndpoint` is the standard library's HTTP server in a thread. It records every
request (headers, query, JSON body, the status it answered), answers 200 unless told
otherwise (a status for every request until changed, a list of statuses for the next ones,
or no answer at all for the next ones), and can be stopped and started again on the same port
(the endpoint down for part of a run).
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

import anyio
import attrs

from azsphere_async.records import RecordStore
from azsphere_async.station.webhook import WebhookPublisher, WebhookSettings


def fast(url: str, *, timeout: float = 10.0) -> WebhookSettings:
    """Settings with the tests' backoff bounds: an endpoint back is found at once."""
    return WebhookSettings(url, timeout=timeout, retry_min=0.01, retry_max=0.1)


# No two of them share ten characters, so a leak is pinned on the right one.
PASSWORD: Final = "Pa55-w0rd-K9q"
QUERY_TOKEN: Final = "T0ken-Zq8-mes"
BEARER: Final = "B3arer-x7Y-line"
SECRETS: Final = (PASSWORD, QUERY_TOKEN, BEARER)


def numbered(start: int, stop: int) -> list[tuple[str, dict[str, Any]]]:
    """Events ``n`` = start..stop-1, alternating between boards a and b."""
    return [
        (f"azsphere/st/board-{'ab'[n % 2]}", {"n": n, "board": "ab"[n % 2]})
        for n in range(start, stop)
    ]


def with_secrets(url: str) -> str:
    """``url`` with credentials (PASSWORD) and a query token (QUERY_TOKEN)."""
    return url.replace("//", f"//line:{PASSWORD}@", 1) + f"?token={QUERY_TOKEN}"


def assert_no_secrets(*texts: str) -> None:
    """Fail naming every secret that shows in ``texts``."""
    found = sorted({secret for text in texts for secret in SECRETS if secret in text})
    assert not found, f"secrets shown: {found}"


class _QuietServer(ThreadingHTTPServer):
    """Connections that fail (a client refusing the certificate, a reset) are no news."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@attrs.frozen
class Received:
    """One request the endpoint got, and what it answered."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]
    status: int


class WebhookEndpoint:
    """An HTTP/1.1 endpoint on 127.0.0.1 that records what it is sent (see the module);
    over TLS with ``tls`` (a server context), plain HTTP without."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._tls = tls
        self.body = b""
        """What it answers with (else ``{"status": N}``)."""
        self._lock = threading.Lock()
        self._requests: list[Received] = []
        self.status = 200
        self.next_statuses: list[int] = []
        self.refused: dict[int, int] = {}
        """Events (by their ``n``) it always answers with a status of their own."""
        self.stall_next = 0
        self._released = threading.Event()
        self._server: _QuietServer | None = None
        self._connections: set[socket.socket] = set()
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        """Its URL, ``/events``."""
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/events"

    def start(self) -> None:
        """Listen (again, on the same port after :meth:`stop`)."""
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                if isinstance(self.request, ssl.SSLSocket):
                    self.request.do_handshake()  # here, not in the accepting thread
                super().setup()
                with endpoint._lock:
                    endpoint._connections.add(self.connection)

            def finish(self) -> None:
                with endpoint._lock:
                    endpoint._connections.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                endpoint._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = _QuietServer(("127.0.0.1", self.port), Handler)
        if self._tls is not None:
            server.socket = self._tls.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()

    def stop(self) -> None:
        """Stop listening and close every connection (down: nothing answers)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            with self._lock:
                connections = list(self._connections)
            for connection in connections:  # kept-alive connections go down too
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._released.set()  # a stalled answer ends now
            self._released = threading.Event()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        body = json.loads(handler.rfile.read(length)) if length else {}
        with self._lock:
            stall = self.stall_next > 0
            self.stall_next -= 1 if stall else 0
            status = self.next_statuses.pop(0) if self.next_statuses else self.status
            status = self.refused.get(body.get("n", -1), status)
        url = urllib.parse.urlsplit(handler.path)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            self._requests.append(
                Received(url.path, urllib.parse.parse_qs(url.query), headers, body, status)
            )
        if stall:
            self._released.wait(30)
            handler.close_connection = True
            return
        answer = self.body or json.dumps({"status": status}).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    def received(self) -> list[Received]:
        """Every request so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def taken(self) -> list[dict[str, Any]]:
        """The events it answered 2xx, first time each (by ``event_id``), in arrival order."""
        seen: dict[str, dict[str, Any]] = {}
        for request in self.received():
            if 200 <= request.status < 300:
                seen.setdefault(request.body["event_id"], request.body)
        return list(seen.values())

    def release(self) -> None:
        """End the stalled answers (they are never sent)."""
        self._released.set()


@asynccontextmanager
async def publishing(
    store: RecordStore, settings: WebhookSettings
) -> AsyncIterator[WebhookPublisher]:
    """A webhook publisher running in the background while the block runs."""
    publisher = WebhookPublisher(store, settings)
    async with anyio.create_task_group() as group:
        group.start_soon(publisher.run)
        yield publisher
        group.cancel_scope.cancel()
