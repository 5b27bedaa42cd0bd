"""Fault injection and link simulation over real sockets."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from azsphere_async.mock import (
    DeviceState,
    Fault,
    FaultKind,
    MockDevice,
    MockDeviceConfig,
    create_app,
    image_package_chunks,
    image_package_size,
)
from tests.shared_data import OCTETS

from .conftest import checking_client


@pytest.fixture
async def plain_http(mock_device: MockDevice) -> AsyncIterator[httpx.AsyncClient]:
    """A client that does not validate: faults send broken answers on purpose."""
    async with httpx.AsyncClient(
        base_url=mock_device.url, verify=mock_device.ssl_context(), timeout=10
    ) as http:
        yield http


async def test_fail_next_and_kth(mock_device: MockDevice, plain_http: httpx.AsyncClient) -> None:
    mock_device.faults.fail_next()
    response = await plain_http.get("/status")
    assert (response.status_code, response.json()) == (500, {"error": 5})
    assert response.headers["rest-api-version"] == "4.6.0"
    assert (await plain_http.get("/status")).status_code == 200
    mock_device.faults.fail_request(3, status=409, code=10485765)
    statuses = [(await plain_http.get("/status")).status_code for _ in range(4)]
    assert statuses == [200, 200, 409, 200]
    mock_device.faults.fail_next(2, path="/images")
    assert (await plain_http.get("/status")).status_code == 200
    assert (await plain_http.get("/images")).status_code == 500
    assert (await plain_http.get("/images")).status_code == 500
    assert (await plain_http.get("/images")).status_code == 200
    assert mock_device.stats.faults_injected["error"] == 4
    assert [record.kind for record in mock_device.faults.history] == [FaultKind.ERROR] * 4


async def test_drop(mock_device: MockDevice, plain_http: httpx.AsyncClient) -> None:
    await plain_http.get("/status")
    mock_device.faults.drop_next()
    with pytest.raises(httpx.TransportError):
        await plain_http.get("/status")
    assert (await plain_http.get("/status")).status_code == 200
    assert mock_device.stats.connections_accepted == 2


async def test_drop_during_upload() -> None:
    async with MockDevice(MockDeviceConfig(storage_capacity=1 << 30)) as mock_device:
        component = "81111111-2222-3333-4444-555555555555"
        size = image_package_size(component, size=8 * 1024 * 1024)

        async def body() -> AsyncIterator[bytes]:
            for chunk in image_package_chunks(component, size=8 * 1024 * 1024):
                yield chunk

        mock_device.faults.drop_upload_after(1024 * 1024)
        async with httpx.AsyncClient(
            base_url=mock_device.url, verify=mock_device.ssl_context()
        ) as http:
            with pytest.raises(httpx.TransportError):
                await http.put(
                    "/update/stage", content=body(), headers={**OCTETS, "content-length": str(size)}
                )
            assert (await http.get("/images")).json()["has_staged_updates"] is False
        assert 1024 * 1024 <= mock_device.stats.body_bytes_received < size


async def test_stall(mock_device: MockDevice, plain_http: httpx.AsyncClient) -> None:
    mock_device.faults.stall_next()
    with pytest.raises(httpx.ReadTimeout):
        await plain_http.get("/status", timeout=0.3)
    mock_device.faults.stall_next(0.4)
    started = time.monotonic()
    assert (await plain_http.get("/status")).status_code == 200
    assert time.monotonic() - started >= 0.35
    mock_device.faults.stall_next(0.2, then_drop=True)
    with pytest.raises(httpx.TransportError):
        await plain_http.get("/status")


async def test_malformed_and_truncated_json(
    mock_device: MockDevice, plain_http: httpx.AsyncClient
) -> None:
    mock_device.faults.inject(FaultKind.MALFORMED_JSON)
    response = await plain_http.get("/status")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    mock_device.faults.inject("truncated_json")
    response = await plain_http.get("/images")
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()
    mock_device.faults.inject(FaultKind.TRUNCATED_BODY)
    with pytest.raises(httpx.RemoteProtocolError):
        await plain_http.get("/images")
    assert (await plain_http.get("/status")).status_code == 200


async def test_wrong_type_empty_and_giant(
    mock_device: MockDevice, plain_http: httpx.AsyncClient
) -> None:
    mock_device.faults.inject(FaultKind.WRONG_CONTENT_TYPE)
    response = await plain_http.get("/status")
    assert response.headers["content-type"].startswith("text/html")
    assert "uptime" in response.json()
    mock_device.faults.inject(FaultKind.EMPTY_BODY)
    response = await plain_http.get("/status")
    assert (response.status_code, response.content) == (200, b"")
    mock_device.faults.inject(Fault(FaultKind.GIANT_BODY, size=50 * 1024 * 1024))
    async with plain_http.stream("GET", "/status") as stream:
        assert int(stream.headers["content-length"]) == 50 * 1024 * 1024
        received = 0
        async for chunk in stream.aiter_raw():
            received += len(chunk)
    assert received == 50 * 1024 * 1024
    assert (await plain_http.get("/status")).status_code == 200


async def test_random_faults_soak(mock_device: MockDevice) -> None:
    mock_device.faults.set_random(0.05, seed=1234)
    outcomes: Counter[str] = Counter()
    async with httpx.AsyncClient(
        base_url=mock_device.url, verify=mock_device.ssl_context()
    ) as http:
        for _ in range(400):
            try:
                response = await http.get("/status")
            except httpx.TransportError:
                outcomes["drop"] += 1
                continue
            if response.status_code == 500:
                outcomes["error"] += 1
                continue
            try:
                response.json()
            except ValueError:
                outcomes["malformed"] += 1
            else:
                outcomes["ok"] += 1
    injected = sum(mock_device.stats.faults_injected.values())
    assert 5 <= injected <= 45
    assert injected == len(mock_device.faults.history) == 400 - outcomes["ok"]
    assert set(outcomes) == {"ok", "drop", "error", "malformed"}
    mock_device.faults.clear()
    assert mock_device.faults.pending == 0


async def test_in_process_drop_raises() -> None:
    state = DeviceState()
    state.faults.drop_next()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(state))) as http:
        with pytest.raises(ConnectionResetError):
            await http.get("https://device/status")


async def test_latency(mock_device: MockDevice) -> None:
    async with checking_client(mock_device) as http:
        await http.get("/status")
        mock_device.link.set(latency_ms=100)
        started = time.monotonic()
        for _ in range(5):
            await http.get("/status")
        assert time.monotonic() - started >= 0.45
        mock_device.link.set(latency_ms=0)
        started = time.monotonic()
        for _ in range(5):
            await http.get("/status")
        assert time.monotonic() - started < 0.45


async def test_bandwidth() -> None:
    async with MockDevice(MockDeviceConfig(storage_capacity=1 << 30)) as mock_device:
        mock_device.link.set(bandwidth=4_000_000)
        component = "91111111-2222-3333-4444-555555555555"
        package = b"".join(image_package_chunks(component, size=2_000_000))
        async with checking_client(mock_device, timeout=30) as http:
            await http.get("/status")
            started = time.monotonic()
            assert (
                await http.put("/update/stage", content=package, headers=OCTETS)
            ).status_code == 200
            upload = time.monotonic() - started
        assert 0.4 <= upload < 5, upload
        mock_device.faults.inject(Fault(FaultKind.GIANT_BODY, size=2_000_000))
        async with httpx.AsyncClient(
            base_url=mock_device.url, verify=mock_device.ssl_context()
        ) as http:
            started = time.monotonic()
            response = await http.get("/status")
            download = time.monotonic() - started
        assert len(response.content) == 2_000_000
        assert 0.4 <= download < 5, download
        mock_device.link.set(bandwidth=None)
        assert mock_device.link.bandwidth is None


async def test_faults_many_devices_at_once() -> None:
    async with MockDevice() as one, MockDevice(index=1) as two:
        one.faults.fail_next()
        async with (
            httpx.AsyncClient(base_url=one.url, verify=one.ssl_context()) as a,
            httpx.AsyncClient(base_url=two.url, verify=two.ssl_context()) as b,
        ):
            first, second = await asyncio.gather(a.get("/status"), b.get("/status"))
        assert (first.status_code, second.status_code) == (500, 200)
