"""The per-device client: one device, one connection, every REST API call as a coroutine."""

from __future__ import annotations

from typing import Unpack

import httpx

from . import deploy as deploying
from .deploy import DeployablePackage, Deployment, DeploySettings
from .options import DEFAULT_ADDRESS, ClientOptions, OptionShortcuts
from .resources.app import AppResource
from .resources.capabilities import CapabilitiesResource
from .resources.certificates import CertificatesResource
from .resources.device import DeviceResource
from .resources.image import ImageResource
from .resources.manufacturing import ManufacturingResource
from .resources.network import NetworkResource
from .resources.sideload import SideloadResource
from .resources.wifi import WifiResource
from .session import DeviceSession
from .staging import ProgressCallback
from .versions import RestApiVersion

__all__ = ["DeviceClient"]


class DeviceClient:
    """A client for one Azure Sphere device, used as an async context manager.

    ``address`` is ``"host"`` or ``"host:port"``; the scheme is always https. ``options``
    (a :class:`~azsphere_async.options.ClientOptions`) sets the CA to trust, timeouts,
    retries and the answer-size cap; its fields may be given as keyword shortcuts instead
    (``ca=``, ``timeout=``, ``retry=``, ``max_response_bytes=``, ``insecure_skip_verify=``).
    ``transport`` replaces the network (for example ``httpx.ASGITransport`` for in-process
    tests). Given a ``session``, the client uses it and ignores the other arguments; a client
    made by a :class:`~azsphere_async.pool.SessionPool` shares the pool's session this way
    and does not close it.

    The calls are grouped as attributes: :attr:`app`, :attr:`capabilities`,
    :attr:`certificates`, :attr:`device`, :attr:`image`, :attr:`manufacturing`,
    :attr:`network`, :attr:`sideload` and :attr:`wifi`; :meth:`deploy` stages, installs and
    confirms an image package.
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        options: ClientOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        session: DeviceSession | None = None,
        **shortcuts: Unpack[OptionShortcuts],
    ) -> None:
        if session is None:
            built = ClientOptions.build(options, **shortcuts)
            session = DeviceSession(address, built, transport=transport)
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

    async def deploy(
        self,
        image: DeployablePackage,
        *,
        progress: ProgressCallback | None = None,
        **settings: Unpack[DeploySettings],
    ) -> Deployment:
        """Stage and install an image package, then confirm what the device now has.

        ``settings`` are :class:`~azsphere_async.deploy.DeploySettings`; see
        :func:`azsphere_async.deploy.deploy`.
        """
        return await deploying.deploy(self, image, progress=progress, **settings)

    async def __aenter__(self) -> DeviceClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection, unless the session belongs to a pool."""
        if self._owns_session:
            await self.session.aclose()
