"""The readiness rules on a board's facts (no I/O): states, image IDs, the RF test server."""

from __future__ import annotations

from pathlib import Path

import pytest

from azsphere_async import InvalidArgumentError, OsReleases
from azsphere_async.facts import DeviceFacts
from azsphere_async.models import ComponentDetails, ImageDetails, WifiNetwork
from azsphere_async.readiness import (
    RF_TEST_SERVER_COMPONENT,
    CheckStatus,
    ReadinessCriteria,
    evaluate,
)
from tests.shared_data import BLINK_ID, BLINK_IMAGE_ID, MUTABLE_ID, MUTABLE_IMAGE_ID
from tests.workflows.workflow_helpers import write_releases

KERNEL = ComponentDetails(
    uid="5a5a5a5a-0000-4000-8000-000000000001",
    name="NW Kernel",
    image_type=7,
    images=(ImageDetails(uid="5a5a5a5a-0000-4000-8000-0000000000aa"),),
)


def app(cid: str, iid: str, name: str) -> ComponentDetails:
    return ComponentDetails(uid=cid, name=name, image_type=10, images=(ImageDetails(uid=iid),))


BLINK_APP = app(BLINK_ID, BLINK_IMAGE_ID, "AzureSphereBlinkTest")


def network(ssid: str) -> WifiNetwork:
    return WifiNetwork(
        id=0,
        ssid=ssid,
        config_state="enabled",  # type: ignore[arg-type]
        connection_state="connected",  # type: ignore[arg-type]
        security_state="psk",  # type: ignore[arg-type]
        targeted_scan=False,
    )


def facts(**changes: object) -> DeviceFacts:
    base: dict[str, object] = {
        "address": "127.0.0.2:1",
        "os_version": "24.03",
        "os_version_source": "/osversion",
        "components": (KERNEL, BLINK_APP),
        "manufacturing_state": "Module1Complete",
        "capabilities": (),
        "wifi_networks": (),
        "certificates": (),
    }
    base.update(changes)
    return DeviceFacts(**base)  # type: ignore[arg-type]


def statuses(board: DeviceFacts, criteria: ReadinessCriteria) -> dict[str, CheckStatus]:
    return {c.name: c.status for c in evaluate(board, criteria).checks}


def test_defaults_skip_what_was_not_asked() -> None:
    assert evaluate(facts(), ReadinessCriteria()).ready
    assert statuses(facts(), ReadinessCriteria()) == {
        "os": CheckStatus.SKIP,
        "images": CheckStatus.SKIP,
        "manufacturing": CheckStatus.SKIP,
        "capabilities": CheckStatus.PASS,
        "wifi": CheckStatus.PASS,
        "certificates": CheckStatus.SKIP,
    }


def test_failures_say_why() -> None:
    criteria = ReadinessCriteria(
        os_versions=["24.10"], images=[MUTABLE_IMAGE_ID], manufacturing_state="DeviceComplete"
    )
    board = facts(capabilities=(11,), wifi_networks=(network("LineWifi"),))
    report = evaluate(board, criteria)
    assert not report.ready
    details = {c.name: c.detail for c in report.failures}
    assert "expected 24.10" in details["os"]
    assert f"missing image {MUTABLE_IMAGE_ID}" in details["images"]
    assert f"unexpected AzureSphereBlinkTest (image {BLINK_IMAGE_ID})" in details["images"]
    assert "expected DeviceComplete" in details["manufacturing"]
    assert "11 (appDevelopment)" in details["capabilities"]
    assert "configured LineWifi" in details["wifi"]
    allowing = ReadinessCriteria(allowed_capabilities=[11], wifi_ssids=["LineWifi"])
    assert evaluate(board, allowing).ready
    assert evaluate(board, ReadinessCriteria(check_wifi=False, check_capabilities=False)).ready


def test_installed_apps_are_compared_by_image_id() -> None:
    # The same component with another image is another build: not what was asked for.
    other_build = app(BLINK_ID, "0badc0de-0000-4000-8000-000000000000", "AzureSphereBlinkTest")
    criteria = ReadinessCriteria(images=[BLINK_IMAGE_ID.upper()], image_names={})
    assert evaluate(facts(), criteria).ready
    check = evaluate(facts(components=(KERNEL, other_build)), criteria).check("images")
    assert check.status is CheckStatus.FAIL
    assert f"missing image {BLINK_IMAGE_ID}" in check.detail
    # A component ID given where the image ID belongs is named as such.
    confused = evaluate(facts(), ReadinessCriteria(images=[BLINK_ID])).check("images")
    assert confused.status is CheckStatus.FAIL
    assert "component ID of AzureSphereBlinkTest" in confused.detail
    assert BLINK_IMAGE_ID in confused.detail
    assert "unexpected" not in confused.detail


