"""Plan and apply against mock boards over HTTPS: convergence, identity by image ID, safety.

A fresh board converges in one apply and a second apply sends no change (the mock's request
counters prove it); a package whose image is installed is never sent again; the
manufacturing state moves last, only with the confirmation and only on a board otherwise as
the recipe says; boards in DeviceComplete are read without touching what they lock.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from pathlib import Path

import pytest

from azsphere_async import (
    ActionKind,
    ApplyProgress,
    DeviceClient,
    Fleet,
    Outcome,
    apply,
    load_recipe,
    plan,
    prepare_recipe,
)
from azsphere_async.mock import MockDevice, MockDeviceConfig, MockFleet
from azsphere_async.mock.config import DEFAULT_OS_COMPONENTS, OsComponent
from azsphere_async.readiness import RF_TEST_SERVER_COMPONENT, CheckStatus
from azsphere_async.recipe import PreparedRecipe
from tests.shared_data import BLINK, BLINK_ID, BLINK_IMAGE_ID, MUTABLE, MUTABLE_ID
from tests.workflows.workflow_helpers import (
    LINE_RECIPE,
    WIFI_KEY,
    WIFI_KEY_ENV,
    changes,
    write_recipe,
    write_releases,
    write_root_ca,
)


@pytest.fixture
def line_recipe(tmp_path: Path) -> PreparedRecipe:
    """The line's recipe, prepared with the Wi-Fi key from its environment variable."""
    write_root_ca(tmp_path)
    return prepare_recipe(
        load_recipe(write_recipe(tmp_path, LINE_RECIPE)), environ={WIFI_KEY_ENV: WIFI_KEY}
    )


async def test_a_fresh_board_converges_in_one_apply_and_a_second_changes_nothing(
    line_recipe: PreparedRecipe,
) -> None:
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as client:
        before = await plan(client, line_recipe)
        assert [(a.kind, a.why) for a in before.actions] == [
            (ActionKind.INSTALL_APP, "not installed"),
            (ActionKind.ADD_CERTIFICATE, "not installed"),
            (ActionKind.ADD_WIFI, "not configured"),
            (ActionKind.SET_MANUFACTURING_STATE, "Blank"),
        ]
        assert changes(mock.stats.requests_by_operation) == {}  # planning changes nothing

        result = await apply(client, line_recipe, irreversible_ok=True)
        assert result.ok, result.to_json()
        assert result.changed
        assert result.converged
        assert [r.outcome for r in result.results] == [Outcome.DONE] * 4
        state = mock.state
        assert set(state.images.components) == {BLINK_ID}
        assert [n.ssid for n in state.wifi.networks.values()] == ["LineWifi"]
        assert state.manufacturing_state == "Module1Complete"
        assert changes(mock.stats.requests_by_operation) == {
            "PUT /update/stage": 1,
            "POST /update/install": 1,
            "POST /certstore/certs/{identifier}": 1,
            "POST /wifi/config/networks": 1,
            "PUT /device/manufacturing_state": 1,
        }

        mock.stats.reset()
        again = await apply(client, line_recipe, irreversible_ok=True)
        assert again.ok
        assert not again.changed
        assert again.results == ()
        assert changes(mock.stats.requests_by_operation) == {}
        assert again.after is again.before  # nothing changed, so nothing read twice


async def test_an_installed_image_is_never_sent_again_and_another_build_is(
    line_recipe: PreparedRecipe,
) -> None:
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as client:
        await client.deploy(BLINK)
        assert not [a for a in (await plan(client, line_recipe)).actions if a.kind.part == "images"]

        # The same component with another image ID: another build, installed again.
        installed = mock.state.images.components[BLINK_ID]
        other = "0badc0de-0000-4000-8000-000000000001"
        installed.metadata = dataclasses.replace(installed.metadata, image_id=other)
        (install,) = [
            a for a in (await plan(client, line_recipe)).actions if a.kind.part == "images"
        ]
        assert install.kind is ActionKind.INSTALL_APP
        assert install.key == BLINK_IMAGE_ID
        assert install.why == f"another build is installed (image {other})"
        mock.stats.reset()
        result = await apply(client, line_recipe)
        assert mock.stats.requests_by_operation["PUT /update/stage"] == 1
        assert mock.state.images.components[BLINK_ID].metadata.image_id == BLINK_IMAGE_ID
        assert result.held  # the state waits for the confirmation
        assert not result.failed


