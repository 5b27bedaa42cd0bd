"""A faithful mock of Azure Sphere devices, built from the device REST API's OpenAPI description.

The mock never imports the client library: it is built from ``spec/`` (the OpenAPI file and
the device error codes), so a mistake in the client cannot hide in the mock.

* :class:`DeviceState` holds one device (factory defaults in :class:`MockDeviceConfig`);
  :func:`create_app` makes its ASGI application (Starlette), usable in-process with
  ``httpx.ASGITransport``.
* :class:`MockDevice` serves one device over HTTPS on loopback; :class:`MockFleet` serves many,
  sharing a CA, optionally with a :class:`MockDeviceCommunicationService`.
* Each device has ``faults`` (:class:`FaultInjector`), ``link`` (:class:`LinkSettings`) and
  ``stats`` (:class:`DeviceStats`).
* :func:`serve_fleet` and ``python -m azsphere_async.mock`` serve a fleet until interrupted.
* :func:`spec.validate_response` checks any answer against the OpenAPI description.
"""

from __future__ import annotations

from . import spec
from .app import DeviceApp, create_app
from .cli import cli_main, serve_fleet
from .config import MockDeviceConfig, OsComponent, WifiScanEntry
from .dcs import DEFAULT_DCS_PORT, MockDeviceCommunicationService
from .errors import Code, DeviceError
from .faults import Fault, FaultInjector, FaultKind
from .images import build_image_package, image_package_chunks, image_package_size
from .link import LinkSettings
from .server import MockDevice, MockFleet
from .spec import validate_response
from .state import DeviceState
from .stats import DeviceStats
from .tls import MockCA

__all__ = [
    "DEFAULT_DCS_PORT",
    "Code",
    "DeviceApp",
    "DeviceError",
    "DeviceState",
    "DeviceStats",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "LinkSettings",
    "MockCA",
    "MockDevice",
    "MockDeviceCommunicationService",
    "MockDeviceConfig",
    "MockFleet",
    "OsComponent",
    "WifiScanEntry",
    "build_image_package",
    "cli_main",
    "create_app",
    "image_package_chunks",
    "image_package_size",
    "serve_fleet",
    "spec",
    "validate_response",
]
