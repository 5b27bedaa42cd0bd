"""A mock Device Communication Service: lists the mock devices of a fleet (plain HTTP).

``GET /api/service/devices`` answers ``[{"IpAddress": "127.0.0.2:40123",
"DeviceConnectionPath": "1"}, ...]``.  Real services put a bare IP in ``IpAddress`` (devices
listen on port 443); mock devices listen on ports the OS chooses, so the mock puts
``host:port`` there.  ``PUT /api/service/devices/rescan`` answers the number of devices.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._serving import Listener

if TYPE_CHECKING:
    from .server import MockDevice

__all__ = ["DEFAULT_DCS_PORT", "MockDeviceCommunicationService", "create_dcs_app"]

DEFAULT_DCS_PORT = 48938
"""The port the real service listens on."""


def create_dcs_app(devices: Callable[[], Sequence[MockDevice]]) -> Starlette:
    """The service's ASGI application; ``devices`` returns the devices to list.

    Each is listed at its own ``connection_path`` (its USB slot).
    """

    def listing() -> list[dict[str, str]]:
        return [
            {"IpAddress": device.address, "DeviceConnectionPath": device.connection_path}
            for device in devices()
        ]

    async def get_devices(request: Request) -> Response:
        return Response(json.dumps(listing()), media_type="application/json")

    async def rescan(request: Request) -> Response:
        return Response(json.dumps(len(listing())), media_type="application/json")

    return Starlette(
        routes=[
            Route("/api/service/devices", get_devices, methods=["GET"]),
            Route("/api/service/devices/rescan", rescan, methods=["PUT"]),
        ]
    )


class MockDeviceCommunicationService:
    """The service on ``host:port`` (``port=0``: chosen by the OS; read :attr:`port`)."""

    def __init__(
        self,
        devices: Callable[[], Sequence[MockDevice]],
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_DCS_PORT,
    ) -> None:
        self.app = create_dcs_app(devices)
        self._host = host
        self._requested_port = port
        self.port = 0
        """The port it listens on (once started)."""
        self._listener: Listener | None = None

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self._host}:{self.port}"

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self._host}:{self.port}"

    async def start(self) -> None:
        """Start listening."""
        listener = Listener(self.app, ssl_context=None, stats=None, keep_alive=5)
        _, self.port = await listener.listen(self._host, self._requested_port)
        self._listener = listener

    async def stop(self) -> None:
        """Stop listening and close connections."""
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()

    async def __aenter__(self) -> MockDeviceCommunicationService:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