async def test_other_apps_are_removed_or_kept_as_the_recipe_says(tmp_path: Path) -> None:
    removing = load_recipe(
        write_recipe(tmp_path, 'other_apps = "remove"\n[[apps]]\npackage = "blink.imagepackage"\n')
    )
    keeping = load_recipe(
        write_recipe(tmp_path, '[[apps]]\npackage = "blink.imagepackage"\n', name="keep.toml")
    )
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as client:
        await client.deploy(MUTABLE)
        kept = await plan(client, keeping)
        assert [a.kind for a in kept.actions] == [ActionKind.INSTALL_APP]
        planned = await plan(client, removing)
        assert [(a.kind, a.key) for a in planned.actions] == [
            (ActionKind.REMOVE_APP, MUTABLE_ID),
            (ActionKind.INSTALL_APP, BLINK_IMAGE_ID),
        ]
        assert planned.actions[0].why == "installed, and the recipe removes other applications"
        result = await apply(client, removing)
        assert result.ok
        assert set(mock.state.images.components) == {BLINK_ID}


async def test_the_state_waits_for_the_confirmation(line_recipe: PreparedRecipe) -> None:
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as client:
        held = await apply(client, line_recipe)
        assert not held.ok
        (state,) = held.held
        assert state.action.kind is ActionKind.SET_MANUFACTURING_STATE
        assert "irreversible_ok=True" in state.detail
        assert mock.state.manufacturing_state == "Blank"
        assert mock.stats.requests_by_operation["PUT /device/manufacturing_state"] == 0
        done = await apply(client, line_recipe, irreversible_ok=True)
        assert [(r.action.kind, r.outcome) for r in done.results] == [
            (ActionKind.SET_MANUFACTURING_STATE, Outcome.DONE)
        ]
        assert done.ok
        assert mock.state.manufacturing_state == "Module1Complete"


async def test_a_board_never_leaves_blank_with_a_capability_the_recipe_refuses(
    tmp_path: Path,
) -> None:
    # Blank excuses the capability check; Module1Complete would not (and there is no way back).
    text = 'manufacturing_state = "Module1Complete"\nallowed_capabilities = []\n'
    recipe = load_recipe(write_recipe(tmp_path, text))
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as client:
        planned = await plan(client, recipe)
        assert planned.readiness.check("capabilities").status is CheckStatus.SKIP
        (note,) = planned.notes
        assert "11 (appDevelopment)" in note
        assert not planned.up_to_date
        result = await apply(client, recipe, irreversible_ok=True)
        (state,) = result.results
        assert state.outcome is Outcome.NOT_RUN
        assert "11 (appDevelopment)" in state.detail
        assert mock.state.manufacturing_state == "Blank"


async def test_a_failure_stops_the_board_and_the_state_never_moves(
    line_recipe: PreparedRecipe,
) -> None:
    small = MockDeviceConfig(storage_capacity=4096)
    async with (
        MockDevice(small) as mock,
        DeviceClient(mock.address, ca=mock.ssl_context()) as client,
    ):
        result = await apply(client, line_recipe, irreversible_ok=True)
        outcomes = [(r.action.kind, r.outcome) for r in result.results]
        assert outcomes == [
            (ActionKind.INSTALL_APP, Outcome.FAILED),
            (ActionKind.ADD_CERTIFICATE, Outcome.NOT_RUN),
            (ActionKind.ADD_WIFI, Outcome.NOT_RUN),
            (ActionKind.SET_MANUFACTURING_STATE, Outcome.NOT_RUN),
        ]
        assert "space" in result.results[0].detail
        assert not result.ok
        assert mock.state.manufacturing_state == "Blank"
        assert changes(mock.stats.requests_by_operation) == {"PUT /update/stage": 1}


async def test_device_complete_boards_are_read_without_what_they_lock(
    line_recipe: PreparedRecipe,
) -> None:
    # Finished: DeviceComplete, and no appDevelopment (the mock answers 403 to guarded calls).
    finalized = MockDeviceConfig(manufacturing_state="DeviceComplete", development_mode=False)
    async with (
        MockDevice(finalized) as mock,
        DeviceClient(mock.address, ca=mock.ssl_context()) as client,
    ):
        planned = await plan(client, line_recipe)
        checks = {c.name: c for c in planned.readiness.checks}
        for name in ("images", "wifi", "certificates"):
            assert checks[name].locked
            assert checks[name].status is CheckStatus.SKIP
            assert checks[name].detail.startswith("skipped, locked")
        assert checks["os"].status is CheckStatus.PASS  # /osversion answers in any state
        # The board is past the recipe's state: nothing to do there, and it says so.
        assert checks["manufacturing"].status is CheckStatus.FAIL
        assert planned.actions == ()
        asked = set(mock.stats.requests_by_operation)
        assert asked == {
            "GET /status",  # the client learns the REST API version
            "GET /device/manufacturing_state",
            "GET /osversion",
            "GET /device/capabilities",
        }
        assert 403 not in mock.stats.responses_by_status


