"""Sideload calls: install what is staged, delete an installed image."""

from __future__ import annotations

import pytest
import respx

from azsphere_async.client import DeviceClient
from azsphere_async.errors import InvalidArgumentError
from azsphere_async.models import AppControlMode, SystemRestart
from tests.client.client_helpers import body_of, load, only_request, reply
from tests.shared_data import BLINK_ID


async def test_install_without_a_mode_sends_no_body(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.post("/update/install").mock(return_value=reply(load("successful_operation")))
    assert await client.sideload.install() == SystemRestart()
    request = only_request(router)
    assert request.method == "POST"
    assert request.content == b""


@pytest.mark.parametrize("mode", ["Manual", AppControlMode.MANUAL])
async def test_install_in_manual_mode(
    router: respx.MockRouter, client: DeviceClient, mode: AppControlMode | str
) -> None:
    router.post("/update/install").mock(return_value=reply(load("openapi_system_restart")))
    assert await client.sideload.install(app_control_mode=mode) == SystemRestart(
        restarting_system=True
    )
    assert body_of(only_request(router)) == {"appControlMode": "Manual"}


@pytest.mark.parametrize("mode", ["Auto", "manual", ""])
async def test_install_refuses_unknown_modes(
    router: respx.MockRouter, client: DeviceClient, mode: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.sideload.install(app_control_mode=mode)
    assert caught.value.argument == "app_control_mode"
    assert "'Manual'" in str(caught.value)
    assert not router.calls


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (b"", SystemRestart()),
        (b'{"restartingSystem": true}', SystemRestart(restarting_system=True)),
    ],
)
async def test_delete_image(
    router: respx.MockRouter, client: DeviceClient, answer: bytes, expected: SystemRestart
) -> None:
    router.delete(f"/app/image/{BLINK_ID}").mock(
        return_value=reply(content=answer, content_type="application/json")
    )
    assert await client.sideload.delete_image(BLINK_ID) == expected
    request = only_request(router)
    assert request.method == "DELETE"
    assert request.content == b""


async def test_delete_image_refuses_a_bad_component_id(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.sideload.delete_image("AzureSphereBlinkTest")
    assert caught.value.argument == "component_id"
    assert not router.calls
