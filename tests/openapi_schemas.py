"""Where the OpenAPI description defines each model's JSON, and how to find a schema in it.

The description is the copy that ships with the mock (``tests.shared_data.OPENAPI``, read,
never imported). ``tests/client/test_client_models_openapi.py`` checks the models' fields and
enum values against it; ``tests/reliability/test_model_properties.py`` draws JSON from it.
"""

from __future__ import annotations

import functools
from typing import Any, Final

import yaml  # type: ignore[import-untyped,unused-ignore]

from azsphere_async.models import (
    AbiVersions,
    AppMemoryDetails,
    AppQuota,
    AppStatusChange,
    AppStatusRequest,
    CertificateInfo,
    CertificateList,
    CertificateSpace,
    CertificateUpload,
    ComponentDetails,
    DeviceCapabilities,
    DeviceStatus,
    FirewallRule,
    FirewallRuleset,
    FirewallRulesets,
    HeapUsage,
    ImageDetails,
    ImageList,
    InstallRequest,
    ManufacturingStatus,
    MemoryStatistics,
    MemoryStatsDetails,
    NetworkInterface,
    NetworkInterfaceRequest,
    NetworkInterfaces,
    NetworkProxy,
    NetworkStatus,
    OsVersion,
    PortRange,
    ProcessMemoryDetails,
    ProxyConfiguration,
    SecurityState,
    SystemRestart,
    WifiCertificateFailure,
    WifiConnectionFailure,
    WifiConnectionFailures,
    WifiInterfaceRequest,
    WifiInterfaceState,
    WifiNetwork,
    WifiNetworkChangeRequest,
    WifiNetworks,
    WifiScanResult,
    WifiScanResults,
)
from tests.shared_data import OPENAPI

#: A path into the description: keys and indexes, from the top.
Location = tuple[Any, ...]

JSON_SCHEMA: Final = ("content", "application/json", "schema")


def answer(path: str, method: str = "get", status: int = 200) -> Location:
    """The schema of an operation's JSON answer."""
    return ("paths", path, method, "responses", status, *JSON_SCHEMA)


def request_body(path: str, method: str) -> Location:
    """The schema of an operation's JSON request body."""
    return ("paths", path, method, "requestBody", *JSON_SCHEMA)


def component(name: str) -> Location:
    """A named schema of ``components``."""
    return ("components", "schemas", name)


#: Where each model's JSON object is described (one schema each).
MODEL_SCHEMAS: Final[dict[type, Location]] = {
    AbiVersions: component("AbiVersionSet"),
    AppStatusChange: answer("/app/status/{componentId}", "patch"),
    AppQuota: component("QuotaInfo"),
    MemoryStatistics: answer("/stats/memory/groups/applications"),
    MemoryStatsDetails: component("MemoryStatsDetails"),
    AppMemoryDetails: component("AppDetails"),
    ProcessMemoryDetails: component("ProcessStats"),
    HeapUsage: component("HeapUsageCallerStats"),
    CertificateList: component("CertIdentifierList"),
    CertificateInfo: component("CertInfo"),
    CertificateSpace: answer("/certstore/space"),
    CertificateUpload: request_body("/certstore/certs/{identifier}", "post"),
    AppStatusRequest: request_body("/app/status/{componentId}", "patch"),
    InstallRequest: request_body("/update/install", "post"),
    NetworkInterfaceRequest: request_body("/net/interfaces/{networkInterfaceName}", "patch"),
    WifiNetworkChangeRequest: request_body("/wifi/config/networks/{wifiNetworkId}", "patch"),
    WifiInterfaceRequest: request_body("/wifi/interface", "patch"),
    DeviceCapabilities: answer("/device/capabilities"),
    SecurityState: answer("/device/security_state"),
    ManufacturingStatus: answer("/device/manufacturing_state"),
    DeviceStatus: answer("/status"),
    OsVersion: answer("/osversion"),
    SystemRestart: ("components", "responses", "SystemRestart", *JSON_SCHEMA),
    ImageList: component("ComponentList"),
    ComponentDetails: component("ComponentDetails"),
    ImageDetails: component("ImageDetails"),
    NetworkInterface: component("NetworkInterfaceDetails"),
    NetworkInterfaces: answer("/net/interfaces"),
    NetworkStatus: answer("/net/status"),
    NetworkProxy: component("NetworkProxyBasicNoPassword"),
    ProxyConfiguration: component("NetworkProxyBasic"),
    PortRange: component("NetworkPortRange"),
    FirewallRule: component("NetworkFirewallRule"),
    FirewallRuleset: component("NetworkFirewallRuleset"),
    FirewallRulesets: answer("/net/firewall/rulesets"),
    WifiNetwork: component("WifiNetworkConfigResponse"),
    WifiNetworks: answer("/wifi/config/networks"),
    WifiInterfaceState: component("WifiNetworkDetails"),
    WifiScanResults: component("WifiScanResults"),
    WifiScanResult: (*component("WifiScanResults"), "properties", "values", "items"),
    WifiConnectionFailure: component("WifiNetworkFailConnectionLog"),
    WifiCertificateFailure: (*component("WifiNetworkFailConnectionLog"), "properties", "certInfo"),
    WifiConnectionFailures: answer("/wifi/diagnostics/networks"),
}


@functools.cache
def openapi() -> dict[str, Any]:
    """The description, parsed once."""
    spec: dict[str, Any] = yaml.safe_load(OPENAPI.read_text())
    return spec


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow ``$ref`` links (``#/components/...``) until a schema itself is reached."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def at(spec: dict[str, Any], location: Location) -> Any:
    """The schema at ``location``, with every ``$ref`` on the way followed."""
    node: Any = spec
    for key in location:
        node = resolve(spec, node)[key]
    return resolve(spec, node)
