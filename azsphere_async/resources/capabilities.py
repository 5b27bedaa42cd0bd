"""The device capability call."""

from __future__ import annotations

from ..models import DeviceCapabilities
from ._base import V3_1, Resource

__all__ = ["CapabilitiesResource"]


class CapabilitiesResource(Resource):
    """The capabilities the device has been given (for example app development)."""

    async def get(self) -> DeviceCapabilities:
        """The numbers of the device's current capabilities (``GET /device/capabilities``)."""
        data = await self._session.call_json(
            "GET", "/device/capabilities", min_version=V3_1, operation="capabilities.get"
        )
        return self._session.structure(data, DeviceCapabilities, what="device capabilities")
