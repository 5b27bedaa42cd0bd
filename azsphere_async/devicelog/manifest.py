"""Manifests: what each category and message of one OS release means, in our own file format.

A board's log holds only numbers (category, message, error codes); a release's manifest turns
them into text. Real boards' manifests are published by Microsoft in ``ParseDeviceLog/`` of
the public repository Azure/azure-sphere-tools (MIT); this package ships none of them. Import
them from your checkout with ``python -m azsphere_async.devicelog import PATH`` (see
:mod:`azsphere_async.devicelog.convert`), which writes one file per release in this format.

The format (version 1) is one JSON document per release, in ``<release>.json`` or gzipped in
``<release>.json.gz``::

    {"format": "azsphere-async device log manifest", "version": 1,
     "release": "24.06", "source": "where it came from",
     "categories": {"103": {"name": "wifi",
                            "messages": {"5": ["ConnectFailed", "Warning", "text",
                                               [["network_id", "int"], ["error", "error"]]]}}},
     "errors": {"13": {"name": "WifiConfig", "codes": {"3": ["NetworkNotFound", "text"]}}}}

A message is ``[name, priority, text, parameters]``; a parameter is ``[name, kind]`` with a
kind of :class:`~azsphere_async.devicelog.layout.ParamKind` (``int``, ``uint``, ``ipv4``,
``guid``, ``error``, ``str``). ``errors`` maps an error category to its codes, each
``[name, meaning]``.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from ..errors import AzsphereError
from .layout import (
    ERROR_CATEGORY_SHIFT,
    ERROR_CODE_MASK,
    FixedRun,
    ParamKind,
    Priority,
    parameter_layout,
)

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Category",
    "ErrorCategory",
    "ErrorName",
    "Manifest",
    "ManifestError",
    "Message",
    "ParamSpec",
    "load_manifest",
    "manifest_from_json",
    "manifest_to_json",
    "write_manifest",
]

FORMAT_NAME: Final = "azsphere-async device log manifest"
FORMAT_VERSION: Final = 1
_SUFFIXES: Final = (".json.gz", ".json")
_SAFE_RELEASE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class ManifestError(AzsphereError):
    """A manifest file is missing, unreadable or not in our format; the text says where."""


@attrs.frozen
class ParamSpec:
    """One parameter of a message: its name and its type."""

    name: str
    kind: ParamKind


@attrs.frozen
class Message:
    """One message of a category: its ID, name, usual priority, text and parameters."""

    id: int
    name: str
    priority: Priority
    text: str
    params: tuple[ParamSpec, ...] = ()

    @functools.cached_property
    def layout(self) -> tuple[FixedRun | tuple[str, ParamKind], ...]:
        """How the parameters lie in a record (worked out once per message)."""
        return parameter_layout([(p.name, p.kind) for p in self.params])


@attrs.frozen
class Category:
    """A category of messages (one OS component, such as ``wifi``)."""

    id: int
    name: str
    messages: Mapping[int, Message] = attrs.field(factory=dict)


@attrs.frozen
class ErrorName:
    """What a common error code means: ``WifiConfig::NetworkNotFound``, ``network not found``.

    ``name`` is ``None`` (and ``meaning`` too) when the category is unknown.
    """

    code: int
    name: str | None
    meaning: str | None

    @property
    def category(self) -> int:
        """The error category: the code's top 12 bits."""
        return self.code >> ERROR_CATEGORY_SHIFT

    @property
    def number(self) -> int:
        """The category's own code: the low 20 bits."""
        return self.code & ERROR_CODE_MASK

    def __str__(self) -> str:
        return self.name if self.name is not None else f"0x{self.code:08x}"


@attrs.frozen
class ErrorCategory:
    """One table of common error codes: a category and its codes' names and meanings."""

    id: int
    name: str
    codes: Mapping[int, tuple[str, str]] = attrs.field(factory=dict)


