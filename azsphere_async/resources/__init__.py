"""The groups of device calls that a :class:`~azsphere_async.client.DeviceClient` offers."""

from __future__ import annotations

from ._base import Resource
from .app import AppResource
from .capabilities import CapabilitiesResource
from .certificates import CertificatesResource
from .device import DeviceResource
from .image import ImageResource
from .manufacturing import ManufacturingResource
from .network import NetworkResource
from .sideload import SideloadResource
from .wifi import WifiResource

__all__ = [
    "AppResource",
    "CapabilitiesResource",
    "CertificatesResource",
    "DeviceResource",
    "ImageResource",
    "ManufacturingResource",
    "NetworkResource",
    "Resource",
    "SideloadResource",
    "WifiResource",
]
