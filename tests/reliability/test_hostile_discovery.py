"""A hostile Device Communication Service on loopback: bounded time, bounded memory, typed errors.

The service that lists attached boards is a plain HTTP server on this computer; one that
trickles, inflates its answer or nests JSON past the parser's depth must give a
:class:`DiscoveryError` within the call's ``timeout``, holding memory near the answer cap; an
address it lists that is not a board's is refused by the one address check.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
import tracemalloc
from typing import Final

import pytest

from azsphere_async import (
    AttachedDevice,
    DiscoveryError,
    InvalidArgumentError,
    list_attached_devices,
)
from tests.reliability.reliability_helpers import ScriptedServer, http_answer, read_request

#: The service's answer cap (1 MiB), as the tests expect it.
CAP: Final = 1024 * 1024
SLACK: Final = 3.0


def serving(body: bytes, headers: dict[str, str] | None = None) -> ScriptedServer:
    """A plain HTTP service answering every request with ``body``."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        while True:
            await read_request(reader)
            writer.write(http_answer(200, body, headers=headers))
            await writer.drain()

    return ScriptedServer(script, tls=False)


async def listed(server: ScriptedServer, timeout: float = 5.0) -> list[AttachedDevice]:
    """The boards the service lists (no ``sl0`` fallback)."""
    return await list_attached_devices(
        dcs_url=f"http://{server.address}", timeout=timeout, sl0_fallback=False
    )


async def test_a_trickling_service_is_bounded_by_the_call_timeout() -> None:
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await read_request(reader)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 60_000:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.01)  # each byte far within the per-read limit

    async with ScriptedServer(trickle, tls=False) as server:
        started = time.perf_counter()
        with pytest.raises(DiscoveryError, match=r"did not answer within 0\.5 s") as caught:
            await listed(server, timeout=0.5)
        elapsed = time.perf_counter() - started
    assert not caught.value.answered
    assert elapsed < 0.5 + SLACK


async def test_a_compressed_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(gzip.compress(bytes(32 * CAP), 9), 9)
    async with serving(bomb, {"Content-Encoding": "gzip, gzip"}) as server:
        tracemalloc.start()
        try:
            with pytest.raises(DiscoveryError, match=f"more than {CAP} bytes"):
                await listed(server)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 6 * CAP


async def test_deeply_nested_json_is_a_discovery_error() -> None:
    async with serving(b"[" * 100_000) as server:
        with pytest.raises(DiscoveryError, match="nested too deeply") as caught:
            await listed(server)
    assert caught.value.answered


@pytest.mark.parametrize(
    "address",
    ["::1%@127.0.0.5:8443#", "127.0.0.1/../x", "0177.0.0.1", "192.168.35.2\n", "a@b", ""],
)
async def test_an_address_that_is_not_a_boards_is_refused_by_the_one_address_check(
    address: str,
) -> None:
    answer = json.dumps([{"IpAddress": address, "DeviceConnectionPath": "1"}]).encode()
    async with serving(answer) as server:
        with pytest.raises(InvalidArgumentError) as caught:
            await listed(server)
    assert caught.value.argument == "address"
    assert f"listed by the Device Communication Service at http://{server.address}" in str(
        caught.value
    )
    assert "\n" not in str(caught.value)


async def test_listed_addresses_are_normalised_like_a_clients() -> None:
    answer = json.dumps(
        [
            {"IpAddress": "::ffff:192.168.35.2", "DeviceConnectionPath": "1243"},
            {"IpAddress": "192.168.36.2", "DeviceConnectionPath": None},
        ]
    ).encode()
    async with serving(answer) as server:
        devices = await listed(server)
    assert devices == [AttachedDevice("192.168.35.2", "1243"), AttachedDevice("192.168.36.2", "")]
