"""Image packages: what a package's metadata says, read before anything is sent.

An image package ends with a metadata block (identity, debug name, signature, ABI
dependencies). :func:`inspect_image` reads only the file's tail, so a wrong file fails in a
millisecond, before any board is contacted.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import attrs
from azuresphere_imagemetadata.exceptions import ImageMetadataDeserializationError
from azuresphere_imagemetadata.image_metadata import ImageMetadata
from azuresphere_imagemetadata.metadata_sections.identity import ImageType

from .errors import ImagePackageError
from .models import APPLICATION_IMAGE_TYPE

__all__ = ["ImagePackageInfo", "inspect_image"]

# The metadata block is a few hundred bytes; this tail holds it with a wide margin.
_TAIL_BYTES: Final = 64 * 1024


@attrs.frozen
class ImagePackageInfo:
    """What an image package's metadata says about it."""

    component_id: str
    image_id: str
    image_type: int
    image_type_name: str
    name: str
    built_at: datetime | None
    size: int
    abi_depends: tuple[str, ...] = ()

    @property
    def is_application(self) -> bool:
        """Whether this is an application image (image type 10)."""
        return self.image_type == APPLICATION_IMAGE_TYPE


def _parse_metadata(tail: bytes, size: int, what: str) -> ImagePackageInfo:
    try:
        metadata = ImageMetadata(tail)
    except (ImageMetadataDeserializationError, ValueError, IndexError, KeyError) as exc:
        raise ImagePackageError(
            "image", what, f"an Azure Sphere image package (its metadata could not be read: {exc})"
        ) from None
    identity = metadata.identity
    if identity is None:
        raise ImagePackageError("image", what, "an image package with an identity section")
    debug = metadata.debug
    built_at = datetime.fromtimestamp(debug.debug_time, UTC) if debug and debug.debug_time else None
    abi = metadata.sections_by_name("ABI Depends")
    depends = tuple(str(v) for v in abi[0].versions) if abi else ()
    return ImagePackageInfo(
        component_id=str(identity.component_uid).lower(),
        image_id=str(identity.image_uid).lower(),
        image_type=int(identity.image_type),
        image_type_name=ImageType.get_name(identity.image_type),
        name=debug.image_name if debug else "",
        built_at=built_at,
        size=size,
        abi_depends=depends,
    )


def inspect_image(source: str | os.PathLike[str] | bytes) -> ImagePackageInfo:
    """Read an image package's metadata (from the file's tail only) and describe it.

    Raises :class:`~azsphere_async.errors.ImagePackageError` for a missing file, an empty
    file, or anything that is not an image package.
    """
    if isinstance(source, bytes):
        return _parse_metadata(source[-_TAIL_BYTES:], len(source), f"{len(source)} bytes")
    path = Path(source)
    what = repr(str(path))
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                raise ImagePackageError("image", f"{what} (empty)", "a non-empty image package")
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read()
    except FileNotFoundError:
        raise ImagePackageError(
            "image", f"{what} (no such file)", "an existing image package file"
        ) from None
    except IsADirectoryError:
        raise ImagePackageError("image", f"{what} (a directory)", "an image package file") from None
    except OSError as exc:
        raise ImagePackageError(
            "image", f"{what} ({exc.strerror})", "a readable image package file"
        ) from None
    return _parse_metadata(tail, size, what)
