"""Errors carry their own hint, set where they are raised; the command line only prints it."""

from __future__ import annotations

import httpx
import pytest
import respx

from azsphere_async import (
    DeviceClient,
    DeviceTimeoutError,
    DeviceUnreachableError,
    DiscoveryError,
    ForbiddenError,
    NotFoundError,
    RetryPolicy,
    UnsupportedVersionError,
    list_attached_devices,
)
from azsphere_async.cli.failures import describe, error_json
from azsphere_async.discovery import DEFAULT_DCS_URL
from azsphere_async.errors import error_for_status

VERSION = {"REST-API-Version": "4.4.0"}


def test_http_errors_have_a_hint_by_status_and_show_it() -> None:
    error = error_for_status("board", method="GET", path="/images", status=403, error_code=13)
    assert isinstance(error, ForbiddenError)
    assert "development mode" in error.hint
    assert str(error) == f"board: {error.detail}; {error.hint}"
    assert error.hint not in error.detail
    assert isinstance(
        error_for_status("b", method="GET", path="/x", status=404, error_code=None), NotFoundError
    )


async def test_errors_raised_by_a_call_carry_their_hint() -> None:
    with respx.mock(base_url="https://192.168.35.2") as router:
        router.get("/status").respond(200, json={"uptime": 1}, headers=VERSION)
        router.get("/images").mock(side_effect=httpx.ConnectError("refused"))
        async with DeviceClient(retry=RetryPolicy(attempts=1)) as client:
            with pytest.raises(UnsupportedVersionError) as old:
                await client.device.get_os_version()
            with pytest.raises(DeviceUnreachableError) as lost:
                await client.image.get_images()
    assert old.value.hint == "update the device's OS or skip this call"
    assert "device.get_os_version needs REST API version 4.5.0" in old.value.detail
    assert "attached and powered" in lost.value.hint


async def test_discovery_failures_are_their_own_type_with_a_hint() -> None:
    with respx.mock(base_url=DEFAULT_DCS_URL) as router:
        router.get("/api/service/devices").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(DiscoveryError) as caught:
            await list_attached_devices(sl0_present=lambda: False)
    error = caught.value
    assert error.url == DEFAULT_DCS_URL
    assert "Azure Sphere SDK" in error.hint
    # The command names its own options for the remedy.
    assert "--dcs-url" in describe(error)
    assert error_json(error)["type"] == "DiscoveryError"


def test_the_command_prints_the_hint_once_whatever_the_message_says() -> None:
    error = DeviceTimeoutError("b", "check: no progress in the read phase", phase="read")
    text = describe(error)
    assert text.startswith("check: no progress in the read phase; ")
    assert text.count("--timeout") == 1
    forbidden = error_for_status("b", method="GET", path="/x", status=403, error_code=None)
    assert describe(forbidden) == f"{forbidden.detail}; {forbidden.hint}"
    assert error_json(forbidden)["hint"] == forbidden.hint
