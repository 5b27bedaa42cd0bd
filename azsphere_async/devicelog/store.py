"""Where manifests are kept, and which release decodes a board's log.

A :class:`ManifestStore` is one directory of manifest files (``<release>.json[.gz]``, see
:mod:`azsphere_async.devicelog.manifest`). The directory is, first found:

1. the one given to the store (``ManifestStore(directory)``, ``--manifests`` on commands);
2. the ``AZSPHERE_LOG_MANIFESTS`` environment variable;
3. the user data directory, ``<user data dir>/azsphere-async/devicelog-manifests`` (on Linux
   ``~/.local/share/...``), where ``python -m azsphere_async.devicelog import`` writes.

The release for a board is the one named like its OS version (``GET /osversion``), else the
nearest older one; a board older than every release gets the oldest, and a board whose
version is unknown the newest. The choice always says which and why.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import attrs
import platformdirs

from .decoder import decode_log
from .manifest import Manifest, ManifestError, load_manifest, release_of_file
from .records import DecodedLog

__all__ = [
    "MANIFESTS_VARIABLE",
    "ManifestStore",
    "ReleaseChoice",
    "choose_release",
    "default_manifest_dir",
    "release_key",
]

MANIFESTS_VARIABLE: Final = "AZSPHERE_LOG_MANIFESTS"
IMPORT_HINT: Final = (
    "import real boards' manifests from a checkout of Azure/azure-sphere-tools with "
    "'python -m azsphere_async.devicelog import PATH'"
)


def default_manifest_dir() -> Path:
    """The user data directory's manifest folder (where the importer writes by default)."""
    return platformdirs.user_data_path("azsphere-async", appauthor=False) / "devicelog-manifests"


def release_key(version: str) -> tuple[int, ...] | None:
    """A release or OS version as numbers to compare (``24.06`` -> ``(24, 6)``); else ``None``."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)*)\s*", version)
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


@attrs.frozen
class ReleaseChoice:
    """The release chosen for a board's OS version (``None`` when there is no release at all)."""

    release: str | None
    os_version: str | None
    reason: str

    def describe(self) -> str:
        """One sentence: which release, for which OS version, why."""
        board = f"board OS {self.os_version}" if self.os_version else "board OS unknown"
        if self.release is None:
            return f"{board}: no manifest ({self.reason})"
        return f"{board}: manifest release {self.release} ({self.reason})"


def choose_release(os_version: str | None, releases: Iterable[str]) -> ReleaseChoice:
    """The release for ``os_version``: the same, else the nearest older, and why."""
    names = sorted(set(releases), key=lambda r: (release_key(r) is None, release_key(r) or (), r))
    if not names:
        return ReleaseChoice(None, os_version, "no manifests available")
    if os_version is not None and os_version.strip() in names:
        return ReleaseChoice(os_version.strip(), os_version, "exact match")
    numbered = [r for r in names if release_key(r) is not None]
    wanted = release_key(os_version) if os_version is not None else None
    if not numbered:
        return ReleaseChoice(None, os_version, f"no numbered release among {', '.join(names)}")
    if wanted is None:
        why = "OS version unknown" if os_version is None else "OS version is not a number"
        return ReleaseChoice(numbered[-1], os_version, f"{why}: the newest release")
    older = [r for r in numbered if (release_key(r) or ()) <= wanted]
    if older:
        return ReleaseChoice(older[-1], os_version, "no exact match: the nearest older release")
    return ReleaseChoice(
        numbered[0], os_version, "older than every release: the oldest, which may not fit"
    )


class ManifestStore:
    """A directory of manifest files; chooses and loads the release for a board's log."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        if directory is not None:
            self.directory, self.origin = Path(directory), "given"
        elif os.environ.get(MANIFESTS_VARIABLE):
            self.directory, self.origin = Path(os.environ[MANIFESTS_VARIABLE]), MANIFESTS_VARIABLE
        else:
            self.directory, self.origin = default_manifest_dir(), "user data directory"
        self._cache: dict[Path, tuple[int, int, Manifest]] = {}

    def __repr__(self) -> str:
        return f"ManifestStore({str(self.directory)!r}, origin={self.origin!r})"

    def releases(self) -> dict[str, Path]:
        """Every release in the directory, by name (empty when the directory is missing)."""
        try:
            entries = sorted(self.directory.iterdir())
        except OSError:
            return {}
        found: dict[str, Path] = {}
        for path in entries:
            release = release_of_file(path)
            # 24.06.json.gz wins over a stray 24.06.json: sorted() puts it second.
            if release is not None and path.is_file():
                found[release] = path
        return found

    def choose(self, os_version: str | None) -> ReleaseChoice:
        """The release for a board running ``os_version`` (see :func:`choose_release`)."""
        choice = choose_release(os_version, self.releases())
        if choice.release is None:
            return attrs.evolve(
                choice, reason=f"{choice.reason} in {self.directory} ({self.origin})"
            )
        return choice

    def load(self, release: str) -> Manifest:
        """The manifest of ``release``; :class:`ManifestError` when missing or unreadable."""
        path = self.releases().get(release)
        if path is None:
            raise ManifestError(f"no manifest for release {release} in {self.directory}")
        try:
            stat = path.stat()
        except OSError as exc:
            raise ManifestError(f"cannot read the manifest {path}: {exc}") from exc
        cached = self._cache.get(path)
        if cached is not None and cached[:2] == (stat.st_mtime_ns, stat.st_size):
            return cached[2]
        manifest = load_manifest(path)
        self._cache[path] = (stat.st_mtime_ns, stat.st_size, manifest)
        return manifest

    def decode(self, data: bytes | bytearray | memoryview, os_version: str | None) -> DecodedLog:
        """Decode a board's log with the release chosen for its OS version.

        Never raises on the log or a broken manifest: without a usable manifest the log is
        decoded with raw IDs, and the notes say which release was used, or why none was.
        """
        choice = self.choose(os_version)
        notes = [choice.describe()]
        manifest = None
        if choice.release is None:
            notes.append(IMPORT_HINT)
        else:
            try:
                manifest = self.load(choice.release)
            except ManifestError as exc:
                notes.append(f"{exc}; decoded with raw IDs")
        if manifest is not None and manifest.source:
            notes.append(f"manifest source: {manifest.source}")
        return decode_log(data, manifest, notes=notes)
