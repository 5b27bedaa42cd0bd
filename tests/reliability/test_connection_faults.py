"""Lost connections, unplugged and restarting boards, and stalls, over real HTTPS on loopback.

Each failure must reach the caller as a typed error naming the board (and, for uploads, the
bytes that went out), within the time limit of the phase that failed; the board's next call
must work on a fresh connection; the other boards of a fleet must not notice.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import time
from pathlib import Path

import anyio
import pytest

from azsphere_async import (
    DeviceClient,
    DeviceTimeoutError,
    DeviceUnreachableError,
    Fleet,
    RetryPolicy,
    StagedImage,
    Timeouts,
    TLSVerificationError,
)
from azsphere_async.mock import MockDevice, MockDeviceConfig, MockFleet
from tests.reliability.reliability_helpers import (
    FAST_RETRY,
    LIMITS,
    ScriptedServer,
    answer_status,
    http_answer,
    never_answer,
    read_request,
    reset,
)

BIG_STORAGE = MockDeviceConfig(storage_capacity=256 * 1024 * 1024, restart_downtime=0.5)
#: Slack on top of a time limit for proving that a call ended because of it, not by luck.
SLACK = 2.0
#: The receive buffer of a board that stops reading (a real board's window is a few KiB).
BOARD_WINDOW = 64 * 1024


def assert_lost_upload(error: BaseException, address: str, size: int) -> int:
    """The error of an interrupted upload: unreachable (not TLS), naming board and bytes."""
    assert isinstance(error, DeviceUnreachableError), repr(error)
    assert not isinstance(error, TLSVerificationError)
    assert error.address == address
    assert address in str(error)
    assert error.bytes_sent is not None
    assert 0 <= error.bytes_sent <= size
    assert f"after {error.bytes_sent} bytes" in str(error)
    return error.bytes_sent


@pytest.mark.parametrize("after", [0, 64 * 1024, 3 * 1024 * 1024, 8 * 1024 * 1024 - 1])
async def test_drop_at_any_point_of_a_stage_is_typed_prompt_and_the_next_call_works(
    big_image: Path, after: int
) -> None:
    size = big_image.stat().st_size
    async with (
        MockDevice(BIG_STORAGE) as mock,
        DeviceClient(mock.address, ca=mock.ssl_context(), timeout=LIMITS) as client,
    ):
        await client.device.get_status()
        mock.faults.drop_upload_after(after)
        started = time.perf_counter()
        with pytest.raises(DeviceUnreachableError) as caught:
            await client.sideload.stage(big_image)
        assert time.perf_counter() - started < LIMITS.write + SLACK  # type: ignore[operator]
        sent = assert_lost_upload(caught.value, mock.address, size)
        assert sent >= min(after, size)
        assert mock.stats.requests_by_operation["PUT /update/stage"] == 1
        status = await client.device.get_status()
        assert status.uptime is not None
        assert mock.stats.connections_accepted == 2
        # The board takes a whole upload again on the fresh connection.
        staged = await client.sideload.stage(big_image)
        assert staged.bytes_sent == size


async def test_drop_during_a_deploy_stops_before_the_install(big_image: Path) -> None:
    async with (
        MockDevice(BIG_STORAGE) as mock,
        DeviceClient(mock.address, ca=mock.ssl_context(), timeout=LIMITS) as client,
    ):
        mock.faults.drop_upload_after(2 * 1024 * 1024)
        with pytest.raises(DeviceUnreachableError) as caught:
            await client.deploy(big_image)
        assert_lost_upload(caught.value, mock.address, big_image.stat().st_size)
        assert mock.stats.requests_by_operation["POST /update/install"] == 0
        deployment = await client.deploy(big_image)
        assert deployment.staged.bytes_sent == big_image.stat().st_size


async def test_a_board_unplugged_mid_upload_is_unreachable_with_the_bytes_sent(
    big_image: Path,
) -> None:
    async with MockDevice(BIG_STORAGE) as mock:
        mock.link.set(bandwidth=8 * 1024 * 1024)
        async with DeviceClient(mock.address, ca=mock.ssl_context(), timeout=LIMITS) as client:
            error: BaseException | None = None

            async def upload() -> None:
                nonlocal error
                try:
                    await client.sideload.stage(big_image)
                except Exception as exc:
                    error = exc

            started = time.perf_counter()
            async with anyio.create_task_group() as group:
                group.start_soon(upload)
                await anyio.sleep(0.3)
                await mock.stop()  # the cable is pulled
            assert error is not None
            assert_lost_upload(error, mock.address, big_image.stat().st_size)
            assert time.perf_counter() - started < LIMITS.write + SLACK  # type: ignore[operator]
            with pytest.raises(DeviceUnreachableError, match="could not connect"):
                await client.device.get_status()


async def test_a_reset_connection_is_unreachable_not_a_tls_failure(big_image: Path) -> None:
    """A board whose link resets mid-upload (TCP RST, no TLS close) is a lost connection."""

    async def reset_after_a_megabyte(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        await answer_status(reader, writer)
        await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(1024 * 1024)
        reset(writer)

    async with (
        ScriptedServer(reset_after_a_megabyte) as server,
        DeviceClient(
            server.address, ca=server.client_context(), timeout=LIMITS, retry=FAST_RETRY
        ) as client,
    ):
        with pytest.raises(DeviceUnreachableError) as caught:
            await client.sideload.stage(big_image)
    assert_lost_upload(caught.value, server.address, big_image.stat().st_size)
    assert server.connections == 1  # a change is never sent again


async def test_a_read_whose_connection_resets_is_retried_on_a_fresh_one() -> None:
    async def reset_first_then_answer(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int
    ) -> None:
        await read_request(reader)
        if number == 0:
            reset(writer)
            return
        writer.write(http_answer(200, b'{"uptime": 7}'))
        await writer.drain()
        await read_request(reader)  # keep-alive until the client leaves

    async with (
        ScriptedServer(reset_first_then_answer) as server,
        DeviceClient(
            server.address, ca=server.client_context(), timeout=LIMITS, retry=FAST_RETRY
        ) as client,
    ):
        status = await client.device.get_status()
    assert status.uptime == 7
    assert server.connections == 2


async def test_unplugged_and_restarting_boards_in_a_fleet_run_leave_the_others_alone(
    big_image: Path,
) -> None:
    size = big_image.stat().st_size
    async with MockFleet(6, BIG_STORAGE) as mock:
        for device in mock:
            device.link.set(bandwidth=8 * 1024 * 1024)
        unplugged, restarting = mock[1], mock[4]
        async with Fleet(mock.addresses, ca=mock.ssl_context(), timeout=LIMITS) as fleet:

            async def trouble() -> None:
                # A fifth of the way through both uploads (waiting on the boards' own counts,
                # not the clock, so a loaded machine cannot unplug them before they start).
                def started() -> bool:
                    return all(b.stats.body_bytes_received >= size // 5 for b in pair)

                pair = (unplugged, restarting)
                with anyio.fail_after(10):
                    while not started():  # noqa: ASYNC110 - the boards' counters have no event
                        await anyio.sleep(0.005)
                async with anyio.create_task_group() as both:
                    both.start_soon(unplugged.stop)
                    both.start_soon(functools.partial(restarting.restart, wait=False))

            started = time.perf_counter()
            async with anyio.create_task_group() as group:
                group.start_soon(trouble)
                results = await fleet.run(lambda dev: dev.sideload.stage(big_image), timeout=20)
            elapsed = time.perf_counter() - started
            # Every board had to carry 8 MiB at 8 MiB/s: about a second, never the 20 s.
            assert elapsed < 10
            assert [r.address for r in results] == mock.addresses
            by_address = {r.address: r for r in results}
            for board in (unplugged, restarting):
                result = by_address[board.address]
                assert result.error is not None
                assert_lost_upload(result.error, board.address, size)
            for result in results:
                if result.address in (unplugged.address, restarting.address):
                    continue
                assert result.ok, result.error
                assert isinstance(result.value, StagedImage)
                assert result.value.bytes_sent == size
            await restarting.wait_until_up()
            again = await fleet.run(lambda dev: dev.device.get_status(), only=[restarting.address])
            assert again[0].ok, again[0].error


async def test_a_board_that_accepts_and_never_speaks_times_out_in_the_connect_phase() -> None:
    async with (
        MockFleet(4) as mock,
        ScriptedServer(never_answer, handshake=False) as silent,
    ):
        addresses = [*mock.addresses, silent.address]
        limits = Timeouts(connect=2.0, read=5.0, write=5.0)
        async with Fleet(addresses, ca=mock.ssl_context(), timeout=limits) as fleet:
            started = time.perf_counter()
            results = await fleet.run(lambda dev: dev.device.get_status())
            elapsed = time.perf_counter() - started
        assert elapsed < 2.0 + SLACK
        error = results[-1].error
        assert isinstance(error, DeviceTimeoutError)
        assert error.phase == "connect"
        assert error.address == silent.address
        assert silent.connections == 1  # a timeout is not retried
        assert all(r.ok for r in results[:-1])
        # The healthy boards answered at their own speed, not after the silent one's limit.
        assert all(r.elapsed < 1.0 for r in results[:-1])


async def test_a_board_that_never_answers_times_out_in_the_read_phase_alone() -> None:
    async with (
        MockFleet(4) as mock,
        ScriptedServer(never_answer, ca=None) as silent,
    ):
        # The silent board trusts a CA of its own: give the fleet a context trusting both.
        context = mock.ssl_context()
        context.load_verify_locations(cadata=silent.ca.cert_pem.bytes().decode())
        context.check_hostname = False
        addresses = [*mock.addresses, silent.address]
        limits = Timeouts(connect=2.0, read=2.0, write=2.0)
        async with Fleet(addresses, ca=context, timeout=limits) as fleet:
            baseline = await fleet.run(lambda dev: dev.device.get_status(), only=mock.addresses)
            started = time.perf_counter()
            results = await fleet.run(lambda dev: dev.device.get_status())
            elapsed = time.perf_counter() - started
        assert all(r.ok for r in baseline)
        assert elapsed < 2.0 + SLACK
        error = results[-1].error
        assert isinstance(error, DeviceTimeoutError)
        assert error.phase == "read"
        assert "2.0 s" in str(error)
        assert all(r.ok for r in results[:-1])
        # The healthy boards answered at their normal speed, not after the stalled one.
        assert max(r.elapsed for r in results[:-1]) < 1.0


async def test_an_upload_the_board_stops_reading_times_out_writing_with_the_bytes_sent(
    big_image: Path,
) -> None:
    size = big_image.stat().st_size

    async def answer_then_never_read(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        # A board's receive window is small; left to itself, Linux grows a loopback
        # receiver's buffer to more than the whole image when the first bytes are read fast.
        writer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_RCVBUF, BOARD_WINDOW
        )
        await answer_status(reader, writer)
        await asyncio.Event().wait()

    async with ScriptedServer(answer_then_never_read) as stuck:
        limits = Timeouts(connect=2.0, read=2.0, write=0.5)
        async with DeviceClient(stuck.address, ca=stuck.client_context(), timeout=limits) as client:
            started = time.perf_counter()
            with pytest.raises(DeviceTimeoutError) as caught:
                await client.sideload.stage(big_image)
            assert time.perf_counter() - started < 0.5 + SLACK
    error = caught.value
    assert error.phase == "write"
    assert error.address == stuck.address
    assert error.bytes_sent is not None
    assert 0 < error.bytes_sent < size
    assert f"after {error.bytes_sent} bytes" in str(error)


async def test_a_stage_the_board_takes_but_never_answers_times_out_reading(
    big_image: Path,
) -> None:
    async with (
        MockDevice(BIG_STORAGE) as mock,
        DeviceClient(mock.address, ca=mock.ssl_context(), timeout=LIMITS) as client,
    ):
        await client.device.get_status()
        mock.faults.stall_next(None, path="/update/stage")
        started = time.perf_counter()
        with pytest.raises(DeviceTimeoutError) as caught:
            await client.sideload.stage(big_image)
        assert time.perf_counter() - started < LIMITS.read + SLACK  # type: ignore[operator]
        assert caught.value.phase == "read"
        assert caught.value.bytes_sent == big_image.stat().st_size
        assert mock.stats.requests_by_operation["PUT /update/stage"] == 1
        assert (await client.device.get_status()).uptime is not None


async def test_an_operation_time_limit_bounds_retries_of_a_board_that_keeps_dropping() -> None:
    async with MockDevice() as mock:
        mock.faults.drop_next(1000, path="/images")
        limits = Timeouts(connect=2.0, read=2.0, write=2.0, operation=0.5)
        retry = RetryPolicy(attempts=1000, backoff=0.05, max_backoff=0.05)
        async with DeviceClient(
            mock.address, ca=mock.ssl_context(), timeout=limits, retry=retry
        ) as client:
            started = time.perf_counter()
            with pytest.raises(DeviceTimeoutError) as caught:
                await client.image.get_images()
            assert time.perf_counter() - started < 0.5 + SLACK
        assert caught.value.phase == "operation"
        assert mock.stats.requests_by_operation["GET /images"] >= 2
