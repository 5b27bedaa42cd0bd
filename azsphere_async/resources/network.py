"""Network calls: interfaces, status, proxy, firewall and Wi-Fi connection failure logs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from ..errors import InvalidArgumentError
from ..models import (
    FirewallRuleset,
    FirewallRulesets,
    NetworkInterface,
    NetworkInterfaces,
    NetworkProxy,
    NetworkStatus,
    ProxyAuthentication,
    ProxyConfiguration,
    WifiConnectionFailure,
    WifiConnectionFailures,
    converter,
)
from ..validation import (
    check_bool,
    check_choice,
    check_hardware_address,
    check_interface_name,
    check_network_id,
    check_port,
    check_proxy_secret,
    check_strings,
    check_text,
    shown_secret,
)
from ._base import V3_1, V4_1, V4_3, Resource

__all__ = ["NetworkResource"]

#: The longest proxy address or no-proxy address the device takes.
MAX_NETWORK_ADDRESS_CHARACTERS: Final = 255


class NetworkResource(Resource):
    """The device's network interfaces, proxy and firewall."""

    async def get_interfaces(self) -> list[NetworkInterface]:
        """Every network interface and its state."""
        data = await self._session.call_json(
            "GET", "/net/interfaces", min_version=V3_1, operation="network.get_interfaces"
        )
        answer = self._session.structure(data, NetworkInterfaces, what="network interfaces")
        return list(answer.interfaces or ())

    async def get_interface(self, name: str) -> NetworkInterface:
        """One network interface (such as ``wlan0`` or ``eth0``) and its state."""
        interface = check_interface_name(name)
        data = await self._session.call_json(
            "GET",
            f"/net/interfaces/{interface}",
            min_version=V3_1,
            operation="network.get_interface",
        )
        return self._session.structure(data, NetworkInterface, what="network interface")

    async def set_interface(
        self, name: str, *, interface_up: bool | None = None, hardware_address: str | None = None
    ) -> None:
        """Bring an interface up or down and/or set its MAC address (Ethernet only, 4.3.0+)."""
        interface = check_interface_name(name)
        body: dict[str, Any] = {}
        if interface_up is not None:
            body["interfaceUp"] = check_bool(interface_up, "interface_up")
        if hardware_address is not None:
            body["hardwareAddress"] = check_hardware_address(hardware_address)
        if not body:
            raise InvalidArgumentError(
                "interface_up/hardware_address", "neither", "at least one of them to change"
            )
        await self._session.call_json(
            "PATCH",
            f"/net/interfaces/{interface}",
            json=body,
            min_version=V4_3,
            operation="network.set_interface",
            allow_empty=True,
        )

    async def get_status(self) -> NetworkStatus:
        """Whether device authentication, network time and the proxy are ready."""
        data = await self._session.call_json(
            "GET", "/net/status", min_version=V3_1, operation="network.get_status"
        )
        return self._session.structure(data, NetworkStatus, what="network status")

    async def get_proxy(self) -> NetworkProxy:
        """The proxy configuration (without the password, which the device never returns)."""
        data = await self._session.call_json("GET", "/net/proxy", operation="network.get_proxy")
        return self._session.structure(data, NetworkProxy, what="network proxy")

    async def configure_proxy(
        self,
        *,
        address: str,
        port: int,
        enabled: bool = True,
        authentication_type: ProxyAuthentication | str = ProxyAuthentication.ANONYMOUS,
        username: str | None = None,
        password: str | None = None,
        no_proxy_addresses: Iterable[str] = (),
    ) -> NetworkProxy | None:
        """Set the proxy the device uses; ``basic`` authentication needs a username and password.

        Returns the configuration the device reports back, or ``None`` if it answered an
        empty body.
        """
        checked_address = check_text(
            address, "address", min_length=1, max_length=MAX_NETWORK_ADDRESS_CHARACTERS
        )
        checked_port = check_port(port)
        checked_enabled = check_bool(enabled, "enabled")
        authentication = check_choice(
            authentication_type, ProxyAuthentication, "authentication_type"
        )
        bypass = tuple(
            check_strings(
                no_proxy_addresses, "no_proxy_addresses", max_length=MAX_NETWORK_ADDRESS_CHARACTERS
            )
        )
        if authentication is ProxyAuthentication.BASIC:
            if username is None or password is None:
                missing = "username" if username is None else "password"
                raise InvalidArgumentError(
                    missing,
                    "None",
                    "a value: basic proxy authentication needs a username and a password",
                )
            check_proxy_secret(username, "username", secret=False)
            check_proxy_secret(password, "password", secret=True)
        else:
            if username is not None:
                raise InvalidArgumentError(
                    "username",
                    repr(username),
                    "None: anonymous proxy authentication takes no username",
                )
            if password is not None:
                raise InvalidArgumentError(
                    "password",
                    shown_secret(password, "a password"),
                    "None: anonymous proxy authentication takes no password",
                )
        body = ProxyConfiguration(
            address=checked_address,
            port=checked_port,
            enabled=checked_enabled,
            authentication_type=authentication,
            no_proxy_addresses=bypass,
            username=username,
            password=password,
        )
        data = await self._session.call_json(
            "POST",
            "/net/proxy",
            json=converter.unstructure(body),
            operation="network.configure_proxy",
            allow_empty=True,
        )
        if not data:
            return None
        return self._session.structure(data, NetworkProxy, what="network proxy")

    async def delete_proxy(self) -> None:
        """Remove the proxy configuration."""
        await self._session.call_json(
            "DELETE", "/net/proxy", operation="network.delete_proxy", allow_empty=True
        )

    async def get_firewall_rulesets(self) -> list[FirewallRuleset]:
        """Every firewall ruleset with its rules and counters (REST API 4.1.0 and later)."""
        data = await self._session.call_json(
            "GET",
            "/net/firewall/rulesets",
            min_version=V4_1,
            operation="network.get_firewall_rulesets",
        )
        answer = self._session.structure(data, FirewallRulesets, what="firewall rulesets")
        return list(answer.rulesets or ())

    async def get_failed_connections(self) -> list[WifiConnectionFailure]:
        """The latest failed connection attempt of each configured Wi-Fi network."""
        data = await self._session.call_json(
            "GET", "/wifi/diagnostics/networks", operation="network.get_failed_connections"
        )
        answer = self._session.structure(
            data, WifiConnectionFailures, what="connection failure logs"
        )
        return list(answer.values or ())

    async def get_failed_connection(self, network_id: int) -> WifiConnectionFailure:
        """The latest failed connection attempt of one configured Wi-Fi network."""
        checked = check_network_id(network_id)
        data = await self._session.call_json(
            "GET",
            f"/wifi/diagnostics/networks/{checked}",
            operation="network.get_failed_connection",
        )
        return self._session.structure(data, WifiConnectionFailure, what="connection failure log")
