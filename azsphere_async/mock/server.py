"""Serving mock devices over real sockets: :class:`MockDevice` and :class:`MockFleet`.

Each device is served by uvicorn's h11 protocol over HTTPS (HTTP/1.1, keep-alive) on its own
loopback address: 127.0.0.2, 127.0.0.3, ... with a port the OS chooses (or 127.0.0.1 where
those addresses cannot be bound).  Many devices share one process and event loop; no signal
handlers are installed, and :meth:`MockDevice.stop` shuts everything down.  TCP accepts are
counted as the listening socket accepts them, before any TLS handshake.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import ssl
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

import anyio

from ._serving import Listener, bind
from .app import DeviceApp, create_app
from .config import MockDeviceConfig
from .dcs import MockDeviceCommunicationService
from .faults import FaultInjector
from .link import LinkSettings
from .state import DeviceState
from .stats import DeviceStats
from .tls import MockCA

__all__ = ["MockDevice", "MockFleet", "loopback_host"]

logger = logging.getLogger(__name__)


def loopback_host(index: int) -> str:
    """The loopback address of the ``index``-th device of a fleet (127.0.0.2 for 0)."""
    number = index + 2
    return f"127.0.0.{number}" if number <= 254 else "127.0.0.1"


class MockDevice:
    """One mock device served over HTTPS on loopback; an async context manager.

    ``config`` sets the factory state; ``host``/``port`` choose the address (default: the
    ``index``-th fleet address, 127.0.0.2 for 0, with a port chosen by the OS); ``ca`` shares
    a CA with other devices; ``tls=False`` serves plain HTTP on the port instead (to test a
    client against plain HTTP where HTTPS is expected); ``state`` serves an existing state.
    """

    def __init__(
        self,
        config: MockDeviceConfig | None = None,
        *,
        host: str | None = None,
        port: int = 0,
        ca: MockCA | None = None,
        tls: bool = True,
        state: DeviceState | None = None,
        index: int = 0,
    ) -> None:
        self.state = state if state is not None else DeviceState(config)
        self.app: DeviceApp = create_app(self.state)
        self.ca = ca if ca is not None else MockCA()
        self.tls = tls
        self._requested_host = host
        self._requested_port = port
        self._index = index
        self._host = ""
        self._port = 0
        self._listener: Listener | None = None
        self._up = asyncio.Event()
        self._restarts: set[asyncio.Task[None]] = set()
        self.state.restart_handler = self._on_restart
        self.plugged = True
        """Whether the board is plugged in (see :meth:`unplug` and :meth:`plug`)."""
        self.connection_path = str(index + 1)
        """The USB connection path the Device Communication Service lists it at."""

    # ------------------------------------------------------------ properties

    @property
    def config(self) -> MockDeviceConfig:
        """The device's factory configuration."""
        return self.state.config

    @property
    def stats(self) -> DeviceStats:
        """Accounting: TCP connections accepted, requests (per path), bytes received."""
        return self.state.stats

    @property
    def faults(self) -> FaultInjector:
        """Fault injection for this device's requests."""
        return self.state.faults

    @property
    def link(self) -> LinkSettings:
        """Latency and bandwidth of this device's link."""
        return self.state.link

    @property
    def host(self) -> str:
        """The IP address the device listens on."""
        return self._host

    @property
    def port(self) -> int:
        """The TCP port the device listens on."""
        return self._port

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self._host}:{self._port}"

    @property
    def url(self) -> str:
        """``https://host:port`` (``http://`` when served without TLS)."""
        return f"{'https' if self.tls else 'http'}://{self.address}"

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate (PEM) the device certificate chains to."""
        return self.ca.cert_pem

    def write_ca(self, path: str | os.PathLike[str]) -> Path:
        """Write the CA certificate (PEM) to ``path``."""
        return self.ca.write(path)

    def ssl_context(self) -> ssl.SSLContext:
        """A new client ``SSLContext`` that trusts the device's CA."""
        return self.ca.client_ssl_context()

    @property
    def is_up(self) -> bool:
        """Whether the device is listening (false while it restarts or when stopped)."""
        return self._listener is not None and self._listener.listening

    @property
    def is_listed(self) -> bool:
        """Whether a Device Communication Service lists it: plugged in and not restarting."""
        return self.plugged and self.is_up

    def __repr__(self) -> str:
        return f"MockDevice(address={self.address!r}, up={self.is_up})"

    # ------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Bind and start serving."""
        if self._listener is not None:
            raise RuntimeError("device already started")
        host = self._requested_host or loopback_host(self._index)
        try:
            sock = bind(host, self._requested_port)
        except OSError as exc:
            if self._requested_host is not None or exc.errno != errno.EADDRNOTAVAIL:
                raise
            host = "127.0.0.1"
            sock = bind(host, self._requested_port)
        try:
            context = self.ca.server_ssl_context(host) if self.tls else None
            listener = Listener(
                self.app,
                ssl_context=context,
                stats=self.state.stats,
                keep_alive=self.state.config.keep_alive_timeout,
                link=self.state.link,
            )
            self._host, self._port = await listener.listen(host, self._requested_port, sock)
        except BaseException:
            sock.close()
            raise
        self._listener = listener
        self.app.connection_lookup = listener.lookup
        self._up.set()

    async def stop(self) -> None:
        """Stop serving: close the socket and every connection."""
        for task in list(self._restarts):
            task.cancel()
        if self._restarts:
            await asyncio.wait(self._restarts)
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()
        self.app.connection_lookup = None

    async def __aenter__(self) -> MockDevice:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------ restarting

    def _on_restart(self, downtime: float) -> None:
        if self._listener is None:
            self.state.reboot()
            return
        if not self._up.is_set():
            return  # already restarting
        self._up.clear()
        task = asyncio.get_running_loop().create_task(self._restart_cycle(downtime))
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    async def _restart_cycle(self, downtime: float) -> None:
        listener = self._listener
        assert listener is not None
        listener.stop_listening()
        self.state.reboot()
        await listener.drop_connections()
        await anyio.sleep(downtime)
        if not self.plugged:
            return  # pulled while restarting: it boots when plugged in again
        for attempt in range(50):
            try:
                await listener.listen(self._host, self._port)
                break
            except OSError:
                if attempt == 49:
                    logger.exception("mock device %s could not listen again", self.address)
                    raise
                await anyio.sleep(0.05)
        self.state.mark_booted()
        self._up.set()

    async def restart(self, downtime: float | None = None, *, wait: bool = True) -> None:
        """Restart as ``POST /restart`` does; with ``wait``, return once it listens again."""
        self.state.request_restart(downtime)
        if wait and self._listener is not None:
            await self.wait_until_up()

    async def wait_until_up(self) -> None:
        """Wait until the device listens (returns at once if it does)."""
        await self._up.wait()

    # ------------------------------------------------------------ hot-plug

    async def unplug(self) -> None:
        """Pull the cable: off the link at once, every connection cut, unlisted by the DCS."""
        self.plugged = False
        listener = self._listener
        if listener is None:
            return
        self._up.clear()
        listener.stop_listening()
        listener.abort_connections()

    async def plug(self, connection_path: str | None = None) -> None:
        """Plug the board in (at ``connection_path``, else where it was): it powers on.

        Staged images are gone and uptime counts from now, as after any power cycle.
        """
        if connection_path is not None:
            self.connection_path = connection_path
        if self.plugged and self.is_up:
            return
        self.plugged = True
        listener = self._listener
        if listener is None or self._restarts:
            return  # not started yet, or a restart in progress brings it up
        self.state.images.reboot()  # a power cycle, not a requested restart: not counted
        await listener.listen(self._host, self._port)
        self.state.mark_booted()
        self._up.set()