async def test_a_capability_opens_a_device_complete_board(line_recipe: PreparedRecipe) -> None:
    # fieldServicing (13) opens a finalized board's REST API again: then it is read whole.
    serviced = MockDeviceConfig(
        manufacturing_state="DeviceComplete", development_mode=False, extra_capabilities=(13,)
    )
    async with (
        MockDevice(serviced) as mock,
        DeviceClient(mock.address, ca=mock.ssl_context()) as client,
    ):
        planned = await plan(client, line_recipe)
        assert not planned.locked
        assert "missing AzureSphereBlinkTest" in planned.readiness.check("images").detail
        assert "13 (fieldServicing)" in planned.readiness.check("capabilities").detail
        assert "GET /images" in mock.stats.requests_by_operation
        assert 403 not in mock.stats.responses_by_status


async def test_old_rest_api_tells_the_os_from_the_images(tmp_path: Path) -> None:
    releases = write_releases(tmp_path / "mt3620an.json", "24.03", "23.10")
    with_list = f'os_versions = ["24.03"]\nos_releases = "{releases}"\n'
    without = 'os_versions = ["24.03"]\n'
    old = MockDeviceConfig(rest_api_version="4.4.0")
    async with MockDevice(old) as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as client:
        told = await plan(client, load_recipe(write_recipe(tmp_path, with_list)))
        os_check = told.readiness.check("os")
        assert os_check.status is CheckStatus.PASS
        assert "24.03 (told from the images by" in os_check.detail
        assert "GET /osversion" not in mock.stats.requests_by_operation  # refused before sending
        unknown = await plan(client, load_recipe(write_recipe(tmp_path, without, name="b.toml")))
        assert unknown.readiness.check("os").status is CheckStatus.ERROR
        assert "mt3620an.json" in unknown.readiness.check("os").detail
        assert not unknown.up_to_date


async def test_the_rf_test_server_must_not_ship(tmp_path: Path) -> None:
    rf = OsComponent("rftest_server", 9, 4096, component_id=RF_TEST_SERVER_COMPONENT)
    config = MockDeviceConfig(os_components=(*DEFAULT_OS_COMPONENTS, rf))
    recipe = load_recipe(write_recipe(tmp_path, 'os_versions = ["24.03"]\n'))
    async with (
        MockDevice(config) as mock,
        DeviceClient(mock.address, ca=mock.ssl_context()) as client,
    ):
        planned = await plan(client, recipe)
        (problem,) = planned.problems
        assert problem.name == "os"
        assert "RF test server" in problem.detail
        assert not (await apply(client, recipe)).ok


async def test_a_fleet_applies_at_once_with_progress_and_reads_each_package_once(
    line_recipe: PreparedRecipe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azsphere_async import imagepackage
    from azsphere_async.recipe import prepared as prepared_module

    reads: list[object] = []

    def counted(path: Path) -> imagepackage.ImagePackageInfo:
        reads.append(path)
        return imagepackage.inspect_image(path)

    monkeypatch.setattr(prepared_module, "inspect_image", counted)
    recipe = load_recipe(write_recipe(tmp_path, LINE_RECIPE))
    seen: dict[str, list[str]] = defaultdict(list)

    def progress(address: str, event: ApplyProgress) -> None:
        seen[address].append(event.phase)

    async with MockFleet(3) as mock, Fleet(mock.addresses, ca=mock.ssl_context()) as fleet:
        monkeypatch.setenv(WIFI_KEY_ENV, WIFI_KEY)
        plans = await fleet.plan(recipe)
        assert all(len(p.unwrap().actions) == 4 for p in plans)
        results = await fleet.apply(recipe, irreversible_ok=True, progress=progress)
        assert [r.address for r in results] == mock.addresses
        assert all(r.unwrap().ok for r in results)
        assert len(reads) == 2  # once for fleet.plan, once for fleet.apply: not per board
        for address in mock.addresses:
            assert seen[address][0] == "planned"
            assert seen[address].count("done") == 4
            assert "staging" in seen[address]
        assert all(d.state.manufacturing_state == "Module1Complete" for d in mock)
        again = await fleet.apply(recipe, irreversible_ok=True)
        assert not any(r.unwrap().changed for r in again)


async def test_a_wifi_key_never_shows(
    line_recipe: PreparedRecipe, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with MockDevice() as mock, DeviceClient(mock.address, ca=mock.ssl_context()) as client:
        planned = await plan(client, line_recipe)
        result = await apply(client, line_recipe, irreversible_ok=True)
        seen = [
            repr(line_recipe),
            repr(planned),
            str(planned.to_json()),
            repr(result),
            str(result.to_json()),
            caplog.text,
        ]
        assert mock.state.wifi.networks  # the key reached the board
    for text in seen:
        assert WIFI_KEY not in text
