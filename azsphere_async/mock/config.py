"""Configuration of a mock device: every factory default can be changed here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "APP_DEVELOPMENT_CAPABILITY",
    "DEBUG_SERVER",
    "DEFAULT_FIREWALL_RULES",
    "DEFAULT_OS_COMPONENTS",
    "DEFAULT_SCAN_RESULTS",
    "FIELD_SERVICING_CAPABILITY",
    "RF_TEST_CAPABILITY",
    "FirewallEntry",
    "MockDeviceConfig",
    "OsComponent",
    "WifiScanEntry",
]

APP_DEVELOPMENT_CAPABILITY = 11
"""Capability number of ``appDevelopment`` (a development board reports ``[11]``)."""
RF_TEST_CAPABILITY = 12
"""Capability number of ``enableRFTestMode``, which every board in the Blank state carries."""
FIELD_SERVICING_CAPABILITY = 13
"""Capability number of ``fieldServicing``: opens a DeviceComplete board's REST API again."""

_OS_NAMESPACE = uuid.UUID("5b0f7d1e-3c1a-4c8e-9d57-6a1e2f3b4c5d")


def _uid(name: str, kind: str) -> str:
    return str(uuid.uuid5(_OS_NAMESPACE, f"{kind}:{name}"))


@dataclass(frozen=True)
class OsComponent:
    """A system component that comes installed with the OS."""

    name: str
    image_type: int
    length: int
    component_id: str = ""
    image_id: str = ""
    requires_restart: bool = True

    def __post_init__(self) -> None:
        if not self.component_id:
            object.__setattr__(self, "component_id", _uid(self.name, "component"))
        if not self.image_id:
            object.__setattr__(self, "image_id", _uid(self.name, "image"))


DEBUG_SERVER: Final = OsComponent("gdbserver", 10, 360_448, requires_restart=False)
"""The debug server ``enable-development`` loads: listed as an application (image type 10)."""

DEFAULT_OS_COMPONENTS: tuple[OsComponent, ...] = (
    OsComponent("Pluton Runtime", 2, 181_744),
    OsComponent("Wi-Fi Firmware", 3, 373_760),
    OsComponent("Security Monitor", 4, 69_632),
    OsComponent("NW Loader", 5, 16_384),
    OsComponent("NW DTB", 6, 8_192),
    OsComponent("NW Kernel", 7, 2_544_816),
    OsComponent("NW Root FS", 8, 4_243_456),
    OsComponent("Azure Sphere Services", 9, 1_261_568),
)
"""System components of a board fresh from the factory (``GET /images`` lists them)."""


@dataclass(frozen=True)
class WifiScanEntry:
    """One access point the mock device can see, and how joining it would go.

    ``psk`` is the access point's key: a configured network with another key fails with
    ``WrongKey``.  ``internet`` says whether the network reaches the internet.
    """

    ssid: str
    bssid: str
    freq: int
    signal_level: int
    security_state: str
    psk: str | None = field(default=None, repr=False)
    internet: bool = True


DEFAULT_SCAN_RESULTS: tuple[WifiScanEntry, ...] = (
    WifiScanEntry("ExampleNetworkName", "11:11:11:11:11:12", 5220, -40, "psk", psk="ExamplePsk123"),
    WifiScanEntry("I-WPA", "11:11:11:11:11:11", 5220, -61, "eaptls"),
    WifiScanEntry("CoffeeShop", "11:11:11:11:11:21", 2437, -70, "open", internet=False),
)
"""Access points in range of a default mock device."""


@dataclass(frozen=True)
class FirewallEntry:
    """A firewall rule as ``GET /net/firewall/rulesets`` reports it (counters are live)."""

    hook: str
    source_ip: str = "0.0.0.0"
    source_mask: str = "0.0.0.0"
    destination_ip: str = "0.0.0.0"
    destination_mask: str = "0.0.0.0"
    uid: int = 4_294_967_295
    action: str = "accept"
    interface_in: str = ""
    interface_out: str = ""
    state: str = "none"
    protocol: str = "any"
    counts_service_traffic: bool = False


DEFAULT_FIREWALL_RULES: tuple[FirewallEntry, ...] = (
    FirewallEntry("INPUT", destination_ip="127.0.0.1", destination_mask="255.255.255.255"),
    FirewallEntry("INPUT", interface_in="azspheresvc", protocol="tcp", counts_service_traffic=True),
    FirewallEntry("OUTPUT", state="established"),
)


def _random_device_id() -> str:
    return (uuid.uuid4().hex + uuid.uuid4().hex + uuid.uuid4().hex + uuid.uuid4().hex).upper()


@dataclass(frozen=True)
class MockDeviceConfig:
    """Factory settings of a mock device.  Every field has a development-board default.

    ``device_id=None`` draws a random 128-hex-digit ID for each device.  Sizes are bytes,
    times are seconds.
    """

    rest_api_version: str = "4.6.0"
    device_id: str | None = None
    security_state: str = "SECURE"
    os_version: str = "24.03"
    development_mode: bool = True
    extra_capabilities: tuple[int, ...] = ()
    """Capabilities besides the implied ones (11 in development mode, 12 while Blank)."""
    debug_server: bool = False
    """Whether gdbserver is installed (``enable-development`` loads it; ``startDebug`` needs
    it): :data:`DEBUG_SERVER` is then listed among the images."""
    manufacturing_state: str = "Blank"
    abi_versions: tuple[tuple[str, int], ...] = (
        ("SecureWorldRuntime", 3),
        ("OSRuntime", 3),
        ("ApplicationRuntime", 17),
    )
    initial_uptime: int = 0
    os_components: tuple[OsComponent, ...] = DEFAULT_OS_COMPONENTS
    storage_capacity: int = 1024 * 1024
    """Flash space for application images (installed plus staged)."""
    cert_store_capacity: int = 24_514
    """Bytes an empty certificate store reports free."""
    max_wifi_networks: int = 37
    scan_results: tuple[WifiScanEntry, ...] = DEFAULT_SCAN_RESULTS
    wlan_mac: str = "1c:f1:f1:11:91:a1"
    eth_mac: str = "02:00:5e:10:00:01"
    wlan_ip: str = "192.168.1.50"
    service_ip: str = "192.168.35.2"
    firewall_rules: tuple[FirewallEntry, ...] = DEFAULT_FIREWALL_RULES
    restart_downtime: float = 2.5
    """How long ``POST /restart`` keeps the device off the link."""
    keep_alive_timeout: float = 15.0
    """Idle time after which the device closes a kept-alive connection."""
    max_json_body: int = 64 * 1024
    """Largest JSON request body accepted (larger ones get 15728644)."""
    error_500_code: int = 5
    """Code sent by injected 500 answers (5 is errno EIO)."""
    log_capacity: int = 64 * 1024
    """Size of the diagnostic log ring (``GET /log``)."""

    def make_device_id(self) -> str:
        """The configured device ID, or a fresh random one."""
        return self.device_id if self.device_id is not None else _random_device_id()
