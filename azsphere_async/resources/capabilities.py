"""The device capability call."""

from __future__ import annotations

from ..models import DeviceCapabilities
from ..versions import V3_1
from ._base import Resource

__all__ = ["CapabilitiesResource"]


class CapabilitiesResource(Resource):
    """The capabilities the device has been given (for example app development)."""

    group = "capabilities"

    async def get(self) -> DeviceCapabilities:
        """The numbers of the device's current capabilities (``GET /device/capabilities``)."""
        return await self._get("/device/capabilities", DeviceCapabilities, since=V3_1)
