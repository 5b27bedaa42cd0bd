"""plan, apply and ready with recipes, through the command line, against mock fleets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from azsphere_async.cli.app import cli
from azsphere_async.mock import MockDeviceConfig
from tests.shared_data import BLINK, BLINK_ID, BLINK_IMAGE_ID
from tests.threaded_fleet import ThreadedFleet
from tests.workflows.workflow_helpers import (
    LINE_RECIPE,
    WIFI_KEY,
    WIFI_KEY_ENV,
    changes,
    write_recipe,
    write_root_ca,
)

KEY = {WIFI_KEY_ENV: WIFI_KEY}


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    write_root_ca(tmp_path)
    return write_recipe(tmp_path, LINE_RECIPE)


def requests(fleet: ThreadedFleet) -> int:
    return sum(device.stats.requests for device in fleet.mock)


def board_changes(fleet: ThreadedFleet) -> dict[str, int]:
    total: dict[str, int] = {}
    for device in fleet.mock:
        for operation, count in changes(device.stats.requests_by_operation).items():
            total[operation] = total.get(operation, 0) + count
    return total


def test_plan_apply_and_apply_again(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, recipe: Path
) -> None:
    planned = run_cli("plan", str(recipe), env=KEY)
    assert planned.exit_code == 1, planned.output
    for address in fleet.addresses:
        rows = [line for line in planned.stdout.splitlines() if line.startswith(address)]
        # Board, device ID, then the action.
        assert [row.split("  ")[2].strip() for row in rows] == [
            "install AzureSphereBlinkTest",
            "add certificate LineCA (rootca)",
            "add Wi-Fi LineWifi (psk)",
            "set manufacturing state Module1Complete (irreversible)",
        ]
    assert "not installed" in planned.stdout
    assert "0 up to date, 3 not up to date" in planned.stdout
    assert board_changes(fleet) == {}

    applied = run_cli("apply", str(recipe), "--yes-irreversible", "--json", env=KEY)
    assert applied.exit_code == 0, applied.output
    document = json.loads(applied.stdout)
    assert document["command"] == "apply"
    for board in document["boards"]:
        assert board["ok"]
        assert [r["outcome"] for r in board["result"]["results"]] == ["done"] * 4
    assert board_changes(fleet)["PUT /update/stage"] == 3
    assert all(d.state.manufacturing_state == "Module1Complete" for d in fleet.mock)

    for device in fleet.mock:
        device.stats.reset()
    again = run_cli("apply", str(recipe), "--yes-irreversible", env=KEY)
    assert again.exit_code == 0, again.output
    assert again.stdout.count("up to date") >= 3
    assert board_changes(fleet) == {}
    assert run_cli("plan", str(recipe), env=KEY).exit_code == 0


def test_apply_holds_the_state_without_the_flag(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, recipe: Path
) -> None:
    result = run_cli("apply", str(recipe), env=KEY)
    assert result.exit_code == 1
    assert "held" in result.stdout
    assert "--yes-irreversible" in result.stdout
    assert all(d.state.manufacturing_state == "Blank" for d in fleet.mock)
    assert all(BLINK_ID in d.state.images.components for d in fleet.mock)
    assert "PUT /device/manufacturing_state" not in board_changes(fleet)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('os_versions = "24.03"\n', "line.toml:1: os_versions: got a string"),
        ('[[apps]]\npackage = "missing.imagepackage"\n', "line.toml:2: apps[0].package"),
        (f'[[wifi]]\nssid = "LineWifi"\npsk = "{WIFI_KEY}"\n', "line.toml:3: wifi[0].psk"),
        ('[[wifi]]\nssid = "LineWifi"\nkey_env = "NOT_SET_ANYWHERE"\n', "NOT_SET_ANYWHERE"),
    ],
)
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_bad_recipe_exits_2_before_any_traffic(
    run_cli: Callable[..., Result],
    fleet: ThreadedFleet,
    tmp_path: Path,
    command: str,
    text: str,
    message: str,
) -> None:
    path = write_recipe(tmp_path, text)
    result = run_cli(command, str(path), env=KEY)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "nothing was sent to any board" in result.stderr
    assert WIFI_KEY not in result.output
    assert requests(fleet) == 0


def test_the_wifi_key_never_shows(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, recipe: Path
) -> None:
    outputs = [
        run_cli("plan", str(recipe), "--json", env=KEY),
        run_cli("apply", str(recipe), "--debug", env=KEY),
        run_cli("plan", str(recipe), env=KEY),
        run_cli("apply", str(recipe), "--json", "--details", env=KEY),
    ]
    assert all(d.state.wifi.networks for d in fleet.mock)  # it reached the boards
    for result in outputs:
        assert WIFI_KEY not in result.stdout
        assert WIFI_KEY not in result.stderr


def test_ready_takes_packages_or_image_ids_and_refuses_the_rest(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, tmp_path: Path
) -> None:
    assert run_cli("deploy", str(BLINK)).exit_code == 0
    for images in (str(BLINK), BLINK_IMAGE_ID, BLINK_IMAGE_ID.upper()):
        assert run_cli("ready", "--images", images).exit_code == 0, images
    before = requests(fleet)
    for junk in ("k900.imagepackage", "blink", str(tmp_path)):
        result = run_cli("ready", "--images", junk)
        assert result.exit_code == 2, junk
        assert "neither an image ID" in result.output
    not_a_package = tmp_path / "notes.imagepackage"
    not_a_package.write_text("hello" * 100)
    refused = run_cli("ready", "--images", str(not_a_package))
    assert refused.exit_code == 2
    assert "image package" in refused.output
    assert requests(fleet) == before
    confused = run_cli("ready", "--images", BLINK_ID, "--json")
    assert confused.exit_code == 1
    assert "is the component ID of AzureSphereBlinkTest" in confused.stdout


def test_ready_on_many_boards_groups_the_reasons(
    make_fleet: Callable[..., ThreadedFleet], tmp_path: Path
) -> None:
    fleet = make_fleet(6)
    ca = fleet.mock.write_ca(tmp_path / "ca.pem")
    base = ["--ca", str(ca), *(f"--device={a}" for a in fleet.addresses)]
    runner = CliRunner()
    result = runner.invoke(cli, [*base, "ready", "--images", str(BLINK), "--os", "99.1"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line.startswith("127.0.0.")]) == 6  # one row a board
    reasons = [line for line in lines if "missing AzureSphereBlinkTest" in line]
    assert len(reasons) == 1  # once, not once per board
    assert reasons[0].split()[0] == "6"
    assert "ready --details" in result.stdout
    detailed = runner.invoke(cli, [*base, "ready", "--images", str(BLINK), "--details"])
    assert len([line for line in detailed.stdout.splitlines() if "missing Azure" in line]) == 6
    document = json.loads(
        runner.invoke(cli, [*base, "ready", "--images", str(BLINK), "--json"]).stdout
    )
    (reason,) = document["reasons"]
    assert reason["count"] == 6
    assert sorted(reason["boards"]) == sorted(fleet.addresses)


def test_ready_knows_device_complete(
    make_fleet: Callable[..., ThreadedFleet], tmp_path: Path
) -> None:
    finished = MockDeviceConfig(manufacturing_state="DeviceComplete", development_mode=False)
    fleet = make_fleet(2, config=finished)
    ca = fleet.mock.write_ca(tmp_path / "ca.pem")
    base = ["--ca", str(ca), *(f"--device={a}" for a in fleet.addresses)]
    result = CliRunner().invoke(
        cli,
        [*base, "ready", "--images", str(BLINK), "--mfg-state", "DeviceComplete", "--json"],
    )
    document = json.loads(result.stdout)
    for board in document["boards"]:
        checks = {c["name"]: c for c in board["result"]["checks"]}
        assert checks["images"]["locked"]
        assert checks["images"]["status"] == "SKIP"
        assert checks["wifi"]["locked"]
    plain = CliRunner().invoke(cli, [*base, "ready", "--mfg-state", "DeviceComplete"])
    assert "locked" in plain.stdout
    for device in fleet.mock:
        assert "GET /images" not in device.stats.requests_by_operation
        assert 403 not in device.stats.responses_by_status


def test_ready_with_a_recipe(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, recipe: Path
) -> None:
    result = run_cli("ready", "--recipe", str(recipe), "--json", env=KEY)
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["boards"][0]["result"]["checks"]}
    assert "missing AzureSphereBlinkTest" in checks["images"]["detail"]
    assert "missing LineWifi" in checks["wifi"]["detail"]
    assert checks["manufacturing"]["status"] == "FAIL"
    mixed = run_cli("ready", "--recipe", str(recipe), "--os", "24.03", env=KEY)
    assert mixed.exit_code == 2
