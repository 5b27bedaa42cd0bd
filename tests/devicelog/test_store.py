"""Where the decoder looks for manifests, and which release it picks for a board."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from azsphere_async.devicelog import (
    MANIFESTS_VARIABLE,
    ManifestError,
    ManifestStore,
    choose_release,
    write_manifest,
)
from azsphere_async.devicelog.store import default_manifest_dir, release_key
from tests.devicelog.logbuilder import bank, reading, synthetic_manifest

RELEASES = ["22.07", "22.09", "22.11", "23.05", "24.06"]


@pytest.mark.parametrize(
    ("os_version", "release", "reason"),
    [
        ("23.05", "23.05", "exact match"),
        ("24.03", "23.05", "nearest older"),
        ("22.10", "22.09", "nearest older"),
        ("25.01", "24.06", "nearest older"),
        ("22.11.1", "22.11", "nearest older"),
        ("21.01", "22.07", "older than every release"),
        (None, "24.06", "OS version unknown"),
        ("preview", "24.06", "not a number"),
    ],
)
def test_the_release_is_the_same_or_the_nearest_older(
    os_version: str | None, release: str, reason: str
) -> None:
    choice = choose_release(os_version, RELEASES)
    assert choice.release == release
    assert reason in choice.reason
    assert release in choice.describe()


def test_releases_compare_as_numbers_not_text() -> None:
    assert choose_release("9.5", ["9.1", "10.0"]).release == "9.1"
    assert release_key("24.06") == (24, 6)
    assert release_key("mock") is None


def test_no_release_at_all_is_said_plainly() -> None:
    choice = choose_release("24.06", [])
    assert choice.release is None
    assert "no manifest" in choice.describe()
    assert choose_release("24.06", ["mock"]).release is None


def _store_with(directory: Path, *releases: str) -> ManifestStore:
    for release in releases:
        write_manifest(attrs.evolve(synthetic_manifest(), release=release), directory, gz=True)
    return ManifestStore(directory)


def test_the_store_lists_and_chooses_from_its_directory(tmp_path: Path) -> None:
    store = _store_with(tmp_path, "22.07", "23.05")
    (tmp_path / "notes.txt").write_text("not a manifest")
    assert sorted(store.releases()) == ["22.07", "23.05"]
    assert store.choose("24.03").release == "23.05"
    assert store.load("22.07").release == "22.07"
    assert store.load("22.07") is store.load("22.07")
    with pytest.raises(ManifestError, match=r"no manifest for release 24\.06"):
        store.load("24.06")


def test_the_argument_wins_over_the_variable_which_wins_over_the_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv(MANIFESTS_VARIABLE, raising=False)
    assert ManifestStore().directory == default_manifest_dir()
    assert ManifestStore().origin == "user data directory"
    assert default_manifest_dir() == tmp_path / "data" / "azsphere-async" / "devicelog-manifests"
    monkeypatch.setenv(MANIFESTS_VARIABLE, str(tmp_path / "from-env"))
    assert ManifestStore().directory == tmp_path / "from-env"
    assert ManifestStore(tmp_path / "given").directory == tmp_path / "given"


def test_decode_says_which_release_decoded_the_log(tmp_path: Path) -> None:
    store = _store_with(tmp_path, "30.01")
    log = store.decode(bank([reading(1, 2, 10)], counter=0), "30.04")
    assert log.release == "30.01"
    assert log.notes[0] == (
        "board OS 30.04: manifest release 30.01 (no exact match: the nearest older release)"
    )
    assert log.records[0].text == "Sensor read (channel: 1, value: 2)"


def test_without_manifests_the_log_decodes_with_raw_ids_and_a_hint(tmp_path: Path) -> None:
    log = ManifestStore(tmp_path / "nothing").decode(bank([reading(1, 2, 10)], 0), "24.06")
    assert log.release is None
    assert log.records[0].source == "category 7(1)"
    assert any("nothing" in note and "no manifest" in note for note in log.notes)
    assert any("python -m azsphere_async.devicelog import" in note for note in log.notes)


def test_a_broken_manifest_file_is_a_note_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / "24.06.json").write_text("{broken")
    log = ManifestStore(tmp_path).decode(bank([reading(1, 2, 10)], 0), "24.06")
    assert log.release is None
    assert len(log.records) == 1
    assert any("cannot read the manifest" in note for note in log.notes)
