"""Wi-Fi calls: configured networks, the interface, and scans."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from azsphere_async.client import DeviceClient
from azsphere_async.errors import InvalidArgumentError
from azsphere_async.models import (
    WifiConfigState,
    WifiConnectionState,
    WifiNetwork,
    WifiPowerSavingsState,
    WifiSecurityState,
    WpaState,
)
from tests.client.client_helpers import body_of, load, only_request, reply

PSK = "correct-horse-42"


async def test_add_psk_network(router: respx.MockRouter, client: DeviceClient) -> None:
    router.post("/wifi/config/networks").mock(
        return_value=reply(load("wifi_network_added"), status=201)
    )
    network = await client.wifi.add_network(
        ssid="ExampleNetworkName", security_state="psk", psk=PSK
    )
    assert network == WifiNetwork(
        id=0,
        ssid="ExampleNetworkName",
        config_state=WifiConfigState.ENABLED,
        connection_state=WifiConnectionState.UNKNOWN,
        security_state=WifiSecurityState.PSK,
        targeted_scan=False,
    )
    request = only_request(router)
    assert request.method == "POST"
    assert body_of(request) == {"ssid": "ExampleNetworkName", "securityState": "psk", "psk": PSK}


async def test_add_open_network_with_every_option(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.post("/wifi/config/networks").mock(return_value=reply(load("wifi_network"), status=201))
    await client.wifi.add_network(
        ssid="Guest",
        security_state=WifiSecurityState.OPEN,
        config_name="guest",
        config_state="disabled",
        targeted_scan=True,
    )
    assert body_of(only_request(router)) == {
        "ssid": "Guest",
        "securityState": "open",
        "configName": "guest",
        "configState": "disabled",
        "targetedScan": True,
    }


async def test_add_eaptls_network(router: respx.MockRouter, client: DeviceClient) -> None:
    router.post("/wifi/config/networks").mock(
        return_value=reply(load("openapi_wifi_network_eaptls"), status=201)
    )
    network = await client.wifi.add_network(
        ssid="I-WPA",
        security_state="eaptls",
        client_identity="device@contoso.com",
        client_cert_store_identifier="ClientCert",
        root_ca_cert_store_identifier="RootCA",
    )
    assert network.client_cert_store_identifier == "ClientCert"
    assert network.config_state is WifiConfigState.TEMP_DISABLED
    assert body_of(only_request(router)) == {
        "ssid": "I-WPA",
        "securityState": "eaptls",
        "clientIdentity": "device@contoso.com",
        "clientCertStoreIdentifier": "ClientCert",
        "rootCaCertStoreIdentifier": "RootCA",
    }


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"ssid": ""}, "ssid"),
        ({"ssid": "s" * 33}, "ssid"),
        ({"ssid": "é" * 17}, "ssid"),
        ({"security_state": "wep"}, "security_state"),
        ({"security_state": "unknown"}, "security_state"),
        ({"psk": None}, "psk"),
        ({"psk": "short"}, "psk"),
        ({"psk": "p" * 64}, "psk"),
        ({"security_state": "open", "psk": PSK}, "psk"),
        ({"security_state": "eaptls", "psk": PSK}, "psk"),
        ({"security_state": "eaptls", "psk": None}, "client_cert_store_identifier"),
        (
            {"security_state": "eaptls", "psk": None, "client_cert_store_identifier": "bad id!"},
            "client_cert_store_identifier",
        ),
        (
            {
                "security_state": "eaptls",
                "psk": None,
                "client_cert_store_identifier": "ClientCert",
                "client_identity": "i" * 255,
            },
            "client_identity",
        ),
        ({"client_cert_store_identifier": "ClientCert"}, "client_cert_store_identifier"),
        ({"root_ca_cert_store_identifier": "RootCA"}, "root_ca_cert_store_identifier"),
        ({"client_identity": "device@contoso.com"}, "client_identity"),
        ({"config_name": "n" * 17}, "config_name"),
        ({"config_name": ""}, "config_name"),
        ({"config_state": "paused"}, "config_state"),
        ({"targeted_scan": "yes"}, "targeted_scan"),
    ],
)
async def test_add_network_arguments_are_checked_before_any_request(
    router: respx.MockRouter, client: DeviceClient, arguments: dict[str, Any], argument: str
) -> None:
    settings: dict[str, Any] = {"ssid": "Home", "security_state": "psk", "psk": PSK, **arguments}
    with pytest.raises(InvalidArgumentError) as caught:
        await client.wifi.add_network(**settings)
    assert caught.value.argument == argument
    assert PSK not in str(caught.value)
    assert "p" * 64 not in str(caught.value)
    assert not router.calls


@pytest.mark.parametrize(
    ("arguments", "body"),
    [
        ({"config_state": "disabled"}, {"configState": "disabled"}),
        ({"psk": PSK}, {"psk": PSK}),
        (
            {"config_state": WifiConfigState.ENABLED, "psk": PSK},
            {"configState": "enabled", "psk": PSK},
        ),
    ],
)
async def test_change_network(
    router: respx.MockRouter, client: DeviceClient, arguments: dict[str, Any], body: Any
) -> None:
    router.patch("/wifi/config/networks/0").mock(return_value=reply(load("wifi_network_changed")))
    network = await client.wifi.change_network(0, **arguments)
    assert network.config_state is WifiConfigState.DISABLED
    request = only_request(router)
    assert request.method == "PATCH"
    assert body_of(request) == body


@pytest.mark.parametrize(
    ("network_id", "arguments", "argument"),
    [
        (0, {}, "config_state/psk"),
        (-1, {"config_state": "enabled"}, "network_id"),
        (0, {"config_state": "on"}, "config_state"),
        (0, {"psk": "1234567"}, "psk"),
    ],
)
async def test_change_network_arguments_are_checked_before_any_request(
    router: respx.MockRouter,
    client: DeviceClient,
    network_id: int,
    arguments: dict[str, Any],
    argument: str,
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.wifi.change_network(network_id, **arguments)
    assert caught.value.argument == argument
    assert "1234567" not in str(caught.value)
    assert not router.calls


async def test_remove_network(router: respx.MockRouter, client: DeviceClient) -> None:
    router.delete("/wifi/config/networks/7").mock(return_value=reply(content=b""))
    await client.wifi.remove_network(7)
    assert only_request(router).method == "DELETE"


async def test_get_networks(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/wifi/config/networks").mock(return_value=reply(load("wifi_networks")))
    networks = await client.wifi.get_networks()
    assert [network.ssid for network in networks] == ["ExampleNetworkName"]
    assert networks[0].connection_state is WifiConnectionState.DISCONNECTED


async def test_get_network(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/wifi/config/networks/0").mock(return_value=reply(load("wifi_network")))
    network = await client.wifi.get_network(0)
    assert network.id == 0
    assert network.security_state is WifiSecurityState.PSK
    assert only_request(router).method == "GET"


async def test_get_interface_state(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/wifi/interface").mock(return_value=reply(load("openapi_wifi_interface")))
    state = await client.wifi.get_interface_state()
    assert state.wpa_state is WpaState.FOUR_WAY_HANDSHAKE
    assert state.power_savings_state is WifiPowerSavingsState.ENABLED
    assert state.freq == 2412


@pytest.mark.parametrize(
    ("arguments", "body"),
    [
        ({"reload_config": True}, {"reloadConfig": True}),
        ({"enable_power_savings": False}, {"enablePowerSavings": False}),
        (
            {"reload_config": False, "enable_power_savings": True},
            {"reloadConfig": False, "enablePowerSavings": True},
        ),
    ],
)
async def test_set_interface_state(
    router: respx.MockRouter, client: DeviceClient, arguments: dict[str, Any], body: Any
) -> None:
    router.patch("/wifi/interface").mock(return_value=reply({}))
    await client.wifi.set_interface_state(**arguments)
    request = only_request(router)
    assert request.method == "PATCH"
    assert body_of(request) == body


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({}, "reload_config/enable_power_savings"),
        ({"reload_config": 1}, "reload_config"),
        ({"enable_power_savings": "on"}, "enable_power_savings"),
    ],
)
async def test_set_interface_state_arguments_are_checked_before_any_request(
    router: respx.MockRouter, client: DeviceClient, arguments: dict[str, Any], argument: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.wifi.set_interface_state(**arguments)
    assert caught.value.argument == argument
    assert not router.calls


async def test_scan(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/wifi/scan").mock(return_value=reply(load("wifi_scan")))
    seen = await client.wifi.scan()
    assert [network.signal_level for network in seen] == [-40, -61, -60]
    assert seen[1].security_state is WifiSecurityState.EAPTLS
    assert only_request(router).method == "GET"
