"""The per-device client: one device, one connection, every REST API call as a coroutine."""

from __future__ import annotations

import httpx

from .resources.app import AppResource
from .resources.capabilities import CapabilitiesResource
from .resources.certificates import CertificatesResource
from .resources.device import DeviceResource
from .resources.image import ImageResource
from .resources.manufacturing import ManufacturingResource
from .resources.network import NetworkResource
from .resources.sideload import SideloadResource
from .resources.wifi import WifiResource
from .tls import CAInput
from .transport import DEFAULT_ADDRESS, DeviceSession, RetryPolicy, Timeouts
from .versions import RestApiVersion

__all__ = ["DeviceClient"]


class DeviceClient:
    """A client for one Azure Sphere device, used as an async context manager.

    ``address`` is ``"host"`` or ``"host:port"``; the scheme is always https. ``ca`` names
    the CA to trust instead of the shipped Azure Sphere device CA (a PEM path, PEM text, or an
    ``ssl.SSLContext``). ``timeout`` is one number of seconds or a :class:`Timeouts`.
    ``retry`` is the :class:`RetryPolicy` for reads that lost their connection, and
    ``max_response_bytes`` caps how much of an answer is read into memory (16 MiB unless
    given). ``insecure_skip_verify`` turns certificate checks off and logs a warning each time.
    ``transport`` replaces the network (for example ``httpx.ASGITransport`` for in-process
    tests). Given a ``session``, the client uses it and ignores the other options; a client
    made by a :class:`~azsphere_async.pool.SessionPool` shares the pool's session this way
    and does not close it.

    The calls are grouped as attributes: :attr:`app`, :attr:`capabilities`,
    :attr:`certificates`, :attr:`device`, :attr:`image`, :attr:`manufacturing`,
    :attr:`network`, :attr:`sideload` and :attr:`wifi`.
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        ca: CAInput | None = None,
        timeout: float | Timeouts | None = None,
        retry: RetryPolicy | None = None,
        max_response_bytes: int | None = None,
        insecure_skip_verify: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        session: DeviceSession | None = None,
    ) -> None:
        if session is None:
            session = DeviceSession(
                address,
                ca=ca,
                timeout=timeout,
                retry=retry,
                insecure_skip_verify=insecure_skip_verify,
                max_response_bytes=max_response_bytes,
                transport=transport,
            )
            self._owns_session = True
        else:
            self._owns_session = False
        self.session = session
        self.app = AppResource(session)
        self.capabilities = CapabilitiesResource(session)
        self.certificates = CertificatesResource(session)
        self.device = DeviceResource(session)
        self.image = ImageResource(session)
        self.manufacturing = ManufacturingResource(session)
        self.network = NetworkResource(session)
        self.sideload = SideloadResource(session)
        self.wifi = WifiResource(session)

    def __repr__(self) -> str:
        return f"<DeviceClient {self.address}>"

    @property
    def address(self) -> str:
        """The device's address as given: ``"host"`` or ``"host:port"``."""
        return self.session.address

    @property
    def rest_api_version(self) -> RestApiVersion | None:
        """The device's REST API version once an answer has told it, else ``None``."""
        return self.session.rest_api_version

    async def __aenter__(self) -> DeviceClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection, unless the session belongs to a pool."""
        if self._owns_session:
            await self.session.aclose()
