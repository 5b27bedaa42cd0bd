"""``azsphere-async station RECIPE``: a real process against mock boards; Ctrl-C finishes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from azsphere_async.mock import DeviceStats
from tests.threaded_fleet import ThreadedFleet
from tests.workflows.workflow_helpers import write_recipe

COMMAND = [sys.executable, "-m", "azsphere_async.cli"]

RECIPE = """\
os_versions = ["24.03"]
other_apps = "remove"
allowed_capabilities = [11]   # mock boards are development boards

[[apps]]
package = "blink.imagepackage"
"""


def finished_runs(db: Path) -> list[tuple[str, str]]:
    """``(device_id, outcome)`` of every run that ended."""
    if not db.exists():
        return []
    with sqlite3.connect(db) as connection:
        try:
            return connection.execute(
                "SELECT device_id, outcome FROM runs WHERE ended_at IS NOT NULL ORDER BY id"
            ).fetchall()
        except sqlite3.OperationalError:  # the station is creating the tables
            return []


def uploading(stats: DeviceStats) -> bool:
    """Whether the board has begun to receive an image."""
    return stats.requests_by_path.get("/update/stage", 0) > 0 or stats.body_bytes_received > 0


def test_the_station_applies_the_recipe_to_every_board_and_records_it(tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path, RECIPE)
    db = tmp_path / "records.db"
    with ThreadedFleet(2, dcs_port=0) as fleet:
        ca = fleet.mock.write_ca(tmp_path / "ca.pem")
        assert fleet.mock.dcs is not None
        process = subprocess.Popen(
            [
                *COMMAND,
                "--ca",
                str(ca),
                "--dcs-url",
                fleet.mock.dcs.url,
                "station",
                str(recipe),
                "--db",
                str(db),
                "--poll",
                "0.1",
                "--name",
                "line3",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while len(finished_runs(db)) < 2 and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)  # nothing in flight: the station stops
        out, err = process.communicate(timeout=60)
        ids = {device.state.device_id for device in fleet.mock}
    assert process.returncode == 0, err
    assert sorted(finished_runs(db)) == sorted((i, "passed") for i in ids)
    assert "2 passed, 0 failed, 0 interrupted" in out + err
    assert "PASS" in out + err
    with sqlite3.connect(db) as connection:
        steps = [row[0] for row in connection.execute("SELECT name FROM steps ORDER BY id")]
    assert "identify" in steps
    assert any("install" in name for name in steps)
    assert "verify" in steps
    assert "Traceback" not in err


def test_a_second_ctrl_c_stops_at_once_and_records_the_board_in_flight(tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path, RECIPE)
    db = tmp_path / "records.db"
    with ThreadedFleet(1, dcs_port=0) as fleet:
        fleet.mock[0].faults.stall_next(path="/update/stage")  # the upload is never answered
        ca = fleet.mock.write_ca(tmp_path / "ca.pem")
        assert fleet.mock.dcs is not None
        process = subprocess.Popen(
            [
                *(*COMMAND, "--ca", str(ca), "--dcs-url", fleet.mock.dcs.url),
                *("station", str(recipe), "--db", str(db), "--poll", "0.1"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        stats = fleet.mock[0].stats
        while not uploading(stats) and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)  # finish the board in flight...
        time.sleep(0.5)
        assert process.poll() is None
        process.send_signal(signal.SIGINT)  # ...no: stop now
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert finished_runs(db) == [(fleet.mock[0].state.device_id, "interrupted")]
    with sqlite3.connect(db) as connection:
        (detail,) = connection.execute("SELECT detail FROM runs").fetchone()
        (last_step,) = connection.execute(
            "SELECT outcome FROM steps ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert detail == "the station was stopped"
    assert last_step == "interrupted"
    assert "0 passed, 0 failed, 1 interrupted" in out + err
    assert "Traceback" not in err
