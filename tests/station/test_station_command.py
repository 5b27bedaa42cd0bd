"""``azsphere-async station RECIPE``: a real process against mock boards; Ctrl-C finishes.

Every station process is killed when its test ends, pass or fail (:class:`CommandProcess`).
The tests wait on what the station writes and prints, never on the clock.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from click.testing import CliRunner

from azsphere_async.cli.app import cli
from azsphere_async.mock import DeviceStats
from tests.station.station_helpers import CommandProcess
from tests.threaded_fleet import ThreadedFleet
from tests.workflows.workflow_helpers import write_recipe

RECIPE = """\
os_versions = ["24.03"]
other_apps = "remove"
allowed_capabilities = [11]   # mock boards are development boards

[[apps]]
package = "blink.imagepackage"
"""


def with_serial_command(folder: Path, prints: str) -> str:
    """The recipe, with a ``[station]`` command that prints ``prints`` and the board's slot."""
    program = folder / "serial.py"
    program.write_text(f"import os\nprint({prints!r} + os.environ['AZSPHERE_SLOT'])\n")
    return RECIPE + f'\n[station]\nserial_command = ["{sys.executable}", "{program}"]\n'


def finished_runs(db: Path) -> list[tuple[str, str]]:
    """``(device_id, outcome)`` of every run that ended."""
    if not db.exists():
        return []
    connection = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return connection.execute(
            "SELECT device_id, outcome FROM runs WHERE ended_at IS NOT NULL ORDER BY id"
        ).fetchall()
    except sqlite3.OperationalError:  # the station is creating the database and its tables
        return []
    finally:
        connection.close()


def uploading(stats: DeviceStats) -> bool:
    """Whether the board has begun to receive an image."""
    return stats.requests_by_path.get("/update/stage", 0) > 0 or stats.body_bytes_received > 0


def test_the_station_applies_the_recipe_to_every_board_and_records_it(tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path, with_serial_command(tmp_path, "SN-RECIPE-"))
    db = tmp_path / "records.db"
    with ThreadedFleet(2, dcs_port=0) as fleet:
        ca = fleet.mock.write_ca(tmp_path / "ca.pem")
        assert fleet.mock.dcs is not None
        with CommandProcess(
            [
                *("--ca", str(ca), "--dcs-url", fleet.mock.dcs.url),
                *("station", str(recipe), "--db", str(db), "--poll", "0.1", "--name", "line3"),
            ]
        ) as station:
            station.wait_until(lambda: len(finished_runs(db)) == 2, "both boards recorded")
            station.interrupt()  # nothing in flight: the station stops
            status = station.finish()
        ids = {device.state.device_id for device in fleet.mock}
    out, err = station.stdout, station.stderr
    assert status == 0, err
    assert sorted(finished_runs(db)) == sorted((i, "passed") for i in ids)
    assert "2 passed, 0 failed, 0 interrupted" in out + err
    assert "PASS" in out + err
    assert "Serial numbers printed by: " in out + err
    assert "(the recipe's [station] serial_command)" in out + err
    with sqlite3.connect(db) as connection:
        serials = {row[0] for row in connection.execute("SELECT serial FROM runs")}
        for (run,) in connection.execute("SELECT id FROM runs").fetchall():
            query = "SELECT name FROM steps WHERE run_id = ? ORDER BY position"
            steps = [row[0] for row in connection.execute(query, (run,))]
            assert steps[:2] == ["serial number", "identify"]
            assert any("install" in name for name in steps)
            assert steps[-1] == "verify"
    assert serials == {"SN-RECIPE-1", "SN-RECIPE-2"}
    assert "Traceback" not in err


def test_a_second_ctrl_c_stops_at_once_and_records_the_board_in_flight(tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path, with_serial_command(tmp_path, "SN-RECIPE-"))
    db = tmp_path / "records.db"
    # The command line's serial number command wins over the recipe's.
    option = f"{sys.executable} -c \"print('SN-OPTION')\""
    with ThreadedFleet(1, dcs_port=0) as fleet:
        fleet.mock[0].faults.stall_next(path="/update/stage")  # the upload is never answered
        ca = fleet.mock.write_ca(tmp_path / "ca.pem")
        assert fleet.mock.dcs is not None
        with CommandProcess(
            [
                *("--ca", str(ca), "--dcs-url", fleet.mock.dcs.url),
                *("station", str(recipe), "--db", str(db), "--poll", "0.1"),
                *("--serial-command", option),
            ]
        ) as station:
            stats = fleet.mock[0].stats
            station.wait_until(lambda: uploading(stats), "the board receives its image")
            station.interrupt()  # finish the board in flight...
            station.wait_until(lambda: "Stopping: finishing" in station.stderr, "draining")
            assert station.process.poll() is None  # ...it cannot finish: the upload stalls
            station.interrupt()  # ...no: stop now
            status = station.finish()
    out, err = station.stdout, station.stderr
    assert status == 130, err
    assert finished_runs(db) == [(fleet.mock[0].state.device_id, "interrupted")]
    with sqlite3.connect(db) as connection:
        detail, serial = connection.execute("SELECT detail, serial FROM runs").fetchone()
        (last_step,) = connection.execute(
            "SELECT outcome FROM steps ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert detail == "the station was stopped"
    assert last_step == "interrupted"
    assert serial == "SN-OPTION"
    assert "(--serial-command, not the recipe's)" in out + err
    assert "0 passed, 0 failed, 1 interrupted" in out + err
    assert "Traceback" not in err


def test_a_serial_number_command_that_cannot_run_is_refused_before_the_station_starts(
    tmp_path: Path,
) -> None:
    text = RECIPE + '\n[station]\nserial_command = ["no-such-serial-tool", "--line", "3"]\n'
    recipe = write_recipe(tmp_path, text)
    db = tmp_path / "records.db"
    runner = CliRunner()
    # An unused DCS address: nothing may be asked before the command is refused.
    station = ["--dcs-url", "http://127.0.0.1:9", "station", str(recipe), "--db", str(db)]
    refused = runner.invoke(cli, station)
    assert refused.exit_code == 2, refused.output
    assert (
        f"{recipe}:9: station.serial_command: got 'no-such-serial-tool' (not found on PATH); "
        "expected a program that can be run" in refused.stderr
    )
    assert "nothing was sent to any board" in refused.stderr
    bad_option = runner.invoke(cli, [*station, "--serial-command", str(tmp_path / "none.sh")])
    assert bad_option.exit_code == 2, bad_option.output
    assert "Invalid value for '--serial-command'" in bad_option.stderr
    assert "(no such file)" in bad_option.stderr
    both = runner.invoke(cli, [*station, "--serial-command", "x", "--scan-serials"])
    assert both.exit_code == 2
    assert "choose one" in both.stderr
    assert not db.exists()
