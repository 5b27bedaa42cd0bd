"""Networking: interfaces, the proxy, the network status and the firewall rule sets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from ..config import MockDeviceConfig
from ..errors import Code, DeviceRefusal
from ..stats import DeviceStats
from ._common import ApiLevel, invalid, optional_bool, require_object
from .records import DiagnosticLog
from .wifi import WifiState

__all__ = ["NetInterface", "NetworkState", "factory_interfaces"]

_MAC: Final = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")
_HOOKS: Final = ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")


@dataclass
class NetInterface:
    """A network interface of the device."""

    name: str
    up: bool
    ip_assignment: str | None = None
    hardware_address: str | None = None
    fixed_addresses: list[str] = field(default_factory=list)
    can_change_state: bool = True
    can_change_address: bool = False


def factory_interfaces(config: MockDeviceConfig) -> dict[str, NetInterface]:
    """The interfaces of a board fresh from the factory, by name."""
    return {
        "azspheresvc": NetInterface(
            "azspheresvc", True, fixed_addresses=[config.service_ip], can_change_state=False
        ),
        "lo": NetInterface("lo", True, fixed_addresses=["127.0.0.1"], can_change_state=False),
        "wlan0": NetInterface("wlan0", True, "dynamic", config.wlan_mac),
        "eth0": NetInterface("eth0", False, "dynamic", config.eth_mac, can_change_address=True),
    }


class NetworkState:
    """The ``/net`` calls: interfaces (``wlan0`` is shared with Wi-Fi), proxy and firewall.

    The firewall's service-port counters follow the device's real traffic (``stats``).
    """

    def __init__(
        self,
        config: MockDeviceConfig,
        api: ApiLevel,
        log: DiagnosticLog,
        interfaces: dict[str, NetInterface],
        wifi: WifiState,
        stats: DeviceStats,
    ) -> None:
        self.config = config
        self.api = api
        self.log = log
        self.interfaces = interfaces
        self.wifi = wifi
        self.stats = stats
        self.proxy: dict[str, Any] | None = None
        """The proxy configuration as set (password included), or ``None``."""

    # -- interfaces ---------------------------------------------------------------------

    def _interface(self, name: str) -> NetInterface:
        interface = self.interfaces.get(name)
        if interface is None:
            raise DeviceRefusal(404, Code.INVALID_URI)
        return interface

    def _interface_json(self, interface: NetInterface) -> dict[str, Any]:
        connected = interface.name == "wlan0" and self.wifi.connected_network is not None
        addresses = list(interface.fixed_addresses)
        if connected:
            addresses.append(self.config.wlan_ip)
        body: dict[str, Any] = {
            "interfaceName": interface.name,
            "interfaceUp": interface.up,
            "connectedToNetwork": connected,
            "ipAcquired": connected,
            "connectedToInternet": connected and self.wifi.internet,
        }
        # An interface without an address has no ipAddresses at all (not an empty list).
        if interface.hardware_address is not None and self.api.feature("hardware_address"):
            body["hardwareAddress"] = interface.hardware_address
        if interface.ip_assignment is not None:
            body["ipAssignment"] = interface.ip_assignment
        if addresses:
            body["ipAddresses"] = addresses
        return body

    def list_interfaces(self) -> dict[str, Any]:
        """``GET /net/interfaces``."""
        return {"interfaces": [self._interface_json(i) for i in self.interfaces.values()]}

    def get_interface(self, name: str) -> dict[str, Any]:
        """``GET /net/interfaces/{name}``."""
        return self._interface_json(self._interface(name))

    def change_interface(self, name: str, body: Any) -> dict[str, Any]:
        """``PATCH /net/interfaces/{name}``: interfaceUp, hardwareAddress (eth0 only)."""
        interface = self._interface(name)
        body = require_object(body)
        up = optional_bool(body, "interfaceUp")
        address = body.get("hardwareAddress")
        if up is None and address is None:
            raise invalid()
        if address is not None:
            if not interface.can_change_address:
                raise DeviceRefusal(400, Code.INTERFACE_NOT_PERMITTED)
            if not isinstance(address, str) or not _MAC.fullmatch(address):
                raise DeviceRefusal(400, Code.INVALID_HARDWARE_ADDRESS)
            if int(address[:2], 16) & 1 or address.replace(":", "").strip("0") == "":
                raise DeviceRefusal(400, Code.INVALID_HARDWARE_ADDRESS)
        if up is not None and not interface.can_change_state:
            raise DeviceRefusal(400, Code.INTERFACE_NOT_PERMITTED)
        if address is not None:
            interface.hardware_address = address.lower()
        if up is not None and up != interface.up:
            interface.up = up
            self.log.record("network", "InterfaceUp" if up else "InterfaceDown", name)
            self.wifi.evaluate()
        return {}

    # -- proxy --------------------------------------------------------------------------

    def get_proxy(self) -> dict[str, Any]:
        """``GET /net/proxy``: ``{}`` when no proxy is configured."""
        if self.proxy is None:
            return {}
        return {k: v for k, v in self.proxy.items() if k != "password"}

    def set_proxy(self, body: Any) -> dict[str, Any]:
        """``POST /net/proxy``: anonymous or basic; answers the configuration it was given,
        the password included (``GET`` never shows it)."""
        body = require_object(body)
        enabled = optional_bool(body, "enabled")
        address = body.get("address")
        port = body.get("port")
        auth = body.get("authenticationType")
        no_proxy = body.get("noProxyAddresses", [])
        if not isinstance(address, str) or not 0 < len(address) <= 255:
            raise invalid()
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port <= 65535:
            raise invalid()
        if auth not in ("anonymous", "basic"):
            raise invalid()
        if not isinstance(no_proxy, list) or not all(
            isinstance(a, str) and 0 < len(a) <= 255 for a in no_proxy
        ):
            raise invalid()
        proxy: dict[str, Any] = {
            "address": address,
            "enabled": True if enabled is None else enabled,
            "port": port,
            "authenticationType": auth,
        }
        username, password = body.get("username"), body.get("password")
        if auth == "basic":
            for value in (username, password):
                if not isinstance(value, str) or not 0 < len(value) <= 63:
                    raise invalid()
            proxy["username"], proxy["password"] = username, password
        elif username is not None or password is not None:
            raise invalid()
        proxy["noProxyAddresses"] = list(no_proxy)
        self.proxy = proxy
        self.log.record("network", "ProxyConfigured", address, port, auth)
        return dict(proxy)

    def delete_proxy(self) -> dict[str, Any]:
        """``DELETE /net/proxy``."""
        if self.proxy is not None:
            self.log.record("network", "ProxyRemoved")
        self.proxy = None
        return {}

    # -- status and firewall ------------------------------------------------------------

    def get_status(self) -> dict[str, Any]:
        """``GET /net/status``."""
        internet = self.wifi.internet
        if self.proxy is None or not self.proxy["enabled"]:
            proxy = "disabled"
        else:
            proxy = "ready" if internet else "enabled"
        return {
            "deviceAuthenticationIsReady": internet,
            "networkTimeSync": "complete" if internet else "incomplete",
            "proxy": proxy,
        }

    def get_firewall_rulesets(self) -> dict[str, Any]:
        """``GET /net/firewall/rulesets`` (service-port counters follow real traffic)."""
        rulesets = []
        for hook in _HOOKS:
            rules = []
            for rule in self.config.firewall_rules:
                if rule.hook != hook:
                    continue
                packets = self.stats.requests if rule.counts_service_traffic else 0
                octets = self.stats.bytes_received if rule.counts_service_traffic else 0
                rules.append(
                    {
                        "sourceIP": rule.source_ip,
                        "sourceMask": rule.source_mask,
                        "destinationIP": rule.destination_ip,
                        "destinationMask": rule.destination_mask,
                        "uid": rule.uid,
                        "action": rule.action,
                        "interfaceInName": rule.interface_in,
                        "interfaceOutName": rule.interface_out,
                        "state": rule.state,
                        "tcpMask": [],
                        "tcpCmp": [],
                        "tcpInv": False,
                        "protocol": rule.protocol,
                        "sourcePortRange": {"min": 0, "max": 65535},
                        "destinationPortRange": {"min": 0, "max": 65535},
                        "packets": packets,
                        "bytes": octets,
                    }
                )
            rulesets.append({"hook": hook, "isValid": bool(rules), "rules": rules})
        return {"rulesets": rulesets}
