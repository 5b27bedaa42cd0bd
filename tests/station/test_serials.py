"""Serial numbers printed by a command: what it is given, and every way it can go wrong.

The commands are real subprocesses (small Python scripts); the station runs against mock
boards plugged in one at a time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import pytest

from azsphere_async import ClientOptions, InvalidArgumentError
from azsphere_async.mock import MockDeviceConfig, MockFleet
from azsphere_async.records import RecordStore
from azsphere_async.station import Station
from azsphere_async.station.hotplug import watch_attached
from azsphere_async.station.serials import CommandSerials, SerialError, check_serial_command
from tests.station.station_helpers import LineOperation, slot_state, wait_for

PYTHON = sys.executable


def script(folder: Path, body: str, name: str = "serial.py") -> list[str]:
    """A command running the Python ``body`` (``os`` and ``sys`` imported)."""
    path = folder / name
    path.write_text("import os, sys\n" + body)
    return [PYTHON, str(path)]


async def test_the_command_is_given_the_board_and_its_first_line_is_the_serial(
    tmp_path: Path,
) -> None:
    command = script(
        tmp_path,
        "assert sys.stdin.read() == ''  # nothing waits on the operator's keyboard\n"
        "env = os.environ\n"
        "print('  SN-' + env['AZSPHERE_SLOT'] + '-' + env['AZSPHERE_DEVICE_ID'][:4] + ' ')\n"
        "print(env['AZSPHERE_STATION'])\n"
        "print('a log line on errors', file=sys.stderr)\n",
    )
    serials = CommandSerials(command, station="line3")
    assert await serials.serial_for("ABCD" + "0" * 124, "4") == "SN-4-ABCD"
    # A string is split as a shell would split it.
    assert CommandSerials(f"{PYTHON} -c 'print(7)'").command == (PYTHON, "-c", "print(7)")


async def test_the_command_never_sees_the_stations_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINE_WIFI_KEY", "correct-horse-battery")
    monkeypatch.setenv("AZSPHERE_BROKER_PASSWORD", "broker-pw-7731")
    monkeypatch.setenv("LINE_NAME", "line3")
    command = script(
        tmp_path,
        "held = [n for n, v in os.environ.items() if '7731' in v or 'horse' in v]\n"
        "print(os.environ['LINE_NAME'] + ':' + ','.join(held))\n",
    )
    serials = CommandSerials(command, withheld=["correct-horse-battery", "broker-pw-7731", ""])
    # Everything else of the station's environment is passed on.
    assert await serials.serial_for("A" * 128, "1") == "line3:"


async def test_a_failing_or_silent_command_fails_with_why(tmp_path: Path) -> None:
    failing = script(
        tmp_path, "print('MES: no serial for this board', file=sys.stderr)\nsys.exit(3)"
    )
    with pytest.raises(SerialError) as caught:
        await CommandSerials(failing).serial_for("dev", "1")
    message = str(caught.value)
    assert "exited with 3: MES: no serial for this board" in message
    assert "it must print the serial number on its first line and exit 0" in message
    with pytest.raises(SerialError, match="printed nothing"):
        await CommandSerials([PYTHON, "-c", "print()"]).serial_for("d", "1")
    with pytest.raises(SerialError, match="control characters"):
        await CommandSerials([PYTHON, "-c", "print('SN\\x1b[31m')"]).serial_for("d", "1")
    with pytest.raises(SerialError, match="longer than 128 characters"):
        await CommandSerials([PYTHON, "-c", "print('S' * 129)"]).serial_for("d", "1")


async def test_a_command_that_takes_too_long_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    serials = CommandSerials(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 600"], timeout=1.0)
    with pytest.raises(SerialError, match="took over 1 s and was stopped"):
        await serials.serial_for("dev", "1")
    pid = pid_file.read_text().strip() if pid_file.exists() else ""
    if pid:  # a loaded machine may kill it before it wrote its ID
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)  # killed and reaped, not left running


async def test_a_serial_printed_twice_is_refused_and_a_board_keeps_its_own(
    tmp_path: Path,
) -> None:
    runs = tmp_path / "runs"
    command = script(tmp_path, f"open({str(runs)!r}, 'a').write('x')\nprint('SN-SAME')")
    serials = CommandSerials(command)
    assert await serials.serial_for("board-1", "1") == "SN-SAME"
    with pytest.raises(SerialError) as caught:
        await serials.serial_for("board-2", "2")
    assert "printed 'SN-SAME': printed twice: already bound to board board-1" in str(caught.value)
    assert "each board needs a serial number of its own" in str(caught.value)
    # The same board plugged in again keeps its serial: the command is not asked again.
    assert await serials.serial_for("board-1", "3") == "SN-SAME"
    assert runs.read_text() == "xx"
    serials.release("board-1")  # board 1 did not pass: its serial may go to another board
    assert await serials.serial_for("board-2", "2") == "SN-SAME"


def test_a_program_that_cannot_run_is_refused_before_any_board(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="'no-such-serial-tool' \\(not found on PATH\\)"):
        CommandSerials(["no-such-serial-tool", "--line", "3"])
    text = tmp_path / "serial.txt"
    text.write_text("SN-1")
    with pytest.raises(InvalidArgumentError, match="not an executable file"):
        check_serial_command([str(text)])
    with pytest.raises(InvalidArgumentError, match="no such file"):
        check_serial_command(str(tmp_path / "missing.sh"))
    with pytest.raises(InvalidArgumentError, match="a program, then its arguments"):
        check_serial_command("")


async def test_the_station_records_the_serial_step_and_fails_a_board_without_one(
    tmp_path: Path,
) -> None:
    command = script(
        tmp_path,
        "slot = os.environ['AZSPHERE_SLOT']\n"
        "if slot == '2':\n"
        "    sys.exit('MES: board not registered')\n"
        "print('SN-1')  # slot 3 gets the same: printed twice\n",
    )
    operation = LineOperation()
    async with (
        MockFleet(3, MockDeviceConfig(restart_downtime=0.2), dcs_port=0, plugged=False) as mock,
        RecordStore(tmp_path / "records.db") as store,
    ):
        assert mock.dcs is not None
        options = ClientOptions(ca=mock.ssl_context())
        serials = CommandSerials(command, station="st1")
        station = Station(operation, store, name="st1", options=options, serials=serials)
        events = watch_attached(dcs_url=mock.dcs.url, options=options, interval=0.05)
        async with anyio.create_task_group() as group:
            group.start_soon(station.run, events)
            await mock.plug(0)
            await wait_for(lambda: slot_state(station, "1") == "passed", "board 1 passed")
            await mock.plug(1)
            await mock.plug(2)
            await wait_for(lambda: slot_state(station, "2") == "failed", "board 2 failed")
            await wait_for(lambda: slot_state(station, "3") == "failed", "board 3 failed")
            group.cancel_scope.cancel()
        runs = {run.slot: run for run in await store.runs()}
    assert runs["1"].serial == "SN-1"
    assert [(s.name, s.outcome) for s in runs["1"].steps][:2] == [
        ("serial number", "passed"),
        ("identify", "passed"),
    ]
    for slot, why in (("2", "exited with 1: MES: board not registered"), ("3", "printed twice")):
        assert runs[slot].serial is None
        assert [(s.name, s.outcome) for s in runs[slot].steps] == [("serial number", "failed")]
        assert runs[slot].detail.startswith("serial number: the serial number command")
        assert why in runs[slot].detail
        assert why in runs[slot].steps[0].detail
    assert operation.started == [mock[0].state.device_id]  # no board without a serial is worked on
    assert station.slots["3"].detail == runs["3"].detail
