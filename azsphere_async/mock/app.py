"""The mock device as an ASGI application: its routes inside what every answer shares.

:func:`create_app` wraps one :class:`~.state.DeviceState`.  The same application serves
in-process through ``httpx.ASGITransport`` and over sockets (see :mod:`.server`).
:class:`DeviceApp` adds the ``REST-API-Version`` header, counts requests and bytes, applies
the link's latency and bandwidth (:mod:`.link`), and hands a request that drew a fault to
:mod:`.fault_actions`; the calls themselves are :mod:`.routes`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import anyio

from . import fault_actions, spec
from ._asgi import ConnectionHandle, Message, Receive, Scope, Send
from .errors import Code
from .routes import JSON, build_routes
from .state import DeviceState

__all__ = ["ConnectionHandle", "DeviceApp", "create_app"]

logger = logging.getLogger(__name__)


class DeviceApp:
    """The ASGI application of one mock device (see :func:`create_app`)."""

    def __init__(self, state: DeviceState) -> None:
        self.state = state
        self.routes = build_routes(state)
        """The inner Starlette application (routes only, no faults or headers)."""
        self.connection_lookup: Callable[[Any], ConnectionHandle | None] | None = None
        """Set by a socket server: finds the connection of a request from ``scope["client"]``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI request."""
        if scope["type"] != "http":
            await self.routes(scope, receive, send)
            return
        state = self.state
        if state.is_down():
            raise ConnectionRefusedError("the mock device is restarting")
        stats = state.stats
        stats.requests += 1
        number = stats.requests
        method: str = scope["method"]
        path: str = scope["path"]
        op = spec.find_operation(method, path)
        template = op.path if op is not None else None
        stats.requests_by_path[path] += 1
        stats.requests_by_operation[f"{method} {template or path}"] += 1
        fault = state.faults.take(number, method, path, template)
        if fault is not None:
            stats.faults_injected[fault.kind.value] += 1
        link = state.link
        await link.delay_request()
        # Over a socket the connection itself takes bytes at the link's rate.
        paced_here = self._handle(scope) is None

        async def counted_receive() -> Message:
            message = await receive()
            body = message.get("body")
            if body:
                stats.body_bytes_received += len(body)
                if paced_here:
                    await link.pace_upload(len(body))
            return message

        version = state.rest_api_version.encode()

        def count_sent(nbytes: int) -> None:
            stats.body_bytes_sent += nbytes

        async def device_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"rest-api-version", version)]
                stats.responses_by_status[int(message["status"])] += 1
            elif message["type"] == "http.response.body":
                await link.send_body(send, message, count_sent)
                return
            await send(message)

        if fault is None:
            await self.run(scope, counted_receive, device_send)
        else:
            error_code = state.config.error_500_code
            await fault_actions.play(
                fault, self, scope, counted_receive, device_send, error_code=error_code
            )

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request through the routes; an unexpected failure answers 500."""
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.routes(scope, receive, watch)
        except (ConnectionError, anyio.get_cancelled_exc_class()):
            raise
        except Exception:
            logger.exception("mock device failed on %s %s", scope["method"], scope["path"])
            if not started:
                body = json.dumps({"error": Code.EIO}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", JSON.encode())],
                    }
                )
                await send({"type": "http.response.body", "body": body})

    def _handle(self, scope: Scope) -> ConnectionHandle | None:
        lookup = self.connection_lookup
        return lookup(scope.get("client")) if lookup is not None else None

    def drop_now(self, scope: Scope) -> bool:
        """Abort the request's connection; ``False`` when served in-process (no socket)."""
        handle = self._handle(scope)
        if handle is None:
            return False
        handle.abort()
        return True


def create_app(state: DeviceState | None = None) -> DeviceApp:
    """The ASGI application of a device holding ``state`` (a fresh device if omitted).

    Use it in-process with ``httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
    base_url="https://device")``, or serve it with :class:`~.server.MockDevice`.
    """
    return DeviceApp(state if state is not None else DeviceState())
