"""The public names, pinned: adding, removing or renaming one is a deliberate change here.

In the style of httpx's ``test_exported_members`` and anyio's ``test_all_attributes``: each
package's ``__all__`` is exactly the list below, every name in it resolves, and every public
object defined in the package is reachable from it.
"""

from __future__ import annotations

import importlib
import types
from typing import Final

import pytest

import azsphere_async
import azsphere_async.models
import azsphere_async.recipe

PUBLIC: Final = {
    "azsphere_async": [
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
        "FleetProgress",
        "FleetApplyProgressCallback",
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
        "Phase",
        "OsReleases",
        "Others",
        "Outcome",
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
    ],
    "azsphere_async.models": [
        "APPLICATION_IMAGE_TYPE",
        "AbiVersions",
        "AppControlMode",
        "AppMemoryDetails",
        "AppQuota",
        "AppState",
        "AppStatus",
        "AppStatusChange",
        "AppStatusRequest",
        "AppTrigger",
        "CertificateInfo",
        "CertificateList",
        "CertificateSpace",
        "CertificateType",
        "CertificateUpload",
        "ComponentDetails",
        "DeviceCapabilities",
        "DeviceSecurityState",
        "DeviceStatus",
        "FirewallAction",
        "FirewallConnectionState",
        "FirewallHook",
        "FirewallProtocol",
        "FirewallRule",
        "FirewallRuleset",
        "FirewallRulesets",
        "HeapUsage",
        "ImageDetails",
        "ImageList",
        "InstallRequest",
        "IpAssignment",
        "ManufacturingState",
        "ManufacturingStatus",
        "MemoryStatistics",
        "MemoryStatsDetails",
        "NetworkInterface",
        "NetworkInterfaceRequest",
        "NetworkInterfaces",
        "NetworkProxy",
        "NetworkStatus",
        "NetworkTimeSync",
        "OsVersion",
        "PortRange",
        "ProcessMemoryDetails",
        "ProxyAuthentication",
        "ProxyConfiguration",
        "ProxyState",
        "SecurityState",
        "SystemRestart",
        "TcpFlag",
        "TolerantStrEnum",
        "WifiCertificateFailure",
        "WifiCertificateProblem",
        "WifiConfigState",
        "WifiConnectionFailure",
        "WifiConnectionFailures",
        "WifiConnectionState",
        "WifiFailureReason",
        "WifiInterfaceRequest",
        "WifiInterfaceState",
        "WifiKeyManagement",
        "WifiMode",
        "WifiNetwork",
        "WifiNetworkChangeRequest",
        "WifiNetworkRequest",
        "WifiNetworks",
        "WifiPowerSavingsState",
        "WifiScanResult",
        "WifiScanResults",
        "WifiSecurityState",
        "WpaState",
        "converter",
    ],
    "azsphere_async.mock": [
        "DEFAULT_DCS_PORT",
        "Code",
        "DeviceApp",
        "DeviceRefusal",
        "DeviceState",
        "DeviceStats",
        "Fault",
        "FaultInjector",
        "FaultKind",
        "FirewallEntry",
        "LinkSettings",
        "MockCA",
        "MockDevice",
        "MockDeviceCommunicationService",
        "MockDeviceConfig",
        "MockFleet",
        "OsComponent",
        "WifiScanEntry",
        "build_image_package",
        "cli_main",
        "create_app",
        "image_package_chunks",
        "image_package_size",
        "parse_rate",
        "parse_size",
        "serve_fleet",
        "spec",
        "validate_response",
    ],
    "azsphere_async.records": [
        "DEFAULT_RECORDS_PATH",
        "EXPORT_FORMATS",
        "OUTCOMES",
        "OutboxEvent",
        "RecordStore",
        "RecordsUnavailableError",
        "RunOutcome",
        "RunQuery",
        "RunRecord",
        "StepOutcome",
        "StepRecord",
        "TargetPosition",
        "export_runs",
        "query_records",
        "query_targets",
        "to_csv",
        "to_json_lines",
        "to_junit_xml",
    ],
    "azsphere_async.station": [
        "BoardRun",
        "BrokerSettings",
        "CommandSerials",
        "HotplugEvent",
        "Identify",
        "MQTT_TARGET",
        "MqttPublisher",
        "Operation",
        "OutboxSender",
        "RecipeNotMet",
        "SerialError",
        "SerialScanner",
        "SerialSource",
        "SlotState",
        "SlotView",
        "Station",
        "WebhookPublisher",
        "WebhookSettings",
        "identify_device",
        "recipe_operation",
        "recipe_secrets",
        "watch_attached",
    ],
    "azsphere_async.recipe": [
        "Others",
        "PreparedApp",
        "PreparedCertificate",
        "PreparedRecipe",
        "Recipe",
        "RecipeApp",
        "RecipeCertificate",
        "RecipeSecrets",
        "RecipeSource",
        "RecipeStation",
        "RecipeWifi",
        "Secret",
        "load_recipe",
        "parse_recipe",
        "prepare_recipe",
    ],
}


@pytest.mark.parametrize("package", list(PUBLIC))
def test_all_is_exactly_the_pinned_list(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(PUBLIC[package])
    assert len(set(module.__all__)) == len(module.__all__), "a name is listed twice"


@pytest.mark.parametrize("package", list(PUBLIC))
def test_every_public_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name, None) is not None, f"{package}.{name} does not resolve"


@pytest.mark.parametrize("package", list(PUBLIC))
def test_public_classes_and_functions_are_all_exported(package: str) -> None:
    """Every class and function a package's namespace shows is in its ``__all__``."""
    module = importlib.import_module(package)
    exported = {id(getattr(module, name)) for name in module.__all__}
    for name in dir(module):
        value = getattr(module, name)
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        if isinstance(value, type | types.FunctionType):
            assert id(value) in exported, f"{package}.{name} is public but not in __all__"


def test_aliases_used_in_public_signatures_are_exported() -> None:
    for alias in ("CAInput", "ProgressCallback", "FleetProgressCallback", "ImageSource"):
        assert alias in azsphere_async.__all__
    assert azsphere_async.ClientOptions().ssl_context is not None


def test_models_are_reachable_from_the_package() -> None:
    assert azsphere_async.converter is azsphere_async.models.converter
