"""Staging, installing, app status and storage, in-process (every answer checked by the spec)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from azsphere_async.mock import (
    DeviceState,
    MockDeviceConfig,
    build_image_package,
    create_app,
    image_package_chunks,
    image_package_size,
)
from tests.shared_data import BLINK, BLINK_ID, MUTABLE, MUTABLE_ID, OCTETS

from .conftest import checking_client


async def stage(http: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await http.put("/update/stage", content=body, headers=OCTETS)


async def test_fresh_device_has_os_components_and_no_apps(http: httpx.AsyncClient) -> None:
    images = (await http.get("/images")).json()
    assert images["has_staged_updates"] is False
    kernel = [c for c in images["components"] if c["name"] == "NW Kernel"]
    assert kernel
    assert kernel[0]["image_type"] == 7
    assert all(c["image_type"] != 10 for c in images["components"])
    assert (await http.get(f"/app/status/{BLINK_ID}")).json() == {"state": "notPresent"}


async def test_stage_install_status(
    http: httpx.AsyncClient, blink: bytes, state: DeviceState
) -> None:
    free = state.images.free_space
    response = await stage(http, blink)
    assert response.status_code == 200
    assert response.json() == {}
    assert state.images.free_space == free - len(blink)
    images = (await http.get("/images")).json()
    assert images["has_staged_updates"] is True
    assert (await http.get(f"/app/status/{BLINK_ID}")).json() == {"state": "notPresent"}

    response = await http.post("/update/install")
    assert response.status_code == 200
    assert response.json() == {}
    assert (await http.get(f"/app/status/{BLINK_ID}")).json() == {"state": "running"}
    images = (await http.get("/images")).json()
    assert images["has_staged_updates"] is False
    app = next(c for c in images["components"] if c["uid"] == BLINK_ID)
    assert app["image_type"] == 10
    assert app["name"] == "AzureSphereBlinkTest"
    assert app["images"][0]["uid"] == "6415a939-c098-48cf-8e5c-02b52a9f0ffb"
    assert app["images"][0]["length_in_bytes"] == len(blink)
    assert state.images.free_space == free - len(blink)


async def test_manual_mode_and_triggers(http: httpx.AsyncClient, blink: bytes) -> None:
    await stage(http, blink)
    response = await http.post("/update/install", json={"appControlMode": "Manual"})
    assert response.status_code == 200
    status_url = f"/app/status/{BLINK_ID}"
    assert (await http.get(status_url)).json() == {"state": "stopped"}
    for trigger, expected in [
        ("start", "running"),
        ("stop", "stopped"),
        ("start", "running"),
    ]:
        response = await http.patch(status_url, json={"trigger": trigger})
        assert response.status_code == 200
        assert response.json() == {"state": expected}
        assert (await http.get(status_url)).json() == {"state": expected}
    response = await http.patch(status_url, json={"trigger": "jump"})
    assert response.status_code == 400
    # Debugging needs the debug server, which this board (no enable-development) lacks.
    response = await http.patch(status_url, json={"trigger": "startDebug"})
    assert (response.status_code, response.json()) == (400, {"error": 3145738})
    assert (await http.get(status_url)).json() == {"state": "running"}


async def test_start_debug_with_the_debug_server() -> None:
    state = DeviceState(MockDeviceConfig(debug_server=True))
    async with checking_client(create_app(state)) as http:
        names = {c["name"] for c in (await http.get("/images")).json()["components"]}
        assert "gdbserver" in names
        await stage(http, BLINK.read_bytes())
        await http.post("/update/install")
        response = await http.patch(f"/app/status/{BLINK_ID}", json={"trigger": "startDebug"})
        assert response.json() == {"state": "debugging", "gdbPort": 2345, "outPort": 2342}
        assert (await http.get(f"/app/status/{BLINK_ID}")).json() == {"state": "debugging"}


async def test_patch_absent_app_and_bad_component_ids(http: httpx.AsyncClient) -> None:
    response = await http.patch(f"/app/status/{BLINK_ID}", json={"trigger": "start"})
    assert (response.status_code, response.json()) == (409, {"error": 14680076})
    response = await http.delete(f"/app/image/{BLINK_ID}")
    assert (response.status_code, response.json()) == (200, {})
    for bad in ("not-a-uid", BLINK_ID[:-1]):
        response = await http.get(f"/app/status/{bad}")
        assert (response.status_code, response.json()) == (400, {"error": 15728642})


async def test_delete_frees_space(
    http: httpx.AsyncClient, blink: bytes, state: DeviceState
) -> None:
    free = state.images.free_space
    await stage(http, blink)
    await http.post("/update/install")
    response = await http.delete(f"/app/image/{BLINK_ID}")
    assert response.status_code == 200
    assert response.json() == {}
    assert state.images.free_space == free
    assert (await http.get(f"/app/status/{BLINK_ID}")).json() == {"state": "notPresent"}


async def test_quota_and_memory_statistics(http: httpx.AsyncClient, blink: bytes) -> None:
    await stage(http, MUTABLE.read_bytes())
    await stage(http, blink)
    await http.post("/update/install")
    assert (await http.get(f"/app/quota/{MUTABLE_ID}")).json() == {"UsageKB": 0, "LimitKB": 8}
    assert (await http.get(f"/app/quota/{BLINK_ID}")).json() == {"UsageKB": 0, "LimitKB": 0}
    missing = await http.get("/app/quota/00000000-1111-2222-3333-444444444444")
    assert (missing.status_code, missing.json()) == (404, {"error": 14680076})
    stats = (await http.get("/stats/memory/groups/applications")).json()
    assert {a["componentId"].lower() for a in stats["apps"]} == {BLINK_ID, MUTABLE_ID}
    assert stats["memoryStats"]["currentMemoryUsageInBytes"] > 0
    await http.patch(f"/app/status/{BLINK_ID}", json={"trigger": "stop"})
    stats = (await http.get("/stats/memory/groups/applications")).json()
    assert [a["componentId"].lower() for a in stats["apps"]] == [MUTABLE_ID]


async def test_not_an_image_package_is_refused(http: httpx.AsyncClient) -> None:
    response = await stage(http, b"this is not an image package" * 1000)
    assert (response.status_code, response.json()) == (400, {"error": 7340050})
    assert (await http.get("/images")).json()["has_staged_updates"] is False


async def test_stage_needs_octet_stream(http: httpx.AsyncClient, blink: bytes) -> None:
    response = await http.put(
        "/update/stage", content=blink, headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    response = await http.put("/update/stage", content=blink)
    assert response.status_code == 415


async def test_not_enough_free_space() -> None:
    state = DeviceState(MockDeviceConfig(storage_capacity=40_000))
    async with checking_client(create_app(state)) as http:
        first = build_image_package("11111111-2222-3333-4444-555555555555", size=30_000)
        assert (await stage(http, first)).status_code == 200
        second = build_image_package("21111111-2222-3333-4444-555555555555", size=30_000)
        response = await stage(http, second)
        assert (response.status_code, response.json()) == (400, {"error": 14680082})

        async def chunked() -> AsyncIterator[bytes]:
            for chunk in image_package_chunks("31111111-2222-3333-4444-555555555555", size=30_000):
                yield chunk

        response = await http.put("/update/stage", content=chunked(), headers=OCTETS)
        assert (response.status_code, response.json()) == (400, {"error": 14680082})
        assert (await http.post("/update/install")).status_code == 200
        assert state.images.free_space == 40_000 - len(first)


async def test_large_package_streams_through(state: DeviceState) -> None:
    state = DeviceState(dataclasses.replace(state.config, storage_capacity=1 << 30))
    component = "41111111-2222-3333-4444-555555555555"
    size = image_package_size(component, name="Big", size=20 * 1024 * 1024)

    async def body() -> AsyncIterator[bytes]:
        for chunk in image_package_chunks(component, name="Big", size=20 * 1024 * 1024):
            yield chunk

    async with checking_client(create_app(state)) as http:
        response = await http.put(
            "/update/stage",
            content=body(),
            headers={**OCTETS, "content-length": str(size)},
        )
        assert response.status_code == 200
        await http.post("/update/install", json={"appControlMode": "Manual"})
        images = (await http.get("/images")).json()
        big = next(c for c in images["components"] if c["uid"] == component)
        assert big["name"] == "Big"
        assert big["images"][0]["length_in_bytes"] == size


async def test_system_image_install_restarts(http: httpx.AsyncClient, state: DeviceState) -> None:
    package = build_image_package(
        "51111111-2222-3333-4444-555555555555", name="BoardConfig", image_type=21, size=4096
    )
    assert (await stage(http, package)).status_code == 200
    response = await http.post("/update/install")
    assert response.json() == {"restartingSystem": True}
    assert state.stats.restarts == 1


async def test_nil_component_id_is_refused(http: httpx.AsyncClient) -> None:
    package = build_image_package("00000000-0000-0000-0000-000000000000", size=4096)
    response = await stage(http, package)
    assert (response.status_code, response.json()) == (400, {"error": 7340079})


async def test_ota_in_progress_conflicts(
    http: httpx.AsyncClient, state: DeviceState, blink: bytes
) -> None:
    state.images.ota_update_in_progress = True
    response = await stage(http, blink)
    assert (response.status_code, response.json()) == (409, {"error": 7340071})


@pytest.mark.parametrize("body", [b"{", b'{"appControlMode": "Sometimes"}'])
async def test_install_refuses_bad_bodies(http: httpx.AsyncClient, body: bytes) -> None:
    response = await http.post(
        "/update/install", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


async def test_a_deploy_cut_off_before_its_install_blocks_no_later_deploy() -> None:
    """The install of a deploy is lost with its connection: the package stays staged.  On a
    board with flash for one copy, the next deploy of the same package stages over it."""
    from azsphere_async import DeviceClient, DeviceUnreachableError
    from azsphere_async.mock import MockDevice

    component = "3c5d7e9f-1a2b-4c6d-8e0f-a1b2c3d4e5f6"
    package = build_image_package(component, size=400_000)
    config = MockDeviceConfig(storage_capacity=600_000)
    async with (
        MockDevice(config) as board,
        DeviceClient(board.address, ca=board.ssl_context()) as client,
    ):
        board.faults.drop_next(method="POST", path="/update/install")
        with pytest.raises(DeviceUnreachableError):
            await client.deploy(package)
        assert component in board.state.images.staged
        deployment = await client.deploy(package)
    assert deployment.app_state == "running"
    assert board.state.images.components[component].state == "running"
    assert not board.state.images.staged
