"""Sideload calls: install what is staged, delete an installed image; a deploy's requests."""

from __future__ import annotations

from typing import Final

import pytest
import respx

from azsphere_async import deploy as deploying
from azsphere_async.client import DeviceClient
from azsphere_async.errors import DeploymentError, InvalidArgumentError
from azsphere_async.imagepackage import ImagePackageInfo
from azsphere_async.models import AppControlMode, AppState, SystemRestart
from tests.client.client_helpers import body_of, load, only_request, reply, traffic
from tests.shared_data import BLINK, BLINK_ID

#: A component that is not an application (a board configuration image).
OTHER_ID: Final = "8b2c1c36-7d64-4f1b-9a55-2d1f3b7a9e40"


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


def os_image_package(size: int) -> ImagePackageInfo:
    """The metadata of a non-application image (a board configuration), read beforehand."""
    return ImagePackageInfo(
        component_id=OTHER_ID,
        image_id="4d8b12b3-5f0e-4a8e-9b2e-6b0f6a5f7c11",
        image_type=4,
        image_type_name="BoardConfig",
        name="BoardConfig",
        built_at=None,
        size=size,
    )


def takes_installs(router: respx.MockRouter) -> None:
    """The board takes a stage and installs it without restarting."""
    router.put("/update/stage").mock(return_value=reply(content=b""))
    router.post("/update/install").mock(return_value=reply({"restartingSystem": False}))


async def test_an_application_deploy_is_stage_install_and_its_status(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    takes_installs(router)
    router.get(f"/app/status/{BLINK_ID}").mock(return_value=reply({"state": "running"}))
    deployment = await client.deploy(BLINK)
    assert traffic(router) == [
        ("PUT", "/update/stage"),
        ("POST", "/update/install"),
        ("GET", f"/app/status/{BLINK_ID}"),
    ]
    assert deployment.app_state == AppState.RUNNING
    assert deployment.component is None


async def test_an_application_the_device_does_not_have_after_install_is_a_deployment_error(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    takes_installs(router)
    router.get(f"/app/status/{BLINK_ID}").mock(return_value=reply({"state": "notPresent"}))
    with pytest.raises(DeploymentError, match=f"does not have application {BLINK_ID}") as caught:
        await client.deploy(BLINK)
    assert caught.value.address == client.address
    assert "free space" in str(caught.value)
    assert len(traffic(router)) == 3  # not polled: a missing application does not appear


async def test_an_application_that_does_not_start_is_a_deployment_error(
    router: respx.MockRouter, client: DeviceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deploying, "_START_GRACE", 0.05)
    monkeypatch.setattr(deploying, "_POLL_INTERVAL", 0.01)
    takes_installs(router)
    router.get(f"/app/status/{BLINK_ID}").mock(return_value=reply({"state": "stopped"}))
    with pytest.raises(DeploymentError, match="it is stopped instead of running"):
        await client.deploy(BLINK)


async def test_another_image_is_confirmed_by_the_image_list(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    image = BLINK.read_bytes()
    takes_installs(router)
    listed = router.get("/images").mock(
        return_value=reply({"components": [{"uid": OTHER_ID, "image_type": 4}]})
    )
    deployment = await deploying.deploy(client, image, package=os_image_package(len(image)))
    assert deployment.component is not None
    assert deployment.component.uid == OTHER_ID
    assert deployment.app_state is None
    assert listed.call_count == 1
    router.get("/images").mock(return_value=reply({"components": []}))
    with pytest.raises(DeploymentError, match=f"does not list component {OTHER_ID}"):
        await deploying.deploy(client, image, package=os_image_package(len(image)))
