"""azsphere_async: an asyncio client for fleets of Azure Sphere devices.

Start with :class:`DeviceClient` for one board, :class:`Fleet` for many, and
:func:`list_attached_devices` to find them. The mock device lives in
``azsphere_async.mock`` (extra ``mock``) and the command line in ``azsphere_async.cli``
(extra ``cli``); the library itself never imports either.
"""

from __future__ import annotations

import logging

from ._version import __version__
from .client import DeviceClient
from .discovery import AttachedDevice, list_attached_devices, rescan_attached_devices
from .errors import (
    AzsphereError,
    BadRequestError,
    ConflictError,
    DeploymentError,
    DeviceError,
    DeviceHTTPError,
    DeviceInternalError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    ForbiddenError,
    ImagePackageError,
    InvalidArgumentError,
    MalformedResponseError,
    NotFoundError,
    ResponseTooLargeError,
    TLSVerificationError,
    UnsupportedMediaTypeError,
    UnsupportedVersionError,
)
from .fleet import BoardResult, Fleet
from .models import converter
from .pool import SessionPool
from .resources.sideload import Deployment
from .staging import (
    ImagePackageInfo,
    ImageStream,
    StagedImage,
    StageProgress,
    inspect_image,
)
from .transport import DEFAULT_ADDRESS, DeviceSession, RetryPolicy, Timeouts
from .versions import RestApiVersion

logging.getLogger("azsphere_async").addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_ADDRESS",
    "AttachedDevice",
    "AzsphereError",
    "BadRequestError",
    "BoardResult",
    "ConflictError",
    "Deployment",
    "DeploymentError",
    "DeviceClient",
    "DeviceError",
    "DeviceHTTPError",
    "DeviceInternalError",
    "DeviceSession",
    "DeviceTimeoutError",
    "DeviceUnreachableError",
    "Fleet",
    "ForbiddenError",
    "ImagePackageError",
    "ImagePackageInfo",
    "ImageStream",
    "InvalidArgumentError",
    "MalformedResponseError",
    "NotFoundError",
    "ResponseTooLargeError",
    "RestApiVersion",
    "RetryPolicy",
    "SessionPool",
    "StageProgress",
    "StagedImage",
    "TLSVerificationError",
    "Timeouts",
    "UnsupportedMediaTypeError",
    "UnsupportedVersionError",
    "__version__",
    "converter",
    "inspect_image",
    "list_attached_devices",
    "rescan_attached_devices",
]
