"""Hostile boards at the transport level, over real TLS on loopback.

Boards that trickle their answer's head, send ``100 Continue`` forever, stall the version
probe, inflate ``gzip, gzip`` answers, answer errors with deeply nested JSON, or make many
queued calls wait: each must end in a typed error within a bound that follows from the
limits given (generous multiples, never a tuned timing), with memory near the answer cap.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
import zlib
from typing import Final

import anyio
import pytest

from azsphere_async import (
    DeviceClient,
    DeviceInternalError,
    DeviceTimeoutError,
    MalformedResponseError,
    ResponseTooLargeError,
    Timeouts,
)
from tests.reliability.reliability_helpers import (
    FAST_RETRY,
    Script,
    ScriptedServer,
    answer_status,
    http_answer,
    read_request,
)

MiB: Final = 1024 * 1024
#: A short read limit, so that a test proving it holds waits about a second.
READ_LIMIT: Final = 1.0
LIMITS: Final = Timeouts(connect=2.0, read=READ_LIMIT, write=2.0)
#: What a bound may take beyond its limit on a loaded machine.
SLACK: Final = 3.0


def test_the_default_limits_bound_every_phase_of_a_read() -> None:
    """The guarantees below hold with the defaults because every phase has a limit."""
    defaults = Timeouts()
    assert defaults.connect is not None
    assert defaults.read is not None
    assert defaults.write is not None


async def trickle_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
    """Answer the probe, then send the next answer's head one byte at a time, forever."""
    await answer_status(reader, writer)
    await read_request(reader)
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 60_000
    for byte in head:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.01)  # far within the read limit: every wait is short


async def continue_forever(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
) -> None:
    """Answer the probe, then send ``100 Continue`` again and again instead of an answer."""
    await answer_status(reader, writer)
    await read_request(reader)
    while True:
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("script", [trickle_head, continue_forever], ids=["trickle", "continue"])
async def test_an_answer_head_that_never_completes_is_a_read_timeout(script: Script) -> None:
    async with (
        ScriptedServer(script) as server,
        DeviceClient(server.address, ca=server.client_context(), timeout=LIMITS) as client,
    ):
        await client.device.get_status()
        started = time.perf_counter()
        with pytest.raises(DeviceTimeoutError) as caught:
            await client.image.get_images()
        elapsed = time.perf_counter() - started
    assert caught.value.phase == "read"
    assert caught.value.address == server.address
    assert elapsed < READ_LIMIT + SLACK
    assert server.connections == 1  # a timeout is not retried


