"""Models of the image calls: installed components and ABI versions."""

from __future__ import annotations

from typing import Final

import attrs

from ._wire import wire

__all__ = [
    "APPLICATION_IMAGE_TYPE",
    "AbiVersions",
    "ComponentDetails",
    "ImageDetails",
    "ImageList",
]

#: The image type of applications (the other types are parts of the OS).
APPLICATION_IMAGE_TYPE: Final = 10


@wire(
    secure_world_runtime="SecureWorldRuntime",
    os_runtime="OSRuntime",
    application_runtime="ApplicationRuntime",
)
@attrs.frozen(kw_only=True)
class AbiVersions:
    """``GET /abi_versions``: the ABI versions the device's OS offers."""

    secure_world_runtime: int | None = None
    os_runtime: int | None = None
    application_runtime: int | None = None


@wire(style="snake")
@attrs.frozen(kw_only=True)
class ImageDetails:
    """One image of a component (a component may have a replica per slot)."""

    uid: str | None = None
    length_in_bytes: int | None = None
    uncompressed_length_in_bytes: int | None = None
    replica_type: int | None = None


@wire(style="snake")
@attrs.frozen(kw_only=True)
class ComponentDetails:
    """One installed component; ``image_type`` 10 is an application."""

    uid: str | None = None
    image_type: int | None = None
    is_update_staged: bool | None = None
    does_image_type_require_restart: bool | None = None
    name: str | None = None
    images: tuple[ImageDetails, ...] | None = None

    @property
    def is_application(self) -> bool:
        """Whether this component is an application (image type 10)."""
        return self.image_type == APPLICATION_IMAGE_TYPE


@wire(style="snake")
@attrs.frozen(kw_only=True)
class ImageList:
    """``GET /images``: the components on the device and whether updates wait for a restart."""

    is_ota_update_in_progress: bool | None = None
    has_staged_updates: bool | None = None
    restart_required: bool | None = None
    components: tuple[ComponentDetails, ...] | None = None
