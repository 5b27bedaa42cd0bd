"""Every operation answers within its schema; uploads stay out of memory; shutdown is clean."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
import warnings
from collections.abc import AsyncIterator

import httpx
import pytest

from azsphere_async.mock import (
    DeviceState,
    MockDevice,
    MockDeviceConfig,
    build_image_package,
    create_app,
    image_package_chunks,
    image_package_size,
    spec,
)
from tests.shared_data import BLINK, BLINK_ID, OCTETS

from .conftest import checking_client


async def _populated(http: httpx.AsyncClient, cert_material: dict[str, str]) -> None:
    """Put something behind every identifier the requests below use."""
    await http.put("/update/stage", content=BLINK.read_bytes(), headers=OCTETS)
    await http.post("/update/install")
    await http.post(
        "/certstore/certs/cert1", json={"certType": "rootca", "publicCert": cert_material["root"]}
    )
    await http.post("/wifi/config/networks", json={"ssid": "Nowhere", "securityState": "open"})


def _request(op: spec.Operation) -> tuple[str, dict[str, object]]:
    path = op.path.format(
        componentId=BLINK_ID,
        identifier="cert1",
        networkInterfaceName="eth0",
        wifiNetworkId="0",
        networkId="0",
    )
    bodies: dict[str, object] = {
        "setAppStatus": {"trigger": "stop"},
        "addCert": {"certType": "rootca", "publicCert": "PLACEHOLDER"},
        "setDeviceManufacturingState": {"manufacturingState": "Module1Complete"},
        "setNetworkInterfaceAttributes": {"interfaceUp": True},
        "configNetworkProxy": {"address": "p", "port": 8080, "authenticationType": "anonymous"},
        "addConfiguredWifiNetwork": {"ssid": "Another", "securityState": "open"},
        "changeConfiguredWifiNetwork": {"configState": "disabled"},
        "changeWifiInterfaceStatus": {"reloadConfig": True},
    }
    kwargs: dict[str, object] = {}
    if op.operation_id in bodies:
        kwargs["json"] = bodies[op.operation_id]
    elif op.operation_id == "stageImage":
        kwargs["content"] = BLINK.read_bytes()
        kwargs["headers"] = OCTETS
    return path, kwargs


@pytest.mark.parametrize("op", spec.operations(), ids=lambda op: op.operation_id)
async def test_every_operation_succeeds_within_its_schema(
    op: spec.Operation, cert_material: dict[str, str]
) -> None:
    state = DeviceState()
    state.restart_handler = lambda downtime: None
    async with checking_client(create_app(state)) as http:
        await _populated(http, cert_material)
        path, kwargs = _request(op)
        if op.operation_id == "addCert":
            kwargs["json"] = {"certType": "rootca", "publicCert": cert_material["root"]}
        response = await http.request(op.method, path, **kwargs)  # type: ignore[arg-type]
    expected = 201 if op.operation_id == "addConfiguredWifiNetwork" else 200
    assert response.status_code == expected, response.text


async def test_upload_is_never_held_in_memory() -> None:
    state = DeviceState(MockDeviceConfig(storage_capacity=1 << 30))
    component = "a1111111-2222-3333-4444-555555555555"
    size = image_package_size(component, size=32 * 1024 * 1024)

    async def body() -> AsyncIterator[bytes]:
        for chunk in image_package_chunks(component, size=32 * 1024 * 1024):
            yield chunk

    async with checking_client(create_app(state)) as http:
        await http.get("/status")
        tracemalloc.start()
        try:
            response = await http.put(
                "/update/stage", content=body(), headers={**OCTETS, "content-length": str(size)}
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert response.status_code == 200
    assert peak < 4 * 1024 * 1024, peak


async def test_real_time_app_reports_its_core(http: httpx.AsyncClient) -> None:
    component = "b1111111-2222-3333-4444-555555555555"
    manifest = {
        "SchemaVersion": 1,
        "Name": "RtApp",
        "ComponentId": component,
        "EntryPoint": "/bin/app",
        "Capabilities": {},
        "ApplicationType": "RealTimeCapable",
    }
    package = build_image_package(component, name="RtApp", manifest=manifest, size=8192)
    await http.put("/update/stage", content=package, headers=OCTETS)
    await http.post("/update/install")
    response = await http.patch(f"/app/status/{component}", json={"trigger": "stop"})
    assert response.json() == {"state": "stopped", "realTimeCore": 0}


async def test_stop_is_clean_with_requests_in_flight() -> None:
    gc.collect()
    before = {task for task in asyncio.all_tasks() if not task.done()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        device = MockDevice(MockDeviceConfig(storage_capacity=1 << 30))
        await device.start()
        device.faults.stall_next(path="/status")
        client = httpx.AsyncClient(base_url=device.url, verify=device.ssl_context())
        component = "c1111111-2222-3333-4444-555555555555"

        async def slow_body() -> AsyncIterator[bytes]:
            for chunk in image_package_chunks(component, size=8 * 1024 * 1024):
                await asyncio.sleep(0.01)
                yield chunk

        stalled = asyncio.create_task(client.get("/status"))
        uploading = asyncio.create_task(
            client.put("/update/stage", content=slow_body(), headers=OCTETS)
        )
        await asyncio.sleep(0.3)
        assert device.stats.connections_open == 2
        await asyncio.wait_for(device.stop(), 10)
        for task in (stalled, uploading):
            with pytest.raises(httpx.TransportError):
                await task
        await client.aclose()
        assert device.stats.connections_open == 0
        del device, client
        gc.collect()
    leftover = {task for task in asyncio.all_tasks() if not task.done()} - before
    assert leftover == set()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
