"""Our manifest file format: written, read back, and refused clearly when wrong."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from azsphere_async.devicelog import ManifestError, Priority, load_manifest, write_manifest
from azsphere_async.devicelog.manifest import manifest_from_json, manifest_to_json
from tests.devicelog.logbuilder import LINK_ERROR_TABLE, SENSOR, synthetic_manifest


@pytest.mark.parametrize("gz", [True, False])
def test_a_written_manifest_reads_back_equal(tmp_path: Path, gz: bool) -> None:
    manifest = synthetic_manifest()
    path = write_manifest(manifest, tmp_path, gz=gz)
    assert path.name == ("30.01.json.gz" if gz else "30.01.json")
    assert load_manifest(path) == manifest
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_writing_is_deterministic_and_replaces_the_other_form(tmp_path: Path) -> None:
    manifest = synthetic_manifest()
    plain = write_manifest(manifest, tmp_path, gz=False)
    first = write_manifest(manifest, tmp_path, gz=True).read_bytes()
    assert not plain.exists()
    assert write_manifest(manifest, tmp_path, gz=True).read_bytes() == first
    assert json.loads(gzip.decompress(first))["release"] == "30.01"


def test_counts_and_lookups() -> None:
    manifest = synthetic_manifest()
    assert manifest.message_count == 6
    assert manifest.error_code_count == 2
    quiet = manifest.message(SENSOR, 4)
    assert quiet is not None
    assert quiet.priority is Priority.TRACE
    assert manifest.message(SENSOR, 99) is None
    assert manifest.message(999, 1) is None
    assert str(manifest.error_name(LINK_ERROR_TABLE << 20 | 1)) == "LinkError::NoCarrier"
    assert manifest.error_name(LINK_ERROR_TABLE << 20 | 1).number == 1
    assert manifest.error_name(LINK_ERROR_TABLE << 20 | 1).category == LINK_ERROR_TABLE


def _document() -> dict[str, Any]:
    return manifest_to_json(synthetic_manifest())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="something else"), "not a device log manifest"),
        (lambda d: d.update(version=2), "format version 2 is not supported"),
        (lambda d: d.update(release="../evil"), "is not a usable name"),
        (lambda d: d.update(categories=[]), "categories: expected an object"),
        (lambda d: d["categories"].update({"x": {}}), "key 'x' is not a number"),
        (lambda d: d["categories"].update({"70000": {}}), "from 0 to 65535"),
        (
            lambda d: d["categories"]["7"]["messages"]["1"].__setitem__(1, "Loud"),
            "unknown priority 'Loud'",
        ),
        (
            lambda d: d["categories"]["7"]["messages"]["1"][3].append(["x", "float"]),
            "parameter 2 has type 'float'",
        ),
        (lambda d: d["categories"]["7"]["messages"].update({"1": ["a", "Info"]}), "a list of 4"),
        (lambda d: d["errors"]["13"]["codes"].update({"1": ["only a name"]}), "a list of 2"),
        (lambda d: d["errors"].update({"5000": {"name": "x"}}), "from 0 to 4095"),
        (lambda d: d["categories"]["7"].update(name=7), "expected a string"),
    ],
)
def test_a_wrong_document_is_refused_with_where_and_why(change: Any, message: str) -> None:
    document = _document()
    change(document)
    with pytest.raises(ManifestError, match=r"my\.json") as caught:
        manifest_from_json(document, where="my.json")
    assert message in str(caught.value)


def test_unreadable_files_are_manifest_errors_naming_the_file(tmp_path: Path) -> None:
    for name, content in [
        ("30.01.json", b"{not json"),
        ("30.02.json.gz", b"not gzip"),
        ("30.03.json", b"\xff\xfe"),
    ]:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ManifestError, match=re.escape(name)):
            load_manifest(tmp_path / name)
    with pytest.raises(ManifestError, match=r"missing\.json"):
        load_manifest(tmp_path / "missing.json")


def test_a_file_named_for_another_release_is_refused(tmp_path: Path) -> None:
    path = write_manifest(synthetic_manifest(), tmp_path, gz=False)
    renamed = path.rename(tmp_path / "22.07.json")
    with pytest.raises(ManifestError, match=r"named for release 22\.07 but holds 30\.01"):
        load_manifest(renamed)
