"""The models checked against the OpenAPI description: their fields and their enum values.

Each model's wire fields must be exactly the properties its schema documents (where a request
is described as several alternatives, the model covers all of them), and each enum's values
exactly the documented ones.
"""

from __future__ import annotations

from typing import Any

import pytest

from azsphere_async.models import (
    AppControlMode,
    AppState,
    AppStatus,
    AppStatusChange,
    AppTrigger,
    CertificateType,
    DeviceSecurityState,
    FirewallAction,
    FirewallConnectionState,
    FirewallHook,
    FirewallProtocol,
    IpAssignment,
    ManufacturingState,
    NetworkTimeSync,
    ProxyAuthentication,
    ProxyState,
    TcpFlag,
    TolerantStrEnum,
    WifiCertificateProblem,
    WifiConfigState,
    WifiConnectionState,
    WifiFailureReason,
    WifiKeyManagement,
    WifiMode,
    WifiNetworkRequest,
    WifiPowerSavingsState,
    WifiSecurityState,
    WpaState,
)
from azsphere_async.models._wire import wire_layout, wired_classes
from tests.openapi_schemas import (
    MODEL_SCHEMAS,
    Location,
    answer,
    at,
    component,
    request_body,
    resolve,
)
from tests.openapi_schemas import openapi as load_openapi


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    """The OpenAPI description the mock ships."""
    return load_openapi()


#: Request bodies described as several alternatives: the model covers all of them.
ALTERNATIVES_OF: dict[type, list[Location]] = {
    WifiNetworkRequest: [
        component("EapTlsNetworkRequest"),
        component("PskNetworkRequest"),
        component("OpenNetworkRequest"),
    ],
}

#: Each enum and where its values are listed (certificate types are compared ignoring case,
#: because devices want the lower-case spelling; see the README's errata).
ENUM_AT: dict[type[TolerantStrEnum], Location] = {
    AppState: component("AppStatus"),
    AppTrigger: (*request_body("/app/status/{componentId}", "patch"), "properties", "trigger"),
    AppControlMode: (*request_body("/update/install", "post"), "properties", "appControlMode"),
    CertificateType: (
        *request_body("/certstore/certs/{identifier}", "post"),
        "properties",
        "certType",
    ),
    DeviceSecurityState: (*answer("/device/security_state"), "properties", "securityState"),
    ManufacturingState: (
        *answer("/device/manufacturing_state"),
        "properties",
        "manufacturingState",
    ),
    IpAssignment: component("IpAddressAssignment"),
    NetworkTimeSync: (*answer("/net/status"), "properties", "networkTimeSync"),
    ProxyState: (*answer("/net/status"), "properties", "proxy"),
    ProxyAuthentication: (*component("NetworkProxy"), "properties", "authenticationType"),
    FirewallHook: (*component("NetworkFirewallRuleset"), "properties", "hook"),
    FirewallAction: (*component("NetworkFirewallRule"), "properties", "action"),
    FirewallConnectionState: (*component("NetworkFirewallRule"), "properties", "state"),
    FirewallProtocol: (*component("NetworkFirewallRule"), "properties", "protocol"),
    TcpFlag: (*component("TcpFlags"), "items"),
    WifiSecurityState: component("WifiSecurityState"),
    WifiConfigState: component("WifiConfigState"),
    WifiConnectionState: component("WifiConnectionState"),
    WifiPowerSavingsState: component("WifiPowerSavingsState"),
    WifiKeyManagement: (*component("WifiNetworkDetails"), "properties", "key_mgmt"),
    WifiMode: (*component("WifiNetworkDetails"), "properties", "mode"),
    WpaState: (*component("WifiNetworkDetails"), "properties", "wpa_state"),
    WifiFailureReason: component("WifiNetworkConnectionErrors"),
    WifiCertificateProblem: component("WifiCertificateValidationErrors"),
}


def _properties(spec: dict[str, Any], node: Any) -> set[str]:
    """The property names a schema documents, those of its ``allOf`` parts included."""
    node = resolve(spec, node)
    names = set(node.get("properties", {}))
    for part in node.get("allOf", []):
        names |= _properties(spec, part)
    return names


def test_every_model_is_checked_against_the_api_description() -> None:
    covered = set(MODEL_SCHEMAS) | set(ALTERNATIVES_OF) | {AppStatus}
    assert wired_classes() == covered


@pytest.mark.parametrize("model", list(MODEL_SCHEMAS), ids=lambda model: model.__name__)
def test_model_fields_are_exactly_the_documented_properties(
    openapi: dict[str, Any], model: type
) -> None:
    documented = _properties(openapi, at(openapi, MODEL_SCHEMAS[model]))
    assert {field.name for field in wire_layout(model).values()} == documented


def test_wifi_network_request_covers_every_kind_of_network(openapi: dict[str, Any]) -> None:
    documented: set[str] = set()
    for location in ALTERNATIVES_OF[WifiNetworkRequest]:
        documented |= _properties(openapi, at(openapi, location))
    assert {field.name for field in wire_layout(WifiNetworkRequest).values()} == documented


def test_app_status_has_the_state_of_the_documented_status_answer(openapi: dict[str, Any]) -> None:
    documented = _properties(openapi, at(openapi, MODEL_SCHEMAS[AppStatusChange]))
    assert {field.name for field in wire_layout(AppStatus).values()} <= documented


@pytest.mark.parametrize("enum_class", list(ENUM_AT), ids=lambda cls: cls.__name__)
def test_enum_values_are_exactly_the_documented_ones(
    openapi: dict[str, Any], enum_class: type[TolerantStrEnum]
) -> None:
    documented = list(at(openapi, ENUM_AT[enum_class])["enum"])
    ours = [member.value for member in enum_class]
    if enum_class is CertificateType:
        assert sorted(v.lower() for v in ours) == sorted(v.lower() for v in documented)
    else:
        assert sorted(ours) == sorted(documented)
