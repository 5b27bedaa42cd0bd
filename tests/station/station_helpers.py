"""Running a station against mock boards plugged in and out: the operation and the waits.

Every subprocess a test starts (a station, a mock fleet) is killed when the test ends, pass
or fail, so a failed test leaves nothing running on a machine that other suites share.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

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


def _stop(process: subprocess.Popen[str]) -> None:
    """Kill ``process`` if it still runs, and reap it."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


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
        try:
            for line in self.process.stdout:
                if found := re.search(r"Device Communication Service: (\S+)", line):
                    self.dcs_url = found.group(1)
                if line.startswith("plug control"):
                    break
            else:
                pytest.fail(f"the mock exited ({self.process.wait(timeout=30)}) before serving")
        except BaseException:
            _stop(self.process)
            raise

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
        try:
            self.process.wait(timeout=30)
        finally:
            _stop(self.process)


#: The command line, run as a subprocess.
COMMAND = (sys.executable, "-m", "azsphere_async.cli")


class CommandProcess:
    """``azsphere-async ARGS`` in a subprocess, its output collected as it comes.

    A context manager: on the way out the process is killed if it still runs (a failed test
    leaves no station behind).
    """

    def __init__(self, args: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            [*COMMAND, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: dict[str, list[str]] = {"out": [], "err": []}
        self._readers = [
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True)
            for stream, lines in (
                (self.process.stdout, self._lines["out"]),
                (self.process.stderr, self._lines["err"]),
            )
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _collect(stream: IO[str] | None, lines: list[str]) -> None:
        assert stream is not None
        for line in stream:
            lines.append(line)

    @property
    def stdout(self) -> str:
        """Its standard output so far."""
        return "".join(self._lines["out"])

    @property
    def stderr(self) -> str:
        """Its standard error so far."""
        return "".join(self._lines["err"])

    def wait_until(self, condition: Callable[[], bool], what: str, limit: float = 120.0) -> None:
        """Wait until ``condition()`` holds; fail (with its output) if it exits or takes over
        ``limit`` seconds."""
        deadline = time.monotonic() + limit
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(f"it exited ({self.process.returncode}) before {what}:\n{self.stderr}")
            if time.monotonic() > deadline:
                pytest.fail(f"not within {limit} s: {what}\n{self.stdout}\n{self.stderr}")
            time.sleep(0.05)

    def interrupt(self) -> None:
        """Ctrl-C."""
        self.process.send_signal(signal.SIGINT)

    def finish(self, timeout: float = 60.0) -> int:
        """Wait for it to exit (and for all its output); its exit status."""
        status = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=30)
        return status

    def __enter__(self) -> CommandProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        _stop(self.process)
        for reader in self._readers:
            reader.join(timeout=30)
