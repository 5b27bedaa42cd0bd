"""What boards, files and errors say is shown as it is: control characters as escapes, never
parsed as markup; stdout carries the results only; every board is named by address and ID."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from azsphere_async import DeviceClient
from azsphere_async.cli.app import cli
from azsphere_async.cli.station_view import _panel, slot_line
from azsphere_async.mock import MockDeviceConfig, WifiScanEntry
from azsphere_async.mock.cli import write_test_package
from azsphere_async.station import SlotView
from tests.shared_data import BLINK
from tests.threaded_fleet import ThreadedFleet

HOSTILE_SSID = "\x1b[31mEvil[/]\x07\u202e"
SHOWN_SSID = "\\x1b[31mEvil[/]\\x07\\u202e"
TERMINAL = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "0", "COLUMNS": "250", "NO_COLOR": "1"}


@pytest.fixture
def fleet(make_fleet: Callable[..., ThreadedFleet]) -> ThreadedFleet:
    """Three boards that can see an access point whose name is an attack on the terminal."""
    base = MockDeviceConfig(restart_downtime=0.3)
    evil = WifiScanEntry(HOSTILE_SSID, "11:11:11:11:11:99", 2412, -30, "open")
    return make_fleet(3, config=dataclasses.replace(base, scan_results=(evil,)), dcs_port=0)


def on_terminal(fleet: ThreadedFleet, ca_file: Path, *args: str) -> Result:
    boards = [f"--device={a}" for a in fleet.addresses]
    return CliRunner().invoke(cli, ["--ca", str(ca_file), *boards, *args], env=TERMINAL)


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
def test_a_scanned_ssid_cannot_reach_the_terminal_raw(
    terminal: bool, run_cli: Callable[..., Result], fleet: ThreadedFleet, ca_file: Path
) -> None:
    result = on_terminal(fleet, ca_file, "wifi", "scan") if terminal else run_cli("wifi", "scan")
    assert result.exit_code == 0, result.output
    assert SHOWN_SSID in result.stdout
    for raw in ("\x1b[31m", "\x07", "\u202e"):
        assert raw not in result.output


def test_json_escapes_what_a_terminal_would_act_on(run_cli: Callable[..., Result]) -> None:
    result = run_cli("wifi", "scan", "--json")
    assert "\x1b" not in result.stdout
    assert "\u202e" not in result.stdout
    seen = json.loads(result.stdout)["boards"][0]["result"]
    assert [n["ssid"] for n in seen] == [HOSTILE_SSID]  # the data itself is untouched


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
def test_markup_in_a_package_and_in_answers_is_only_text(
    terminal: bool,
    run_cli: Callable[..., Result],
    fleet: ThreadedFleet,
    ca_file: Path,
    tmp_path: Path,
) -> None:
    package = tmp_path / "evil.imagepackage"
    write_test_package(package, 20_000, name="[bold]Evil[/][/]")

    def run(*args: str) -> Result:
        return on_terminal(fleet, ca_file, *args) if terminal else run_cli(*args)

    deployed = run("deploy", str(package))
    assert deployed.exit_code == 0, deployed.output
    assert "3 boards: 3 ok" in deployed.stdout  # the whole fleet deployed and was reported
    assert "[bold]Evil[/][/]" in deployed.output
    listed = run("images")  # the board's answers carry the name now
    assert listed.exit_code == 0, listed.output
    assert "[bold]Evil[/][/]" in listed.stdout
    missing = run("wifi", "remove", "--ssid", "[/]gone")  # a failure that quotes the input
    assert missing.exit_code == 1
    assert "no network has SSID [/]gone" in missing.stdout


def test_a_piped_deploy_writes_only_results_to_stdout(
    run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    result = run_cli("deploy", str(BLINK))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["BOARD", "DEVICE", "ID"]
    assert [line.split()[0] for line in lines[1:-1]] == fleet.addresses
    assert lines[-1] == "3 boards: 3 ok"
    assert "installing" in result.stderr
    assert "Deploying" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["deploy", str(BLINK)],
        ["images"],
        ["wifi", "list"],
        ["network", "proxy"],
        ["restart"],
        ["manufacturing-state", "show"],
        ["manufacturing-state", "set", "Module1Complete"],
    ],
    ids=" ".join,
)
def test_every_board_record_carries_address_and_device_id(
    command: list[str], run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    result = run_cli("--json", *command)
    assert result.exit_code in (0, 1), result.output
    boards = json.loads(result.stdout)["boards"]
    assert [(b["address"], b["device_id"]) for b in boards] == [
        (device.address, device.state.device_id) for device in fleet.mock
    ]


def test_network_proxy_shows_the_board_and_the_proxy_apart(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, ca_file: Path
) -> None:
    async def configure() -> None:
        async with DeviceClient(fleet.addresses[0], ca=str(ca_file)) as device:
            await device.network.configure_proxy(address="proxy.line.example", port=3128)

    anyio.run(configure)
    result = run_cli("network", "proxy")
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()[1:-1]
    assert [row.split()[0] for row in rows] == fleet.addresses
    assert "proxy.line.example:3128" in rows[0]


def test_debug_logs_every_request_of_a_table_command(run_cli: Callable[..., Result]) -> None:
    result = run_cli("--debug", "status")
    assert result.exit_code == 0, result.output
    assert "-> GET /status" in result.stderr
    assert "-> GET /device/security_state" in result.stderr


def test_the_station_panel_shows_hostile_slot_and_detail_as_text() -> None:
    view = SlotView(
        slot="[/]1\x1b[2J",
        state="failed",
        device_id="AB" * 64,
        serial="SN[bold]\x07",
        detail="board said \x1b]0;owned\x07 [/]",
    )
    console = Console(width=60, force_terminal=True, color_system=None, file=io.StringIO())
    with console.capture() as captured:
        console.print(_panel(view))
    shown = captured.get()
    assert "[/]1\\x1b[2J" in shown
    assert "\\x1b]0;owned\\x07 [/]" in shown
    assert "\x1b[2J" not in shown
    assert "\x07" not in shown
    assert slot_line(view).startswith("slot [/]1\x1b[2J: FAIL")  # plain lines: the Output escapes
