"""status, devices, images and --json, against mock fleets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from azsphere_async.cli.app import cli
from tests.threaded_fleet import ThreadedFleet


def test_status_table_names_every_board(
    run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    result = run_cli("status")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["BOARD", "DEVICE", "ID"]
    for address in fleet.addresses:
        assert any(line.startswith(address) and "24.03" in line for line in lines)
    assert "3 boards: 3 ok" in result.stdout


def test_status_json_is_the_only_stdout(
    run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    result = run_cli("status", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["command"] == "status"
    assert [b["address"] for b in document["boards"]] == fleet.addresses
    board = document["boards"][0]["result"]
    device = fleet.mock[0].state
    assert board["device_id"] == device.device_id
    assert board["os_version"] == "24.03"
    assert board["rest_api_version"] == "4.6.0"
    assert board["security_state"] == "SECURE"
    assert board["manufacturing_state"] == "Blank"
    assert document["summary"] == {
        "boards": 3,
        "ok": 3,
        "failed": 0,
        "unfinished": 0,
        "interrupted": False,
    }


def test_options_may_follow_the_command(run_cli: Callable[..., Result]) -> None:
    # --json after the command name works like before it.
    assert json.loads(run_cli("status", "--json").stdout)["command"] == "status"


def test_unreachable_board_fails_alone(
    run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    dead = "127.0.0.1:9"  # discard port: nothing listens
    result = run_cli("status", "--json", "--timeout", "5", boards=[*fleet.addresses, dead])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    failed = [b for b in document["boards"] if not b["ok"]]
    assert [b["address"] for b in failed] == [dead]
    assert failed[0]["error"]["type"] == "DeviceUnreachableError"
    assert "attached" in failed[0]["error"]["hint"]
    assert document["summary"]["ok"] == 3

    table = run_cli("status", boards=[fleet.addresses[0], dead])
    assert table.exit_code == 1
    row = next(line for line in table.stdout.splitlines() if line.startswith(dead))
    assert "failed" in row
    told = [line for line in table.stdout.splitlines() if dead in line and "attached" in line]
    assert len(told) == 1
    assert told[0].startswith(f"✗ failed on {dead}: ")
    assert "1 failed" in table.stdout


def test_devices_and_all_use_the_dcs(fleet: ThreadedFleet, ca_file: Path) -> None:
    runner = CliRunner()
    dcs = fleet.mock.dcs
    assert dcs is not None
    listed = runner.invoke(cli, ["--dcs-url", dcs.url, "devices", "--json"])
    assert listed.exit_code == 0
    devices = json.loads(listed.stdout)["devices"]
    assert [d["address"] for d in devices] == fleet.addresses
    assert all(d["connection_path"] for d in devices)

    every = runner.invoke(
        cli, ["--all", "--dcs-url", dcs.url, "--ca", str(ca_file), "status", "--json"]
    )
    assert every.exit_code == 0, every.output
    assert [b["address"] for b in json.loads(every.stdout)["boards"]] == fleet.addresses


def test_environment_variable_chooses_boards(fleet: ThreadedFleet, ca_file: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["--ca", str(ca_file), "status", "--json"],
        env={"AZSPHERE_DEVICES": ",".join(fleet.addresses[:2])},
    )
    assert result.exit_code == 0
    assert [b["address"] for b in json.loads(result.stdout)["boards"]] == fleet.addresses[:2]


def test_images_lists_system_components(
    run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    result = run_cli("images", "--json")
    assert result.exit_code == 0
    components = json.loads(result.stdout)["boards"][0]["result"]["components"]
    assert {c["name"] for c in components} >= {"NW Kernel", "Azure Sphere Services"}
    plain = run_cli("images")
    # Through a pipe every row repeats its board, so grep finds them all.
    assert sum(line.startswith(fleet.addresses[0]) for line in plain.stdout.splitlines()) == len(
        components
    )


def test_untrusted_ca_is_one_clear_line(fleet: ThreadedFleet, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    from azsphere_async.mock import MockCA

    MockCA().write(other)
    result = CliRunner().invoke(
        cli, ["--device", fleet.addresses[0], "--ca", str(other), "status", "--json"]
    )
    assert result.exit_code == 1
    error = json.loads(result.stdout)["boards"][0]["error"]
    assert error["type"] == "TLSVerificationError"
    assert "--ca" in error["hint"]
