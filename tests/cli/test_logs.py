"""``azsphere-async logs``: files named by device ID, never overwritten; decoded on request."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from azsphere_async.mock.devicelog import MANIFEST_DIR
from tests.shared_data import BLINK_ID
from tests.threaded_fleet import ThreadedFleet

MOCK_MANIFESTS = ("--manifests", str(MANIFEST_DIR))


def _ids(fleet: ThreadedFleet) -> list[str]:
    return [device.state.device_id for device in fleet.mock]


def test_raw_files_are_named_by_device_id_and_never_overwritten(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    first = run_cli("logs", "--dir", str(folder), "--json")
    assert first.exit_code == 0, first.output
    ids = _ids(fleet)
    expected = {f"{i}{s}" for i in ids for s in (".diagnostic.bin", ".error-report.bin")}
    assert {p.name for p in folder.iterdir()} == expected
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert all(len(before[f"{i}.diagnostic.bin"]) == 64 * 1024 for i in ids)
    second = run_cli("logs", "--dir", str(folder))
    assert second.exit_code == 0, second.output
    assert {p.name for p in folder.iterdir()} == expected | {
        f"{i}-2{s}" for i in ids for s in (".diagnostic.bin", ".error-report.bin")
    }
    assert all((folder / name).read_bytes() == data for name, data in before.items())
    boards = json.loads(first.stdout)["boards"]
    assert {b["result"]["device_id"] for b in boards} == set(ids)
    assert all(b["result"]["decoded"] is None for b in boards)


def test_decode_writes_the_decoded_log_beside_the_raw_one(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, tmp_path: Path
) -> None:
    run_cli("app", "start", BLINK_ID)  # not installed: each board refuses and logs it
    folder = tmp_path / "logs"
    shown = run_cli("logs", "--dir", str(folder), "--decode", *MOCK_MANIFESTS)
    assert shown.exit_code == 0, shown.output
    assert "24.03" in shown.stdout
    device_id = _ids(fleet)[0]
    text = (folder / f"{device_id}.diagnostic.txt").read_text().splitlines()
    assert text[0].startswith("# 65536 bytes,")
    assert text[1] == "# board OS 24.03: manifest release 24.03 (exact match)"
    assert any("Info    boot(1): System booted (os: 24.03, reason: power on)" in t for t in text)
    assert any(
        f"path: /app/status/{BLINK_ID}, status: 409, error: AppStorage::AppNotPresent" in t
        for t in text
    )


def test_decode_in_json_with_filters(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, tmp_path: Path
) -> None:
    run_cli("app", "start", BLINK_ID)
    assert run_cli("restart", "--wait", "--timeout", "5").exit_code == 0
    folder = tmp_path / "logs"
    saved = run_cli(
        "logs",
        "--dir",
        str(folder),
        "--since-boot",
        "--priority",
        "info",
        "--json",
        *MOCK_MANIFESTS,
    )
    assert saved.exit_code == 0, saved.output
    result = json.loads(saved.stdout)["boards"][0]["result"]
    decoded = result["decoded"]
    assert decoded["release"] == "24.03"
    assert decoded["path"].endswith(".diagnostic.json")
    document = json.loads(Path(decoded["path"]).read_text())
    records = document["records"]
    assert {r["boot"] for r in records} == {1}
    assert records[0]["text"] == "System booted (os: 24.03, reason: restart)"
    assert "Debug" not in {r["priority"] for r in records}  # ClockStarted is Debug
    assert decoded["records"] == len(records)
    assert decoded["errors"] == 0


def test_without_manifests_the_log_still_decodes_with_raw_ids(
    run_cli: Callable[..., Result], fleet: ThreadedFleet, tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    saved = run_cli(
        "logs", "--dir", str(folder), "--decode", "--manifests", str(tmp_path / "none"), "--json"
    )
    assert saved.exit_code == 0, saved.output
    decoded = json.loads(saved.stdout)["boards"][0]["result"]["decoded"]
    assert decoded["release"] is None
    assert any("python -m azsphere_async.devicelog import" in note for note in decoded["notes"])
    first = json.loads(Path(decoded["path"]).read_text())["records"][0]
    assert (first["category"], first["category_id"], first["message"]) == (None, 101, None)
    assert first["text"].startswith("unknown message 1 (bytes: 32 34 2e 30 33 00")


def test_a_priority_that_does_not_exist_is_a_usage_error(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    bad = run_cli("logs", "--dir", str(folder), "--priority", "loud")
    assert bad.exit_code == 2
    assert "loud" in bad.stderr
    assert not folder.exists()
