"""Devices served over real sockets: TLS, keep-alive accounting, restarts, uploads."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from azsphere_async.mock import (
    MockDevice,
    MockDeviceConfig,
    image_package_chunks,
    image_package_size,
)
from tests.shared_data import BLINK_ID, OCTETS

from .conftest import checking_client


async def test_certificate_names_and_chain(mock_device: MockDevice, tmp_path: Path) -> None:
    assert mock_device.host.startswith("127.")
    assert mock_device.port > 0
    assert mock_device.address == f"{mock_device.host}:{mock_device.port}"
    pem = await asyncio.to_thread(ssl.get_server_certificate, (mock_device.host, mock_device.port))
    cert = x509.load_pem_x509_certificate(pem.encode())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "*.devices.sphere.azure.local" in names.get_values_for_type(x509.DNSName)
    assert mock_device.host in [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]

    ca_file = mock_device.write_ca(tmp_path / "ca.pem")
    assert ca_file.read_bytes() == mock_device.ca_pem
    context = ssl.create_default_context(cafile=str(ca_file))
    async with httpx.AsyncClient(verify=context) as http:
        assert (await http.get(f"{mock_device.url}/status")).status_code == 200
    # The wildcard name verifies too (the way clients that send Host: *.devices... check it).
    _, writer = await asyncio.open_connection(
        mock_device.host,
        mock_device.port,
        ssl=context,
        server_hostname="a.devices.sphere.azure.local",
    )
    writer.close()
    await writer.wait_closed()
    async with httpx.AsyncClient() as untrusting:
        with pytest.raises(httpx.ConnectError):
            await untrusting.get(f"{mock_device.url}/status")


async def test_keep_alive_accounting(mock_device: MockDevice) -> None:
    async with checking_client(mock_device) as http:
        for _ in range(100):
            assert (await http.get("/status")).status_code == 200
    stats = mock_device.stats
    assert stats.connections_accepted == 1
    assert stats.requests == 100
    assert stats.requests_by_path["/status"] == 100
    assert stats.requests_by_operation["GET /status"] == 100
    assert stats.bytes_received > 100 * 30
    assert stats.responses_by_status[200] == 100


async def wait_until_answering(http: httpx.AsyncClient, timeout: float = 10.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await http.get("/status")
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def test_restart_refuses_then_comes_back(blink: bytes) -> None:
    config = MockDeviceConfig(restart_downtime=1.0, initial_uptime=500)
    async with MockDevice(config) as mock_device, checking_client(mock_device) as http:
        await http.put("/update/stage", content=blink, headers=OCTETS)
        await http.post("/update/install")
        await http.put("/update/stage", content=blink, headers=OCTETS)
        for _ in range(10):
            assert (await http.get("/status")).json()["uptime"] >= 500
        assert mock_device.stats.connections_accepted == 1

        response = await http.post("/restart")
        assert response.json() == {"restartingSystem": True}
        await asyncio.sleep(0.1)
        assert not mock_device.is_up
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(mock_device.host, mock_device.port)
        # The kept-alive connection was closed under the client: the first try may fail on
        # it (or on connecting); a fresh connection is refused while the device is down.
        with pytest.raises(httpx.TransportError):
            await http.get("/status")
        with pytest.raises(httpx.ConnectError):
            await http.get("/status")

        await mock_device.wait_until_up()
        response = await wait_until_answering(http)
        assert response.json()["uptime"] <= 1
        assert (await http.get(f"/app/status/{BLINK_ID}")).json() == {"state": "running"}
        assert (await http.get("/images")).json()["has_staged_updates"] is False
        for _ in range(10):
            await http.get("/status")
        assert mock_device.stats.connections_accepted == 2
        assert mock_device.stats.restarts == 1


async def test_programmatic_restart() -> None:
    async with MockDevice() as mock_device:
        started = time.monotonic()
        await mock_device.restart(downtime=0.3)
        assert time.monotonic() - started >= 0.3
        assert mock_device.is_up
        async with checking_client(mock_device) as http:
            assert (await http.get("/status")).status_code == 200


async def test_plain_http_device() -> None:
    async with MockDevice(tls=False) as mock_device:
        assert mock_device.url.startswith("http://")
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{mock_device.url}/status")
            assert response.status_code == 200
            assert response.headers["rest-api-version"] == "4.6.0"
            with pytest.raises(httpx.ConnectError):
                await http.get(f"https://{mock_device.address}/status")


async def test_explicit_host_and_port() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    async with MockDevice(host="127.0.0.1", port=port) as mock_device:
        assert mock_device.address == f"127.0.0.1:{port}"


@pytest.fixture
async def roomy_mock_device() -> AsyncIterator[MockDevice]:
    async with MockDevice(MockDeviceConfig(storage_capacity=1 << 31)) as mock_device:
        yield mock_device


async def test_upload_streams_fast(roomy_mock_device: MockDevice) -> None:
    component = "61111111-2222-3333-4444-555555555555"
    size = image_package_size(component, size=64 * 1024 * 1024)

    async def body() -> AsyncIterator[bytes]:
        for chunk in image_package_chunks(component, size=64 * 1024 * 1024):
            yield chunk

    async with checking_client(roomy_mock_device, timeout=60) as http:
        await http.get("/status")
        started = time.perf_counter()
        response = await http.put(
            "/update/stage", content=body(), headers={**OCTETS, "content-length": str(size)}
        )
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert roomy_mock_device.stats.body_bytes_received == size
    # Hundreds of MB/s on an idle machine; the bound is generous for a busy CI box.
    assert size / elapsed > 20e6, f"{size / elapsed / 1e6:.0f} MB/s"


async def test_too_large_upload_is_refused_early_and_the_connection_survives() -> None:
    async with MockDevice(MockDeviceConfig(storage_capacity=100_000)) as mock_device:
        component = "71111111-2222-3333-4444-555555555555"
        size = image_package_size(component, size=4 * 1024 * 1024)

        async def body() -> AsyncIterator[bytes]:
            for chunk in image_package_chunks(component, size=4 * 1024 * 1024):
                yield chunk

        async with checking_client(mock_device) as http:
            response = await http.put(
                "/update/stage", content=body(), headers={**OCTETS, "content-length": str(size)}
            )
            assert (response.status_code, response.json()) == (400, {"error": 14680082})
            assert (await http.get("/status")).status_code == 200
        assert mock_device.stats.connections_accepted == 1
