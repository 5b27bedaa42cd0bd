"""Import Microsoft's published manifests into our format: one command per new release.

Microsoft publishes each OS release's log manifests and error tables in ``ParseDeviceLog/``
of the public repository Azure/azure-sphere-tools, under the MIT licence: per release, a
folder (``22.07``, ... ``24.06``) with ``log_manifests/*.json`` (one category each: its ID,
name and messages with their parameters) and ``commonerror_yml/*.yml`` (one error category
each: its ID, name and codes). This package ships none of them; with a checkout of that
repository on your machine, run::

    python -m azsphere_async.devicelog import path/to/azure-sphere-tools

which writes ``<release>.json.gz`` per release, and Microsoft's licence beside them, into the
user data directory (or ``--to DIR``); see :mod:`azsphere_async.devicelog.store` for where the
decoder looks. Reading the ``.yml`` tables needs PyYAML (in the ``cli`` and ``mock`` extras).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from .layout import ParamKind, Priority
from .manifest import (
    Category,
    ErrorCategory,
    Manifest,
    ManifestError,
    Message,
    ParamSpec,
    manifest_from_json,
    manifest_to_json,
    write_manifest,
)
from .store import default_manifest_dir, release_key

__all__ = ["LICENSE_NAME", "ImportedRelease", "convert_release", "import_manifests"]

LICENSE_NAME: Final = "LICENSE-ParseDeviceLog.txt"
"""Microsoft's licence, copied beside the files made from their manifests."""

_KINDS: Final[Mapping[str, ParamKind]] = {
    "integer": ParamKind.INT,
    "unsignedInteger": ParamKind.UINT,
    "ipAddress": ParamKind.IPV4,
    "uniqueId": ParamKind.GUID,
    "commonError": ParamKind.ERROR,
    "string": ParamKind.STR,
}


@attrs.frozen
class ImportedRelease:
    """One release written by :func:`import_manifests`: where, and how much it holds."""

    release: str
    path: Path
    categories: int
    messages: int
    error_codes: int
    size: int


def import_manifests(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str] | None = None,
    *,
    releases: Iterable[str] = (),
    gz: bool = True,
) -> list[ImportedRelease]:
    """Convert every release (or those named) of a ParseDeviceLog folder into ``destination``.

    ``source`` is a checkout of Azure/azure-sphere-tools or its ``ParseDeviceLog`` folder;
    ``destination`` defaults to :func:`~azsphere_async.devicelog.store.default_manifest_dir`.
    Raises :class:`~azsphere_async.devicelog.manifest.ManifestError` naming the file and
    field when something is not as published, before writing anything.
    """
    folder = _parse_device_log_folder(Path(source))
    found = {
        entry.name: entry
        for entry in folder.iterdir()
        if entry.is_dir() and (entry / "log_manifests").is_dir()
    }
    wanted = list(releases) or sorted(found, key=lambda r: release_key(r) or ())
    missing = [r for r in wanted if r not in found]
    if missing:
        raise ManifestError(
            f"no release {', '.join(missing)} in {folder}; it has {', '.join(sorted(found))}"
        )
    if not wanted:
        raise ManifestError(f"{folder} has no release folders with log_manifests/ inside")
    manifests = [convert_release(found[release]) for release in wanted]
    target = Path(destination) if destination is not None else default_manifest_dir()
    written = []
    for manifest in manifests:
        path = write_manifest(manifest, target, gz=gz)
        written.append(
            ImportedRelease(
                manifest.release,
                path,
                len(manifest.categories),
                manifest.message_count,
                manifest.error_code_count,
                path.stat().st_size,
            )
        )
    licence = folder / "LICENSE.txt"
    if licence.is_file():
        shutil.copyfile(licence, target / LICENSE_NAME)
    return written


def _parse_device_log_folder(source: Path) -> Path:
    for candidate in (source / "ParseDeviceLog", source):
        if candidate.is_dir() and any(
            (entry / "log_manifests").is_dir() for entry in candidate.iterdir() if entry.is_dir()
        ):
            return candidate
    raise ManifestError(
        f"{source} is neither a checkout of Azure/azure-sphere-tools nor its ParseDeviceLog "
        "folder (no <release>/log_manifests/ inside)"
    )


