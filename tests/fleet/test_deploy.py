"""Streamed staging and deployment against mock devices over HTTPS."""

from __future__ import annotations

import itertools
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from azsphere_async import (
    DeviceClient,
    DeviceUnreachableError,
    Fleet,
    ImagePackageError,
    InvalidArgumentError,
    Phase,
    StageProgress,
)
from azsphere_async.deploy import FLEET_PROGRESS_INTERVAL
from azsphere_async.mock import MockDevice, MockDeviceConfig, MockFleet
from azsphere_async.models import AppState
from tests.shared_data import BLINK, BLINK_ID, MUTABLE, big_package

BIG_STORAGE = MockDeviceConfig(storage_capacity=256 * 1024 * 1024)


@pytest.mark.parametrize("package", [BLINK, MUTABLE], ids=["blink", "mutable-storage"])
async def test_deploy_real_packages_and_confirm(package: Path) -> None:
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as dev:
        updates: list[StageProgress] = []
        deployment = await dev.deploy(package, progress=updates.append)
        assert deployment.app_state == AppState.RUNNING
        assert deployment.component is None  # an application is confirmed by its status
        assert deployment.staged.bytes_sent == package.stat().st_size
        assert updates[-1].bytes_sent == package.stat().st_size
        status = await dev.app.get_status(deployment.package.component_id)
        assert status.state == AppState.RUNNING
        assert mock.stats.requests_by_operation["PUT /update/stage"] == 1
        assert mock.stats.requests_by_operation["POST /update/install"] == 1


async def test_an_application_deploys_in_three_requests_on_a_warm_session() -> None:
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as dev:
        await dev.device.get_status()  # warm: the connection open, the version known
        mock.stats.reset()
        deployment = await dev.deploy(BLINK)
        assert deployment.app_state == AppState.RUNNING
        assert dict(mock.stats.requests_by_operation) == {
            "PUT /update/stage": 1,
            "POST /update/install": 1,
            "GET /app/status/{componentId}": 1,
        }
        assert mock.stats.connections_accepted == 0


async def test_a_fleet_deploy_opens_a_small_package_twice_whatever_the_boards(
    tmp_path: Path,
) -> None:
    """Once to check its metadata and once to read it: never once per board."""
    package = tmp_path / "blink.imagepackage"
    package.write_bytes(BLINK.read_bytes())
    opened: list[str] = []
    watching = True

    def count_opens(event: str, args: tuple[Any, ...]) -> None:
        if watching and event == "open" and str(args[0]) == str(package):
            opened.append(event)

    sys.addaudithook(count_opens)
    try:
        async with MockFleet(4) as mock, Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
            results = await fleet.deploy(package)
    finally:
        watching = False
    assert all(r.ok for r in results), [r.error for r in results]
    assert len(opened) == 2
    assert all(d.stats.requests_by_operation["PUT /update/stage"] == 1 for d in mock)


async def test_deploy_manual_leaves_the_app_stopped_and_it_can_start() -> None:
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as dev:
        deployment = await dev.deploy(BLINK, start=False)
        assert deployment.app_state == AppState.STOPPED
        change = await dev.app.set_status(BLINK_ID, "start")
        assert change.state == AppState.RUNNING
        await dev.sideload.delete_image(BLINK_ID)
        images = await dev.image.get_images()
        assert BLINK_ID not in {c.uid for c in images.components or ()}


async def test_large_generated_image_streams_with_progress(tmp_path: Path) -> None:
    path = big_package(tmp_path, 32 * 1024 * 1024)
    async with (
        MockDevice(BIG_STORAGE) as mock,
        DeviceClient(mock.address, ca=mock.ssl_context()) as dev,
    ):
        updates: list[StageProgress] = []
        staged = await dev.sideload.stage(path, progress=updates.append)
        assert staged.bytes_sent == path.stat().st_size
        assert mock.stats.body_bytes_received == path.stat().st_size
        assert len(updates) >= 2
        assert updates[-1].fraction == 1.0
        images = await dev.image.get_images()
        assert images.has_staged_updates


