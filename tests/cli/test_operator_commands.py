"""The line operator's commands: app, wifi, cert, network, restart (logs: test_logs.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import trustme
from click.testing import Result

from tests.shared_data import BLINK, BLINK_ID
from tests.threaded_fleet import ThreadedFleet

PSK = "Sup3rSecretKey!"


def test_app_start_stop_status_delete(run_cli: Callable[..., Result], fleet: ThreadedFleet) -> None:
    assert run_cli("deploy", str(BLINK), "--manual").exit_code == 0
    status = run_cli("app", "status", "--json")
    apps = json.loads(status.stdout)["boards"][0]["result"]
    assert apps == [
        {"component_id": BLINK_ID, "name": "AzureSphereBlinkTest", "state": "stopped", "core": None}
    ]
    started = run_cli("app", "start", BLINK_ID)
    assert started.exit_code == 0
    assert "running" in started.stdout
    # The component ID can come from the image package itself.
    stopped = run_cli("app", "stop", str(BLINK), "--json")
    assert {b["result"][0]["state"] for b in json.loads(stopped.stdout)["boards"]} == {"stopped"}
    quota = run_cli("app", "quota", BLINK_ID, "--json")
    assert quota.exit_code == 0
    deleted = run_cli("app", "delete", BLINK_ID)
    assert deleted.exit_code == 0
    assert all(BLINK_ID not in d.state.images.components for d in fleet.mock)
    assert run_cli("app", "status", BLINK_ID).exit_code == 0  # notPresent is an answer
    bad = run_cli("app", "start", "no-such-thing")
    assert bad.exit_code == 2
    assert "neither a component ID" in bad.stderr


def test_wifi_psk_never_shows(run_cli: Callable[..., Result], fleet: ThreadedFleet) -> None:
    added = run_cli("--debug", "wifi", "add", "ExampleNetworkName", env={"AZSPHERE_WIFI_PSK": PSK})
    assert added.exit_code == 0, added.output
    assert PSK not in added.stdout
    assert PSK not in added.stderr
    assert "ExampleNetworkName" in added.stdout
    listed = run_cli("wifi", "list", "--json")
    networks = json.loads(listed.stdout)["boards"][0]["result"]
    assert [n["ssid"] for n in networks] == ["ExampleNetworkName"]
    assert PSK not in listed.stdout
    # A key too short is refused once, before any board, without echoing it.
    short = run_cli("wifi", "add", "Other", env={"AZSPHERE_WIFI_PSK": "short"})
    assert short.exit_code == 2
    assert "short" not in short.output.replace("Other", "").replace("too short", "")
    assert "<secret of 5 characters>" in short.stderr
    scan = run_cli("wifi", "scan", "--json")
    assert "CoffeeShop" in {n["ssid"] for n in json.loads(scan.stdout)["boards"][0]["result"]}
    assert run_cli("wifi", "status").exit_code == 0
    removed = run_cli("wifi", "remove", "--ssid", "ExampleNetworkName")
    assert removed.exit_code == 0, removed.output
    assert all(not d.state.wifi.networks for d in fleet.mock)
    missing = run_cli("wifi", "remove", "--ssid", "ExampleNetworkName")
    assert missing.exit_code == 1
    assert "no network has SSID" in missing.stdout


def test_wifi_add_without_a_key_or_terminal_refuses(run_cli: Callable[..., Result]) -> None:
    result = run_cli("wifi", "add", "ExampleNetworkName")
    assert result.exit_code == 2
    assert "AZSPHERE_WIFI_PSK" in result.stderr


def test_certificates(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    root = tmp_path / "root.pem"
    root.write_bytes(trustme.CA().cert_pem.bytes())
    added = run_cli("cert", "add", "lineroot", "--type", "rootca", "--cert", str(root))
    assert added.exit_code == 0, added.output
    listed = run_cli("cert", "list", "--json")
    assert [c["id"] for c in json.loads(listed.stdout)["boards"][0]["result"]] == ["lineroot"]
    space = run_cli("cert", "space", "--json")
    assert json.loads(space.stdout)["boards"][0]["result"]["available_bytes"] > 0
    assert run_cli("cert", "remove", "lineroot").exit_code == 0
    assert "no certificates" in run_cli("cert", "list").stdout
    assert run_cli("cert", "add", "c1", "--type", "client", "--cert", str(root)).exit_code == 2


def test_network_views(run_cli: Callable[..., Result]) -> None:
    interfaces = run_cli("network", "interfaces", "--json")
    names = {i["interface_name"] for i in json.loads(interfaces.stdout)["boards"][0]["result"]}
    assert "wlan0" in names
    for view in ("proxy", "status", "firewall"):
        result = run_cli("network", view)
        assert result.exit_code == 0, (view, result.output)
    firewall = json.loads(run_cli("network", "firewall", "--json").stdout)
    assert "INPUT" in {s["hook"] for s in firewall["boards"][0]["result"]}


def test_restart_sends_the_request(run_cli: Callable[..., Result], fleet: ThreadedFleet) -> None:
    restarted = run_cli("restart", "--json")
    assert restarted.exit_code == 0, restarted.output
    assert all(not b["result"]["waited"] for b in json.loads(restarted.stdout)["boards"])
    assert all(d.stats.requests_by_operation["POST /restart"] == 1 for d in fleet.mock)


def test_restart_wait_sees_the_board_come_back(
    run_cli: Callable[..., Result], fleet: ThreadedFleet
) -> None:
    restarted = run_cli("restart", "--wait", "--timeout", "3", "--json")
    assert restarted.exit_code == 0, restarted.output
    assert all(b["result"]["waited"] for b in json.loads(restarted.stdout)["boards"])
    assert all(d.stats.restarts == 1 for d in fleet.mock)
