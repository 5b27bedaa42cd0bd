"""The state of one mock device, in parts: the device and its clock, applications and
images, the certificate store, Wi-Fi, and networking.

:class:`DeviceState` (in :mod:`.device`) holds one of each part; see its module for how
they fit together.
"""

from __future__ import annotations

from .apps import ImageStore, InstalledImage, StagingUpload
from .certificates import CertificateStore
from .clock import DeviceClock
from .device import MANUFACTURING_STATES, DeviceState
from .network import NetInterface, NetworkState
from .records import DiagnosticLog, ErrorReports
from .wifi import ConfiguredNetwork, WifiState

__all__ = [
    "MANUFACTURING_STATES",
    "CertificateStore",
    "ConfiguredNetwork",
    "DeviceClock",
    "DeviceState",
    "DiagnosticLog",
    "ErrorReports",
    "ImageStore",
    "InstalledImage",
    "NetInterface",
    "NetworkState",
    "StagingUpload",
    "WifiState",
]
