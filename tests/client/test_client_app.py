"""App calls: status, start/stop, quota and memory statistics."""

from __future__ import annotations

import uuid

import pytest
import respx

from azsphere_async.client import DeviceClient
from azsphere_async.errors import InvalidArgumentError
from azsphere_async.models import (
    AppQuota,
    AppState,
    AppStatus,
    AppStatusChange,
    AppTrigger,
    MemoryStatsDetails,
)
from tests.client.client_helpers import body_of, load, only_request, reply
from tests.shared_data import BLINK_ID


async def test_get_status(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get(f"/app/status/{BLINK_ID}").mock(return_value=reply(load("app_status")))
    status = await client.app.get_status(BLINK_ID)
    assert status == AppStatus(state=AppState.RUNNING)
    request = only_request(router)
    assert request.method == "GET"
    assert request.content == b""


async def test_component_ids_are_sent_lower_case(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.get(f"/app/status/{BLINK_ID}").mock(return_value=reply(load("app_status")))
    await client.app.get_status(BLINK_ID.upper())
    await client.app.get_status(uuid.UUID(BLINK_ID))
    assert router.calls.call_count == 2


@pytest.mark.parametrize(
    ("trigger", "sent"),
    [("start", "start"), ("startDebug", "startDebug"), (AppTrigger.STOP, "stop")],
)
async def test_set_status_sends_the_trigger(
    router: respx.MockRouter, client: DeviceClient, trigger: AppTrigger | str, sent: str
) -> None:
    router.patch(f"/app/status/{BLINK_ID}").mock(return_value=reply(load("app_set_status")))
    change = await client.app.set_status(BLINK_ID, trigger)
    assert change == AppStatusChange(state=AppState.STOPPED)
    request = only_request(router)
    assert request.method == "PATCH"
    assert request.headers["Content-Type"] == "application/json"
    assert body_of(request) == {"trigger": sent}


async def test_set_status_reports_the_real_time_core(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.patch(f"/app/status/{BLINK_ID}").mock(
        return_value=reply(load("openapi_app_status_change"))
    )
    change = await client.app.set_status(BLINK_ID, trigger="start")
    assert change.real_time_core == 1
    assert change.state is AppState.RUNNING


async def test_get_quota(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get(f"/app/quota/{BLINK_ID}").mock(return_value=reply(load("openapi_app_quota")))
    assert await client.app.get_quota(BLINK_ID) == AppQuota(usage_kb=12, limit_kb=64)
    assert only_request(router).method == "GET"


async def test_get_memory_statistics(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/stats/memory/groups/applications").mock(
        return_value=reply(load("openapi_memory_statistics"))
    )
    stats = await client.app.get_memory_statistics()
    assert stats.memory_stats == MemoryStatsDetails(
        current_memory_usage_in_bytes=80452,
        user_mode_memory_usage_in_bytes=32768,
        peak_user_mode_memory_usage_in_bytes=94208,
    )
    assert stats.apps is not None
    app = stats.apps[0]
    assert app.component_id == "011B3254-6B4E-4AF1-BC81-22E7F677F4BF"
    assert app.processes is not None
    assert app.processes[0].pid == 29
    heap = app.processes[0].heap_usage_by_caller
    assert heap is not None
    assert heap[0].name == "curl"
    assert heap[0].usage_in_bytes == 32768
    assert only_request(router).method == "GET"


async def test_memory_statistics_of_the_overview_have_no_apps(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.get("/stats/memory/groups/applications").mock(
        return_value=reply(load("app_memory_statistics"))
    )
    stats = await client.app.get_memory_statistics()
    assert stats.apps is None
    assert stats.memory_stats is not None
    assert stats.memory_stats.current_memory_usage_in_bytes == 147456


@pytest.mark.parametrize("component_id", ["", "not-a-uuid", BLINK_ID[:-1], 42, None])
async def test_bad_component_ids_are_refused_before_any_request(
    router: respx.MockRouter, client: DeviceClient, component_id: object
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.app.get_status(component_id)  # type: ignore[arg-type]
    assert caught.value.argument == "component_id"
    assert "UUID" in str(caught.value)
    with pytest.raises(InvalidArgumentError):
        await client.app.get_quota(component_id)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        await client.app.set_status(component_id, "start")  # type: ignore[arg-type]
    assert not router.calls


@pytest.mark.parametrize("trigger", ["Start", "restart", "", AppState.RUNNING, AppTrigger("bogus")])
async def test_bad_triggers_are_refused_before_any_request(
    router: respx.MockRouter, client: DeviceClient, trigger: object
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.app.set_status(BLINK_ID, trigger)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "trigger" in message
    assert "'start', 'startDebug', 'stop'" in message
    assert not router.calls
