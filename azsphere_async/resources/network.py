"""Network calls: interfaces, status, proxy, firewall and Wi-Fi connection failure logs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ..errors import InvalidArgumentError
from ..models import (
    FirewallRuleset,
    FirewallRulesets,
    NetworkInterface,
    NetworkInterfaceRequest,
    NetworkInterfaces,
    NetworkProxy,
    NetworkStatus,
    ProxyAuthentication,
    ProxyConfiguration,
    WifiConnectionFailure,
    WifiConnectionFailures,
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
from ..versions import V3_1, V4_1, V4_3
from ._base import Resource

__all__ = ["NetworkResource"]

#: The longest proxy address or no-proxy address the device takes.
MAX_NETWORK_ADDRESS_CHARACTERS: Final = 255

# An empty answer (or ``{}``) to POST /net/proxy reports nothing back.
_EMPTY_PROXY: Final = NetworkProxy()


class NetworkResource(Resource):
    """The device's network interfaces, proxy and firewall."""

    group = "network"

    async def get_interfaces(self) -> list[NetworkInterface]:
        """Every network interface and its state."""
        answer = await self._get("/net/interfaces", NetworkInterfaces, since=V3_1)
        return list(answer.interfaces or ())

    async def get_interface(self, name: str) -> NetworkInterface:
        """One network interface (such as ``wlan0`` or ``eth0``) and its state."""
        interface = check_interface_name(name)
        return await self._get(f"/net/interfaces/{interface}", NetworkInterface, since=V3_1)

    async def set_interface(
        self, name: str, *, interface_up: bool | None = None, hardware_address: str | None = None
    ) -> None:
        """Bring an interface up or down and/or set its MAC address (Ethernet only, 4.3.0+)."""
        interface = check_interface_name(name)
        if interface_up is None and hardware_address is None:
            raise InvalidArgumentError(
                "interface_up/hardware_address", "neither", "at least one of them to change"
            )
        body = NetworkInterfaceRequest(
            interface_up=None if interface_up is None else check_bool(interface_up, "interface_up"),
            hardware_address=None
            if hardware_address is None
            else check_hardware_address(hardware_address),
        )
        await self._send("PATCH", f"/net/interfaces/{interface}", body=body, since=V4_3)

    async def get_status(self) -> NetworkStatus:
        """Whether device authentication, network time and the proxy are ready."""
        return await self._get("/net/status", NetworkStatus, since=V3_1)

    async def get_proxy(self) -> NetworkProxy:
        """The proxy configuration (without the password, which ``GET`` never returns)."""
        return await self._get("/net/proxy", NetworkProxy)

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

        Returns the configuration the device reports back (the device echoes the password;
        the answer drops it), or ``None`` if it answered an empty body.
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
        answer = await self._send("POST", "/net/proxy", body=body, answer=NetworkProxy)
        return None if answer == _EMPTY_PROXY else answer

    async def delete_proxy(self) -> None:
        """Remove the proxy configuration."""
        await self._send("DELETE", "/net/proxy")

    async def get_firewall_rulesets(self) -> list[FirewallRuleset]:
        """Every firewall ruleset with its rules and counters (REST API 4.1.0 and later)."""
        answer = await self._get("/net/firewall/rulesets", FirewallRulesets, since=V4_1)
        return list(answer.rulesets or ())

    async def get_failed_connections(self) -> list[WifiConnectionFailure]:
        """The latest failed connection attempt of each configured Wi-Fi network."""
        answer = await self._get("/wifi/diagnostics/networks", WifiConnectionFailures)
        return list(answer.values or ())

    async def get_failed_connection(self, network_id: int) -> WifiConnectionFailure:
        """The latest failed connection attempt of one configured Wi-Fi network."""
        checked = check_network_id(network_id)
        return await self._get(f"/wifi/diagnostics/networks/{checked}", WifiConnectionFailure)
