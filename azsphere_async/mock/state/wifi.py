"""Wi-Fi: configured networks, which one the device joins, scans and failure logs.

:class:`WifiState` decides which configured network is joined against the access points of
``MockDeviceConfig.scan_results`` (same SSID and security, the right key, a client
certificate for EAP-TLS), and logs each failed attempt with the device clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from ..certs import StoredCertificate, check_identifier
from ..config import MockDeviceConfig, WifiScanEntry
from ..errors import Code, DeviceRefusal
from ._common import ApiLevel, invalid, optional_bool, require_object
from .clock import DeviceClock
from .records import DiagnosticLog

if TYPE_CHECKING:
    from .network import NetInterface

__all__ = ["ConfiguredNetwork", "WifiState"]

_KEY_MGMT: Final = {"open": "NONE", "psk": "WPA2-PSK", "eaptls": "WPA-EAP"}


@dataclass
class ConfiguredNetwork:
    """A configured Wi-Fi network.  The PSK is kept but never shown."""

    id: int
    ssid: str
    security_state: str
    config_state: str = "enabled"
    config_name: str | None = None
    targeted_scan: bool = False
    psk: str | None = field(default=None, repr=False)
    client_identity: str | None = None
    client_cert_id: str | None = None
    root_ca_cert_id: str | None = None
    connection_state: str = "unknown"

    def to_json(self) -> dict[str, Any]:
        """The ``WifiNetworkConfigResponse`` form."""
        body: dict[str, Any] = {
            "ssid": self.ssid,
            "configState": self.config_state,
            "connectionState": self.connection_state,
            "id": self.id,
            "securityState": self.security_state,
            "targetedScan": self.targeted_scan,
        }
        if self.config_name is not None:
            body["configName"] = self.config_name
        if self.client_identity is not None:
            body["clientIdentity"] = self.client_identity
        if self.client_cert_id is not None:
            body["clientCertStoreIdentifier"] = self.client_cert_id
        if self.root_ca_cert_id is not None:
            body["rootCaCertStoreIdentifier"] = self.root_ca_cert_id
        return body


def _by_id(network: ConfiguredNetwork) -> int:
    return network.id


def _network_id(network_id: str) -> int:
    if not re.fullmatch(r"\d{1,9}", network_id):
        raise DeviceRefusal(400, Code.INVALID_URI)
    return int(network_id)


def _check_psk(psk: Any) -> str:
    if not isinstance(psk, str):
        raise invalid()
    if len(psk) < 8:
        raise DeviceRefusal(400, Code.WIFI_PSK_TOO_SHORT)
    if len(psk) > 63:
        raise DeviceRefusal(400, Code.WIFI_KEY_TOO_LONG)
    return psk


class WifiState:
    """Configured networks, the joined one, scan results and connection failures.

    ``wlan`` is the ``wlan0`` interface (its ``up`` flag is the radio); ``certificates`` is
    the store EAP-TLS networks take their client certificate from.
    """

    def __init__(
        self,
        config: MockDeviceConfig,
        api: ApiLevel,
        clock: DeviceClock,
        log: DiagnosticLog,
        certificates: Mapping[str, StoredCertificate],
        wlan: NetInterface,
    ) -> None:
        self.config = config
        self.api = api
        self.clock = clock
        self.log = log
        self.certificates = certificates
        self.wlan = wlan
        self.networks: dict[int, ConfiguredNetwork] = {}
        """Configured networks by ID."""
        self.failures: dict[int, dict[str, Any]] = {}
        """The latest connection failure of each network, as the device reports it."""
        self.scan_results: list[WifiScanEntry] = list(config.scan_results)
        """Access points in range (tests may change them)."""
        self.connected_network: int | None = None
        self.power_savings = False

    # -- configured networks ------------------------------------------------------------

    def _require_radio(self) -> None:
        """With ``wlan0`` down, Wi-Fi calls fail: 500 with 13631506."""
        if not self.wlan.up:
            raise DeviceRefusal(500, Code.WIFI_INTERFACE_DISABLED)

    def _network(self, network_id: str) -> ConfiguredNetwork:
        network = self.networks.get(_network_id(network_id))
        if network is None:
            raise DeviceRefusal(404, Code.WIFI_NETWORK_NOT_FOUND)
        return network

    def list_networks(self) -> dict[str, Any]:
        """``GET /wifi/config/networks``."""
        self._require_radio()
        return {"values": [n.to_json() for n in sorted(self.networks.values(), key=_by_id)]}

    def get_network(self, network_id: str) -> dict[str, Any]:
        """``GET /wifi/config/networks/{id}``."""
        self._require_radio()
        return self._network(network_id).to_json()

    def add_network(self, body: Any) -> dict[str, Any]:
        """``POST /wifi/config/networks``: answers the new network (201)."""
        self._require_radio()
        body = require_object(body)
        ssid = body.get("ssid")
        if not isinstance(ssid, str) or not ssid:
            raise invalid()
        if len(ssid.encode()) > 32:
            raise DeviceRefusal(400, Code.WIFI_SSID_TOO_LONG)
        security = body.get("securityState")
        if security not in ("open", "psk", "eaptls"):
            raise invalid()
        name = body.get("configName")
        if name is not None:
            if not isinstance(name, str) or not name:
                raise invalid()
            if len(name) > 16:
                raise DeviceRefusal(400, Code.CONFIG_NAME_TOO_LONG)
            # Networks of different SSIDs may share a name; the same pair twice is refused.
            if any(n.config_name == name and n.ssid == ssid for n in self.networks.values()):
                raise DeviceRefusal(400, Code.WIFI_DUPLICATE_CONFIG_NAME)
        config_state = body.get("configState", "enabled")
        if config_state not in ("enabled", "disabled"):
            raise invalid()
        targeted = optional_bool(body, "targetedScan") or False
        network = ConfiguredNetwork(-1, ssid, security, config_state, name, targeted)
        if security == "psk":
            network.psk = _check_psk(body.get("psk"))
        elif "psk" in body:
            raise invalid()
        if security == "eaptls":
            client_cert = body.get("clientCertStoreIdentifier")
            if not isinstance(client_cert, str):
                raise DeviceRefusal(400, Code.WIFI_INVALID_PROPERTIES)
            check_identifier(client_cert)
            identity = body.get("clientIdentity")
            if identity == "":
                raise DeviceRefusal(400, Code.WIFI_CLIENT_ID_MISSING)
            if identity is not None and (not isinstance(identity, str) or len(identity) > 254):
                raise invalid()
            root = body.get("rootCaCertStoreIdentifier")
            if root is not None:
                if not isinstance(root, str):
                    raise invalid()
                check_identifier(root)
            network.client_cert_id, network.client_identity = client_cert, identity
            network.root_ca_cert_id = root
        if len(self.networks) >= self.config.max_wifi_networks:
            raise DeviceRefusal(400, Code.WIFI_NO_RESOURCES)
        network.id = max(self.networks, default=-1) + 1
        self.networks[network.id] = network
        self.log.record("wifi", "NetworkAdded", network.id, network.security_state)
        answer = network.to_json()
        # A device answers before it tries to connect.
        answer["connectionState"] = "unknown"
        self.evaluate()
        return answer

    def change_network(self, network_id: str, body: Any) -> dict[str, Any]:
        """``PATCH /wifi/config/networks/{id}``: configState and/or psk.

        The key is checked before the network is looked up: a short one is refused even for
        a network that does not exist.
        """
        self._require_radio()
        body = require_object(body)
        psk = _check_psk(body["psk"]) if "psk" in body else None
        network = self._network(network_id)
        if "configState" not in body and psk is None:
            raise invalid()
        config_state = body.get("configState")
        if config_state is not None and config_state not in ("enabled", "disabled"):
            raise invalid()
        if psk is not None:
            if network.security_state != "psk":
                raise invalid()
            network.psk = psk
            if network.config_state == "temp-disabled":
                network.config_state = "enabled"
        if config_state is not None:
            network.config_state = config_state
        self.log.record("wifi", "NetworkChanged", network.id)
        self.evaluate()
        return network.to_json()

    def remove_network(self, network_id: str) -> dict[str, Any]:
        """``DELETE /wifi/config/networks/{id}``."""
        self._require_radio()
        network = self._network(network_id)
        del self.networks[network.id]
        self.failures.pop(network.id, None)
        self.log.record("wifi", "NetworkRemoved", network.id)
        self.evaluate()
        return {}

    # -- diagnostics and scans ----------------------------------------------------------

    def get_failures(self) -> dict[str, Any]:
        """``GET /wifi/diagnostics/networks``: the latest failure of each network."""
        self._require_radio()
        return {"values": [self.failures[k] for k in sorted(self.failures)]}

    def get_failure(self, network_id: str) -> dict[str, Any]:
        """``GET /wifi/diagnostics/networks/{id}``."""
        self._require_radio()
        failure = self.failures.get(_network_id(network_id))
        if failure is None:
            raise DeviceRefusal(404, Code.WIFI_NETWORK_NOT_FOUND)
        return failure

    def get_scan(self) -> dict[str, Any]:
        """``GET /wifi/scan``."""
        self._require_radio()
        return {
            "values": [
                {
                    "bssid": entry.bssid,
                    "freq": entry.freq,
                    "signal_level": entry.signal_level,
                    "ssid": entry.ssid,
                    "securityState": entry.security_state,
                }
                for entry in self.scan_results
            ]
        }

    def _scan_entry(self, ssid: str) -> WifiScanEntry | None:
        matches = [entry for entry in self.scan_results if entry.ssid == ssid]
        return max(matches, key=lambda entry: entry.signal_level, default=None)

    # -- the interface ------------------------------------------------------------------

    def get_interface(self) -> dict[str, Any]:
        """``GET /wifi/interface``."""
        body: dict[str, Any]
        network = self.connected()
        entry = self._scan_entry(network.ssid) if network is not None else None
        if network is not None and entry is not None:
            body = {
                "ssid": network.ssid,
                "configState": network.config_state,
                "connectionState": "connected",
                "securityState": network.security_state,
                "mode": "station",
                "key_mgmt": _KEY_MGMT[network.security_state],
                "wpa_state": "COMPLETED",
                "address": self.wlan.hardware_address,
                "freq": entry.freq,
                "ip_address": self.config.wlan_ip,
                "id": network.id,
            }
            if network.config_name is not None:
                body["configName"] = network.config_name
        else:
            enabled = any(n.config_state == "enabled" for n in self.networks.values())
            if not self.wlan.up:
                wpa_state = "INTERFACE_DISABLED"
            else:
                wpa_state = "SCANNING" if enabled else "INACTIVE"
            body = {
                "configState": "unknown",
                "connectionState": "disconnected",
                "securityState": "unknown",
                "mode": "station",
                "key_mgmt": "NONE",
                "wpa_state": wpa_state,
                "address": self.wlan.hardware_address,
            }
        if self.api.feature("power_savings"):
            body["powerSavingsState"] = "enabled" if self.power_savings else "disabled"
        return body

    def change_interface(self, body: Any) -> dict[str, Any]:
        """``PATCH /wifi/interface``: reloadConfig, enablePowerSavings (4.6.0)."""
        self._require_radio()
        body = require_object(body)
        reload = optional_bool(body, "reloadConfig")
        power = optional_bool(body, "enablePowerSavings")
        if power is not None and not self.api.feature("power_savings"):
            raise invalid()
        if reload is None and power is None:
            raise invalid()
        if power is not None:
            self.power_savings = power
        if reload:
            for network in self.networks.values():
                if network.config_state == "temp-disabled":
                    network.config_state = "enabled"
            self.evaluate()
        return {}

    # -- joining ------------------------------------------------------------------------

    def evaluate(self, *, logged: bool = True) -> None:
        """Decide which configured network the device joins, keeping failed attempts.

        The diagnostic log gets what changed (unless ``logged`` is false): a new connection, a
        lost one, and each failure that differs from the network's previous one.
        """
        before = self.connected_network
        self.connected_network = None
        for network in sorted(self.networks.values(), key=_by_id):
            network.connection_state = "disconnected"
            if not self.wlan.up or network.config_state != "enabled":
                continue
            if self.connected_network is not None:
                continue
            entry = self._scan_entry(network.ssid)
            error = None
            if entry is None:
                error = "NetworkNotFound"
            elif entry.security_state != network.security_state:
                error = "SecurityTypeMismatch"
            elif network.security_state == "psk" and entry.psk not in (None, network.psk):
                error = "WrongKey"
            elif network.security_state == "eaptls" and (
                self.certificates.get(network.client_cert_id or "") is None
            ):
                error = "AuthenticationFailed"
            if error is None:
                network.connection_state = "connected"
                self.connected_network = network.id
                continue
            if error == "WrongKey":
                network.config_state = "temp-disabled"
            previous = self.failures.get(network.id)
            if logged and (previous is None or previous["error"] != error):
                self.log.record("wifi", "ConnectFailed", network.id, error)
            self.failures[network.id] = {
                "timestamp": self.clock.device_time(),
                "networkId": network.id,
                "ssid": network.ssid,
                "configState": network.config_state,
                "connectionState": "disconnected",
                "error": error,
            }
        if logged and self.connected_network != before:
            if before is not None and before in self.networks:
                self.log.record("wifi", "Disconnected", before)
            joined = self.connected()
            if joined is not None:
                self.log.record("wifi", "Connected", joined.id, joined.ssid)
                self.log.record("network", "AddressAssigned", "wlan0", self.config.wlan_ip)

    def reboot(self) -> None:
        """What a restart does here: failure logs are gone, the device joins again.

        The boot's own records say which network it joined.
        """
        self.failures.clear()
        self.evaluate(logged=False)

    def connected(self) -> ConfiguredNetwork | None:
        """The network the device has joined, if any."""
        if self.connected_network is None:
            return None
        return self.networks.get(self.connected_network)

    @property
    def internet(self) -> bool:
        """Whether the joined Wi-Fi network reaches the internet."""
        network = self.connected()
        entry = self._scan_entry(network.ssid) if network is not None else None
        return entry is not None and entry.internet
