"""Network calls: interfaces, status, proxy, firewall and connection failure logs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import respx

from azsphere_async.client import DeviceClient
from azsphere_async.errors import InvalidArgumentError
from azsphere_async.models import (
    FirewallAction,
    FirewallHook,
    IpAssignment,
    NetworkProxy,
    NetworkTimeSync,
    ProxyAuthentication,
    ProxyState,
    WifiFailureReason,
)
from tests.client.client_helpers import body_of, load, only_request, reply


async def test_get_interfaces(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/net/interfaces").mock(return_value=reply(load("network_interfaces")))
    interfaces = await client.network.get_interfaces()
    assert [interface.interface_name for interface in interfaces] == ["azspheresvc", "lo"]
    assert interfaces[0].ip_addresses == ("192.168.35.2",)
    assert only_request(router).method == "GET"


async def test_get_interface(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/net/interfaces/wlan0").mock(return_value=reply(load("network_interface_wlan0")))
    interface = await client.network.get_interface("wlan0")
    assert interface.hardware_address == "1d:d8:47:fe:f7:33"
    assert interface.ip_assignment is IpAssignment.DYNAMIC
    assert interface.connected_to_internet is True


@pytest.mark.parametrize(
    ("arguments", "body"),
    [
        ({"interface_up": False}, {"interfaceUp": False}),
        ({"hardware_address": "a1:b2:c3:4d:e5:6f"}, {"hardwareAddress": "a1:b2:c3:4d:e5:6f"}),
        (
            {"interface_up": True, "hardware_address": "A1:B2:C3:4D:E5:6F"},
            {"interfaceUp": True, "hardwareAddress": "A1:B2:C3:4D:E5:6F"},
        ),
    ],
)
async def test_set_interface_sends_only_what_is_given(
    router: respx.MockRouter, client: DeviceClient, arguments: dict[str, Any], body: Any
) -> None:
    router.patch("/net/interfaces/eth0").mock(return_value=reply({}))
    await client.network.set_interface("eth0", **arguments)
    request = only_request(router)
    assert request.method == "PATCH"
    assert body_of(request) == body


@pytest.mark.parametrize(
    ("name", "arguments", "argument"),
    [
        ("eth0", {}, "interface_up/hardware_address"),
        ("eth 0", {"interface_up": True}, "name"),
        ("../status", {"interface_up": True}, "name"),
        ("", {"interface_up": True}, "name"),
        ("eth0", {"interface_up": "yes"}, "interface_up"),
        ("eth0", {"hardware_address": "a1:b2:c3:4d:e5"}, "hardware_address"),
        ("eth0", {"hardware_address": "zz:b2:c3:4d:e5:6f"}, "hardware_address"),
    ],
)
async def test_set_interface_arguments_are_checked_before_any_request(
    router: respx.MockRouter,
    client: DeviceClient,
    name: str,
    arguments: dict[str, Any],
    argument: str,
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.network.set_interface(name, **arguments)
    assert caught.value.argument == argument
    assert not router.calls


async def test_get_status(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/net/status").mock(return_value=reply(load("network_status")))
    status = await client.network.get_status()
    assert status.device_authentication_is_ready is True
    assert status.network_time_sync is NetworkTimeSync.COMPLETE
    assert status.proxy is ProxyState.DISABLED


async def test_get_proxy(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/net/proxy").mock(return_value=reply(load("network_proxy")))
    assert await client.network.get_proxy() == NetworkProxy(
        address="192.168.98.3",
        enabled=True,
        port=123,
        authentication_type=ProxyAuthentication.ANONYMOUS,
        no_proxy_addresses=(),
    )


async def test_get_proxy_with_basic_authentication(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.get("/net/proxy").mock(return_value=reply(load("openapi_network_proxy_basic")))
    proxy = await client.network.get_proxy()
    assert proxy.username == "operator"
    assert proxy.no_proxy_addresses == ("10.0.0.1", "contoso.local")


async def test_configure_anonymous_proxy(router: respx.MockRouter, client: DeviceClient) -> None:
    router.post("/net/proxy").mock(return_value=reply(load("network_proxy")))
    answer = await client.network.configure_proxy(address="192.168.98.3", port=123)
    assert answer is not None
    assert answer.port == 123
    request = only_request(router)
    assert request.method == "POST"
    assert body_of(request) == {
        "address": "192.168.98.3",
        "port": 123,
        "enabled": True,
        "authenticationType": "anonymous",
        "noProxyAddresses": [],
    }


async def test_configure_basic_proxy(router: respx.MockRouter, client: DeviceClient) -> None:
    router.post("/net/proxy").mock(return_value=reply(content=b""))
    answer = await client.network.configure_proxy(
        address="proxy.example.com",
        port=8080,
        enabled=False,
        authentication_type="basic",
        username="operator",
        password="pr0xy-pass",
        no_proxy_addresses=["10.0.0.1", "contoso.local"],
    )
    assert answer is None
    assert body_of(only_request(router)) == {
        "address": "proxy.example.com",
        "port": 8080,
        "enabled": False,
        "authenticationType": "basic",
        "noProxyAddresses": ["10.0.0.1", "contoso.local"],
        "username": "operator",
        "password": "pr0xy-pass",
    }


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"address": ""}, "address"),
        ({"address": "a" * 256}, "address"),
        ({"port": 65536}, "port"),
        ({"port": -1}, "port"),
        ({"port": "8080"}, "port"),
        ({"port": True}, "port"),
        ({"enabled": "true"}, "enabled"),
        ({"authentication_type": "digest"}, "authentication_type"),
        ({"no_proxy_addresses": "contoso.local"}, "no_proxy_addresses"),
        ({"no_proxy_addresses": [""]}, "no_proxy_addresses"),
        ({"no_proxy_addresses": 10}, "no_proxy_addresses"),
        ({"authentication_type": "basic", "password": "pr0xy-pass"}, "username"),
        ({"authentication_type": "basic", "username": "operator"}, "password"),
        ({"authentication_type": "basic", "username": "", "password": "pr0xy-pass"}, "username"),
        (
            {"authentication_type": "basic", "username": "u" * 64, "password": "pr0xy-pass"},
            "username",
        ),
        (
            {"authentication_type": "basic", "username": "operator", "password": "pr0xy-pass" * 7},
            "password",
        ),
        ({"username": "operator"}, "username"),
        ({"password": "pr0xy-pass"}, "password"),
    ],
)
async def test_proxy_arguments_are_checked_before_any_request(
    router: respx.MockRouter, client: DeviceClient, arguments: dict[str, Any], argument: str
) -> None:
    settings: dict[str, Any] = {"address": "proxy.example.com", "port": 8080, **arguments}
    with pytest.raises(InvalidArgumentError) as caught:
        await client.network.configure_proxy(**settings)
    assert caught.value.argument == argument
    assert "pr0xy-pass" not in str(caught.value)
    assert not router.calls


async def test_delete_proxy(router: respx.MockRouter, client: DeviceClient) -> None:
    router.delete("/net/proxy").mock(return_value=reply({}))
    await client.network.delete_proxy()
    assert only_request(router).method == "DELETE"


async def test_get_firewall_rulesets(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/net/firewall/rulesets").mock(return_value=reply(load("firewall_rulesets")))
    rulesets = await client.network.get_firewall_rulesets()
    assert [ruleset.hook for ruleset in rulesets] == [FirewallHook.PREROUTING, FirewallHook.INPUT]
    assert rulesets[0].rules == ()
    rules = rulesets[1].rules
    assert rules is not None
    assert rules[0].action is FirewallAction.ACCEPT
    assert rules[0].uid == 4292567295
    assert (rules[0].packet_count, rules[0].byte_count) == (3, 249)


async def test_get_failed_connections(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/wifi/diagnostics/networks").mock(return_value=reply(load("wifi_failures")))
    failures = await client.network.get_failed_connections()
    assert len(failures) == 1
    assert failures[0].timestamp == datetime(2000, 1, 1, 0, 4, 37, tzinfo=UTC)
    assert failures[0].error is WifiFailureReason.NETWORK_NOT_FOUND


async def test_get_failed_connection(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/wifi/diagnostics/networks/3").mock(
        return_value=reply(load("openapi_wifi_failure_eaptls"))
    )
    failure = await client.network.get_failed_connection(3)
    assert failure.cert_info is not None
    assert failure.cert_info.cert_depth == 1
    assert only_request(router).method == "GET"


@pytest.mark.parametrize("network_id", [-1, 2**31, "1", True, 1.0, None])
async def test_bad_network_ids_are_refused(
    router: respx.MockRouter, client: DeviceClient, network_id: object
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.network.get_failed_connection(network_id)  # type: ignore[arg-type]
    assert caught.value.argument == "network_id"
    assert not router.calls
