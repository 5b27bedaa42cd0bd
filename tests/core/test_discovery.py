"""Finding attached devices through the Device Communication Service (respx, no sockets)."""

from __future__ import annotations

import httpx
import pytest
import respx

from azsphere_async import (
    AttachedDevice,
    DiscoveryError,
    list_attached_devices,
    rescan_attached_devices,
)
from azsphere_async.discovery import DEFAULT_DCS_URL

DEVICES = [
    {"IpAddress": "192.168.35.2", "DeviceConnectionPath": "1243"},
    {"IpAddress": "192.168.36.2", "DeviceConnectionPath": "1244"},
]


@respx.mock(base_url=DEFAULT_DCS_URL)
async def test_lists_devices_in_the_services_order(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/api/service/devices").respond(200, json=DEVICES)
    devices = await list_attached_devices()
    assert devices == [
        AttachedDevice("192.168.35.2", "1243"),
        AttachedDevice("192.168.36.2", "1244"),
    ]


@respx.mock(base_url=DEFAULT_DCS_URL)
async def test_rescan_answers_the_count(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.put("/api/service/devices/rescan").respond(200, json=2)
    assert await rescan_attached_devices() == 2
    assert route.called


@respx.mock(base_url=DEFAULT_DCS_URL)
async def test_no_service_falls_back_to_sl0(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/api/service/devices").mock(side_effect=httpx.ConnectError("refused"))
    devices = await list_attached_devices(sl0_present=lambda: True)
    assert devices == [AttachedDevice("192.168.35.2", "")]


@respx.mock(base_url=DEFAULT_DCS_URL)
async def test_no_service_and_no_sl0_says_what_to_check(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/api/service/devices").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(DiscoveryError, match="Azure Sphere SDK installed") as caught:
        await list_attached_devices(sl0_present=lambda: False)
    assert not caught.value.answered
    assert caught.value.url == DEFAULT_DCS_URL


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.Response(200, content=b"<html>"), "non-JSON"),
        (httpx.Response(200, json={"IpAddress": "x"}), "not a JSON array"),
        (httpx.Response(200, json=[{"DeviceConnectionPath": "1"}]), "lacks IpAddress"),
        (httpx.Response(500), "HTTP 500"),
        (httpx.Response(200, content=b"[" + b" " * (2 * 1024 * 1024) + b"]"), "more than"),
    ],
)
async def test_bad_answers_are_typed_errors(answer: httpx.Response, message: str) -> None:
    with respx.mock(base_url=DEFAULT_DCS_URL) as mock:
        mock.get("/api/service/devices").mock(return_value=answer)
        with pytest.raises(DiscoveryError, match=message) as caught:
            await list_attached_devices(sl0_present=lambda: True)
    # A service that answered nonsense is not replaced by the sl0 fallback.
    assert caught.value.answered
