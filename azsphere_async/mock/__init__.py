"""A faithful mock of Azure Sphere devices, built from the device REST API's OpenAPI description.

The mock never imports the client library: it is built from ``spec/`` (the OpenAPI file and
the device error codes), so a mistake in the client cannot hide in the mock.

* :class:`DeviceState` holds one device (factory defaults in :class:`MockDeviceConfig`), in
  parts (:mod:`.state`): the device and its clock, ``images`` (applications and images),
  ``certificates``, ``wifi`` and ``network``.  A request the device refuses raises
  :class:`DeviceRefusal`.
* :func:`create_app` makes its ASGI application (:mod:`.app`, usable in-process with
  ``httpx.ASGITransport``) around the routes of :mod:`.routes`; :mod:`.fault_actions` plays
  injected faults.
* :class:`MockDevice` serves one device over HTTPS on loopback; :class:`MockFleet` serves many,
  sharing a CA, optionally with a :class:`MockDeviceCommunicationService`.
* Each device has ``faults`` (:class:`FaultInjector`), ``link`` (:class:`LinkSettings`) and
  ``stats`` (:class:`DeviceStats`).
* :func:`serve_fleet` (:mod:`.fleet_serving`) and ``python -m azsphere_async.mock``
  (:mod:`.cli`, the same command line as ``azsphere-async mock``) serve a fleet until
  interrupted; :func:`parse_size` and
  :func:`parse_rate` read sizes and rates for both.
* :func:`spec.validate_response` checks any answer against the OpenAPI description.

What real boards were seen to answer, and where (Microsoft's tests written against real
boards, its manufacturing scripts, the overview), is the table in ``FACTS.md`` beside this
file; each row has a test.  Further choices, where the references leave room (all follow the
OpenAPI file and ``FACTS.md`` where they speak):

* ``GET /app/status/{id}`` answers ``{"state": ...}`` (the overview's form; see
  ``spec.ERRATA``).  ``PATCH`` answers ``{"state": ...}``, plus ``realTimeCore`` for real-time
  apps and the debug ports when debugging.
* Guarded calls refused on a locked board answer 403 with 7340069 (``/update/*``), 1048596
  (``/app/*``, ``/stats/*``) or 13 (everything else).
* Unknown paths, wrong methods, and calls newer than the device's REST API version answer 404
  with 15728642; malformed IDs in a path answer 400 with 15728642.
* Malformed or incomplete JSON bodies answer 400 with 22 (EINVAL); 415 answers carry 22 too;
  a backwards manufacturing-state move answers 400 with 1 (EPERM).
* ``POST /restart`` closes the device's connections and its listening socket for
  ``restart_downtime`` seconds once the answer is out.
* ``POST /update/install`` answers ``{"restartingSystem": true}`` (and restarts) when a staged
  image is not an application.
* ``PATCH /net/interfaces/{name}``: ``hardwareAddress`` only on eth0, ``interfaceUp`` on wlan0
  and eth0 (azspheresvc and lo refuse both with 31457295).
* An existing certificate identifier is replaced by ``POST /certstore/certs/{id}``.
* Wi-Fi: a configured network joins an access point of ``MockDeviceConfig.scan_results`` with the
  same SSID and security (and key, when the entry has one); failures are logged per network
  with the device clock, which starts at 2000-01-01 (never synchronized).
* Signatures of image packages are not checked.
* ``GET /log`` answers a real board's format (a ring of 4 KiB banks of binary records,
  :mod:`.devicelog`) holding the mock's own events: each boot (interfaces, addresses, the
  joined network, the apps that came up), Wi-Fi changes and failed joins, staging, installs,
  app starts and stops, certificates, the proxy, manufacturing-state moves and every refused
  request with its error code.  Their texts are the mock's own manifest, release 24.03 in
  ``devicelog.MANIFEST_DIR`` (real boards' manifests are Microsoft's and not shipped).
* A capped link acts at the socket, as a serial line would (see :mod:`.link`).
"""

from __future__ import annotations

from . import spec
from .app import DeviceApp, create_app
from .cli import cli_main
from .config import FirewallEntry, MockDeviceConfig, OsComponent, WifiScanEntry
from .dcs import DEFAULT_DCS_PORT, MockDeviceCommunicationService
from .errors import Code, DeviceRefusal
from .faults import Fault, FaultInjector, FaultKind
from .fleet_serving import serve_fleet
from .images import build_image_package, image_package_chunks, image_package_size
from .link import LinkSettings
from .server import MockDevice, MockFleet
from .spec import validate_response
from .state import DeviceState
from .stats import DeviceStats
from .tls import MockCA
from .units import parse_rate, parse_size

__all__ = [
    "DEFAULT_DCS_PORT",
    "Code",
    "DeviceApp",
    "DeviceRefusal",
    "DeviceState",
    "DeviceStats",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "FirewallEntry",
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
    "parse_rate",
    "parse_size",
    "serve_fleet",
    "spec",
    "validate_response",
]
