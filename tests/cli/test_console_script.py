"""The real console script in subprocesses: demo, mock, Ctrl-C, and output through a pipe."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from azsphere_async.cli.app import cli
from tests.shared_data import BLINK
from tests.threaded_fleet import ThreadedFleet

SCRIPT = Path(sys.executable).parent / "azsphere-async"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "azsphere_async.cli"]
ANSI = re.compile(r"\x1b\[")
STYLE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def azsphere(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_version_and_help() -> None:
    assert azsphere("--version").stdout.startswith("azsphere-async, version ")
    shown = azsphere("--help").stdout
    for command in ("deploy", "ready", "manufacturing-state", "demo", "mock", "wifi", "cert"):
        assert command in shown


def test_demo_short_settings_json() -> None:
    done = azsphere("--json", "demo", "--devices", "3", "--link-speed", "10MB/s")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["summary"] == {
        "boards": 3,
        "found": 3,
        "deployed": 3,
        "ready": 3,
        "deploy_seconds": document["summary"]["deploy_seconds"],
        "ok": True,
    }
    assert [step["command"] for step in document["steps"]] == [
        "status",
        "deploy",
        "app status",
        "ready",
        "logs",
    ]
    log = document["steps"][-1]
    texts = [record["text"] for record in log["records"]]
    assert "System booted (os: 24.03, reason: power on)" in texts
    assert log["records"][-1]["message"] == "AppStarted"


def test_demo_through_a_pipe_is_plain_lines() -> None:
    done = azsphere("demo", "--devices", "3", "--link-speed", "20KB/s")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert not ANSI.search(out)
    assert "━" not in out  # no bars drawn into a pipe
    assert "Every board deployed and ready." in out
    # The hint never sends the user onto the real service's port, where a mock may already be.
    assert "azsphere-async mock --devices 4 --no-dcs" in out
    assert len(re.findall(r"uploading +50%", done.stderr)) == 3  # progress: stderr
    assert out.count("READY") == 3
    assert "Info    appman(1): Application started (component: 2f074b0f" in out


def test_mock_command_serves_a_fleet(tmp_path: Path) -> None:
    ca, addresses = tmp_path / "ca.pem", tmp_path / "boards.json"
    server = subprocess.Popen(
        [
            *COMMAND,
            "mock",
            "--devices",
            "2",
            "--ca-file",
            str(ca),
            "--addresses-file",
            str(addresses),
            "--dcs-port",
            "0",
            "--rest-api-version",
            "4.5.0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(200):
            if addresses.exists() or server.poll() is not None:
                break
            time.sleep(0.05)
        assert addresses.exists(), server.communicate(timeout=5)
        status = azsphere("--devices-file", str(addresses), "--ca", str(ca), "status", "--json")
        assert status.returncode == 0, status.stderr
        boards = json.loads(status.stdout)["boards"]
        assert [b["address"] for b in boards] == json.loads(addresses.read_text())
        assert {b["result"]["rest_api_version"] for b in boards} == {"4.5.0"}
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=20)
    assert server.returncode == 0
    assert "accounting:" in out


def test_ctrl_c_prints_what_finished(
    make_fleet: Callable[..., ThreadedFleet], tmp_path: Path
) -> None:
    fleet = make_fleet(2)
    fleet.mock[1].link.set(bandwidth=500.0)  # this board needs half a minute
    ca = fleet.mock.write_ca(tmp_path / "ca.pem")
    process = subprocess.Popen(
        [
            *COMMAND,
            "--ca",
            str(ca),
            *(f"--device={a}" for a in fleet.addresses),
            "deploy",
            str(BLINK),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    fast = fleet.addresses[0]
    for line in process.stderr:  # progress goes to stderr; stdout holds the results only
        if line.startswith(fast) and line.rstrip().endswith("done"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("127.0.0.")}
    assert "installed" in rows[fast]
    assert "interrupted" in rows[fleet.addresses[1]]
    assert f"✗ interrupted on {fleet.addresses[1]}: interrupted before it finished" in out
    assert "interrupted with Ctrl-C" in out
    assert "Traceback" not in err


def test_terminal_output_fits_80_columns(
    run_cli: Callable[..., object], fleet: ThreadedFleet, ca_file: Path
) -> None:
    runner = CliRunner()
    env = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "0", "COLUMNS": "80", "NO_COLOR": "1"}
    base = ["--ca", str(ca_file), *(f"--device={a}" for a in fleet.addresses)]
    for args in (
        ["status"],
        ["deploy", str(BLINK)],
        ["ready", "--images", str(BLINK)],
        ["images"],
    ):
        result = runner.invoke(cli, [*base, *args], env=env)
        assert result.exit_code in (0, 1), result.output
        lines = [STYLE.sub("", line) for line in result.stdout.splitlines()]
        assert any("─" in line for line in lines), args  # a drawn table, so a terminal
        too_wide = [line for line in lines if len(line) > 80]
        assert not too_wide, (args, too_wide)


def test_plain_output_has_no_escape_codes(
    run_cli: Callable[..., object], fleet: ThreadedFleet, ca_file: Path
) -> None:
    result = CliRunner().invoke(
        cli,
        ["--ca", str(ca_file), f"--device={fleet.addresses[0]}", "status"],
        env={"COLUMNS": "80"},
    )
    assert not ANSI.search(result.stdout)
    assert "─" not in result.stdout
    assert os.linesep in result.stdout
