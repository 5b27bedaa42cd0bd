"""The session pool and the fleet, against mock fleets over real HTTPS on loopback."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import anyio
import pytest

from azsphere_async import (
    DeviceClient,
    DeviceInternalError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    Fleet,
    InvalidArgumentError,
    SessionPool,
    Timeouts,
    list_attached_devices,
)
from azsphere_async.mock import MockDeviceConfig, MockFleet


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_one_connection_per_board_after_a_hundred_calls_each() -> None:
    async with MockFleet(16) as mock, SessionPool(ca=mock.ssl_context()) as pool:

        async def hundred(address: str) -> None:
            device = pool.client(address)
            for _ in range(100):
                await device.device.get_status()

        async with anyio.create_task_group() as group:
            for address in mock.addresses:
                group.start_soon(hundred, address)
        for device in mock:
            assert device.stats.requests == 100
            assert device.stats.connections_accepted == 1, device.address


async def test_a_restarted_board_gets_a_fresh_connection_by_itself() -> None:
    config = MockDeviceConfig(restart_downtime=0.5)
    async with MockFleet(2, config) as mock, SessionPool(ca=mock.ssl_context()) as pool:
        board = pool.client(mock.addresses[0])
        first = await board.device.get_status()
        back = await board.device.restart(wait=True, timeout=20, poll_interval=0.1)
        assert back.uptime is not None
        assert first.uptime is not None
        for _ in range(5):
            await board.device.get_status()
        assert mock[0].stats.connections_accepted == 2
        assert mock[0].stats.restarts == 1
        assert mock[1].stats.connections_accepted == 0


async def test_calls_to_one_board_queue_on_its_single_connection() -> None:
    async with MockFleet(1) as mock:
        mock[0].link.set(latency_ms=20)
        async with (
            DeviceClient(mock.addresses[0], ca=mock.ssl_context()) as client,
            anyio.create_task_group() as group,
        ):
            for _ in range(10):
                group.start_soon(client.device.get_status)
        assert mock[0].stats.connections_accepted == 1
        assert mock[0].stats.requests == 10


async def test_sweep_over_32_slow_boards_runs_in_parallel() -> None:
    async with MockFleet(32) as mock, Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
        for device in mock:
            device.link.set(latency_ms=50)
        await fleet.run(lambda dev: dev.device.get_status())  # connections up
        started = time.perf_counter()
        results = await fleet.run(lambda dev: dev.device.get_status())
        elapsed = time.perf_counter() - started
    assert [r.address for r in results] == mock.addresses
    assert all(r.ok for r in results)
    # One after another would take 32 x 50 ms = 1.6 s; in parallel it is one latency plus
    # overhead. The bound only proves the boards were worked on at once, not a speed target.
    assert elapsed < 0.8


async def test_one_failing_and_one_stalled_board_leave_the_others_alone() -> None:
    async with MockFleet(6) as mock:
        mock[1].faults.fail_next(5, status=500, code=10485765, path="/status")
        mock[4].faults.stall_next(None, path="/status")
        timeouts = Timeouts(connect=5, read=1.0, write=5)
        async with Fleet(mock.addresses, ca=mock.ssl_context(), timeout=timeouts) as fleet:
            started = time.perf_counter()
            results = await fleet.run(lambda dev: dev.device.get_status())
            elapsed = time.perf_counter() - started
    by_address = {r.address: r for r in results}
    failed = by_address[mock.addresses[1]].error
    assert isinstance(failed, DeviceInternalError)
    assert failed.error_code == 10485765
    assert failed.address == mock.addresses[1]
    stalled = by_address[mock.addresses[4]].error
    assert isinstance(stalled, DeviceTimeoutError)
    assert stalled.phase == "read"
    healthy = [r for r in results if r.address not in (mock.addresses[1], mock.addresses[4])]
    assert all(r.ok and r.value is not None for r in healthy)
    assert all(r.elapsed < 1.0 for r in healthy)
    assert elapsed < 5


async def test_per_board_timeout_is_a_result_not_a_crash() -> None:
    async with MockFleet(3) as mock:
        mock[2].link.set(latency_ms=3000)
        async with Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
            results = await fleet.run(lambda dev: dev.device.get_status(), timeout=0.5)
    assert [r.ok for r in results] == [True, True, False]
    error = results[2].error
    assert isinstance(error, DeviceTimeoutError)
    assert error.phase == "operation"
    with pytest.raises(DeviceTimeoutError):
        results[2].unwrap()


async def test_a_vanished_board_is_an_unreachable_error() -> None:
    async with MockFleet(3) as mock:
        gone = mock.addresses[1]
        await mock[1].stop()
        async with Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
            results = await fleet.run(lambda dev: dev.device.get_status())
    assert [r.ok for r in results] == [True, False, True]
    assert isinstance(results[1].error, DeviceUnreachableError)
    assert gone in str(results[1].error)


async def test_cancelling_a_run_is_prompt_and_leaks_nothing() -> None:
    async with MockFleet(8) as mock:
        for device in mock:
            device.faults.stall_next(None, path="/status")
        fds_before = open_fds()
        tasks_before = len(asyncio.all_tasks())
        async with Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
            started = time.perf_counter()
            with anyio.move_on_after(0.3) as scope:
                await fleet.run(lambda dev: dev.device.get_status())
            assert scope.cancelled_caught
            assert time.perf_counter() - started < 1.5
        await anyio.sleep(0.1)  # let the mock notice the closed connections
        assert len(asyncio.all_tasks()) <= tasks_before + len(mock)  # stalled server handlers
        for device in mock:
            device.faults.clear()
        await anyio.sleep(0.2)
        assert open_fds() <= fds_before
        assert all(device.stats.connections_open == 0 for device in mock)


async def test_as_completed_yields_fast_boards_first() -> None:
    async with MockFleet(4) as mock:
        mock[0].link.set(latency_ms=400)
        async with Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
            order = []
            async with fleet.as_completed(lambda dev: dev.device.get_status()) as results:
                async for result in results:
                    assert result.ok
                    order.append(result.address)
    assert sorted(order) == sorted(mock.addresses)
    assert order[-1] == mock.addresses[0]


async def test_fleet_from_the_device_communication_service() -> None:
    async with MockFleet(3, dcs_port=0) as mock:
        assert mock.dcs is not None
        dcs_url = f"http://127.0.0.1:{mock.dcs.port}"
        attached = await list_attached_devices(dcs_url=dcs_url)
        assert [d.address for d in attached] == mock.addresses
        async with await Fleet.attached(dcs_url=dcs_url, ca=mock.ssl_context()) as fleet:
            results = await fleet.run(lambda dev: dev.device.get_security_state())
    assert all(r.ok for r in results)


def test_fleet_arguments_are_checked_before_traffic() -> None:
    with pytest.raises(InvalidArgumentError, match="each board listed once"):
        Fleet(["127.0.0.2:1000", "127.0.0.2:1000"])
    with pytest.raises(InvalidArgumentError, match="concurrency"):
        Fleet(["127.0.0.2:1000"], concurrency=0)
    with pytest.raises(InvalidArgumentError, match="max_response_bytes"):
        Fleet(["127.0.0.2:1000"], max_response_bytes=0)


async def test_concurrency_limit_is_respected() -> None:
    async with MockFleet(6) as mock:
        active = 0
        peak = 0

        async def op(client: DeviceClient) -> None:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await client.device.get_status()
            await anyio.sleep(0.05)
            active -= 1

        async with Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
            await fleet.run(op, concurrency=2)
    assert peak == 2


async def test_by_default_every_board_of_a_large_fleet_runs_at_once() -> None:
    """253 boards (as many as one computer's USB addresses take): no waves."""
    addresses = [f"127.0.{n // 250}.{n % 250 + 2}:1000" for n in range(253)]
    running = 0
    everyone = anyio.Event()

    async def wait_for_everyone(client: DeviceClient) -> str:
        nonlocal running
        running += 1
        if running == len(addresses):
            everyone.set()
        await everyone.wait()  # no traffic: only whether all run at the same time
        return client.address

    async with Fleet(addresses) as fleet:
        with anyio.fail_after(10):
            results = await fleet.run(wait_for_everyone)
    assert [r.value for r in results] == addresses


def test_fleet_deploy_refuses_a_wrong_file_before_any_board(tmp_path: Path) -> None:
    junk = tmp_path / "junk.imagepackage"
    junk.write_bytes(b"not an image package" * 100)

    async def main() -> None:
        async with MockFleet(2) as mock, Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
            from azsphere_async import ImagePackageError

            with pytest.raises(ImagePackageError):
                await fleet.deploy(junk)
            assert all(device.stats.requests == 0 for device in mock)

    anyio.run(main)
