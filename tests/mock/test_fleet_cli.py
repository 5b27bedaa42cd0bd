"""Fleets, the Device Communication Service, and the command that serves a fleet."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest

import azsphere_async.mock
from azsphere_async.mock import MockDeviceConfig, MockFleet, serve_fleet
from azsphere_async.mock.spec import dcs_openapi

from .conftest import checking_client


async def test_fleet_of_64_starts_fast_and_serves_concurrently() -> None:
    started = time.monotonic()
    async with MockFleet(64, dcs_port=0) as fleet:
        assert time.monotonic() - started < 5
        assert len(fleet) == 64
        hosts = {address.rsplit(":", 1)[0] for address in fleet.addresses}
        assert len(hosts) == 64 or hosts == {"127.0.0.1"}
        context = fleet.ssl_context()

        async def ask(mock_device: azsphere_async.mock.MockDevice) -> str:
            async with httpx.AsyncClient(base_url=mock_device.url, verify=context) as http:
                for _ in range(3):
                    assert (await http.get("/status")).status_code == 200
                body = (await http.get("/device/security_state")).json()
                return str(body["deviceIdentifier"])

        ids = await asyncio.gather(*(ask(device) for device in fleet))
        assert len(set(ids)) == 64
        assert all(stats.connections_accepted == 1 for stats in fleet.stats.values())
        assert all(stats.requests == 4 for stats in fleet.stats.values())

        assert fleet.dcs is not None
        async with httpx.AsyncClient(base_url=fleet.dcs.url) as http:
            listed = (await http.get("/api/service/devices")).json()
            assert [entry["IpAddress"] for entry in listed] == fleet.addresses
            assert all(entry["DeviceConnectionPath"] for entry in listed)
            assert (await http.put("/api/service/devices/rescan")).json() == 64
    assert all(not device.is_up for device in fleet)


async def test_dcs_answers_match_its_spec() -> None:
    from openapi_schema_validator import OAS30Validator

    document = dcs_openapi()
    async with MockFleet(2, dcs_port=0) as fleet:
        assert fleet.dcs is not None
        async with httpx.AsyncClient(base_url=fleet.dcs.url) as http:
            listed = (await http.get("/api/service/devices")).json()
            count = (await http.put("/api/service/devices/rescan")).json()
    schema = {
        "$ref": "#/components/schemas/DeviceConnectionInfoList",
        "components": document["components"],
    }
    OAS30Validator(schema).validate(listed)
    OAS30Validator({"type": "integer"}).validate(count)


async def test_fleet_shares_one_ca_and_takes_per_device_configs(tmp_path: Path) -> None:
    configs = [MockDeviceConfig(rest_api_version="4.2.0"), MockDeviceConfig()]
    async with MockFleet(2, configs=configs) as fleet:
        ca_file = fleet.write_ca(tmp_path / "fleet-ca.pem")
        assert fleet.ca_pem == ca_file.read_bytes()
        async with (
            checking_client(fleet[0]) as old,
            checking_client(fleet[1]) as new,
        ):
            assert (await old.get("/status")).headers["rest-api-version"] == "4.2.0"
            assert (await new.get("/osversion")).status_code == 200
            assert (await old.get("/osversion")).status_code == 404


async def test_serve_fleet_until_stopped(tmp_path: Path) -> None:
    stop = anyio.Event()
    out = io.StringIO()
    ready: list[MockFleet] = []
    is_ready = asyncio.Event()
    ca_file, addresses_file = tmp_path / "ca.pem", tmp_path / "addresses.json"

    async def client_side() -> None:
        await is_ready.wait()
        addresses = json.loads(addresses_file.read_text())
        assert len(addresses) == 3
        context = ready[0].ssl_context()
        async with httpx.AsyncClient(verify=context) as http:
            for address in addresses:
                response = await http.get(f"https://{address}/status")
                assert response.headers["rest-api-version"] == "4.4.0"
        stop.set()

    def on_ready(fleet: MockFleet) -> None:
        ready.append(fleet)
        is_ready.set()

    task = asyncio.create_task(client_side())
    accounting = await serve_fleet(
        3,
        ca_file,
        addresses_file,
        None,
        "4.4.0",
        latency_ms=1,
        stop=stop,
        on_ready=on_ready,
        out=out,
        handle_signals=False,
    )
    await task
    assert ca_file.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert [stats["requests"] for stats in accounting.values()] == [1, 1, 1]
    text = out.getvalue()
    assert "accounting:" in text
    assert "requests 1" in text


def _repo_root() -> Path:
    return Path(azsphere_async.mock.__file__).resolve().parents[2]


async def test_command_serves_a_fleet_that_curl_trusts(tmp_path: Path) -> None:
    ca_file, addresses_file = tmp_path / "ca.pem", tmp_path / "addresses.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_repo_root()), env.get("PYTHONPATH")]))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "azsphere_async.mock",
        "--devices",
        "2",
        "--ca-file",
        str(ca_file),
        "--addresses-file",
        str(addresses_file),
        "--dcs-port",
        "0",
        "--latency-ms",
        "5",
        cwd=_repo_root(),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not addresses_file.exists():
            assert process.returncode is None, "the command ended early"
            assert time.monotonic() < deadline, "the command did not start in time"
            await asyncio.sleep(0.05)
        addresses = json.loads(addresses_file.read_text())
        assert len(addresses) == 2
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=ca_file)) as http:
            for address in addresses:
                assert (await http.get(f"https://{address}/status")).status_code == 200
        curl = shutil.which("curl")
        if curl is not None:
            host, port = addresses[0].rsplit(":", 1)
            for extra, url in (
                ([], f"https://{addresses[0]}/status"),
                (
                    ["--resolve", f"a.devices.sphere.azure.local:{port}:{host}"],
                    f"https://a.devices.sphere.azure.local:{port}/status",
                ),
            ):
                result = await asyncio.to_thread(
                    subprocess.run,
                    [
                        curl,
                        "--silent",
                        "--show-error",
                        "--http1.1",
                        "--noproxy",
                        "*",
                        "--cacert",
                        str(ca_file),
                        *extra,
                        url,
                    ],
                    capture_output=True,
                    text=True,
                    timeout=20,
                )
                assert result.returncode == 0, result.stderr
                assert "uptime" in json.loads(result.stdout)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = await asyncio.wait_for(process.communicate(), 20)
        except TimeoutError:
            process.kill()
            out, err = await process.communicate()
    stdout, stderr = out.decode(), err.decode()
    assert process.returncode == 0, stderr
    assert addresses[0] in stdout
    assert "accounting:" in stdout
    if curl is None:
        pytest.skip("curl is not installed; the CA file was checked with httpx only")
