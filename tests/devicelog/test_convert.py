"""The importer, on a ParseDeviceLog-shaped folder that each test writes itself.

The folder has Microsoft's shape (``<release>/log_manifests/*.json``,
``<release>/commonerror_yml/*.yml``, ``LICENSE.txt``) and invented contents.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from azsphere_async.devicelog import (
    ManifestError,
    ManifestStore,
    ParamKind,
    Priority,
    import_manifests,
    load_manifest,
)
from azsphere_async.devicelog.__main__ import main
from azsphere_async.devicelog.convert import LICENSE_NAME
from tests.devicelog.logbuilder import bank, error_code, guid, i32, ipv4, record, string, u32

PROBE: dict[str, Any] = {
    "version": "1.0",
    "categoryId": 40,
    "categoryName": "probed",
    "msgIds": [
        {
            "msgName": "EveryType",
            "msgId": 3,
            "msgString": "Probe result",
            "msgPriority": "Warning",
            "params": [
                {"paramName": "delta", "paramType": "integer"},
                {"paramName": "count", "paramType": "unsignedInteger"},
                {"paramName": "peer", "paramType": "ipAddress"},
                {"paramName": "component", "paramType": "uniqueId"},
                {"paramName": "error", "paramType": "commonError"},
                {"paramName": "where", "paramType": "string"},
            ],
        },
        {
            "msgName": "Idle",
            "msgId": 4,
            "msgString": "Probe idle",
            "msgPriority": "Trace",
            "obsolete": True,
        },
    ],
}
RESERVED = {"comment": "retired; keeps its ID", "version": "1.0", "categoryId": 41,
            "categoryName": "retired", "msgIds": [{}]}  # fmt: skip
ERRORS_YML = """category_id: 30
name: ProbeError
namespace: probes
codes:
  -
    id: 1
    name: NoEcho
    msg: No echo came back
  -
    id: 2
    name: Garbled
    msg: 'The echo was garbled: check the cable'
