"""A capped link is slow all the way: the board's end takes bytes at the link's rate, so a
client's writes block and are spread over the upload instead of vanishing into buffers."""

from __future__ import annotations

import socket
import statistics
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from azsphere_async.mock import MockDevice, MockDeviceConfig, build_image_package

from .conftest import checking_client

COMPONENT = "6b1e1c57-52b4-4bc5-9a8e-0f1a0c9d2e3f"
SIZE = 300_000
RATE = 100_000.0
PIECE = 8192


def _reno() -> list[tuple[int, int, bytes]]:
    """Socket options for a Reno client, or skip where a process may not choose it.

    The machine's default congestion control may be BBR, which on loopback (microsecond
    round trips) grows a sender's window, and with it the kernel's send buffer, whatever
    the receiver does; Reno keeps the sender to what the receiver's window allows, as any
    congestion control does over a real link.
    """
    if not hasattr(socket, "TCP_CONGESTION"):
        pytest.skip("this system cannot choose a socket's congestion control")
    probe = socket.socket()
    try:
        probe.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"reno")
    except OSError:
        pytest.skip("Reno congestion control is not available to this process")
    finally:
        probe.close()
    return [(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"reno")]


class _Upload:
    """The package as a streamed body that notes, before each write, how far ahead of the
    board the client is (bytes written minus bytes the board has received)."""

    def __init__(self, package: bytes, device: MockDevice) -> None:
        self.package = package
        self.device = device
        self.written = 0
        self.leads: list[int] = []

    async def body(self) -> AsyncIterator[bytes]:
        received_before = self.device.stats.bytes_received
        for start in range(0, len(self.package), PIECE):
            received = self.device.stats.bytes_received - received_before
            self.leads.append(self.written - received)
            piece = self.package[start : start + PIECE]
            yield piece
            self.written += len(piece)


async def _stage(
    device: MockDevice, upload: _Upload, options: list[tuple[int, int, bytes]]
) -> httpx.Response:
    transport = httpx.AsyncHTTPTransport(verify=device.ssl_context(), socket_options=options)
    async with checking_client(device, transport=transport, timeout=60) as http:
        assert (await http.get("/status")).status_code == 200
        return await http.put(
            "/update/stage",
            content=upload.body(),
            headers={
                "content-type": "application/octet-stream",
                "content-length": str(len(upload.package)),
            },
        )


async def test_a_capped_link_keeps_the_client_close_behind_the_board() -> None:
    options = _reno()
    package = build_image_package(COMPONENT, size=SIZE)
    async with MockDevice(MockDeviceConfig(storage_capacity=4 * SIZE)) as device:
        device.link.set(bandwidth=RATE)
        upload = _Upload(package, device)
        response = await _stage(device, upload, options)
    assert response.status_code == 200
    assert COMPONENT in device.state.images.staged
    # Kernel buffers on both ends plus the board's few KiB, never the whole package (a
    # board that read ahead, or a client kernel with loopback's 64 KiB segments, would let
    # the client write all 300 KB at once).
    assert max(upload.leads) <= 128 * 1024, max(upload.leads)
    # ... and the board is behind: the client's writes wait for the slow link.  (Uncapped,
    # the board keeps up and the typical lead is nothing.)
    assert statistics.median(upload.leads) >= 16 * 1024, statistics.median(upload.leads)


async def test_the_link_is_shared_and_every_byte_arrives_in_order(
    mock_device: MockDevice,
) -> None:
    """Two uploads at once through one capped link both complete, byte for byte."""
    mock_device.link.set(bandwidth=400_000.0)
    first = build_image_package(COMPONENT, size=120_000)
    second = build_image_package("9d2b7f0e-1c3a-4e5f-8a6b-7c8d9e0f1a2b", size=120_000)
    async with (
        checking_client(mock_device, timeout=60) as one,
        checking_client(mock_device, timeout=60) as two,
    ):
        answers: list[int] = []

        async def stage(http: httpx.AsyncClient, package: bytes) -> None:
            response = await http.put(
                "/update/stage",
                content=package,
                headers={"content-type": "application/octet-stream"},
            )
            answers.append(response.status_code)

        async with anyio.create_task_group() as group:
            group.start_soon(stage, one, first)
            group.start_soon(stage, two, second)
    assert answers == [200, 200]
    assert len(mock_device.state.images.staged) == 2
    assert mock_device.stats.body_bytes_received == len(first) + len(second)
