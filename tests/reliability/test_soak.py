"""Soak: many fleet sweeps over 32 mock boards with random faults in about 5% of requests.

Every board's result of every sweep must be accounted for: a value, or a typed
:class:`DeviceError` (never another exception, never a TLS error from trusted boards), and
no more failures than faults injected. At the end nothing is left over: no asyncio task, no
file descriptor, no connection open on any board.

The short soak runs in the normal suite; the long one (``@pytest.mark.slow``, run by
``nox -s soak``) does ``AZSPHERE_SOAK_SWEEPS`` sweeps (default 1,000) within
``AZSPHERE_SOAK_SECONDS`` (default 1,800). ``AZSPHERE_SOAK_SEED`` picks the faults.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections import Counter
from typing import Any, Final

import anyio
import attrs
import pytest

from azsphere_async import (
    DeviceClient,
    DeviceError,
    Fleet,
    RetryPolicy,
    Timeouts,
    TLSVerificationError,
)
from azsphere_async.mock import Fault, FaultKind, MockFleet
from tests.reliability.reliability_helpers import open_fds
from tests.shared_data import BLINK, BLINK_ID

BOARDS: Final = 32
PROBABILITY: Final = 0.05
SHORT_SWEEPS: Final = 30
LONG_SWEEPS: Final = int(os.environ.get("AZSPHERE_SOAK_SWEEPS", "1000"))
LONG_BUDGET: Final = float(os.environ.get("AZSPHERE_SOAK_SECONDS", "1800"))
SEED: Final = int(os.environ.get("AZSPHERE_SOAK_SEED", "20240611"))
#: The client's limits: a stalled board costs one read timeout.
LIMITS: Final = Timeouts(connect=2.0, read=1.0, write=2.0)
RESPONSE_CAP: Final = 1024 * 1024
#: Each sweep's time limit per board (generous: it bounds the run, it is not a target).
BOARD_TIMEOUT: Final = 15.0

_ONCE = [
    Fault(FaultKind.DROP),
    Fault(FaultKind.ERROR),
    Fault(FaultKind.MALFORMED_JSON),
    Fault(FaultKind.TRUNCATED_JSON),
    Fault(FaultKind.TRUNCATED_BODY),
    Fault(FaultKind.WRONG_CONTENT_TYPE),
    Fault(FaultKind.EMPTY_BODY),
    Fault(FaultKind.GIANT_BODY, size=2 * RESPONSE_CAP),
    Fault(FaultKind.STALL, seconds=0.05),  # a slow answer
    Fault(FaultKind.STALL, seconds=0.05, then_drop=True),
    Fault(FaultKind.DROP_UPLOAD),
]
#: Every kind of fault; a board that stalls for good (costing a read timeout) is the rarest.
KINDS: Final = [*_ONCE, *_ONCE, Fault(FaultKind.STALL, seconds=None)]


async def sweep_operation(client: DeviceClient, sweep: int) -> str:
    """What a station does to every board in one sweep: a status read and one more call,
    a different one each sweep (reads, raw bytes, a change, an upload)."""
    await client.device.get_status()
    match sweep % 8:
        case 0:
            await client.image.get_images()
        case 1:
            await client.wifi.get_networks()
        case 2:
            await client.network.get_interfaces()
        case 3:
            await client.certificates.get_space()
        case 4:
            await client.device.get_diagnostic_log()
        case 5:
            await client.wifi.set_interface_state(reload_config=True)
        case 6:
            await client.app.get_status(BLINK_ID)
        case _:
            await client.sideload.stage(BLINK)
    return client.address


@attrs.define
class Figures:
    """What a soak did and saw."""

    sweeps: int = 0
    results: int = 0
    ok: int = 0
    errors: Counter[str] = attrs.Factory(Counter)
    faults: Counter[str] = attrs.Factory(Counter)
    requests: int = 0
    wall: float = 0.0
    slowest_sweep: float = 0.0
    fds: tuple[int, int, int] = (0, 0, 0)
    tasks: tuple[int, int] = (0, 0)
    max_rss_mib: float = 0.0

    def summary(self) -> str:
        errors = ", ".join(f"{name} {count}" for name, count in self.errors.most_common())
        faults = ", ".join(f"{name} {count}" for name, count in self.faults.most_common())
        return (
            f"soak: {self.sweeps} sweeps x {BOARDS} boards = {self.results} results in "
            f"{self.wall:.1f} s (slowest sweep {self.slowest_sweep:.2f} s); "
            f"{self.ok} ok, {sum(self.errors.values())} typed errors [{errors}]; "
            f"{self.requests} requests, {sum(self.faults.values())} faults [{faults}]; "
            f"fds before/after client/after mock {self.fds}, tasks before/after {self.tasks}, "
            f"max RSS {self.max_rss_mib:.0f} MiB; seed {SEED}"
        )


async def _settle(condition: Any, seconds: float = 5.0) -> None:
    """Wait (a little) for the event loop to finish closing things, up to ``seconds``."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await anyio.sleep(0.05)


