"""Readiness as a real board's manufacturing state shapes it: a Blank board always holds
enableRFTestMode (12), and a DeviceComplete board locks its images and Wi-Fi.

Microsoft's ``Manufacturing_Tools/device_ready.py`` skips the capability check in Blank and
the images, Wi-Fi and OS checks in DeviceComplete for these reasons; the locked calls are not
even asked, so a finished board answers no 403.
"""

from __future__ import annotations

import pytest

from azsphere_async import DeviceClient
from azsphere_async.facts import DeviceFacts
from azsphere_async.mock import MockDevice, MockDeviceConfig
from azsphere_async.models import ComponentDetails, ImageDetails
from azsphere_async.readiness import CheckStatus, ReadinessCriteria, check_readiness, evaluate
from tests.shared_data import BLINK, BLINK_ID, BLINK_IMAGE_ID


def _facts(**changes: object) -> DeviceFacts:
    base: dict[str, object] = {
        "address": "127.0.0.2:1",
        "os_version": "24.03",
        "components": (
            ComponentDetails(
                uid=BLINK_ID,
                name="Blink",
                image_type=10,
                images=(ImageDetails(uid=BLINK_IMAGE_ID),),
            ),
        ),
        "manufacturing_state": "Blank",
        "capabilities": (12,),
        "wifi_networks": (),
    }
    base.update(changes)
    return DeviceFacts(**base)  # type: ignore[arg-type]


def test_a_blank_boards_capabilities_never_count_against_it() -> None:
    report = evaluate(_facts(capabilities=(11, 12)), ReadinessCriteria())
    check = report.check("capabilities")
    assert check.status is CheckStatus.SKIP
    assert "12 (enableRFTestMode)" in check.detail
    assert "every Blank board holds 12" in check.detail
    # Past Blank the capability should be gone; a board still holding it is not ready.
    later = evaluate(_facts(manufacturing_state="Module1Complete"), ReadinessCriteria())
    assert later.check("capabilities").status is CheckStatus.FAIL
    assert "12 (enableRFTestMode)" in later.check("capabilities").detail
    # The state could not be read: nothing is excused.
    unknown = _facts(manufacturing_state=None, errors={"manufacturing": "timed out"})
    assert evaluate(unknown, ReadinessCriteria()).check("capabilities").status is CheckStatus.FAIL


def test_a_finished_boards_locked_checks_are_skipped_there() -> None:
    locked = _facts(
        manufacturing_state="DeviceComplete",
        capabilities=(),
        components=None,
        wifi_networks=None,
        locked=frozenset({"images", "wifi"}),
    )
    report = evaluate(locked, ReadinessCriteria(images=[BLINK_IMAGE_ID]))
    assert report.ready
    for name in ("images", "wifi"):
        check = report.check(name)
        assert check.status is CheckStatus.SKIP
        assert check.locked
        assert "DeviceComplete" in check.detail
        assert "fieldServicing (13)" in check.detail
    # Refused on a board that is not finished: that is an error, not a skip.
    refused = _facts(components=None, errors={"images": "HTTP 403"})
    images = evaluate(refused, ReadinessCriteria(images=[BLINK_IMAGE_ID])).check("images")
    assert images.status is CheckStatus.ERROR


async def test_readiness_of_mock_boards_in_each_state() -> None:
    criteria = ReadinessCriteria(images=[BLINK_IMAGE_ID])
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as client:
        await client.deploy(BLINK)
        blank = await check_readiness(client, criteria)
        assert blank.ready, blank.failures
        assert "12 (enableRFTestMode)" in blank.check("capabilities").detail
        await client.manufacturing.set_state("Module1Complete", irreversible_ok=True)
        await client.manufacturing.set_state("DeviceComplete", irreversible_ok=True)
        mock.state.development_mode = False  # as a board leaves the line
        mock.stats.reset()
        finished = await check_readiness(
            client,
            ReadinessCriteria(images=[BLINK_IMAGE_ID], manufacturing_state="DeviceComplete"),
        )
        assert finished.ready, finished.failures
        assert finished.check("images").status is CheckStatus.SKIP
        assert finished.check("wifi").status is CheckStatus.SKIP
        assert finished.check("capabilities").detail == "none"
        assert finished.check("os").status is CheckStatus.SKIP  # GET /osversion is open
        assert 403 not in mock.stats.responses_by_status  # the locked calls were never asked


@pytest.mark.parametrize("capability", [11, 13])
async def test_a_capability_opens_a_finished_board_to_the_checks(capability: int) -> None:
    config = MockDeviceConfig(
        development_mode=False,
        manufacturing_state="DeviceComplete",
        extra_capabilities=(capability,),
    )
    async with (
        MockDevice(config) as mock,
        DeviceClient(mock.address, ca=mock.ssl_context()) as client,
    ):
        report = await check_readiness(
            client, ReadinessCriteria(images=[BLINK_IMAGE_ID], allowed_capabilities=[capability])
        )
    assert report.check("images").status is CheckStatus.FAIL  # read, and blink is not there
    assert report.check("wifi").status is CheckStatus.PASS
