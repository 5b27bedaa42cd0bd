"""Version gating: calls newer than the device's REST API are refused before they are sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx

from azsphere_async.client import DeviceClient
from azsphere_async.errors import UnsupportedVersionError
from tests.client.client_helpers import load, reply, traffic
from tests.shared_data import BLINK_ID

Call = Callable[[DeviceClient], Awaitable[Any]]

#: Each version-gated call, the request it makes, the first version that has it, and the
#: version just before it.
GATED: list[tuple[str, Call, str, str, str, str]] = [
    ("log", lambda d: d.device.get_diagnostic_log(), "GET", "/log", "1.2.0", "1.1.0"),
    (
        "app status",
        lambda d: d.app.get_status(BLINK_ID),
        "GET",
        f"/app/status/{BLINK_ID}",
        "2.0.0",
        "1.2.0",
    ),
    (
        "app start",
        lambda d: d.app.set_status(BLINK_ID, "start"),
        "PATCH",
        f"/app/status/{BLINK_ID}",
        "2.0.0",
        "1.2.0",
    ),
    ("install", lambda d: d.sideload.install(), "POST", "/update/install", "3.0.0", "2.0.0"),
    (
        "forget wifi",
        lambda d: d.wifi.remove_network(1),
        "DELETE",
        "/wifi/config/networks/1",
        "3.0.0",
        "2.0.0",
    ),
    ("abi", lambda d: d.image.get_abi_versions(), "GET", "/abi_versions", "3.1.0", "3.0.0"),
    (
        "capabilities",
        lambda d: d.capabilities.get(),
        "GET",
        "/device/capabilities",
        "3.1.0",
        "3.0.0",
    ),
    (
        "manufacturing",
        lambda d: d.manufacturing.get_state(),
        "GET",
        "/device/manufacturing_state",
        "3.1.0",
        "3.0.0",
    ),
    (
        "quota",
        lambda d: d.app.get_quota(BLINK_ID),
        "GET",
        f"/app/quota/{BLINK_ID}",
        "3.1.0",
        "3.0.0",
    ),
    (
        "telemetry",
        lambda d: d.device.get_error_report_data(),
        "GET",
        "/telemetry",
        "3.1.0",
        "3.0.0",
    ),
    ("net status", lambda d: d.network.get_status(), "GET", "/net/status", "3.1.0", "3.0.0"),
    (
        "interfaces",
        lambda d: d.network.get_interfaces(),
        "GET",
        "/net/interfaces",
        "3.1.0",
        "3.0.0",
    ),
    (
        "interface",
        lambda d: d.network.get_interface("wlan0"),
        "GET",
        "/net/interfaces/wlan0",
        "3.1.0",
        "3.0.0",
    ),
    (
        "firewall",
        lambda d: d.network.get_firewall_rulesets(),
        "GET",
        "/net/firewall/rulesets",
        "4.1.0",
        "4.0.0",
    ),
    (
        "set interface",
        lambda d: d.network.set_interface("eth0", interface_up=True),
        "PATCH",
        "/net/interfaces/eth0",
        "4.3.0",
        "4.2.0",
    ),
    (
        "memory",
        lambda d: d.app.get_memory_statistics(),
        "GET",
        "/stats/memory/groups/applications",
        "4.3.0",
        "4.2.0",
    ),
    ("os version", lambda d: d.device.get_os_version(), "GET", "/osversion", "4.5.0", "4.4.0"),
    (
        "power savings",
        lambda d: d.wifi.set_interface_state(enable_power_savings=True),
        "PATCH",
        "/wifi/interface",
        "4.6.0",
        "4.5.0",
    ),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "minimum", "older"),
    [entry[1:] for entry in GATED],
    ids=[entry[0] for entry in GATED],
)
async def test_older_devices_are_refused_before_the_call_is_sent(
    router: respx.MockRouter,
    fresh_client: DeviceClient,
    call: Call,
    method: str,
    path: str,
    minimum: str,
    older: str,
) -> None:
    router.get("/status").mock(return_value=reply({"uptime": 9}, version=older))
    router.route(method=method, path=path).mock(return_value=reply({}))
    with pytest.raises(UnsupportedVersionError) as caught:
        await call(fresh_client)
    assert caught.value.required == minimum
    assert caught.value.actual == older
    assert traffic(router) == [("GET", "/status")]


@pytest.mark.parametrize(
    ("call", "method", "path", "minimum"),
    [entry[1:5] for entry in GATED],
    ids=[entry[0] for entry in GATED],
)
async def test_devices_at_the_minimum_version_get_the_call(
    router: respx.MockRouter,
    fresh_client: DeviceClient,
    call: Call,
    method: str,
    path: str,
    minimum: str,
) -> None:
    router.get("/status").mock(return_value=reply({"uptime": 9}, version=minimum))
    # An answer every one of these calls can read: unknown fields are ignored, and the raw
    # reads (/log, /telemetry) take bytes labelled as such.
    answer = reply({"state": "running"}, version=minimum)
    if path in ("/log", "/telemetry"):
        answer = httpx.Response(
            200,
            content=b"\x00\x01log",
            headers={"REST-API-Version": minimum, "Content-Type": "application/octet-stream"},
        )
    router.route(method=method, path=path).mock(return_value=answer)
    await call(fresh_client)
    assert traffic(router) == [("GET", "/status"), (method, path)]


async def test_os_version_on_a_4_4_device_reuses_the_version_already_learned(
    router: respx.MockRouter, fresh_client: DeviceClient
) -> None:
    router.get("/certstore/space").mock(
        return_value=reply(load("certificate_space"), version="4.4.0")
    )
    osversion = router.get("/osversion").mock(return_value=reply(load("os_version")))
    status = router.get("/status").mock(return_value=reply({"uptime": 1}, version="4.4.0"))
    await fresh_client.certificates.get_space()
    with pytest.raises(UnsupportedVersionError) as caught:
        await fresh_client.device.get_os_version()
    assert "4.5.0" in str(caught.value)
    assert "4.4.0" in str(caught.value)
    assert not osversion.called
    assert not status.called
    assert traffic(router) == [("GET", "/certstore/space")]


async def test_os_version_with_nothing_known_asks_get_status_exactly_once(
    router: respx.MockRouter, fresh_client: DeviceClient
) -> None:
    router.get("/status").mock(return_value=reply({"uptime": 1}, version="4.5.0"))
    router.get("/osversion").mock(return_value=reply(load("os_version"), version="4.5.0"))
    await fresh_client.device.get_os_version()
    await fresh_client.device.get_os_version()
    assert traffic(router) == [("GET", "/status"), ("GET", "/osversion"), ("GET", "/osversion")]


async def test_reload_config_alone_is_not_gated(
    router: respx.MockRouter, fresh_client: DeviceClient
) -> None:
    router.patch("/wifi/interface").mock(return_value=reply({}, version="4.5.0"))
    await fresh_client.wifi.set_interface_state(reload_config=True)
    assert traffic(router) == [("PATCH", "/wifi/interface")]
