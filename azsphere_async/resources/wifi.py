"""Wi-Fi calls: configured networks, the interface, and scans."""

from __future__ import annotations

from typing import Final

from ..errors import InvalidArgumentError
from ..models import (
    WifiConfigState,
    WifiInterfaceRequest,
    WifiInterfaceState,
    WifiNetwork,
    WifiNetworkChangeRequest,
    WifiNetworkRequest,
    WifiNetworks,
    WifiScanResult,
    WifiScanResults,
    WifiSecurityState,
)
from ..validation import (
    check_bool,
    check_cert_id,
    check_choice,
    check_network_id,
    check_psk,
    check_ssid,
    check_text,
    check_wifi_config_name,
    shown_secret,
)
from ..versions import V3_0, V4_6
from ._base import Resource

__all__ = ["WifiResource", "wifi_network_request"]

#: The longest EAP-TLS client identity the device takes.
MAX_CLIENT_IDENTITY_CHARACTERS: Final = 254

_ADDABLE_SECURITY = (WifiSecurityState.OPEN, WifiSecurityState.PSK, WifiSecurityState.EAPTLS)


def _refuse_secret(argument: str, value: object, allowed: str) -> InvalidArgumentError:
    return InvalidArgumentError(argument, shown_secret(value), allowed)


def wifi_network_request(
    *,
    ssid: str,
    security_state: WifiSecurityState | str,
    psk: str | None = None,
    config_name: str | None = None,
    config_state: WifiConfigState | str | None = None,
    targeted_scan: bool | None = None,
    client_identity: str | None = None,
    client_cert_store_identifier: str | None = None,
    root_ca_cert_store_identifier: str | None = None,
) -> WifiNetworkRequest:
    """Check a new network's settings together and make its request body, before any traffic.

    The checks of :meth:`WifiResource.add_network` (which calls this), for callers that check
    once for many boards; raises :class:`~azsphere_async.errors.InvalidArgumentError`.
    """
    checked_ssid = check_ssid(ssid)
    security = check_choice(
        security_state, WifiSecurityState, "security_state", among=_ADDABLE_SECURITY
    )
    if security is WifiSecurityState.PSK:
        if psk is None:
            raise InvalidArgumentError(
                "psk", "None", "the network's pre-shared key (8 to 63 characters)"
            )
        check_psk(psk)
    elif psk is not None:
        raise _refuse_secret(
            "psk", psk, f"None: a {security.value} network takes no pre-shared key"
        )
    eaptls_only = {
        "client_identity": client_identity,
        "client_cert_store_identifier": client_cert_store_identifier,
        "root_ca_cert_store_identifier": root_ca_cert_store_identifier,
    }
    if security is WifiSecurityState.EAPTLS:
        if client_cert_store_identifier is None:
            raise InvalidArgumentError(
                "client_cert_store_identifier",
                "None",
                "the store identifier of the client certificate (eaptls needs one)",
            )
        check_cert_id(client_cert_store_identifier, "client_cert_store_identifier")
        if root_ca_cert_store_identifier is not None:
            check_cert_id(root_ca_cert_store_identifier, "root_ca_cert_store_identifier")
        if client_identity is not None:
            check_text(
                client_identity,
                "client_identity",
                min_length=1,
                max_length=MAX_CLIENT_IDENTITY_CHARACTERS,
            )
    else:
        for argument, value in eaptls_only.items():
            if value is not None:
                raise InvalidArgumentError(
                    argument,
                    repr(value),
                    f"None: only eaptls networks take it, not {security.value}",
                )
    if config_name is not None:
        check_wifi_config_name(config_name)
    chosen_state = None
    if config_state is not None:
        chosen_state = check_choice(config_state, WifiConfigState, "config_state")
    if targeted_scan is not None:
        check_bool(targeted_scan, "targeted_scan")
    return WifiNetworkRequest(
        ssid=checked_ssid,
        security_state=security,
        psk=psk,
        config_name=config_name,
        config_state=chosen_state,
        targeted_scan=targeted_scan,
        client_identity=client_identity,
        client_cert_store_identifier=client_cert_store_identifier,
        root_ca_cert_store_identifier=root_ca_cert_store_identifier,
    )