class MockFleet:
    """Many mock devices in one process, sharing one CA; an async context manager.

    ``configs`` gives each device its own configuration (else all use ``config``).
    ``dcs_port`` also starts a mock Device Communication Service on ``dcs_host`` (127.0.0.1;
    port ``0``: one the OS chooses; ``None``: no service).  ``plugged=False`` starts every
    board unplugged: :meth:`plug` and :meth:`unplug` move boards in and out at run time.
    """

    def __init__(
        self,
        n: int,
        config: MockDeviceConfig | None = None,
        *,
        configs: Sequence[MockDeviceConfig] | None = None,
        tls: bool = True,
        ca: MockCA | None = None,
        dcs_port: int | None = None,
        dcs_host: str = "127.0.0.1",
        plugged: bool = True,
    ) -> None:
        if configs is not None and len(configs) != n:
            raise ValueError("configs must have one configuration per device")
        self.ca = ca if ca is not None else MockCA()
        self.devices: list[MockDevice] = [
            MockDevice(configs[i] if configs is not None else config, ca=self.ca, tls=tls, index=i)
            for i in range(n)
        ]
        self._dcs_port = dcs_port
        self._dcs_host = dcs_host
        self._plugged = plugged
        self.dcs: MockDeviceCommunicationService | None = None
        """The mock Device Communication Service, when ``dcs_port`` was given."""

    @property
    def addresses(self) -> list[str]:
        """``host:port`` of every device, in order."""
        return [device.address for device in self.devices]

    @property
    def ca_pem(self) -> bytes:
        """The shared CA certificate (PEM)."""
        return self.ca.cert_pem

    def write_ca(self, path: str | os.PathLike[str]) -> Path:
        """Write the shared CA certificate (PEM) to ``path``."""
        return self.ca.write(path)

    def ssl_context(self) -> ssl.SSLContext:
        """A new client ``SSLContext`` that trusts the fleet's CA."""
        return self.ca.client_ssl_context()

    @property
    def stats(self) -> dict[str, DeviceStats]:
        """Accounting of every device, by address."""
        return {device.address: device.stats for device in self.devices}

    def __len__(self) -> int:
        return len(self.devices)

    def __iter__(self) -> Iterator[MockDevice]:
        return iter(self.devices)

    def __getitem__(self, index: int) -> MockDevice:
        return self.devices[index]

    async def start(self) -> None:
        """Start every device (concurrently), then the DCS if asked for."""
        try:
            async with anyio.create_task_group() as group:
                for device in self.devices:
                    group.start_soon(device.start)
            if not self._plugged:
                for device in self.devices:
                    await device.unplug()
            if self._dcs_port is not None:
                self.dcs = MockDeviceCommunicationService(
                    self._device_list, host=self._dcs_host, port=self._dcs_port
                )
                await self.dcs.start()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.stop()
            raise

    def _device_list(self) -> Sequence[MockDevice]:
        return [device for device in self.devices if device.is_listed]

    async def plug(self, index: int, connection_path: str | None = None) -> None:
        """Plug board ``index`` in (at ``connection_path``, else its own slot)."""
        await self.devices[index].plug(connection_path)

    async def unplug(self, index: int) -> None:
        """Pull board ``index`` out."""
        await self.devices[index].unplug()

    async def stop(self) -> None:
        """Stop the DCS and every device."""
        if self.dcs is not None:
            await self.dcs.stop()
            self.dcs = None
        async with anyio.create_task_group() as group:
            for device in self.devices:
                group.start_soon(device.stop)

    async def __aenter__(self) -> MockFleet:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
