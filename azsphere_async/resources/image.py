"""Image calls: what is installed and which ABI versions the OS offers."""

from __future__ import annotations

from ..models import AbiVersions, ImageList
from ..versions import V3_1
from ._base import Resource

__all__ = ["ImageResource"]


class ImageResource(Resource):
    """The images installed on the device."""

    group = "image"

    async def get_images(self) -> ImageList:
        """Every installed component with its images, and whether updates wait for a restart."""
        return await self._get("/images", ImageList)

    async def get_abi_versions(self) -> AbiVersions:
        """The ABI versions of the secure world, OS and application runtimes."""
        return await self._get("/abi_versions", AbiVersions, since=V3_1)
