"""Image packages: what a package's metadata says, read before anything is sent.

An image package ends with a metadata block (identity, debug name, signature, ABI
dependencies). :func:`inspect_image` reads only the file's tail, so a wrong file fails in a
millisecond, before any board is contacted. Whatever the file holds, the answer is an
:class:`ImagePackageInfo` or an :class:`~azsphere_async.errors.ImagePackageError` naming the
file: the tail is at most 64 KiB, its sections are counted before the metadata library walks
them (a corrupt count once made it loop for minutes), and only regular files are read (a
FIFO would block the caller in ``open()``).

The info read from a file remembers which file it was and what its tail held, so that an
upload of it (:func:`azsphere_async.staging.stage_image`) can tell whether the file changed
since it was checked.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Final

import anyio.to_thread
import attrs
from azuresphere_imagemetadata.image_metadata import ImageMetadata
from azuresphere_imagemetadata.metadata_headers.image_metadata import ImageMetadataHeader
from azuresphere_imagemetadata.metadata_sections.identity import ImageType
from azuresphere_imagemetadata.metadata_sections.internal.onebl import OneBlInformationSection

from .errors import ImagePackageError
from .models import APPLICATION_IMAGE_TYPE

__all__ = [
    "ImagePackageInfo",
    "PackageFile",
    "inspect_image",
    "inspect_image_in_thread",
    "open_package_file",
    "read_checked_package",
]

#: The metadata block is a few hundred bytes; this tail holds it with a wide margin.
TAIL_BYTES: Final = 64 * 1024
# What follows the metadata: a SHA-256 or SHA-384 signature (the metadata library's order).
_SIGNATURE_SIZES: Final = (64, 96)
_SECTION_HEADER_BYTES: Final = 4
# Opening a FIFO for reading blocks until a writer comes; O_NONBLOCK returns at once (and
# changes nothing for regular files). Windows has neither FIFOs nor the flag.
_OPEN_FLAGS: Final = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


@attrs.frozen
class PackageFile:
    """The file a package's metadata was read from, as it was then.

    ``tail_digest`` is the SHA-256 of the file's last ``size - tail_start`` bytes, the ones
    the metadata was read from.
    """

    path: str
    device: int
    inode: int
    size: int
    modified_ns: int
    tail_start: int
    tail_digest: bytes

    def same_file(self, now: os.stat_result) -> bool:
        """Whether ``now`` (an ``fstat``) is this file, unchanged in size and time."""
        return (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == (
            self.device,
            self.inode,
            self.size,
            self.modified_ns,
        )


@attrs.frozen
class ImagePackageInfo:
    """What an image package's metadata says about it.

    ``file`` is where it was read from (``None`` for bytes); it does not take part in
    comparisons.
    """

    component_id: str
    image_id: str
    image_type: int
    image_type_name: str
    name: str
    built_at: datetime | None
    size: int
    abi_depends: tuple[str, ...] = ()
    file: PackageFile | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def is_application(self) -> bool:
        """Whether this is an application image (image type 10)."""
        return self.image_type == APPLICATION_IMAGE_TYPE


def _unreadable(what: str, why: str) -> ImagePackageError:
    return ImagePackageError(
        "image", what, f"an Azure Sphere image package (its metadata could not be read: {why})"
    )


def _check_section_count(tail: bytes, what: str) -> None:
    """Refuse a header whose section count cannot fit its block, wherever the metadata
    library will look for it: it walks that many sections whatever the block holds (four
    billion of them, for a corrupt count), adding one object for each empty one."""
    onebl = OneBlInformationSection.size()
    for signature in _SIGNATURE_SIZES:
        if len(tail) < signature + 4 + _SECTION_HEADER_BYTES:
            continue
        end = len(tail) - signature - 4
        (length,) = struct.unpack_from("<I", tail, end)
        trailer = signature
        if length <= 28:  # then a 1BL information section comes before the signature
            if len(tail) < signature + 4 + _SECTION_HEADER_BYTES + onebl:
                continue
            end -= onebl
            trailer += onebl
            (length,) = struct.unpack_from("<I", tail, end)
        start = len(tail) - trailer - length
        if length < ImageMetadataHeader.size() or start < 0:
            continue
        magic, count = struct.unpack_from("<II", tail, start)
        room = max(0, end - start - ImageMetadataHeader.size()) // _SECTION_HEADER_BYTES
        if magic == ImageMetadataHeader.CorrectMagicValue and count > room:
            raise _unreadable(what, f"it claims {count} sections, and has room for {room}")


def _parse_metadata(
    tail: bytes, size: int, what: str, file: PackageFile | None = None
) -> ImagePackageInfo:
    _check_section_count(tail, what)
    try:
        metadata = ImageMetadata(tail)
        identity = metadata.identity
        if identity is None:
            raise ImagePackageError("image", what, "an image package with an identity section")
        debug = metadata.debug
        built_at = (
            datetime.fromtimestamp(debug.debug_time, UTC) if debug and debug.debug_time else None
        )
        abi = metadata.sections_by_name("ABI Depends")
        return ImagePackageInfo(
            component_id=str(identity.component_uid).lower(),
            image_id=str(identity.image_uid).lower(),
            image_type=int(identity.image_type),
            image_type_name=ImageType.get_name(identity.image_type),
            name=debug.image_name if debug else "",
            built_at=built_at,
            size=size,
            abi_depends=tuple(str(v) for v in abi[0].versions) if abi else (),
            file=file,
        )
    except ImagePackageError:
        raise
    except Exception as exc:
        # The metadata library and the sections' fields raise whatever a corrupt block
        # leads to (its own errors, struct.error, ValueError, TypeError, OverflowError,
        # OSError from an impossible build time): each means the same thing here.
        raise _unreadable(what, str(exc)[:80] or type(exc).__name__) from None


def _kind_refusal(what: str, mode: int) -> ImagePackageError | None:
    if stat.S_ISDIR(mode):
        return ImagePackageError("image", f"{what} (a directory)", "an image package file")
    if not stat.S_ISREG(mode):
        return ImagePackageError(
            "image",
            f"{what} (not a regular file: a FIFO, socket or device)",
            "an image package file",
        )
    return None


def open_package_file(path: Path) -> tuple[BinaryIO, os.stat_result]:
    """Open an image package file for reading, without ever blocking: regular files only.

    Returns the open file and its ``fstat``; raises
    :class:`~azsphere_async.errors.ImagePackageError` naming the file for anything else.
    """
    what = repr(str(path))
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise ImagePackageError(
            "image", f"{what} (no such file)", "an existing image package file"
        ) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        try:
            refusal = _kind_refusal(what, os.stat(path).st_mode)  # a socket cannot be opened
        except (OSError, ValueError):
            refusal = None
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise refusal or ImagePackageError(
            "image", f"{what} ({reason})", "a readable image package file"
        ) from None
    try:
        status = os.fstat(fd)
        refusal = _kind_refusal(what, status.st_mode)
        if refusal is not None:
            raise refusal
        return os.fdopen(fd, "rb"), status
    except BaseException:
        os.close(fd)
        raise


def _read_tail(path: Path) -> tuple[bytes, PackageFile]:
    handle, status = open_package_file(path)
    with handle:
        size = status.st_size
        if size == 0:
            raise ImagePackageError("image", f"{str(path)!r} (empty)", "a non-empty image package")
        start = max(0, size - TAIL_BYTES)
        try:
            handle.seek(start)
            tail = handle.read(size - start)
        except OSError as exc:
            raise ImagePackageError(
                "image", f"{str(path)!r} ({exc.strerror})", "a readable image package file"
            ) from None
    if len(tail) != size - start:
        raise ImagePackageError(
            "image", f"{str(path)!r} (changed while it was read)", "a file that stays unchanged"
        )
    file = PackageFile(
        path=str(path),
        device=status.st_dev,
        inode=status.st_ino,
        size=size,
        modified_ns=status.st_mtime_ns,
        tail_start=start,
        tail_digest=hashlib.sha256(tail).digest(),
    )
    return tail, file


def inspect_image(source: str | os.PathLike[str] | bytes) -> ImagePackageInfo:
    """Read an image package's metadata (from the file's tail only) and describe it.

    Raises :class:`~azsphere_async.errors.ImagePackageError` for a missing file, an empty
    file, something that is not a regular file, or anything that is not an image package.
    It reads at most 64 KiB and never waits on the file; from async code, prefer
    :func:`inspect_image_in_thread`, which keeps even a slow disk off the event loop.
    """
    if isinstance(source, bytes):
        return _parse_metadata(source[-TAIL_BYTES:], len(source), f"{len(source)} bytes")
    path = Path(source)
    tail, file = _read_tail(path)
    return _parse_metadata(tail, file.size, repr(str(path)), file)


async def inspect_image_in_thread(source: str | os.PathLike[str] | bytes) -> ImagePackageInfo:
    """:func:`inspect_image` in a worker thread: the event loop never waits on the disk."""
    return await anyio.to_thread.run_sync(inspect_image, source, abandon_on_cancel=True)


def read_checked_package(package: ImagePackageInfo) -> bytes:
    """The whole file ``package`` was read from, if it is still exactly what was checked.

    For a package small enough to hold in memory once for many boards. A file that changed
    since (another file at the path, another size or time, another tail) is an
    :class:`~azsphere_async.errors.ImagePackageError`. Blocking: call it in a worker thread.
    """
    file = package.file
    if file is None:
        raise ImagePackageError("image", repr(package), "metadata read from a file")
    path = Path(file.path)
    handle, status = open_package_file(path)
    with handle:
        data = handle.read(file.size + 1) if file.same_file(status) else b""
    if (
        len(data) != file.size
        or hashlib.sha256(data[file.tail_start :]).digest() != file.tail_digest
    ):
        raise ImagePackageError(
            "image",
            f"{file.path!r} (changed since its metadata was checked; check it again)",
            "a file that stays unchanged",
        )
    return data