@attrs.frozen
class Manifest:
    """Everything one release's log records mean; see the module's docstring for the file."""

    release: str
    source: str
    categories: Mapping[int, Category] = attrs.field(factory=dict)
    errors: Mapping[int, ErrorCategory] = attrs.field(factory=dict)
    _error_names: dict[int, ErrorName] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    @property
    def message_count(self) -> int:
        """How many messages the manifest describes."""
        return sum(len(c.messages) for c in self.categories.values())

    @property
    def error_code_count(self) -> int:
        """How many error codes the manifest names."""
        return sum(len(e.codes) for e in self.errors.values())

    def message(self, category_id: int, message_id: int) -> Message | None:
        """The message with these IDs, or ``None``."""
        category = self.categories.get(category_id)
        return category.messages.get(message_id) if category is not None else None

    def error_name(self, code: int) -> ErrorName:
        """The name and meaning of a common error code (0 is success)."""
        found = self._error_names.get(code)
        if found is None:
            found = self._error_names[code] = self._describe(code)
        return found

    def _describe(self, code: int) -> ErrorName:
        if code == 0:
            return ErrorName(0, "Success", "Success")
        table = self.errors.get(code >> ERROR_CATEGORY_SHIFT)
        if table is None:
            return ErrorName(code, None, None)
        number = code & ERROR_CODE_MASK
        known = table.codes.get(number)
        if known is None:
            return ErrorName(code, f"{table.name}::{number}", f"{table.name} error {number}")
        return ErrorName(code, f"{table.name}::{known[0]}", known[1])


