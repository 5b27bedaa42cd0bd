"""Fleet jobs: status sweeps over many boards, and deploys to all of them at once."""

from __future__ import annotations

import asyncio
import importlib
import time
from pathlib import Path

from .._loopback import require_loopback
from .accounting import (
    ProgressAccounting,
    call_entry_cost,
    clock_read_cost,
    entry_cost,
    nested_call_cost,
    report_while_cost,
    timer_wakeup_cost,
    wakeup_cost,
)
from .measure import Params, Probe, Result, cpu_seconds, rss_kib
from .official import official_client, point_official

__all__ = ["deploy_library", "deploy_requests", "sweep_httpx", "sweep_library", "sweep_official"]


def sweep_library(p: Params) -> Result:
    """Status sweeps over a fleet: ``Fleet.run`` (all at once) or one board after another."""
    addresses: list[str] = [require_loopback(a) for a in p["addresses"]]
    from azsphere_async import DeviceClient, Fleet

    probe = Probe()
    sequential: bool = p.get("sequential", False)

    async def status(device: DeviceClient) -> object:
        return await device.device.get_status()

    async def run() -> None:
        async with Fleet(addresses, ca=p["ca"], timeout=30) as fleet:

            async def concurrent() -> int:
                results = await fleet.run(status, timeout=30)
                failed = [r for r in results if not r.ok]
                if failed:
                    raise RuntimeError(f"{len(failed)} boards failed: {failed[0].error!r}")
                return len(results)

            async def one_by_one() -> int:
                for address in addresses:
                    await status(fleet.client(address))
                return len(addresses)

            # Warm-up: one board (the code paths loaded), then every connection opened
            # (concurrently, whatever is measured next); memory is read between the two.
            await status(fleet.client(addresses[0]))
            memory["before_kib"] = rss_kib()
            for _ in range(p.get("warmup", 1)):
                await concurrent()
            memory["after_kib"] = rss_kib()
            for _ in range(p["sweeps"]):
                started = probe.start()
                answered = await (one_by_one() if sequential else concurrent())
                probe.stop(started, boards=answered)

    memory: dict[str, int] = {}
    asyncio.run(run())
    return probe.result(connections=len(addresses), **memory)


def sweep_httpx(p: Params) -> Result:
    """The same concurrent sweep as a user of bare httpx writes it: one ``AsyncClient`` per
    board (one connection each, the same SSL context), all boards at once with ``gather``."""
    addresses: list[str] = [require_loopback(a) for a in p["addresses"]]
    import httpx

    from azsphere_async.tls import make_ssl_context

    probe = Probe()
    context = make_ssl_context(p["ca"])
    memory: dict[str, int] = {}

    async def run() -> None:
        clients = [
            httpx.AsyncClient(
                base_url=f"https://{address}",
                verify=context,
                trust_env=False,
                timeout=30,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            )
            for address in addresses
        ]

        async def status(client: httpx.AsyncClient) -> object:
            response = await client.get("/status")
            response.raise_for_status()
            return response.json()

        async def concurrent() -> int:
            answers = await asyncio.gather(*(status(client) for client in clients))
            return len(answers)

        try:
            await status(clients[0])
            memory["before_kib"] = rss_kib()
            for _ in range(p.get("warmup", 1)):
                await concurrent()
            memory["after_kib"] = rss_kib()
            for _ in range(p["sweeps"]):
                started = probe.start()
                answered = await concurrent()
                probe.stop(started, boards=answered)
        finally:
            for client in clients:
                await client.aclose()

    asyncio.run(run())
    return probe.result(connections=len(addresses), **memory)


def sweep_official(p: Params) -> Result:
    """The same sweep with Microsoft's client: set the global address, ask, next board."""
    addresses: list[str] = [require_loopback(a) for a in p["addresses"]]
    utils = official_client(addresses[0], p["ca"])
    device = importlib.import_module("azuresphere_device_api.device")

    probe = Probe()

    def sweep() -> int:
        for address in addresses:
            point_official(utils, address)
            device.get_device_status()
        return len(addresses)

    for _ in range(p.get("warmup", 1)):
        sweep()
    for _ in range(p["sweeps"]):
        started = probe.start()
        answered = sweep()
        probe.stop(started, boards=answered)
    return probe.result()


# -- deploying to a fleet --------------------------------------------------------------------


