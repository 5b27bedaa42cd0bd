"""Identity, manufacturing state, network, diagnostics, versions and locking, in-process."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from azsphere_async.mock import DeviceState, MockDeviceConfig, create_app, spec
from tests.shared_data import BLINK, BLINK_ID, OCTETS

from .conftest import checking_client


async def test_identity(http: httpx.AsyncClient, state: DeviceState) -> None:
    security = (await http.get("/device/security_state")).json()
    assert re.fullmatch(r"[0-9A-F]{128}", security["deviceIdentifier"])
    assert security["securityState"] == "SECURE"
    assert (await http.get("/device/capabilities")).json() == {"device_capabilities": [11, 12]}
    assert (await http.get("/osversion")).json() == {"osversion": state.os_version}
    assert set((await http.get("/abi_versions")).json()) == {
        "SecureWorldRuntime",
        "OSRuntime",
        "ApplicationRuntime",
    }
    response = await http.get("/status")
    assert response.headers["rest-api-version"] == "4.6.0"
    assert response.json() == {"uptime": 0}


async def test_configured_identity_and_growing_uptime() -> None:
    config = MockDeviceConfig(device_id="AB" * 64, initial_uptime=100, os_version="22.11")
    async with checking_client(create_app(DeviceState(config))) as http:
        security = (await http.get("/device/security_state")).json()
        assert security["deviceIdentifier"] == "AB" * 64
        assert (await http.get("/status")).json()["uptime"] >= 100
        assert (await http.get("/osversion")).json() == {"osversion": "22.11"}


async def test_uptime_grows(http: httpx.AsyncClient) -> None:
    before = (await http.get("/status")).json()["uptime"]
    await asyncio.sleep(1.05)
    assert (await http.get("/status")).json()["uptime"] >= before + 1


async def test_manufacturing_state_moves_forward_only(http: httpx.AsyncClient) -> None:
    url = "/device/manufacturing_state"
    assert (await http.get(url)).json() == {"manufacturingState": "Blank"}
    assert (await http.put(url, json={"manufacturingState": "Module1Complete"})).json() == {}
    same = await http.put(url, json={"manufacturingState": "Module1Complete"})
    assert (same.status_code, same.json()) == (200, {})
    assert (await http.get(url)).json() == {"manufacturingState": "Module1Complete"}
    for bad in ({"manufacturingState": "Blank"}, {"manufacturingState": "Nonsense"}, {}):
        assert (await http.put(url, json=bad)).status_code == 400
    assert (await http.put(url, json={"manufacturingState": "DeviceComplete"})).status_code == 200
    back = await http.put(url, json={"manufacturingState": "Module1Complete"})
    assert (back.status_code, back.json()) == (400, {"error": 1})
    assert (await http.put(url, json={"manufacturingState": "DeviceComplete"})).json() == {}
    assert (await http.get(url)).json() == {"manufacturingState": "DeviceComplete"}


async def test_network_interfaces(http: httpx.AsyncClient) -> None:
    interfaces = (await http.get("/net/interfaces")).json()["interfaces"]
    assert [i["interfaceName"] for i in interfaces] == ["azspheresvc", "lo", "wlan0", "eth0"]
    assert (await http.get("/net/interfaces/sl0")).status_code == 404
    url = "/net/interfaces/eth0"
    assert (await http.patch(url, json={"hardwareAddress": "02:11:22:33:44:55"})).json() == {}
    assert (await http.get(url)).json()["hardwareAddress"] == "02:11:22:33:44:55"
    assert (await http.patch(url, json={"interfaceUp": True})).status_code == 200
    assert (await http.get(url)).json()["interfaceUp"] is True
    response = await http.patch(
        "/net/interfaces/wlan0", json={"hardwareAddress": "02:11:22:33:44:55"}
    )
    assert (response.status_code, response.json()) == (400, {"error": 31457295})
    response = await http.patch(url, json={"hardwareAddress": "zz:11:22:33:44:55"})
    assert (response.status_code, response.json()) == (400, {"error": 31457286})
    response = await http.patch("/net/interfaces/azspheresvc", json={"interfaceUp": False})
    assert (response.status_code, response.json()) == (400, {"error": 31457295})
    response = await http.patch("/net/interfaces/nope", json={"interfaceUp": False})
    assert (response.status_code, response.json()) == (404, {"error": 15728642})


async def test_proxy(http: httpx.AsyncClient) -> None:
    assert (await http.get("/net/proxy")).json() == {}
    assert (await http.get("/net/status")).json()["proxy"] == "disabled"
    basic = {
        "address": "proxy.example",
        "port": 3128,
        "authenticationType": "basic",
        "username": "user",
        "password": "secret",
        "noProxyAddresses": ["10.0.0.1"],
        "enabled": True,
    }
    response = await http.post("/net/proxy", json=basic)
    assert response.status_code == 200
    assert response.json() == basic  # the answer echoes the password; GET never shows it
    shown = (await http.get("/net/proxy")).json()
    assert shown == {k: v for k, v in basic.items() if k != "password"}
    assert (await http.get("/net/status")).json()["proxy"] == "enabled"
    bad = {**basic, "authenticationType": "anonymous"}
    assert (await http.post("/net/proxy", json=bad)).status_code == 400
    assert (await http.post("/net/proxy", json={**basic, "port": 70000})).status_code == 400
    assert (await http.delete("/net/proxy")).json() == {}
    assert (await http.get("/net/proxy")).json() == {}


async def test_firewall_counts_service_traffic(http: httpx.AsyncClient) -> None:
    rulesets = (await http.get("/net/firewall/rulesets")).json()["rulesets"]
    assert [r["hook"] for r in rulesets] == [
        "PREROUTING",
        "INPUT",
        "FORWARD",
        "OUTPUT",
        "POSTROUTING",
    ]
    counted = [rule for rule in rulesets[1]["rules"] if rule["interfaceInName"] == "azspheresvc"]
    assert counted[0]["packets"] >= 1


async def test_log_and_telemetry(http: httpx.AsyncClient) -> None:
    log = await http.get("/log")
    assert log.headers["content-type"] == "application/octet-stream"
    # The whole ring of 4 KiB banks (tests/devicelog decodes it); a change adds a record.
    assert len(log.content) == 64 * 1024
    await http.put("/device/manufacturing_state", json={"manufacturingState": "Module1Complete"})
    after = (await http.get("/log")).content
    assert len(after) == len(log.content)
    assert after != log.content
    telemetry = await http.get("/telemetry")
    assert telemetry.headers["content-type"] == "application/octet-stream"
    assert telemetry.content[5:].startswith(b"ASER")
    assert int.from_bytes(telemetry.content[3:5], "big") == len(telemetry.content) - 5
    assert (await http.delete("/telemetry")).json() == {}
    assert (await http.get("/telemetry")).content == b"ER\x01\x00\x00"


async def test_json_bodies_need_json_content_type(http: httpx.AsyncClient) -> None:
    body = b'{"manufacturingState": "Module1Complete"}'
    for headers in ({"content-type": "text/plain"}, {}):
        response = await http.put("/device/manufacturing_state", content=body, headers=headers)
        assert response.status_code == 415
    response = await http.put(
        "/device/manufacturing_state",
        content=b"{oops",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    huge = b'{"x": "' + b"a" * 70_000 + b'"}'
    response = await http.post(
        "/wifi/config/networks", content=huge, headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()) == (400, {"error": 15728644})


async def test_restart_content_types(state: DeviceState) -> None:
    state.restart_handler = lambda downtime: None
    async with checking_client(create_app(state)) as http:
        assert (await http.post("/restart")).status_code == 200
        assert (
            await http.post("/restart", content=b"", headers={"content-type": "text/plain"})
        ).status_code == 200
        response = await http.post("/restart", json={})
        assert response.status_code == 415
    old = DeviceState(MockDeviceConfig(rest_api_version="4.1.0"))
    old.restart_handler = lambda downtime: None
    async with checking_client(create_app(old)) as http:
        assert (await http.post("/restart", json={})).status_code == 200
        # Before 4.2.0 devices did not answer 415 at all.
        response = await http.put(
            "/device/manufacturing_state", content=b'{"manufacturingState": "Module1Complete"}'
        )
        assert response.status_code == 200


async def test_in_process_restart(
    http: httpx.AsyncClient, state: DeviceState, blink: bytes
) -> None:
    state.config = MockDeviceConfig(restart_downtime=0.3)
    await http.put("/update/stage", content=blink, headers=OCTETS)
    await http.post("/update/install", json={"appControlMode": "Manual"})
    await http.patch(f"/app/status/{BLINK_ID}", json={"trigger": "start"})
    await http.put("/update/stage", content=blink, headers=OCTETS)
    assert (await http.post("/restart")).json() == {"restartingSystem": True}
    with pytest.raises(ConnectionRefusedError):
        await http.get("/status")
    await asyncio.sleep(0.35)
    assert (await http.get("/status")).json()["uptime"] <= 1
    assert (await http.get(f"/app/status/{BLINK_ID}")).json() == {"state": "stopped"}
    assert (await http.get("/images")).json()["has_staged_updates"] is False
    assert state.stats.restarts == 1


def _example_request(op: spec.Operation) -> tuple[str, dict[str, Any]]:
    path = op.path.format(
        componentId=BLINK_ID,
        identifier="cert1",
        networkInterfaceName="wlan0",
        wifiNetworkId="0",
        networkId="0",
    )
    kwargs: dict[str, Any] = {}
    if "application/json" in op.request_content_types:
        kwargs["json"] = {}
    elif op.request_content_types:
        kwargs["content"] = b"x"
        kwargs["headers"] = OCTETS
    return path, kwargs


@pytest.mark.parametrize("op", spec.operations(), ids=lambda op: f"{op.method} {op.path}")
async def test_device_complete_locks_protected_calls(op: spec.Operation) -> None:
    state = DeviceState(
        MockDeviceConfig(development_mode=False, manufacturing_state="DeviceComplete")
    )
    state.restart_handler = lambda downtime: None
    path, kwargs = _example_request(op)
    async with checking_client(create_app(state)) as http:
        response = await http.request(op.method, path, **kwargs)
    if op.authorizer is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert response.json()["error"] in (13, 1048596, 7340069)


@pytest.mark.parametrize("op", spec.operations(), ids=lambda op: f"{op.method} {op.path}")
@pytest.mark.parametrize("stage", ["Blank", "Module1Complete"])
async def test_before_device_complete_only_app_development_calls_need_the_capability(
    op: spec.Operation, stage: str
) -> None:
    state = DeviceState(MockDeviceConfig(development_mode=False, manufacturing_state=stage))
    state.restart_handler = lambda downtime: None
    path, kwargs = _example_request(op)
    async with checking_client(create_app(state)) as http:
        response = await http.request(op.method, path, **kwargs)
    if op.authorizer == "IsAppDevelopmentAllowed":
        assert (response.status_code, response.json()) == (403, {"error": 1048596})
    else:
        assert response.status_code != 403


@pytest.mark.parametrize("capability", [11, 13])
async def test_app_development_or_field_servicing_opens_a_device_complete_board(
    capability: int,
) -> None:
    state = DeviceState(
        MockDeviceConfig(
            development_mode=False,
            manufacturing_state="DeviceComplete",
            extra_capabilities=(capability,),
        )
    )
    async with checking_client(create_app(state)) as http:
        assert (await http.get("/images")).status_code == 200
        assert (await http.get("/wifi/config/networks")).status_code == 200
        assert (await http.get("/device/capabilities")).json() == {
            "device_capabilities": [capability]
        }
        memory = await http.get("/stats/memory/groups/applications")
        assert memory.status_code == (200 if capability == 11 else 403)


async def test_capabilities_follow_development_mode_and_manufacturing_state(
    http: httpx.AsyncClient, state: DeviceState
) -> None:
    assert (await http.get("/device/capabilities")).json() == {"device_capabilities": [11, 12]}
    state.development_mode = False
    assert (await http.get("/device/capabilities")).json() == {"device_capabilities": [12]}
    assert (await http.get("/stats/memory/groups/applications")).json() == {"error": 1048596}
    await http.put("/device/manufacturing_state", json={"manufacturingState": "Module1Complete"})
    assert (await http.get("/device/capabilities")).json() == {"device_capabilities": []}
    assert (await http.put("/update/stage", content=b"x", headers=OCTETS)).status_code == 400
    await http.put("/device/manufacturing_state", json={"manufacturingState": "DeviceComplete"})
    assert (await http.put("/update/stage", content=b"x", headers=OCTETS)).json() == {
        "error": 7340069
    }


@pytest.mark.parametrize(
    "op",
    [op for op in spec.operations() if op.since != "1.0.0"],
    ids=lambda op: f"{op.method} {op.path}",
)
async def test_calls_newer_than_the_device_answer_404(op: spec.Operation) -> None:
    older = {
        "1.2.0": "1.0.0",
        "2.0.0": "1.2.0",
        "3.0.0": "2.0.0",
        "3.1.0": "3.0.0",
        "4.1.0": "4.0.0",
        "4.3.0": "4.2.0",
        "4.5.0": "4.4.0",
    }
    version = older[op.since]
    state = DeviceState(MockDeviceConfig(rest_api_version=version))
    state.restart_handler = lambda downtime: None
    path, kwargs = _example_request(op)
    async with checking_client(create_app(state)) as http:
        response = await http.request(op.method, path, **kwargs)
    assert response.headers["rest-api-version"] == version
    assert (response.status_code, response.json()) == (404, {"error": 15728642})


async def test_fields_follow_the_version() -> None:
    old = DeviceState(MockDeviceConfig(rest_api_version="4.2.0"))
    async with checking_client(create_app(old)) as http:
        assert (
            await http.patch("/net/interfaces/eth0", json={"interfaceUp": True})
        ).status_code == 404
        wlan = (await http.get("/net/interfaces/wlan0")).json()
        assert "hardwareAddress" not in wlan
        assert "powerSavingsState" not in (await http.get("/wifi/interface")).json()
        response = await http.patch("/wifi/interface", json={"enablePowerSavings": True})
        assert response.status_code == 400
        assert (await http.patch("/wifi/interface", json={"reloadConfig": True})).status_code == 200
    mid = DeviceState(MockDeviceConfig(rest_api_version="4.3.0"))
    async with checking_client(create_app(mid)) as http:
        assert "hardwareAddress" in (await http.get("/net/interfaces/wlan0")).json()
        staged = await http.put(
            "/update/stage",
            content=BLINK.read_bytes(),
            headers=OCTETS,
        )
        assert staged.status_code == 200
        await http.post("/update/install")
        assert (await http.delete(f"/app/image/{BLINK_ID}")).json() == {}


async def test_unknown_paths_and_methods(http: httpx.AsyncClient) -> None:
    for method, path in (("GET", "/nothing"), ("DELETE", "/status"), ("GET", "/app/status")):
        response = await http.request(method, path)
        assert (response.status_code, response.json()) == (404, {"error": 15728642})
        assert response.headers["rest-api-version"] == "4.6.0"
