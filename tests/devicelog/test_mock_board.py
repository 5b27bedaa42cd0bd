"""A mock board's log over HTTPS, read and decoded by the library, reads like a board's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from azsphere_async import DeviceClient, DeviceHTTPError
from azsphere_async.devicelog import DecodedLog, ManifestStore, ParamKind, read_board_log
from azsphere_async.mock import MockDevice
from azsphere_async.mock.config import MockDeviceConfig
from azsphere_async.mock.devicelog import MANIFEST_DIR
from azsphere_async.mock.errors import Code
from tests.shared_data import BLINK, BLINK_ID

STORE = ManifestStore(MANIFEST_DIR)


@pytest.fixture
async def mock_device() -> AsyncIterator[MockDevice]:
    async with MockDevice(MockDeviceConfig(restart_downtime=0.2)) as mock_device:
        yield mock_device


async def _line_station(mock_device: MockDevice) -> DecodedLog:
    """What a station does to a board: Wi-Fi, a deploy, stop/start, a refusal (staging during
    an over-the-air update), the manufacturing state, a restart."""
    async with DeviceClient(mock_device.address, ca=mock_device.ssl_context()) as client:
        await client.wifi.add_network(ssid="Elsewhere", security_state="open")
        await client.wifi.add_network(
            ssid="ExampleNetworkName", security_state="psk", psk="ExamplePsk123"
        )
        await client.deploy(BLINK)
        await client.app.set_status(BLINK_ID, "stop")
        await client.app.set_status(BLINK_ID, "start")
        mock_device.state.images.ota_update_in_progress = True
        with pytest.raises(DeviceHTTPError):
            await client.sideload.stage(BLINK)
        mock_device.state.images.ota_update_in_progress = False
        await client.manufacturing.set_state("Module1Complete", irreversible_ok=True)
        await client.device.restart(wait=True, timeout=30)
        return await read_board_log(client, STORE)


async def test_the_decoded_log_tells_the_story_of_the_board(mock_device: MockDevice) -> None:
    log = await _line_station(mock_device)
    assert log.complete, [*log.problems, *(r.problem for r in log.records if r.problem)]
    assert log.release == "24.03"
    assert log.notes[0] == "board OS 24.03: manifest release 24.03 (exact match)"
    assert log.boots == 2
    names = [(r.boot, r.category, r.message.name if r.message else None) for r in log.records]
    expected_first_boot = [
        "Booted",
        "ClockStarted",
        "InterfaceUp",
        "AddressAssigned",
        "InterfaceUp",
        "AddressAssigned",
        "InterfaceUp",
        "NetworkAdded",
        "ConnectFailed",
        "NetworkAdded",
        "Connected",
        "AddressAssigned",
        "ImageStaged",
        "InstallStarted",
        "ImageInstalled",
        "AppStarted",
        "AppStopped",
        "AppStarted",
        "RequestRefused",
        "StateChanged",
        "RestartRequested",
    ]
    assert [n for b, _, n in names if b == 0] == expected_first_boot
    second = [(c, n) for b, c, n in names if b == 1]
    assert second[0] == ("boot", "Booted")
    assert ("wifi", "Connected") in second
    assert second[-1] == ("appman", "AppStarted")
    uptimes = [r.uptime_ms for r in log.records if r.boot == 0]
    assert uptimes == sorted(uptimes)


async def test_parameters_carry_the_boards_own_values(mock_device: MockDevice) -> None:
    log = await _line_station(mock_device)
    by_name = {r.message.name: r for r in log.records if r.message is not None}
    assert by_name["Booted"].text == "System booted (os: 24.03, reason: restart)"
    assert by_name["ConnectFailed"].text == (
        "Wi-Fi connection failed (network_id: 0, reason: NetworkNotFound)"
    )
    staged = by_name["ImageStaged"].parameters
    assert staged[0].value == BLINK_ID
    assert staged[2].value == BLINK.stat().st_size
    refused = by_name["RequestRefused"]
    assert refused.priority_label == "Warning"
    error = next(p for p in refused.parameters if p.kind is ParamKind.ERROR)
    assert error.value == Code.OTA_IN_PROGRESS
    assert error.text == "ImageStaging::OtaInProgress"
    assert by_name["StateChanged"].text == (
        "Manufacturing state changed (from: Blank, to: Module1Complete)"
    )


async def test_a_locked_board_logs_what_it_refused(mock_device: MockDevice) -> None:
    mock_device.state.development_mode = False
    mock_device.state.manufacturing_state = "DeviceComplete"  # finished, no appDevelopment
    async with DeviceClient(mock_device.address, ca=mock_device.ssl_context()) as client:
        with pytest.raises(DeviceHTTPError):
            await client.app.set_status(BLINK_ID, "start")
        mock_device.state.development_mode = True  # GET /log itself needs it
        log = await read_board_log(client, STORE)
    last = log.records[-1]
    assert last.line().endswith(
        "Warning rest(1): REST request refused (method: PATCH, "
        f"path: /app/status/{BLINK_ID}, status: 403, error: AppPolicy::AppNotPermitted)"
    )


def test_every_code_the_mock_sends_has_a_name_in_its_manifest() -> None:
    manifest = STORE.load("24.03")
    codes = {name: value for name, value in vars(Code).items() if name.isupper()}
    # A named table without the code gives "Table::N"; an unknown table gives no name.
    named = {name: str(manifest.error_name(code)) for name, code in codes.items()}
    unnamed = [name for name, text in named.items() if "::" not in text or text[-1].isdigit()]
    assert unnamed == []
