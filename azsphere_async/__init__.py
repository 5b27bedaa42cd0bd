"""azsphere_async: an asyncio client for fleets of Azure Sphere devices.

Start with :class:`DeviceClient` for one board, :class:`Fleet` for many, and
:func:`list_attached_devices` to find them; :class:`ClientOptions` shapes how they connect.
The mock device lives in ``azsphere_async.mock`` (extra ``mock``) and the command line in
``azsphere_async.cli`` (extra ``cli``); the library itself never imports either.
"""

from __future__ import annotations

import logging

from ._version import __version__
from .applying import (
    ActionResult,
    ApplyProgress,
    ApplyProgressCallback,
    ApplyResult,
    FleetApplyProgressCallback,
    Outcome,
    apply,
)
from .client import DeviceClient
from .deploy import DeployablePackage, Deployment, DeploySettings
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
    DiscoveryError,
    ForbiddenError,
    ImagePackageError,
    InvalidArgumentError,
    MalformedResponseError,
    NotFoundError,
    RecipeError,
    ResponseTooLargeError,
    TLSVerificationError,
    UnsupportedMediaTypeError,
    UnsupportedVersionError,
)
from .facts import DeviceFacts
from .fleet import BoardResult, Fleet
from .imagepackage import ImagePackageInfo, inspect_image
from .models import converter
from .options import (
    DEFAULT_ADDRESS,
    DEFAULT_CONCURRENCY,
    ClientOptions,
    OptionShortcuts,
    RetryPolicy,
    Timeouts,
    TransportFactory,
)
from .os_releases import OsReleases
from .planning import Action, ActionKind, Plan, plan
from .pool import SessionPool
from .progress import FleetProgress, Phase
from .readiness import (
    CheckResult,
    CheckStatus,
    ReadinessCriteria,
    ReadinessReport,
    check_readiness,
)
from .recipe import (
    Others,
    PreparedRecipe,
    Recipe,
    RecipeApp,
    RecipeCertificate,
    RecipeWifi,
    load_recipe,
    prepare_recipe,
)
from .session import DeviceSession
from .staging import (
    FleetProgressCallback,
    ImageSource,
    ImageStream,
    ProgressCallback,
    StagedImage,
    StageProgress,
)
from .tls import CAInput
from .versions import RestApiVersion

logging.getLogger("azsphere_async").addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_CONCURRENCY",
    "Action",
    "ActionKind",
    "ActionResult",
    "ApplyProgress",
    "ApplyProgressCallback",
    "ApplyResult",
    "AttachedDevice",
    "AzsphereError",
    "BadRequestError",
    "BoardResult",
    "CAInput",
    "CheckResult",
    "CheckStatus",
    "ClientOptions",
    "ConflictError",
    "DeploySettings",
    "DeployablePackage",
    "Deployment",
    "DeploymentError",
    "DeviceClient",
    "DeviceError",
    "DeviceFacts",
    "DeviceHTTPError",
    "DeviceInternalError",
    "DeviceSession",
    "DeviceTimeoutError",
    "DeviceUnreachableError",
    "DiscoveryError",
    "Fleet",
    "FleetApplyProgressCallback",
    "FleetProgress",
    "FleetProgressCallback",
    "ForbiddenError",
    "ImagePackageError",
    "ImagePackageInfo",
    "ImageSource",
    "ImageStream",
    "InvalidArgumentError",
    "MalformedResponseError",
    "NotFoundError",
    "OptionShortcuts",
    "OsReleases",
    "Others",
    "Outcome",
    "Phase",
    "Plan",
    "PreparedRecipe",
    "ProgressCallback",
    "ReadinessCriteria",
    "ReadinessReport",
    "Recipe",
    "RecipeApp",
    "RecipeCertificate",
    "RecipeError",
    "RecipeWifi",
    "ResponseTooLargeError",
    "RestApiVersion",
    "RetryPolicy",
    "SessionPool",
    "StageProgress",
    "StagedImage",
    "TLSVerificationError",
    "Timeouts",
    "TransportFactory",
    "UnsupportedMediaTypeError",
    "UnsupportedVersionError",
    "__version__",
    "apply",
    "check_readiness",
    "converter",
    "inspect_image",
    "list_attached_devices",
    "load_recipe",
    "plan",
    "prepare_recipe",
    "rescan_attached_devices",
]
