"""Image packages: read their metadata from a streamed upload, and build test packages.

An image package ends with a metadata block (identity, debug name, signature, ABI
dependencies).  :class:`ImagePackageSink` takes an upload chunk by chunk and keeps only its first
and last 64 KiB, enough to find the application manifest near the start and the metadata at the
end, so staging never holds a whole package in memory.  :func:`build_image_package` and
:func:`image_package_chunks` make well-formed (unsigned) packages of any size for tests.
"""

from __future__ import annotations

import hashlib
import json
import struct
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from azuresphere_imagemetadata.image_metadata import ImageMetadata
from azuresphere_imagemetadata.metadata_sections import (
    DebugSection,
    IdentitySection,
    SignatureSection,
)

__all__ = [
    "APPLICATION_IMAGE_TYPE",
    "ImagePackageSink",
    "NotAnImagePackage",
    "PackageMetadata",
    "build_image_package",
    "image_package_chunks",
    "image_package_size",
    "parse_image_package",
]

APPLICATION_IMAGE_TYPE: Final = 10
"""Image type of applications."""

WINDOW: Final = 64 * 1024
"""Bytes kept from each end of an upload."""

_SIGNATURE_SIZE: Final = 64
_NIL_UID: Final = "00000000-0000-0000-0000-000000000000"


class NotAnImagePackage(ValueError):
    """The data is not an image package."""


@dataclass(frozen=True)
class PackageMetadata:
    """What the device learns from an image package."""

    component_id: str
    image_id: str
    image_type: int
    name: str
    length: int
    build_time: int = 0
    manifest: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_application(self) -> bool:
        """Whether the package holds an application (image type 10)."""
        return self.image_type == APPLICATION_IMAGE_TYPE

    @property
    def mutable_storage_kb(self) -> int:
        """``MutableStorage.SizeKB`` from the application manifest (0 without one)."""
        capabilities = self.manifest.get("Capabilities")
        if isinstance(capabilities, Mapping):
            storage = capabilities.get("MutableStorage")
            if isinstance(storage, Mapping) and isinstance(storage.get("SizeKB"), int):
                return int(storage["SizeKB"])
        return 0

    @property
    def is_real_time(self) -> bool:
        """Whether the manifest marks a real-time capable application."""
        return self.manifest.get("ApplicationType") == "RealTimeCapable"


def _find_manifest(head: bytes) -> dict[str, Any]:
    """The application manifest stored uncompressed near the start of the file system."""
    pos = head.find(b'"SchemaVersion"')
    if pos < 0:
        return {}
    start = head.rfind(b"{", 0, pos)
    if start < 0:
        return {}
    end = head.find(b"\0", start)
    text = head[start : end if end >= 0 else len(head)].decode("utf-8", "replace")
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def parse_image_package(head: bytes, tail: bytes, length: int) -> PackageMetadata:
    """Read the metadata of a package of ``length`` bytes from its first and last bytes."""
    try:
        metadata = ImageMetadata(bytes(tail))
        identity = metadata.identity
        debug = metadata.debug
    except Exception as exc:  # the parser raises assorted errors on arbitrary data
        raise NotAnImagePackage(f"not an image package: {exc}") from exc
    if identity is None:
        raise NotAnImagePackage("image package has no identity section")
    return PackageMetadata(
        component_id=str(identity.component_uid).lower(),
        image_id=str(identity.image_uid).lower(),
        image_type=int(identity.image_type),
        name=debug.image_name if debug is not None else "",
        length=length,
        build_time=int(debug.debug_time) if debug is not None else 0,
        manifest=_find_manifest(head),
    )