def convert_release(folder: str | os.PathLike[str]) -> Manifest:
    """One release folder (``ParseDeviceLog/24.06``) as a :class:`Manifest`."""
    path = Path(folder)
    categories: dict[int, Category] = {}
    for file in sorted((path / "log_manifests").glob("*.json")):
        category = _category(_read_json(file), file)
        if category.id in categories:
            raise ManifestError(
                f"{file}: category {category.id} is also {categories[category.id].name!r}"
            )
        categories[category.id] = category
    errors: dict[int, ErrorCategory] = {}
    error_folder = path / "commonerror_yml"
    if error_folder.is_dir():
        for file in sorted(error_folder.glob("*.yml")):
            table = _error_category(_read_yaml(file), file)
            if table.id in errors:
                raise ManifestError(f"{file}: error category {table.id} appears twice")
            errors[table.id] = table
    manifest = Manifest(
        release=path.name,
        source=(
            f"Microsoft's ParseDeviceLog/{path.name} (Azure/azure-sphere-tools, MIT licence; "
            f"see {LICENSE_NAME})"
        ),
        categories=categories,
        errors=errors,
    )
    # Our own reader checks every ID's range and every name: the file will load.
    return manifest_from_json(manifest_to_json(manifest), where=str(path))


def _category(doc: Any, file: Path) -> Category:
    category_id = _field(doc, "categoryId", int, file)
    messages: dict[int, Message] = {}
    for entry in _field(doc, "msgIds", list, file):
        # An entry without an ID only reserves its category (a retired component).
        if not isinstance(entry, dict) or "msgId" not in entry:
            continue
        message_id = _field(entry, "msgId", int, file)
        at = f"message {message_id}"
        params = []
        for param in entry.get("params") or []:
            kind = _field(param, "paramType", str, file, at)
            if kind not in _KINDS:
                raise ManifestError(
                    f"{file}: {at} has a parameter of type {kind!r}, which this version "
                    f"cannot decode (known: {', '.join(_KINDS)})"
                )
            params.append(ParamSpec(_field(param, "paramName", str, file, at), _KINDS[kind]))
        priority = _field(entry, "msgPriority", str, file, at, default="None")
        try:
            level = Priority.parse(priority)
        except ValueError as exc:
            raise ManifestError(f"{file}: {at}: {exc}") from None
        if message_id in messages:
            raise ManifestError(f"{file}: message {message_id} appears twice")
        messages[message_id] = Message(
            message_id,
            _field(entry, "msgName", str, file, at, default=""),
            level,
            _field(entry, "msgString", str, file, at, default=""),
            tuple(params),
        )
    return Category(category_id, _field(doc, "categoryName", str, file), messages)


def _error_category(doc: Any, file: Path) -> ErrorCategory:
    category_id = _field(doc, "category_id", int, file)
    name = _field(doc, "name", str, file)
    codes: dict[int, tuple[str, str]] = {}
    for code in _field(doc, "codes", list, file, default=None) or []:
        number = _field(code, "id", int, file, "a code")
        codes[number] = (
            _field(code, "name", str, file, f"code {number}"),
            str(_field(code, "msg", object, file, f"code {number}", default="")),
        )
    return ErrorCategory(category_id, name, codes)


def _field(doc: Any, key: str, kind: type, file: Path, at: str = "", *, default: Any = ...) -> Any:
    where = f"{file}: {at + ': ' if at else ''}{key!r}"
    if not isinstance(doc, dict):
        raise ManifestError(f"{where}: expected an object, got {type(doc).__name__}")
    if key not in doc:
        if default is ...:
            raise ManifestError(f"{where} is missing")
        return default
    value = doc[key]
    if value is None and default is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ManifestError(f"{where}: expected {kind.__name__}, got {value!r}")
    return value


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ManifestError(f"cannot read {file}: {exc}") from exc


def _read_yaml(file: Path) -> Any:
    try:
        import yaml
    except ImportError:
        raise ManifestError(
            "reading Microsoft's error tables (.yml) needs PyYAML: "
            "pip install pyyaml (or, in a checkout of azsphere-async, pip install '.[cli]')"
        ) from None
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ManifestError(f"cannot read {file}: {exc}") from exc
