"""Small-request jobs: ``GET /status`` in a loop on one keep-alive connection, six ways."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from .._loopback import require_loopback
from .measure import Params, Probe, Result
from .official import official_client, point_official
from .wire import read_answer, split_address, tls_stream

__all__ = [
    "get_aiohttp",
    "get_httpx",
    "get_library",
    "get_library_typed",
    "get_official",
    "get_raw",
]


def _timed_loop(
    probe: Probe, call: Callable[[], Awaitable[object]], n: int, warmup: int, rounds: int
) -> Callable[[], Awaitable[None]]:
    """``warmup`` calls, then ``rounds`` timed sections of ``n`` calls each."""

    async def loop() -> None:
        for _ in range(warmup):
            await call()
        for _ in range(rounds):
            started = probe.start()
            for _ in range(n):
                await call()
            probe.stop(started, requests=n)

    return loop


def _library_loop(p: Params, calls: Callable[[Any], Callable[[], Awaitable[object]]]) -> Result:
    """Time ``calls(client)`` on one :class:`~azsphere_async.DeviceClient` (one connection)."""
    require_loopback(p["address"])
    from azsphere_async import DeviceClient
    from azsphere_async.tls import make_ssl_context

    probe = Probe()
    context = make_ssl_context(p["ca"])

    async def run() -> None:
        async with DeviceClient(p["address"], ca=context) as dev:
            await _timed_loop(probe, calls(dev), p["n"], p["warmup"], p.get("rounds", 1))()

    asyncio.run(run())
    return probe.result()


def get_library(p: Params) -> Result:
    """``DeviceSession.request("GET", "/status")`` on one keep-alive connection."""

    def request_status(dev: Any) -> Callable[[], Awaitable[object]]:
        session = dev.session

        async def call() -> object:
            return await session.request("GET", "/status")

        return call

    return _library_loop(p, request_status)


def get_library_typed(p: Params) -> Result:
    """``DeviceClient.device.get_status()``: the request plus JSON decoding into a model."""
    return _library_loop(p, lambda dev: dev.device.get_status)


def get_httpx(p: Params) -> Result:
    """Bare ``httpx.AsyncClient`` (the library's SSL context, one connection) doing the same GET."""
    host, port = split_address(p["address"])
    import httpx

    from azsphere_async.tls import make_ssl_context

    probe = Probe()
    context = make_ssl_context(p["ca"])

    async def run() -> None:
        async with httpx.AsyncClient(
            base_url=f"https://{host}:{port}",
            verify=context,
            http1=True,
            http2=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        ) as client:

            async def call() -> object:
                response = await client.get("/status")
                response.raise_for_status()
                return response.content

            await _timed_loop(probe, call, p["n"], p["warmup"], p.get("rounds", 1))()

    asyncio.run(run())
    return probe.result()


def get_raw(p: Params) -> Result:
    """The same GET written and parsed by hand on an asyncio TLS stream (the floor)."""
    host, port = split_address(p["address"])
    probe = Probe()
    request = f"GET /status HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode()

    async def run() -> None:
        async with tls_stream(host, port, p["ca"]) as (reader, writer):

            async def call() -> object:
                writer.write(request)
                status, body = await read_answer(reader)
                if status != 200:
                    raise RuntimeError(f"GET /status answered {status}")
                return body

            await _timed_loop(probe, call, p["n"], p["warmup"], p.get("rounds", 1))()

    asyncio.run(run())
    return probe.result()


def get_official(p: Params) -> Result:
    """Microsoft's ``device.get_device_status()`` in a loop (requests, keep-alive)."""
    utils = official_client(p["address"], p["ca"])
    device = importlib.import_module("azuresphere_device_api.device")

    probe = Probe()
    for _ in range(p["warmup"]):
        device.get_device_status()
    for _ in range(p.get("rounds", 1)):
        point_official(utils, p["address"])
        started = probe.start()
        for _ in range(p["n"]):
            device.get_device_status()
        probe.stop(started, requests=p["n"])
    return probe.result()


def get_aiohttp(p: Params) -> Result:
    """``aiohttp.ClientSession`` (the library's SSL context, one connection): the async peer."""
    host, port = split_address(p["address"])
    import aiohttp

    from azsphere_async.tls import make_ssl_context

    probe = Probe()
    context = make_ssl_context(p["ca"])

    async def run() -> None:
        connector = aiohttp.TCPConnector(ssl=context, limit=1)
        async with aiohttp.ClientSession(f"https://{host}:{port}", connector=connector) as client:

            async def call() -> object:
                async with client.get("/status") as response:
                    response.raise_for_status()
                    return await response.read()

            await _timed_loop(probe, call, p["n"], p["warmup"], p.get("rounds", 1))()

    asyncio.run(run())
    return probe.result()