def test_images_must_be_ids() -> None:
    with pytest.raises(InvalidArgumentError, match="images"):
        ReadinessCriteria(images=["blink.imagepackage"])


def test_other_apps() -> None:
    extra = facts(components=(KERNEL, BLINK_APP, app(MUTABLE_ID, MUTABLE_IMAGE_ID, "Other")))
    assert evaluate(extra, ReadinessCriteria()).ready  # no images required, nothing judged
    only_blink = ReadinessCriteria(images=[BLINK_IMAGE_ID])
    assert "unexpected Other" in evaluate(extra, only_blink).check("images").detail
    kept = ReadinessCriteria(images=[BLINK_IMAGE_ID], allow_other_apps=True)
    assert evaluate(extra, kept).ready
    none_allowed = ReadinessCriteria(check_images=True)
    assert not evaluate(extra, none_allowed).ready


def test_blank_boards_skip_the_capability_check() -> None:
    # Blank boards carry the RF-test capability (Microsoft's device_ready.py skips it too).
    blank = facts(manufacturing_state="Blank", capabilities=(11, 99))
    check = evaluate(blank, ReadinessCriteria()).check("capabilities")
    assert check.status is CheckStatus.SKIP
    assert "Blank" in check.detail
    assert evaluate(blank, ReadinessCriteria()).ready


def test_device_complete_locks_are_skipped_not_failed() -> None:
    locked = facts(
        manufacturing_state="DeviceComplete",
        components=None,
        wifi_networks=None,
        certificates=None,
        locked=frozenset({"images", "wifi", "certificates"}),
    )
    criteria = ReadinessCriteria(
        os_versions=["24.03"],
        images=[BLINK_IMAGE_ID],
        manufacturing_state="DeviceComplete",
        certificates=["LineCA"],
    )
    report = evaluate(locked, criteria)
    assert report.ready
    for name in ("images", "wifi", "certificates"):
        check = report.check(name)
        assert check.status is CheckStatus.SKIP
        assert check.locked
        assert check.detail.startswith("skipped, locked")
    assert report.check("os").status is CheckStatus.PASS  # /osversion stays open
    assert report.check("capabilities").status is CheckStatus.PASS
    assert report.to_json()["checks"][1]["locked"] is True


def test_rf_test_server_must_be_absent() -> None:
    rf = ComponentDetails(uid=RF_TEST_SERVER_COMPONENT, name="rftest_server", image_type=9)
    report = evaluate(facts(components=(KERNEL, rf)), ReadinessCriteria())
    check = report.check("os")
    assert check.status is CheckStatus.FAIL
    assert "RF test server" in check.detail
    assert RF_TEST_SERVER_COMPONENT in check.detail


def test_os_releases_in_microsofts_format(tmp_path: Path) -> None:
    releases = OsReleases.load(write_releases(tmp_path / "mt3620an.json", "24.03", "23.10"))
    assert releases.names == ("24.03", "23.10")
    from azsphere_async.mock.config import DEFAULT_OS_COMPONENTS

    board = [
        ComponentDetails(
            uid=c.component_id.upper(),
            image_type=c.image_type,
            images=(ImageDetails(uid=c.image_id),),
        )
        for c in DEFAULT_OS_COMPONENTS
    ]
    found = releases.identify([*board, BLINK_APP])
    assert found is not None
    assert found.name == "24.03"
    assert releases.identify(board[1:]) is None  # one component missing: no release matches


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "not JSON"),
        ('{"releases": []}', 'no "versions" list'),
        ('{"versions": [{"images": []}]}', 'versions[0] has no "name"'),
        ('{"versions": [{"name": "24.03", "images": [{"cid": "x", "iid": "y"}]}]}', "not a UUID"),
        ('{"versions": []}', "no releases"),
    ],
)
def test_bad_release_lists_are_refused(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "mt3620an.json"
    path.write_text(content)
    with pytest.raises(InvalidArgumentError, match=r"mt3620an\.json") as caught:
        OsReleases.load(path)
    assert problem in str(caught.value)
    with pytest.raises(InvalidArgumentError, match="no such file"):
        OsReleases.load(tmp_path / "missing.json")