class WifiResource(Resource):
    """The device's Wi-Fi: configured networks (by ID), the interface, and scans."""

    group = "wifi"

    async def add_network(
        self,
        *,
        ssid: str,
        security_state: WifiSecurityState | str,
        psk: str | None = None,
        config_name: str | None = None,
        config_state: WifiConfigState | str | None = None,
        targeted_scan: bool | None = None,
        client_identity: str | None = None,
        client_cert_store_identifier: str | None = None,
        root_ca_cert_store_identifier: str | None = None,
    ) -> WifiNetwork:
        """Add a Wi-Fi network configuration and return it (with its new ``id``).

        ``security_state`` is ``open``, ``psk`` (needs ``psk``) or ``eaptls`` (needs
        ``client_cert_store_identifier``; ``client_identity`` and
        ``root_ca_cert_store_identifier`` are optional). ``targeted_scan`` finds hidden networks.
        """
        body = wifi_network_request(
            ssid=ssid,
            security_state=security_state,
            psk=psk,
            config_name=config_name,
            config_state=config_state,
            targeted_scan=targeted_scan,
            client_identity=client_identity,
            client_cert_store_identifier=client_cert_store_identifier,
            root_ca_cert_store_identifier=root_ca_cert_store_identifier,
        )
        return await self._send(
            "POST", "/wifi/config/networks", body=body, answer=WifiNetwork, allow_empty=False
        )

    async def change_network(
        self,
        network_id: int,
        *,
        config_state: WifiConfigState | str | None = None,
        psk: str | None = None,
    ) -> WifiNetwork:
        """Enable or disable a configured network and/or change its pre-shared key."""
        checked_id = check_network_id(network_id)
        if config_state is None and psk is None:
            raise InvalidArgumentError(
                "config_state/psk", "neither", "at least one of them to change"
            )
        body = WifiNetworkChangeRequest(
            config_state=None
            if config_state is None
            else check_choice(config_state, WifiConfigState, "config_state"),
            psk=None if psk is None else check_psk(psk),
        )
        return await self._send(
            "PATCH",
            f"/wifi/config/networks/{checked_id}",
            body=body,
            answer=WifiNetwork,
            allow_empty=False,
        )

    async def remove_network(self, network_id: int) -> None:
        """Forget a configured network."""
        checked_id = check_network_id(network_id)
        await self._send("DELETE", f"/wifi/config/networks/{checked_id}", since=V3_0)

    async def get_networks(self) -> list[WifiNetwork]:
        """Every configured network."""
        answer = await self._get("/wifi/config/networks", WifiNetworks)
        return list(answer.values or ())

    async def get_network(self, network_id: int) -> WifiNetwork:
        """One configured network."""
        checked_id = check_network_id(network_id)
        return await self._get(f"/wifi/config/networks/{checked_id}", WifiNetwork)

    async def get_interface_state(self) -> WifiInterfaceState:
        """The Wi-Fi interface and the network it is connected to."""
        return await self._get("/wifi/interface", WifiInterfaceState)

    async def set_interface_state(
        self, *, reload_config: bool | None = None, enable_power_savings: bool | None = None
    ) -> None:
        """Reload the Wi-Fi configuration and/or switch power savings (the latter needs 4.6.0)."""
        if reload_config is None and enable_power_savings is None:
            raise InvalidArgumentError(
                "reload_config/enable_power_savings", "neither", "at least one of them to change"
            )
        body = WifiInterfaceRequest(
            reload_config=None
            if reload_config is None
            else check_bool(reload_config, "reload_config"),
            enable_power_savings=None
            if enable_power_savings is None
            else check_bool(enable_power_savings, "enable_power_savings"),
        )
        await self._send(
            "PATCH",
            "/wifi/interface",
            body=body,
            since=V4_6 if enable_power_savings is not None else None,
        )

    async def scan(self) -> list[WifiScanResult]:
        """The networks the device can see now."""
        answer = await self._get("/wifi/scan", WifiScanResults)
        return list(answer.values or ())