# -- reading ----------------------------------------------------------------------------------


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read one manifest file (``.json`` or ``.json.gz``); :class:`ManifestError` if unusable."""
    file = Path(path)
    try:
        raw = file.read_bytes()
        if file.name.endswith(".gz"):
            raw = gzip.decompress(raw)
        data = json.loads(raw.decode("utf-8"))
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError, ValueError) as exc:
        raise ManifestError(f"cannot read the manifest {file}: {exc}") from exc
    manifest = manifest_from_json(data, where=str(file))
    stem = release_of_file(file)
    if stem is not None and stem != manifest.release:
        raise ManifestError(
            f"the manifest {file} is named for release {stem} but holds {manifest.release}"
        )
    return manifest


def release_of_file(path: Path) -> str | None:
    """The release a manifest file is named for (``24.06.json.gz`` -> ``24.06``), or ``None``."""
    for suffix in _SUFFIXES:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            return path.name[: -len(suffix)]
    return None


def manifest_from_json(data: object, *, where: str = "manifest") -> Manifest:
    """A :class:`Manifest` from its parsed JSON; :class:`ManifestError` names what is wrong."""
    top = _mapping(data, where)
    if top.get("format") != FORMAT_NAME:
        raise ManifestError(f"{where}: not a device log manifest (format {top.get('format')!r})")
    if top.get("version") != FORMAT_VERSION:
        raise ManifestError(
            f"{where}: manifest format version {top.get('version')!r} is not supported "
            f"(this library reads version {FORMAT_VERSION})"
        )
    release = _text(top.get("release"), f"{where}: release")
    if not _SAFE_RELEASE.fullmatch(release):
        raise ManifestError(
            f"{where}: release {release!r} is not a usable name "
            "(letters, digits, '.', '_' and '-', starting with a letter or digit)"
        )
    source = _text(top.get("source", ""), f"{where}: source")
    categories: dict[int, Category] = {}
    for key, value in _mapping(top.get("categories", {}), f"{where}: categories").items():
        at = f"{where}: categories.{key}"
        body = _mapping(value, at)
        category_id = _number(key, at, bits=16)
        messages = {}
        for message_key, message in _mapping(body.get("messages", {}), f"{at}.messages").items():
            message_id = _number(message_key, f"{at}.messages", bits=16)
            messages[message_id] = _message(message_id, message, f"{at}.messages.{message_key}")
        categories[category_id] = Category(category_id, _text(body.get("name"), at), messages)
    errors: dict[int, ErrorCategory] = {}
    for key, value in _mapping(top.get("errors", {}), f"{where}: errors").items():
        at = f"{where}: errors.{key}"
        body = _mapping(value, at)
        error_id = _number(key, at, bits=32 - ERROR_CATEGORY_SHIFT)
        codes = {}
        for code_key, code in _mapping(body.get("codes", {}), f"{at}.codes").items():
            pair = _array(code, f"{at}.codes.{code_key}", length=2)
            number = _number(code_key, f"{at}.codes", bits=ERROR_CATEGORY_SHIFT)
            codes[number] = (_text(pair[0], f"{at}.codes.{code_key}"), _text(pair[1], at))
        errors[error_id] = ErrorCategory(error_id, _text(body.get("name"), at), codes)
    return Manifest(release, source, categories, errors)


def _message(message_id: int, value: object, at: str) -> Message:
    name, priority, text, params = _array(value, at, length=4)
    try:
        level = Priority.parse(_text(priority, f"{at}: priority"))
    except ValueError as exc:
        raise ManifestError(f"{at}: {exc}") from None
    specs = []
    for index, param in enumerate(_array(params, f"{at}: parameters")):
        param_name, kind = _array(param, f"{at}: parameter {index}", length=2)
        try:
            param_kind = ParamKind(kind)
        except ValueError:
            kinds = ", ".join(k.value for k in ParamKind)
            raise ManifestError(
                f"{at}: parameter {index} has type {kind!r}; expected one of {kinds}"
            ) from None
        specs.append(ParamSpec(_text(param_name, f"{at}: parameter {index}"), param_kind))
    return Message(message_id, _text(name, at), level, _text(text, at), tuple(specs))


def _mapping(value: object, at: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ManifestError(f"{at}: expected an object, got {type(value).__name__}")
    return value


def _array(value: object, at: str, *, length: int | None = None) -> list[Any]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        wanted = f"a list of {length}" if length is not None else "a list"
        raise ManifestError(f"{at}: expected {wanted}, got {json.dumps(value)[:60]}")
    return value


def _text(value: object, at: str) -> str:
    if not isinstance(value, str):
        raise ManifestError(f"{at}: expected a string, got {json.dumps(value)[:60]}")
    return value


def _number(key: str, at: str, *, bits: int) -> int:
    if not key.isdigit() or int(key) >= 1 << bits:
        raise ManifestError(f"{at}: key {key!r} is not a number from 0 to {(1 << bits) - 1}")
    return int(key)


# -- writing ----------------------------------------------------------------------------------


def manifest_to_json(manifest: Manifest) -> dict[str, Any]:
    """The JSON document of a manifest (what :func:`manifest_from_json` reads back)."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "release": manifest.release,
        "source": manifest.source,
        "categories": {
            str(c.id): {
                "name": c.name,
                "messages": {
                    str(m.id): [
                        m.name,
                        m.priority.label,
                        m.text,
                        [[p.name, p.kind.value] for p in m.params],
                    ]
                    for m in sorted(c.messages.values(), key=lambda m: m.id)
                },
            }
            for c in sorted(manifest.categories.values(), key=lambda c: c.id)
        },
        "errors": {
            str(e.id): {
                "name": e.name,
                "codes": {str(n): list(e.codes[n]) for n in sorted(e.codes)},
            }
            for e in sorted(manifest.errors.values(), key=lambda e: e.id)
        },
    }


def write_manifest(manifest: Manifest, directory: str | os.PathLike[str], *, gz: bool) -> Path:
    """Write ``<release>.json[.gz]`` into ``directory`` atomically; the same input, same bytes."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest_to_json(manifest), ensure_ascii=False, separators=(",", ":"))
    raw = text.encode("utf-8")
    if gz:
        raw = gzip.compress(raw, compresslevel=9, mtime=0)
    target = folder / f"{manifest.release}{'.json.gz' if gz else '.json'}"
    other = folder / f"{manifest.release}{'.json' if gz else '.json.gz'}"
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(raw)
    partial.replace(target)
    # Two files for one release would make the choice between them arbitrary.
    other.unlink(missing_ok=True)
    return target
