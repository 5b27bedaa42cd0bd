"""Commands that are safe to repeat: ``wifi add`` by SSID, the hidden key asked twice, and a
retry of just the boards that failed (``--retry-file``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from azsphere_async.cli.app import cli
from azsphere_async.mock.cli import write_test_package
from tests.shared_data import BLINK
from tests.threaded_fleet import ThreadedFleet

KEY = {"AZSPHERE_WIFI_PSK": "Line-Key-0001"}
NEW_KEY = {"AZSPHERE_WIFI_PSK": "Line-Key-0002"}
DEAD = "127.0.0.1:9"  # the discard port: nothing listens


def networks(fleet: ThreadedFleet, ssid: str) -> list[list[str | None]]:
    """Each board's keys of the networks named ``ssid``."""
    return [
        [n.psk for n in device.state.wifi.networks.values() if n.ssid == ssid]
        for device in fleet.mock
    ]


def test_wifi_add_twice_updates_in_place(
    run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    first = run_cli("wifi", "add", "LineWifi", env=KEY)
    assert first.exit_code == 0, first.output
    assert networks(fleet, "LineWifi") == [["Line-Key-0001"]] * 3
    again = run_cli("wifi", "add", "LineWifi", "--json", env=NEW_KEY)
    assert again.exit_code == 0, again.output
    boards = json.loads(again.stdout)["boards"]
    assert {b["result"]["action"] for b in boards} == {"updated"}
    assert networks(fleet, "LineWifi") == [["Line-Key-0002"]] * 3  # one each, the new key
    table = run_cli("wifi", "add", "LineWifi", env=NEW_KEY)
    assert table.stdout.count("updated") == 3


def test_wifi_add_after_one_board_failed_duplicates_nothing(
    run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    partial = run_cli("wifi", "add", "LineWifi", boards=[*fleet.addresses[:1], DEAD], env=KEY)
    assert partial.exit_code == 1
    whole = run_cli("wifi", "add", "LineWifi", "--json", env=KEY)
    assert whole.exit_code == 0, whole.output
    actions = [b["result"]["action"] for b in json.loads(whole.stdout)["boards"]]
    assert actions == ["updated", "added", "added"]
    assert [len(keys) for keys in networks(fleet, "LineWifi")] == [1, 1, 1]


def test_wifi_add_with_other_settings_leaves_the_board_alone(
    run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    assert run_cli("wifi", "add", "LineWifi", "--security", "open").exit_code == 0
    clash = run_cli("wifi", "add", "LineWifi", env=KEY)
    assert clash.exit_code == 1
    assert networks(fleet, "LineWifi") == [[None]] * 3  # still the open network, alone
    told = [line for line in clash.stdout.splitlines() if "security open" in line]
    assert len(told) == 1  # one line for the three boards
    assert "wifi remove --ssid LineWifi" in clash.stdout


def test_the_hidden_key_is_asked_twice(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # click's runner is no terminal; the command asks only where one would answer.
    wifi_command = sys.modules["azsphere_async.cli.commands.wifi"]
    monkeypatch.setattr(wifi_command, "_stdin_is_terminal", lambda: True)
    typed = "short\nLine-Key-0001\nLine-Key-000X\nLine-Key-0001\nLine-Key-0001\n"
    result = run_cli("wifi", "add", "LineWifi", input=typed)
    assert result.exit_code == 0, result.output
    assert "Line-Key" not in result.output
    assert "<secret of 5 characters>" in result.output  # the short one, refused and re-asked
    assert "do not match" in result.output  # the mistyped repeat
    assert networks(fleet, "LineWifi") == [["Line-Key-0001"]] * 3


def test_retry_file_names_the_failed_boards_for_the_next_run(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, tmp_path: Path
) -> None:
    retry = tmp_path / "retry.txt"
    fleet.mock[1].faults.drop_upload_after(4096)  # unplugged mid-upload
    first = run_cli("deploy", str(BLINK), "--retry-file", str(retry))
    assert first.exit_code == 1
    assert f"--devices-file {retry}" in first.stdout
    text = retry.read_text()
    assert fleet.addresses[1] in text
    assert fleet.mock[1].state.device_id in text
    assert fleet.addresses[0] not in text
    assert fleet.addresses[2] not in text
    stages = [d.stats.requests_by_operation["PUT /update/stage"] for d in fleet.mock]
    again = run_cli(
        "--devices-file", str(retry), "deploy", str(BLINK), "--retry-file", str(retry), boards=[]
    )
    assert again.exit_code == 0, again.output
    after = [d.stats.requests_by_operation["PUT /update/stage"] for d in fleet.mock]
    assert [b - a for a, b in zip(stages, after, strict=True)] == [0, 1, 0]
    assert "No board to retry" in again.stdout
    emptied = run_cli("--devices-file", str(retry), "status", boards=[])
    assert emptied.exit_code == 2  # nothing left to retry


def test_retry_file_under_json_and_for_not_ready_boards(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, tmp_path: Path
) -> None:
    retry = tmp_path / "retry.txt"
    result = run_cli(
        "--json", "--retry-file", str(retry), "status", boards=[*fleet.addresses, DEAD]
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["retry_file"] == str(retry)
    listed = [line.split()[0] for line in retry.read_text().splitlines() if line[:1].isdigit()]
    assert listed == [DEAD]


def test_a_package_too_large_for_the_boards_is_one_failure_line(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, tmp_path: Path
) -> None:
    big = tmp_path / "big.imagepackage"
    write_test_package(big, 3 * 1024 * 1024, name="Big")
    result = run_cli("deploy", str(big))
    assert result.exit_code == 1
    assert result.output.count("not enough free space") == 1
    line = next(line for line in result.stdout.splitlines() if "not enough free space" in line)
    assert line.startswith("✗ failed on all 3 boards: ")
    # On some of the boards: those are named, once each.
    some = run_cli("deploy", str(big), boards=[*fleet.addresses[:2], DEAD])
    line = next(line for line in some.stdout.splitlines() if "not enough free space" in line)
    assert line.startswith("✗ failed on 2 boards: ")
    listed = some.stdout.splitlines()[some.stdout.splitlines().index(line) + 1]
    assert listed.split(", ") == ["  " + fleet.addresses[0], fleet.addresses[1]]


def test_one_failure_is_told_once_on_a_terminal_too(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, ca_file: Path
) -> None:
    env = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "0", "COLUMNS": "80", "NO_COLOR": "1"}
    result = CliRunner().invoke(
        cli,
        ["--ca", str(ca_file), *(f"-d{a}" for a in [*fleet.addresses, DEAD]), "status"],
        env=env,
    )
    assert result.exit_code == 1
    assert result.output.count("could not connect") == 1
