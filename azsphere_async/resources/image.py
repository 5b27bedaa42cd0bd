"""Image calls: what is installed and which ABI versions the OS offers."""

from __future__ import annotations

from ..models import AbiVersions, ImageList
from ._base import V3_1, Resource

__all__ = ["ImageResource"]


class ImageResource(Resource):
    """The images installed on the device."""

    async def get_images(self) -> ImageList:
        """Every installed component with its images, and whether updates wait for a restart."""
        data = await self._session.call_json("GET", "/images", operation="image.get_images")
        return self._session.structure(data, ImageList, what="image list")

    async def get_abi_versions(self) -> AbiVersions:
        """The ABI versions of the secure world, OS and application runtimes."""
        data = await self._session.call_json(
            "GET", "/abi_versions", min_version=V3_1, operation="image.get_abi_versions"
        )
        return self._session.structure(data, AbiVersions, what="ABI versions")