def deploy_library(p: Params) -> Result:
    """``Fleet.deploy`` of one image to every board at once, several times in one process.

    ``runs`` lists, per deploy, whether a progress callback is given (e.g. ``[true, false,
    false, true]``: adjacent pairs, so that drift affects both halves of a pair alike);
    ``concurrency``, when given, lists each deploy's concurrency limit (``null``: the default). A
    warm-up deploy of ``warmup_image`` (with a callback) comes first. Each timed deploy is
    one sample, with the number of callbacks, the time spent inside them, when each board's
    progress first said it had the whole image, and the CPU counted inside the library's
    progress machinery (:class:`~benchmarks._jobs.accounting.ProgressAccounting`, installed
    for every run). The job also measures the cost of one clock read, the event loop's share
    of one wake-up of a sleeping task and of an event loop timer, and what the accounting
    counts of itself (``clock_read_seconds``, ``wakeup_cpu_seconds``,
    ``timer_wakeup_cpu_seconds``; per coroutine step ``entry_cpu_seconds``, per plain call
    from outside a region ``call_entry_cpu_seconds`` and inside one
    ``nested_call_cpu_seconds``, per watched upload ``report_while_cpu_seconds``).
    """
    addresses: list[str] = [require_loopback(a) for a in p["addresses"]]
    from azsphere_async import DeviceClient, Fleet
    from azsphere_async.staging import StageProgress

    probe = Probe()
    accounting = ProgressAccounting()
    image = p["image"]
    size = Path(image).stat().st_size
    calls = 0
    inside = 0.0
    whole: dict[str, float] = {}

    def on_progress(address: str, update: StageProgress) -> None:
        nonlocal calls, inside
        entered = time.perf_counter()
        calls += 1
        if address not in whole and update.bytes_sent >= update.total_bytes:
            whole[address] = update.elapsed
        inside += time.perf_counter() - entered

    async def run() -> None:
        async with Fleet(addresses, ca=p["ca"], timeout=p.get("timeout", 120)) as fleet:

            async def warm(device: DeviceClient) -> object:
                return await device.device.get_status()

            await fleet.run(warm)
            warmed = await fleet.deploy(p["warmup_image"], progress=on_progress)
            if not all(r.ok for r in warmed):
                raise RuntimeError(f"warm-up deploy failed: {warmed[0].error!r}")
            calibration["wakeup_cpu_seconds"] = await wakeup_cost(cpu_seconds)
            calibration["timer_wakeup_cpu_seconds"] = await timer_wakeup_cost(cpu_seconds)
            calibration["entry_cpu_seconds"] = await entry_cost()
            calibration["call_entry_cpu_seconds"] = call_entry_cost()
            calibration["nested_call_cpu_seconds"] = nested_call_cost()
            calibration["report_while_cpu_seconds"] = await report_while_cost()
            limits = p.get("concurrency") or [None] * len(p["runs"])
            for with_progress, limit in zip(p["runs"], limits, strict=True):
                nonlocal calls, inside
                calls, inside = 0, 0.0
                whole.clear()
                accounting.take()
                started = probe.start()
                results = await fleet.deploy(
                    image,
                    progress=on_progress if with_progress else None,
                    timeout=p["timeout"],
                    concurrency=limit,
                )
                sample = probe.stop(started)
                failed = [r for r in results if not r.ok]
                sample.update(
                    progress=with_progress,
                    concurrency=limit,
                    boards=len(results),
                    failed=len(failed),
                    bytes=size * (len(results) - len(failed)),
                    board_seconds=[r.elapsed for r in results],
                    progress_calls=calls,
                    progress_callback_seconds=inside,
                    whole_image_seconds=list(whole.values()),
                    **accounting.take(),
                )
                if failed:
                    raise RuntimeError(f"{len(failed)} boards failed: {failed[0].error!r}")

    calibration: dict[str, float] = {"clock_read_seconds": clock_read_cost()}
    with accounting.installed():
        asyncio.run(run())
    return probe.result(**calibration)


def deploy_requests(p: Params) -> Result:
    """Requests per application deploy on a warm session, as the mock device counts them.

    The mock runs in this process (``MockDevice``, over HTTPS on loopback) so that its own
    accounting is read directly; each sample is one ``DeviceClient.deploy`` of ``image``.
    """
    from azsphere_async import DeviceClient
    from azsphere_async.mock import MockDevice

    probe = Probe()

    async def run() -> None:
        async with (
            MockDevice() as mock,
            DeviceClient(mock.address, ca=mock.ssl_context(), timeout=30) as client,
        ):
            await client.device.get_status()  # warm: connection open, version known
            for _ in range(p["deploys"]):
                mock.stats.reset()
                started = probe.start()
                deployment = await client.deploy(p["image"])
                probe.stop(
                    started,
                    requests=mock.stats.requests,
                    connections=mock.stats.connections_accepted,
                    by_operation=dict(mock.stats.requests_by_operation),
                    app_state=str(deployment.app_state),
                )

    asyncio.run(run())
    return probe.result()
