"""``azsphere-async station RECIPE``: a real process against mock boards; Ctrl-C finishes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

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
        return connection.execute(
            "SELECT device_id, outcome FROM runs WHERE ended_at IS NOT NULL ORDER BY id"
        ).fetchall()


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
