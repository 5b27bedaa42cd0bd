"""Reading a board's log through the client, and decoding a saved log from the command line."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from azsphere_async import DeviceClient, RetryPolicy
from azsphere_async.devicelog import ManifestStore, read_board_log, write_manifest
from azsphere_async.devicelog.__main__ import main
from tests.devicelog.logbuilder import bank, reading, synthetic_manifest
from tests.shared_data import DEVICE_URL, REST_API_VERSION

LOG = bank([reading(1, 5, 4000), reading(2, 6, 100, priority=2), reading(3, 7, 200)], 0)


def _answer(version: str, **kwargs: object) -> httpx.Response:
    return httpx.Response(200, headers={"REST-API-Version": version}, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=DEVICE_URL, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
def store(tmp_path: Path) -> ManifestStore:
    write_manifest(synthetic_manifest(), tmp_path, gz=True)
    return ManifestStore(tmp_path)


async def test_the_board_os_version_chooses_the_release(
    router: respx.MockRouter, store: ManifestStore
) -> None:
    router.get("/status").mock(return_value=_answer(REST_API_VERSION, json={"uptime": 3}))
    router.get("/osversion").mock(
        return_value=_answer(REST_API_VERSION, json={"osversion": "30.02"})
    )
    router.get("/log").mock(return_value=_answer(REST_API_VERSION, content=LOG))
    async with DeviceClient(retry=RetryPolicy(attempts=1)) as device:
        log = await read_board_log(device, store)
    assert log.release == "30.01"
    assert log.notes[0].startswith("board OS 30.02: manifest release 30.01")
    assert log.records[0].text == "Sensor read (channel: 1, value: 5)"


async def test_a_board_too_old_to_tell_its_version_gets_the_newest_release(
    router: respx.MockRouter, store: ManifestStore
) -> None:
    router.get("/status").mock(return_value=_answer("4.4.0", json={"uptime": 3}))
    router.get("/log").mock(return_value=_answer("4.4.0", content=LOG))
    async with DeviceClient(retry=RetryPolicy(attempts=1)) as device:
        await device.device.get_rest_api_version()
        log = await read_board_log(device, store)
    assert log.release == "30.01"
    assert "board OS unknown" in log.notes[0]
    assert [call.request.url.path for call in router.calls] == ["/status", "/log"]


def test_the_decode_command_prints_text_and_json_with_filters(
    tmp_path: Path, store: ManifestStore, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "board.bin"
    saved.write_bytes(LOG)
    common = ["decode", str(saved), "--manifests", str(store.directory), "--os-version", "30.01"]
    assert main(common) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0] == "# 4096 bytes, 3 records, manifest release 30.01"
    assert "[      4.000] Info    sensord(1): Sensor read (channel: 1, value: 5)" in text
    assert main([*common, "--since-boot", "--priority", "error", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["uptime_ms"] for r in data["records"]] == [100]


def test_the_decode_command_refuses_a_bad_priority_and_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["decode", str(tmp_path / "x.bin"), "--priority", "loud"])
    assert exited.value.code == 2
    assert "unknown priority 'loud'" in capsys.readouterr().err
    assert main(["decode", str(tmp_path / "missing.bin")]) == 1
    assert "cannot read" in capsys.readouterr().err


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError


def test_a_reader_that_stops_early_is_no_error(
    tmp_path: Path, store: ManifestStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / "board.bin"
    saved.write_bytes(LOG)
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["decode", str(saved), "--manifests", str(store.directory)]) == 0