"""
ERRNO_YML = "category_id: 0\nname: LinuxError\ninclude: <errno.h>"


def make_parse_device_log(root: Path, releases: tuple[str, ...] = ("30.01", "30.05")) -> Path:
    folder = root / "ParseDeviceLog"
    for index, release in enumerate(releases):
        manifests = folder / release / "log_manifests"
        errors = folder / release / "commonerror_yml"
        manifests.mkdir(parents=True)
        errors.mkdir()
        probe = json.loads(json.dumps(PROBE))
        probe["msgIds"][0]["msgString"] += f" {index}"
        (manifests / "probed_log_manifest.json").write_text(json.dumps(probe, indent=4))
        (manifests / "retired_log_manifest.json").write_text(json.dumps(RESERVED))
        (errors / "probe_error.yml").write_text(ERRORS_YML)
        (errors / "linux_error.yml").write_text(ERRNO_YML)
    (folder / "LICENSE.txt").write_text("MIT License (synthetic copy for the tests)\n")
    (folder / "README.md").write_text("not a release")
    return root


def test_every_release_becomes_one_compact_file(tmp_path: Path) -> None:
    source = make_parse_device_log(tmp_path / "checkout")
    written = import_manifests(source, tmp_path / "out")
    assert [(w.release, w.categories, w.messages, w.error_codes) for w in written] == [
        ("30.01", 2, 2, 2),
        ("30.05", 2, 2, 2),
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "30.01.json.gz",
        "30.05.json.gz",
        LICENSE_NAME,
    ]
    assert "synthetic copy" in (tmp_path / "out" / LICENSE_NAME).read_text()
    manifest = load_manifest(tmp_path / "out" / "30.05.json.gz")
    message = manifest.message(40, 3)
    assert message is not None
    assert (message.name, message.priority, message.text) == (
        "EveryType",
        Priority.WARNING,
        "Probe result 1",
    )
    assert [p.kind for p in message.params] == list(ParamKind)
    assert manifest.categories[41].messages == {}
    assert manifest.errors[30].codes[2] == ("Garbled", "The echo was garbled: check the cable")
    assert manifest.errors[0].codes == {}
    assert "Microsoft" in manifest.source


def test_an_imported_release_decodes_a_log(tmp_path: Path) -> None:
    import_manifests(make_parse_device_log(tmp_path / "checkout"), tmp_path / "out")
    params = i32(-1) + u32(7) + ipv4("192.0.2.9") + guid("00112233-4455-6677-8899-aabbccddeeff")
    params += u32(error_code(30, 1)) + string("rack 3")
    log = ManifestStore(tmp_path / "out").decode(
        bank([record(40, 3, params, priority=3, uptime_ms=61_000)], counter=4), "30.02"
    )
    assert log.release == "30.01"
    assert log.records[0].line() == (
        "[     61.000] Warning probed(3): Probe result 0 (delta: -1, count: 7, peer: 192.0.2.9, "
        "component: 00112233-4455-6677-8899-aabbccddeeff, error: ProbeError::NoEcho, "
        "where: rack 3)"
    )


def test_the_folder_itself_chosen_releases_and_plain_files(tmp_path: Path) -> None:
    source = make_parse_device_log(tmp_path / "checkout") / "ParseDeviceLog"
    written = import_manifests(source, tmp_path / "out", releases=["30.05"], gz=False)
    assert [w.path.name for w in written] == ["30.05.json"]
    assert written[0].size == (tmp_path / "out" / "30.05.json").stat().st_size


def test_importing_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    source = make_parse_device_log(tmp_path / "checkout")
    first = import_manifests(source, tmp_path / "a")[0].path.read_bytes()
    assert import_manifests(source, tmp_path / "b")[0].path.read_bytes() == first


def test_the_default_destination_is_the_user_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("AZSPHERE_LOG_MANIFESTS", raising=False)
    import_manifests(make_parse_device_log(tmp_path / "checkout"))
    assert sorted(ManifestStore().releases()) == ["30.01", "30.05"]


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (
            lambda m: m["msgIds"][0]["params"][0].update(paramType="float"),
            "type 'float', which this version cannot decode",
        ),
        (lambda m: m.pop("categoryId"), "'categoryId' is missing"),
        (lambda m: m.update(categoryId="40"), "expected int, got '40'"),
        (lambda m: m["msgIds"][0].update(msgPriority="Loud"), "unknown priority 'Loud'"),
        (lambda m: m["msgIds"][1].update(msgId=3), "message 3 appears twice"),
        (lambda m: m.update(categoryId=41), "category 41 is also 'probed'"),
        (lambda m: m["msgIds"][0].update(msgId=70000), "from 0 to 65535"),
    ],
)
def test_a_file_not_as_published_is_refused_before_anything_is_written(
    tmp_path: Path, spoil: Any, message: str
) -> None:
    source = make_parse_device_log(tmp_path / "checkout", ("30.01",))
    path = source / "ParseDeviceLog" / "30.01" / "log_manifests" / "probed_log_manifest.json"
    document = json.loads(path.read_text())
    spoil(document)
    path.write_text(json.dumps(document))
    with pytest.raises(ManifestError) as caught:
        import_manifests(source, tmp_path / "out")
    assert message in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_a_broken_error_table_names_its_file(tmp_path: Path) -> None:
    source = make_parse_device_log(tmp_path / "checkout", ("30.01",))
    (source / "ParseDeviceLog" / "30.01" / "commonerror_yml" / "bad.yml").write_text("a: [b")
    with pytest.raises(ManifestError, match=r"bad\.yml"):
        import_manifests(source, tmp_path / "out")


def test_a_folder_without_releases_or_a_missing_release_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ManifestError, match="neither a checkout"):
        import_manifests(tmp_path / "empty", tmp_path / "out")
    source = make_parse_device_log(tmp_path / "checkout")
    with pytest.raises(ManifestError, match=r"no release 24\.06 in .*it has 30\.01, 30\.05"):
        import_manifests(source, tmp_path / "out", releases=["24.06"])


def test_the_import_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = make_parse_device_log(tmp_path / "checkout")
    assert main(["import", str(source), "--to", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "30.01: 2 categories, 2 messages, 2 error codes" in out
    assert f"2 release(s) in {tmp_path / 'out'}" in out
    assert main(["releases", "--manifests", str(tmp_path / "out")]) == 0
    assert "30.05\t30.05.json.gz" in capsys.readouterr().out
    assert main(["import", str(tmp_path), "--to", str(tmp_path / "x")]) == 1
    assert "neither a checkout" in capsys.readouterr().err
