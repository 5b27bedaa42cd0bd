"""deploy, ready and manufacturing-state against mock fleets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from azsphere_async.cli.app import cli
from azsphere_async.mock import MockDeviceConfig
from tests.shared_data import BLINK, BLINK_ID, BLINK_IMAGE_ID
from tests.threaded_fleet import ThreadedFleet


def stage_requests(fleet: ThreadedFleet) -> int:
    return sum(d.stats.requests_by_operation["PUT /update/stage"] for d in fleet.mock)


def test_deploy_then_ready(run_cli: Callable[..., Result], fleet: ThreadedFleet) -> None:
    result = run_cli("deploy", str(BLINK), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["component_id"] == BLINK_ID
    for board in document["boards"]:
        assert board["ok"]
        assert board["result"]["app_state"] == "running"
        assert board["result"]["bytes_sent"] == BLINK.stat().st_size
    assert stage_requests(fleet) == 3
    for device in fleet.mock:
        assert BLINK_ID in device.state.images.components

    # The package's path or its image ID: the installed image is what counts.
    for images in (str(BLINK), BLINK_IMAGE_ID):
        ready = run_cli(
            "ready", "--json", "--os", "24.03", "--images", images, "--mfg-state", "Blank"
        )
        assert ready.exit_code == 0, ready.output
        reports = [b["result"] for b in json.loads(ready.stdout)["boards"]]
        assert all(r["ready"] for r in reports)
        assert {c["name"]: c["status"] for c in reports[0]["checks"]} == {
            "os": "PASS",
            "images": "PASS",
            "manufacturing": "PASS",
            "capabilities": "SKIP",  # Blank boards carry the RF-test capability
            "wifi": "PASS",
            "certificates": "SKIP",
        }


def test_ready_fails_on_development_capability(
    make_fleet: Callable[..., ThreadedFleet], tmp_path: Path
) -> None:
    fleet = make_fleet(2, config=MockDeviceConfig(manufacturing_state="Module1Complete"))
    ca = fleet.mock.write_ca(tmp_path / "ca.pem")
    boards = [f"--device={address}" for address in fleet.addresses]
    runner = CliRunner()
    result = runner.invoke(cli, [*boards, "--ca", str(ca), "ready"])
    assert result.exit_code == 1
    assert "NOT READY" in result.stdout
    assert "11 (appDevelopment)" in result.stdout
    skipped = runner.invoke(cli, [*boards, "--ca", str(ca), "ready", "--no-capabilities", "--json"])
    assert skipped.exit_code == 0
    checks = json.loads(skipped.stdout)["boards"][0]["result"]["checks"]
    assert {c["name"]: c["status"] for c in checks}["capabilities"] == "SKIP"


def test_ready_reports_wrong_os_and_missing_image(run_cli: Callable[..., Result]) -> None:
    result = run_cli("ready", "--os", "99.99", "--images", str(BLINK), "--json")
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["boards"][0]["result"]["checks"]}
    assert checks["os"]["status"] == "FAIL"
    assert "99.99" in checks["os"]["detail"]
    assert checks["images"]["status"] == "FAIL"
    assert "missing" in checks["images"]["detail"]


def test_deploy_refuses_a_file_that_is_not_a_package(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, tmp_path: Path
) -> None:
    bogus = tmp_path / "notes.imagepackage"
    bogus.write_bytes(b"not an image package" * 100)
    result = run_cli("deploy", str(bogus))
    assert result.exit_code == 2
    assert "nothing was sent" in result.stderr
    assert stage_requests(fleet) == 0


def test_deploy_with_a_failing_board_exits_1(
    run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    result = run_cli(
        "deploy",
        str(BLINK),
        "--manual",
        "--timeout",
        "10",
        boards=[*fleet.addresses[:1], "127.0.0.1:9"],
    )
    assert result.exit_code == 1
    assert "1 ok" in result.stdout
    assert "1 failed" in result.stdout
    assert fleet.mock[0].state.images.components[BLINK_ID] is not None


def mfg_puts(fleet: ThreadedFleet) -> int:
    return sum(d.stats.requests_by_operation["PUT /device/manufacturing_state"] for d in fleet.mock)


def test_manufacturing_state_needs_the_irreversible_flag(
    run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    result = run_cli("manufacturing-state", "set", "DeviceComplete")
    assert result.exit_code == 1
    assert "can never be undone" in result.stdout
    assert "--yes-irreversible" in result.stdout
    for address in fleet.addresses:
        assert any(
            line.startswith(address) and "would change" in line
            for line in result.stdout.splitlines()
        )
    assert mfg_puts(fleet) == 0
    assert all(d.state.manufacturing_state == "Blank" for d in fleet.mock)

    # A stray Enter on stdin confirms nothing either.
    assert run_cli("manufacturing-state", "set", "devicecomplete", input="\n\ny\n").exit_code == 1
    assert mfg_puts(fleet) == 0

    applied = run_cli(
        "manufacturing-state",
        "set",
        "Module1Complete",
        "--yes-irreversible",
        "--json",
        boards=fleet.addresses[:2],
    )
    assert applied.exit_code == 0, applied.output
    document = json.loads(applied.stdout)
    assert document["applied"]
    assert all(b["changed"] for b in document["boards"])
    assert [d.state.manufacturing_state for d in fleet.mock] == [
        "Module1Complete",
        "Module1Complete",
        "Blank",
    ]
    assert mfg_puts(fleet) == 2

    again = run_cli("manufacturing-state", "set", "Module1Complete", "--yes-irreversible")
    assert again.exit_code == 0
    assert mfg_puts(fleet) == 3  # only the board still Blank
    assert "already Module1Complete" in again.stdout

    shown = run_cli("manufacturing-state", "show", "--json")
    states = [b["result"]["manufacturing_state"] for b in json.loads(shown.stdout)["boards"]]
    assert states == ["Module1Complete"] * 3