class ImagePackageSink:
    """Takes an upload chunk by chunk, keeping only its first and last 64 KiB.

    Small chunks gather at the tail until 256 KiB, then all but the last 64 KiB are dropped,
    so memory stays bounded without trimming on every chunk.
    """

    def __init__(self) -> None:
        self._head = bytearray()
        self._tail = bytearray()
        self.length = 0
        """Bytes received so far."""

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk of the upload."""
        size = len(chunk)
        self.length += size
        if len(self._head) < WINDOW:
            self._head += chunk[: WINDOW - len(self._head)]
        if size >= WINDOW:
            self._tail = bytearray(chunk[-WINDOW:])
        else:
            self._tail += chunk
            if len(self._tail) > 4 * WINDOW:
                del self._tail[:-WINDOW]

    def finish(self) -> PackageMetadata:
        """Parse the metadata once the upload is complete; raises :class:`NotAnImagePackage`."""
        return parse_image_package(bytes(self._head), bytes(self._tail[-WINDOW:]), self.length)


def _metadata_block(
    component_id: str, image_id: str, image_type: int, name: str, build_time: int
) -> bytes:
    identity = IdentitySection()
    identity.image_type = image_type
    identity.component_uid = component_id
    identity.image_uid = image_id
    signature = SignatureSection()
    signature.signing_cert_thumbprint = hashlib.sha1(b"azsphere-async mock").digest()
    signature.signing_type.signing_type = 1
    debug = DebugSection()
    debug.debug_time = build_time
    debug.image_name_raw = name.encode("utf-8")[:32].ljust(32, b"\0")
    metadata = ImageMetadata(None)
    for section in (identity, signature, debug):
        metadata.add_section(section)
    block: bytes = bytes(metadata.serialize())
    # A real package carries an ECDSA signature here; the mock does not check it.
    return block + hashlib.sha512(block).digest()[:_SIGNATURE_SIZE]


def _file_system_head(manifest: Mapping[str, Any]) -> bytes:
    text = json.dumps(dict(manifest), separators=(",", ":")).encode()
    header = struct.pack("<I", 0x28CD3D45) + b"\0" * 12 + b"Compressed ROMFS"
    return header + b"\0" * 16 + b"app_manifest.json\0" + text + b"\0"


@dataclass(frozen=True)
class _Plan:
    head: bytes
    filler_size: int
    metadata: bytes

    @property
    def size(self) -> int:
        return len(self.head) + self.filler_size + len(self.metadata)


def _plan(
    component_id: str,
    *,
    name: str,
    image_id: str | None,
    image_type: int,
    size: int,
    manifest: Mapping[str, Any] | None,
    build_time: int,
) -> _Plan:
    if manifest is None and image_type == APPLICATION_IMAGE_TYPE:
        manifest = {
            "SchemaVersion": 1,
            "Name": name,
            "ComponentId": component_id,
            "EntryPoint": "/bin/app",
            "CmdArgs": [],
            "Capabilities": {},
            "ApplicationType": "Default",
        }
    head = _file_system_head(manifest) if manifest is not None else b""
    metadata = _metadata_block(
        component_id, image_id or str(uuid.uuid4()), image_type, name, build_time
    )
    filler = max(0, size - len(head) - len(metadata))
    return _Plan(head, filler, metadata)


_FILLER: Final = hashlib.shake_256(b"azsphere-async mock filler").digest(WINDOW)


def image_package_chunks(
    component_id: str,
    *,
    name: str = "MockApp",
    image_id: str | None = None,
    image_type: int = APPLICATION_IMAGE_TYPE,
    size: int = 16 * 1024,
    manifest: Mapping[str, Any] | None = None,
    build_time: int = 1_654_786_668,
    chunk_size: int = WINDOW,
) -> Iterator[bytes]:
    """Yield a well-formed image package of about ``size`` bytes in chunks (any size, no copy).

    The package holds an uncompressed manifest (``manifest``, or a default one for applications),
    filler, and a metadata block the device parses.  Its exact length is
    :func:`image_package_size` with the same arguments.
    """
    plan = _plan(
        component_id,
        name=name,
        image_id=image_id,
        image_type=image_type,
        size=size,
        manifest=manifest,
        build_time=build_time,
    )
    if plan.head:
        yield plan.head
    remaining = plan.filler_size
    while remaining > 0:
        step = min(remaining, chunk_size, len(_FILLER))
        # A whole-filler slice is the filler itself: full chunks are never copied.
        yield _FILLER[:step]
        remaining -= step
    yield plan.metadata


def image_package_size(
    component_id: str,
    *,
    name: str = "MockApp",
    image_type: int = APPLICATION_IMAGE_TYPE,
    size: int = 16 * 1024,
    manifest: Mapping[str, Any] | None = None,
) -> int:
    """Exact length of the package :func:`image_package_chunks` yields for these arguments."""
    return _plan(
        component_id,
        name=name,
        image_id=None,
        image_type=image_type,
        size=size,
        manifest=manifest,
        build_time=0,
    ).size


def build_image_package(
    component_id: str,
    *,
    name: str = "MockApp",
    image_id: str | None = None,
    image_type: int = APPLICATION_IMAGE_TYPE,
    size: int = 16 * 1024,
    manifest: Mapping[str, Any] | None = None,
    build_time: int = 1_654_786_668,
) -> bytes:
    """A whole image package as bytes (see :func:`image_package_chunks`)."""
    return b"".join(
        image_package_chunks(
            component_id,
            name=name,
            image_id=image_id,
            image_type=image_type,
            size=size,
            manifest=manifest,
            build_time=build_time,
        )
    )


def is_nil_uid(uid: str) -> bool:
    """Whether ``uid`` is the all-zero component ID."""
    return uid == _NIL_UID