async def soak(sweeps: int, budget: float) -> Figures:
    figures = Figures()
    fds_at_start = open_fds()
    started = time.perf_counter()
    with anyio.fail_after(budget):
        async with MockFleet(BOARDS) as mock:
            for index, board in enumerate(mock):
                board.faults.set_random(PROBABILITY, seed=SEED + index, kinds=KINDS)
            await anyio.sleep(0.05)
            fds_before = open_fds()
            tasks_before = len(asyncio.all_tasks())
            async with Fleet(
                mock.addresses,
                ca=mock.ssl_context(),
                timeout=LIMITS,
                retry=RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05),
                max_response_bytes=RESPONSE_CAP,
            ) as fleet:
                for sweep in range(sweeps):
                    sweep_started = time.perf_counter()

                    async def operation(client: DeviceClient, sweep: int = sweep) -> str:
                        return await sweep_operation(client, sweep)

                    results = await fleet.run(operation, timeout=BOARD_TIMEOUT)
                    figures.slowest_sweep = max(
                        figures.slowest_sweep, time.perf_counter() - sweep_started
                    )
                    assert [r.address for r in results] == mock.addresses
                    for result in results:
                        figures.results += 1
                        if result.ok:
                            assert result.value == result.address
                            figures.ok += 1
                            continue
                        error = result.error
                        # Accounted for: a typed device error naming its board, nothing else.
                        assert isinstance(error, DeviceError), repr(error)
                        assert not isinstance(error, TLSVerificationError), repr(error)
                        assert error.address == result.address
                        figures.errors[type(error).__name__] += 1
                    figures.sweeps += 1
            for board in mock:
                board.faults.clear()
                figures.faults.update(board.stats.faults_injected)
                figures.requests += board.stats.requests
            await _settle(lambda: all(board.stats.connections_open == 0 for board in mock))
            await _settle(lambda: len(asyncio.all_tasks()) <= tasks_before)
            fds_after_client = open_fds()
            tasks_after = len(asyncio.all_tasks())
            assert all(board.stats.connections_open == 0 for board in mock)
        await anyio.sleep(0.05)
    figures.wall = time.perf_counter() - started
    figures.fds = (fds_before, fds_after_client, open_fds())
    figures.tasks = (tasks_before, tasks_after)
    figures.max_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\n" + figures.summary())
    # Every result accounted for, and no failure without a fault behind it.
    assert figures.sweeps == sweeps
    assert figures.results == sweeps * BOARDS
    assert figures.ok + sum(figures.errors.values()) == figures.results
    assert sum(figures.errors.values()) <= sum(figures.faults.values())
    # Nothing left over: tasks, descriptors, connections.
    assert tasks_after <= tasks_before
    assert fds_after_client <= fds_before
    assert open_fds() <= fds_at_start
    return figures


async def test_short_soak_accounts_for_every_result_and_leaks_nothing() -> None:
    figures = await soak(SHORT_SWEEPS, budget=120)
    assert sum(figures.faults.values()) > 0  # the faults did happen
    assert figures.ok > 0


@pytest.mark.slow
async def test_long_soak_accounts_for_every_result_and_leaks_nothing() -> None:
    figures = await soak(LONG_SWEEPS, budget=LONG_BUDGET)
    assert figures.sweeps >= 1000 or "AZSPHERE_SOAK_SWEEPS" in os.environ
    # About 5% of requests were faulty (the faults are random: a generous band).
    rate = sum(figures.faults.values()) / figures.requests
    assert 0.03 < rate < 0.07, rate
