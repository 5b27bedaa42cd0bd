"""Device calls: status, versions, security state, diagnostics, capabilities, images, restart."""

from __future__ import annotations

import httpx
import pytest
import respx

from azsphere_async.client import DeviceClient
from azsphere_async.errors import DeviceTimeoutError, InvalidArgumentError, MalformedResponseError
from azsphere_async.models import (
    AbiVersions,
    DeviceSecurityState,
    DeviceStatus,
    OsVersion,
    SystemRestart,
)
from azsphere_async.versions import RestApiVersion
from tests.client.client_helpers import body_of, load, only_request, reply, traffic
from tests.shared_data import DEVICE_ADDRESS


async def test_get_status(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/status").mock(return_value=reply(load("device_status")))
    assert await client.device.get_status() == DeviceStatus(uptime=634)
    assert only_request(router).method == "GET"


async def test_get_rest_api_version_needs_no_extra_request_once_known(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    assert await client.device.get_rest_api_version() == RestApiVersion(4, 6, 0)
    assert not router.calls


async def test_get_rest_api_version_asks_get_status_once(
    router: respx.MockRouter, fresh_client: DeviceClient
) -> None:
    router.get("/status").mock(return_value=reply(load("device_status"), version="4.4.0"))
    assert await fresh_client.device.get_rest_api_version() == RestApiVersion(4, 4, 0)
    assert await fresh_client.device.get_rest_api_version() == RestApiVersion(4, 4, 0)
    assert traffic(router) == [("GET", "/status")]


async def test_get_os_version(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/osversion").mock(return_value=reply(load("os_version")))
    assert await client.device.get_os_version() == OsVersion(os_version="22.11")
    assert only_request(router).method == "GET"


async def test_get_security_state(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/device/security_state").mock(return_value=reply(load("security_state")))
    state = await client.device.get_security_state()
    assert state.security_state is DeviceSecurityState.SECURE
    assert state.device_identifier is not None
    assert state.device_identifier.startswith("352fe1f5")
    assert only_request(router).method == "GET"


async def test_get_diagnostic_log_returns_the_raw_bytes(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    blob = bytes(range(256)) * 4
    router.get("/log").mock(
        return_value=reply(content=blob, content_type="application/octet-stream")
    )
    assert await client.device.get_diagnostic_log() == blob
    assert only_request(router).method == "GET"


async def test_get_error_report_data_returns_the_raw_bytes(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.get("/telemetry").mock(
        return_value=reply(content=b"\x00\x01telemetry", content_type="application/octet-stream")
    )
    assert await client.device.get_error_report_data() == b"\x00\x01telemetry"


@pytest.mark.parametrize("answer", [b"{}", b""])
async def test_clear_error_report_data(
    router: respx.MockRouter, client: DeviceClient, answer: bytes
) -> None:
    router.delete("/telemetry").mock(
        return_value=reply(content=answer, content_type="application/json")
    )
    await client.device.clear_error_report_data()
    assert only_request(router).method == "DELETE"


async def test_capabilities(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/device/capabilities").mock(return_value=reply(load("openapi_device_capabilities")))
    capabilities = await client.capabilities.get()
    assert capabilities.capabilities == (1, 2, 3, 4, 5, 6, 7, 8, 10, 11)
    assert only_request(router).method == "GET"


async def test_get_images(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/images").mock(return_value=reply(load("images")))
    images = await client.image.get_images()
    assert images.has_staged_updates is False
    assert images.components is not None
    kernel = images.components[0]
    assert kernel.name == "NW Kernel"
    assert kernel.image_type == 7
    assert kernel.images is not None
    assert kernel.images[0].length_in_bytes == 2544816
    assert only_request(router).method == "GET"


async def test_get_abi_versions(router: respx.MockRouter, client: DeviceClient) -> None:
    router.get("/abi_versions").mock(return_value=reply(load("openapi_abi_versions")))
    assert await client.image.get_abi_versions() == AbiVersions(
        secure_world_runtime=2, os_runtime=3, application_runtime=1
    )


# -- restart ------------------------------------------------------------------------------------


async def test_restart_without_waiting_sends_no_body(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.post("/restart").mock(return_value=reply(load("restart")))
    assert await client.device.restart() == SystemRestart(restarting_system=True)
    request = only_request(router)
    assert request.method == "POST"
    assert request.content == b""
    assert body_of(request) is None
    assert "application/json" not in request.headers.get("Content-Type", "")


async def test_restart_accepts_an_empty_answer(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.post("/restart").mock(return_value=reply(content=b""))
    assert await client.device.restart(wait=False) == SystemRestart()


async def test_restart_and_wait_rides_out_the_outage(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.post("/restart").mock(return_value=reply({}))
    router.get("/status").mock(
        side_effect=[
            reply({"uptime": 5000}),  # still the old boot: uptime longer than the wait so far
            httpx.ConnectError("connection refused"),
            httpx.ConnectTimeout("timed out"),
            httpx.ConnectError("connection refused"),
            reply({"uptime": 0}),
        ]
    )
    status = await client.device.restart(wait=True, timeout=10, poll_interval=0.01)
    assert status == DeviceStatus(uptime=0)
    assert traffic(router) == [("POST", "/restart")] + [("GET", "/status")] * 5


async def test_restart_that_never_comes_back_times_out(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.post("/restart").mock(return_value=reply({}))
    router.get("/status").mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(DeviceTimeoutError) as caught:
        await client.device.restart(wait=True, timeout=0.2, poll_interval=0.02)
    assert caught.value.phase == "restart"
    assert DEVICE_ADDRESS in str(caught.value)
    assert router.calls.call_count >= 3


async def test_restart_is_not_confirmed_by_the_old_uptime(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.post("/restart").mock(return_value=reply({}))
    router.get("/status").mock(return_value=reply({"uptime": 634}))
    with pytest.raises(DeviceTimeoutError):
        await client.device.restart(wait=True, timeout=0.15, poll_interval=0.02)


async def test_restart_wait_needs_an_uptime(router: respx.MockRouter, client: DeviceClient) -> None:
    router.post("/restart").mock(return_value=reply({}))
    router.get("/status").mock(return_value=reply({}))
    with pytest.raises(MalformedResponseError) as caught:
        await client.device.restart(wait=True, timeout=5, poll_interval=0.01)
    assert "uptime" in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1.0}, "timeout"),
        ({"timeout": "60"}, "timeout"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"wait": "yes"}, "wait"),
    ],
)
async def test_restart_arguments_are_checked_before_any_request(
    router: respx.MockRouter, client: DeviceClient, arguments: dict[str, object], argument: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.device.restart(**arguments)  # type: ignore[call-overload]
    assert caught.value.argument == argument
    assert not router.calls