async def test_the_operation_limit_bounds_the_version_probe_too() -> None:
    """A board that never answers the probe: ``operation`` ends the call, not ``read``."""

    async def never_answer_anything(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        await read_request(reader)
        await asyncio.Event().wait()

    limits = Timeouts(connect=2.0, read=60.0, write=60.0, operation=0.5)
    async with (
        ScriptedServer(never_answer_anything) as server,
        DeviceClient(server.address, ca=server.client_context(), timeout=limits) as client,
    ):
        started = time.perf_counter()
        with pytest.raises(DeviceTimeoutError) as caught:
            await client.device.get_os_version()  # needs the version: probes first
        elapsed = time.perf_counter() - started
        assert client.rest_api_version is None
    assert caught.value.phase == "operation"
    assert "device.get_os_version did not finish within 0.5 s" in str(caught.value)
    assert elapsed < 0.5 + SLACK


def double_gzip(size: int) -> bytes:
    """``size`` zero bytes, gzipped twice: a few hundred bytes on the wire."""
    return gzip.compress(gzip.compress(bytes(size), 9), 9)


def serve_encoded(body: bytes, coding: str) -> ScriptedServer:
    """A board answering ``GET /status`` plainly and every other request with ``body``,
    labelled with the content coding ``coding``."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        while True:
            line, _headers = await read_request(reader)
            if line.startswith("GET /status "):
                writer.write(http_answer(200, b'{"uptime": 1}'))
            else:
                writer.write(http_answer(200, body, headers={"Content-Encoding": coding}))
            await writer.drain()

    return ScriptedServer(script)


async def test_a_gzip_bomb_is_refused_at_the_cap_holding_little_memory() -> None:
    bomb = double_gzip(32 * MiB)
    assert len(bomb) < 2048
    cap = 1 * MiB
    async with (
        serve_encoded(bomb, "gzip, gzip") as server,
        DeviceClient(
            server.address, ca=server.client_context(), timeout=LIMITS, max_response_bytes=cap
        ) as client,
    ):
        await client.device.get_status()
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as caught:
                await client.image.get_images()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert (await client.device.get_status()).uptime == 1  # the next call works
    assert caught.value.limit == cap
    assert peak < 6 * cap  # a small multiple of the cap, not the 32 MiB inflated


async def test_gzip_and_deflate_answers_within_the_cap_are_decoded() -> None:
    images = b'{"components": []}'
    for coding, body in (
        ("gzip", gzip.compress(images)),
        ("deflate", zlib.compress(images)),
        ("gzip, gzip", gzip.compress(gzip.compress(images))),
    ):
        async with (
            serve_encoded(body, coding) as server,
            DeviceClient(server.address, ca=server.client_context(), timeout=LIMITS) as client,
        ):
            assert (await client.image.get_images()).components == (), coding


@pytest.mark.parametrize(
    ("coding", "body", "text"),
    [
        ("br", b"\x0b\x02\x80{}\x03", "content coding 'br'"),
        ("gzip", b"this is not gzip", "does not decode"),
        ("gzip", gzip.compress(b'{"components": []}')[:-12], "ends early"),
    ],
    ids=["unknown", "garbage", "cut-short"],
)
async def test_an_answer_that_does_not_decode_is_malformed(
    coding: str, body: bytes, text: str
) -> None:
    async with (
        serve_encoded(body, coding) as server,
        DeviceClient(server.address, ca=server.client_context(), timeout=LIMITS) as client,
    ):
        with pytest.raises(MalformedResponseError, match=text) as caught:
            await client.image.get_images()
    assert "GET /images" in str(caught.value)


async def test_an_error_answer_of_deeply_nested_json_keeps_its_status() -> None:
    nested = b"[" * 100_000

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await answer_status(reader, writer)
        await read_request(reader)
        writer.write(http_answer(500, nested, reason="Internal Server Error"))
        await writer.drain()
        await read_request(reader)

    async with (
        ScriptedServer(script) as server,
        DeviceClient(server.address, ca=server.client_context(), timeout=LIMITS) as client,
    ):
        await client.device.get_status()
        with pytest.raises(DeviceInternalError) as caught:
            await client.image.get_images()
    assert caught.value.status == 500
    assert caught.value.error_code is None


async def test_calls_queued_on_one_board_cost_the_same_each() -> None:
    """250 calls at once on one board's connection take about the CPU of 250 in a row.

    Before, the connection pool rescanned every waiting call whenever the connection came
    free: 250 queued calls cost 39 times as much. Both runs here do the same work against the
    same server, so the ratio of their CPU time shows the queue's own cost.
    """

    async def keep_answering(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        while True:
            await read_request(reader)
            writer.write(http_answer(200, b'{"uptime": 1}'))
            await writer.drain()

    calls = 250
    async with (
        ScriptedServer(keep_answering) as server,
        DeviceClient(
            server.address, ca=server.client_context(), timeout=LIMITS, retry=FAST_RETRY
        ) as client,
    ):
        for _ in range(20):  # warm: the connection open, every code path loaded
            await client.device.get_status()

        async def in_a_row() -> None:
            for _ in range(calls):
                await client.device.get_status()

        async def all_at_once() -> None:
            async with anyio.create_task_group() as group:
                for _ in range(calls):
                    group.start_soon(client.device.get_status)

        costs: dict[str, list[float]] = {}
        for run in (in_a_row, all_at_once, in_a_row, all_at_once):
            started = time.process_time()
            await run()
            costs.setdefault(run.__name__, []).append(time.process_time() - started)
    assert server.connections == 1
    assert min(costs["all_at_once"]) < 3 * min(costs["in_a_row"]), costs


async def test_a_call_waiting_behind_a_stalled_one_fails_in_the_pool_phase() -> None:
    async def answer_once_then_stall(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        await answer_status(reader, writer)
        await read_request(reader)
        await asyncio.Event().wait()

    limits = Timeouts(connect=2.0, read=READ_LIMIT, write=2.0, pool=0.2)
    async with (
        ScriptedServer(answer_once_then_stall) as server,
        DeviceClient(server.address, ca=server.client_context(), timeout=limits) as client,
    ):
        await client.device.get_status()
        errors: list[DeviceTimeoutError] = []

        async def images() -> None:
            try:
                await client.image.get_images()
            except DeviceTimeoutError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as group:
            # One takes the connection and the board never answers; the other waits for it.
            group.start_soon(images)
            group.start_soon(images)
    assert sorted(error.phase for error in errors) == ["pool", "read"]