async def test_wrong_file_is_rejected_before_upload(tmp_path: Path) -> None:
    junk = tmp_path / "firmware.bin"
    junk.write_bytes(os.urandom(200_000))
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as dev:
        with pytest.raises(ImagePackageError, match=r"firmware\.bin"):
            await dev.sideload.stage(junk)
        assert mock.stats.requests == 0


@pytest.mark.parametrize("restart_timeout", [0, -1.0, "60", True])
async def test_deploy_refuses_a_bad_restart_timeout_before_upload(restart_timeout: Any) -> None:
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as dev:
        with pytest.raises(InvalidArgumentError) as caught:
            await dev.deploy(BLINK, restart_timeout=restart_timeout)
        assert caught.value.argument == "restart_timeout"
        assert mock.stats.requests == 0


async def test_dropped_upload_names_the_board_and_bytes_then_recovers(tmp_path: Path) -> None:
    path = big_package(tmp_path, 4 * 1024 * 1024)
    async with (
        MockDevice(BIG_STORAGE) as mock,
        DeviceClient(mock.address, ca=mock.ssl_context()) as dev,
    ):
        # A board's small receive window (a capped link's): over bare loopback, Linux may grow
        # the receiver's buffer until it holds the whole image before the board reads 1 MiB.
        mock.link.set(bandwidth=64 * 1024 * 1024)
        await dev.device.get_status()
        mock.faults.drop_upload_after(1024 * 1024)
        with pytest.raises(DeviceUnreachableError) as caught:
            await dev.sideload.stage(path)
        error = caught.value
        assert error.address == mock.address
        assert error.bytes_sent is not None
        assert 1024 * 1024 <= error.bytes_sent < path.stat().st_size
        assert mock.stats.requests_by_operation["PUT /update/stage"] == 1  # never re-sent
        status = await dev.device.get_status()  # next call works on a fresh connection
        assert status.uptime is not None
        assert mock.stats.connections_accepted == 2


async def test_fleet_deploy_flashes_every_board_with_per_board_progress() -> None:
    async with MockFleet(4) as mock, Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
        for device in mock:
            device.link.set(bandwidth=2 * 1024 * 1024)
        seen: dict[str, list[int]] = defaultdict(list)

        def progress(address: str, update: StageProgress) -> None:
            seen[address].append(update.bytes_sent)

        results = await fleet.deploy(BLINK, progress=progress)
    assert all(r.ok for r in results), [r.error for r in results]
    size = BLINK.stat().st_size
    assert set(seen) == set(mock.addresses)
    assert all(values[-1] == size for values in seen.values())
    for result in results:
        assert result.value is not None
        assert result.value.app_state == AppState.RUNNING


async def test_a_fleet_deploys_boards_report_once_a_second(tmp_path: Path) -> None:
    """During the upload each board's progress comes once a second (FLEET_PROGRESS_INTERVAL),
    where a single upload's comes twice: the spacing of the shared ticker's reports."""
    image = big_package(tmp_path, 400_000)  # about 4 s: three or four ticks
    async with (
        MockFleet(2, BIG_STORAGE) as mock,
        Fleet(mock.addresses, ca=mock.ssl_context()) as fleet,
    ):
        for device in mock:
            device.link.set(bandwidth=100_000)
        uploading: dict[str, list[float]] = defaultdict(list)

        def progress(address: str, update: StageProgress) -> None:
            if update.phase is Phase.UPLOADING:
                uploading[address].append(update.elapsed)

        results = await fleet.deploy(image, progress=progress)
    assert all(r.ok for r in results), [r.error for r in results]
    for address in mock.addresses:
        ticks = uploading[address][1:]  # the first is the upload's beginning
        assert len(ticks) >= 2, uploading[address]
        gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
        assert min(gaps) >= 0.9 * FLEET_PROGRESS_INTERVAL, ticks
