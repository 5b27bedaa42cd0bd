"""Running a station against mock boards plugged in and out: the operation and the waits."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from azsphere_async import DeviceClient
from azsphere_async.station import BoardRun, Station

GRACE = 1.5  # the hot-plug restart grace of these tests: longer than the boards' 0.2 s restarts


async def wait_for(condition: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    """Wait until ``condition()`` holds (failing after ``limit`` seconds, saying ``what``)."""
    try:
        with anyio.fail_after(limit):
            while not condition():  # noqa: ASYNC110 - counters and threads have no event
                await anyio.sleep(0.02)
    except TimeoutError:
        pytest.fail(f"not within {limit} s: {what}")


class LineOperation:
    """Two steps per board: ``read status`` and ``check``, which fails for ``failing`` boards.

    A board whose device ID is in ``held`` waits in ``read status`` until released.
    """

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.held: dict[str, anyio.Event] = {}
        self.started: list[str] = []

    def hold(self, device_id: str) -> None:
        self.held[device_id] = anyio.Event()

    def release(self, device_id: str) -> None:
        self.held.pop(device_id).set()

    async def __call__(self, client: DeviceClient, run: BoardRun) -> None:
        self.started.append(run.device_id)
        async with run.step("read status"):
            await client.device.get_status()
            if run.device_id in self.held:
                await self.held[run.device_id].wait()
        async with run.step("check"):
            if run.device_id in self.failing:
                raise RuntimeError("the check found a problem")


def slot_state(station: Station, slot: str) -> str:
    """What the slot shows now."""
    view = station.slots.get(slot)
    return view.state if view is not None else "idle"


class PluggedMockProcess:
    """Mock boards served by ``python -m azsphere_async.mock --unplugged --plug-control``,
    plugged with :meth:`send` (for tests under trio: the mock itself runs on asyncio)."""

    def __init__(self, devices: int, ca_file: Path) -> None:
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "azsphere_async.mock", "--devices", str(devices)),
                *("--dcs-port", "0", "--unplugged", "--plug-control", "--ca-file", str(ca_file)),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.dcs_url = ""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if found := re.search(r"Device Communication Service: (\S+)", line):
                self.dcs_url = found.group(1)
            if line.startswith("plug control"):
                break

    def answer(self) -> str:
        """The mock's next line (its answer to a command)."""
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def send(self, commands: str) -> None:
        """Plug-control commands, one a line."""
        assert self.process.stdin is not None
        self.process.stdin.write(commands)
        self.process.stdin.flush()

    def __enter__(self) -> PluggedMockProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
