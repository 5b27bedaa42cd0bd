"""The library under trio: a client driven by ``anyio.run(..., backend="trio")``.

The mock device runs on asyncio (uvicorn), so it is served by another process
(``python -m azsphere_async.mock``), on loopback like everything else.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import sniffio

from azsphere_async import (
    DeviceClient,
    Fleet,
    NotFoundError,
    Phase,
    Timeouts,
    TLSVerificationError,
)
from azsphere_async.models import AppState
from tests.shared_data import BLINK


@pytest.fixture
def mock_process(tmp_path: Path) -> Iterator[tuple[list[str], Path, subprocess.Popen[str]]]:
    """Two mock boards served by a separate process; their addresses and CA file."""
    ca_file, addresses_file = tmp_path / "ca.pem", tmp_path / "boards.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "azsphere_async.mock",
            "--devices",
            "2",
            "--ca-file",
            str(ca_file),
            "--addresses-file",
            str(addresses_file),
            "--dcs-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not addresses_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the mock did not start: {process.communicate()[1]}")
            time.sleep(0.05)
        yield json.loads(addresses_file.read_text()), ca_file, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_device_client_and_fleet_under_trio(
    mock_process: tuple[list[str], Path, subprocess.Popen[str]],
) -> None:
    addresses, ca_file, process = mock_process
    limits = Timeouts(connect=5.0, read=10.0, write=10.0)

    async def main() -> None:
        assert sniffio.current_async_library() == "trio"
        async with DeviceClient(addresses[0], ca=ca_file, timeout=limits) as client:
            status = await client.device.get_status()
            assert status.uptime is not None
            assert str(client.rest_api_version) == "4.6.0"
            # Streamed from a file in worker threads, then installed and confirmed (polling).
            deployment = await client.deploy(BLINK)
            assert deployment.staged.bytes_sent == BLINK.stat().st_size
            assert deployment.app_state == AppState.RUNNING
            with pytest.raises(NotFoundError):
                await client.wifi.get_network(99)
        # Trust still holds: the default (the shipped device CA) refuses the mock's boards.
        async with DeviceClient(addresses[0], timeout=limits) as untrusted:
            with pytest.raises(TLSVerificationError):
                await untrusted.device.get_status()
        async with Fleet(addresses, ca=ca_file, timeout=limits) as fleet:
            results = await fleet.run(lambda d: d.image.get_images(), timeout=20)
            assert all(r.ok for r in results), [r.error for r in results]
            # A fleet's deploy with progress: its uploads report from one ticker task.
            phases: dict[str, list[Phase]] = {address: [] for address in addresses}
            deployed = await fleet.deploy(
                BLINK, progress=lambda address, update: phases[address].append(update.phase)
            )
            assert all(r.ok for r in deployed), [r.error for r in deployed]
            for seen in phases.values():
                # Connected by the sweep above: no connecting to report first.
                assert seen[0] is Phase.UPLOADING
                assert seen[-1] is Phase.CONFIRMING
            with anyio.move_on_after(0.2) as scope:  # cancellation under trio
                await fleet.run(lambda d: anyio.sleep(10))
            assert scope.cancelled_caught

    anyio.run(main, backend="trio")
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=15)
    # The boards' own accounting, printed as the mock stops: the calls did reach them.
    assert "accounting:" in out
    first = next(line for line in out.splitlines() if addresses[0] in line and "requests" in line)
    assert "requests 0" not in first
