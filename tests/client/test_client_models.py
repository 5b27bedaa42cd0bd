"""The models and the shared converter, checked against recorded device answers.

``fixtures/*.json`` hold the example answers of the REST API overview verbatim, and answers
assembled from the examples and properties of the OpenAPI description (``openapi_*.json``) so
that every documented field appears at least once. Each must parse into its model and
unstructure back into exactly the same JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import respx

from azsphere_async.client import DeviceClient
from azsphere_async.errors import MalformedResponseError
from azsphere_async.models import (
    AbiVersions,
    AppQuota,
    AppState,
    AppStatus,
    AppStatusChange,
    CertificateInfo,
    CertificateList,
    CertificateSpace,
    CertificateType,
    CertificateUpload,
    DeviceCapabilities,
    DeviceStatus,
    FirewallRulesets,
    ImageList,
    ManufacturingStatus,
    MemoryStatistics,
    NetworkInterface,
    NetworkInterfaces,
    NetworkProxy,
    NetworkStatus,
    OsVersion,
    PortRange,
    ProxyAuthentication,
    ProxyConfiguration,
    SecurityState,
    SystemRestart,
    TcpFlag,
    WifiConnectionFailure,
    WifiConnectionFailures,
    WifiFailureReason,
    WifiInterfaceState,
    WifiKeyManagement,
    WifiNetwork,
    WifiNetworkRequest,
    WifiNetworks,
    WifiScanResults,
    WifiSecurityState,
    WpaState,
    converter,
)
from tests.client.client_helpers import FIXTURES, load, reply
from tests.shared_data import DEVICE_ADDRESS

#: Each recorded answer and the model it parses into.
FIXTURE_MODELS: dict[str, type] = {
    "app_quota": AppQuota,
    "app_status": AppStatus,
    "app_memory_statistics": MemoryStatistics,
    "app_set_status": AppStatusChange,
    "successful_operation": SystemRestart,
    "certificate_list": CertificateList,
    "certificate_info": CertificateInfo,
    "certificate_space": CertificateSpace,
    "device_capabilities": DeviceCapabilities,
    "os_version": OsVersion,
    "security_state": SecurityState,
    "device_status": DeviceStatus,
    "restart": SystemRestart,
    "images": ImageList,
    "manufacturing_state": ManufacturingStatus,
    "network_proxy": NetworkProxy,
    "wifi_failures": WifiConnectionFailures,
    "network_interfaces": NetworkInterfaces,
    "wifi_failure": WifiConnectionFailure,
    "firewall_rulesets": FirewallRulesets,
    "network_interface_wlan0": NetworkInterface,
    "network_status": NetworkStatus,
    "wifi_network_added": WifiNetwork,
    "wifi_network_changed": WifiNetwork,
    "wifi_networks": WifiNetworks,
    "wifi_network": WifiNetwork,
    "wifi_interface": WifiInterfaceState,
    "wifi_scan": WifiScanResults,
    "openapi_abi_versions": AbiVersions,
    "openapi_device_capabilities": DeviceCapabilities,
    "openapi_app_status_change": AppStatusChange,
    "openapi_app_quota": AppQuota,
    "openapi_memory_statistics": MemoryStatistics,
    "openapi_security_state": SecurityState,
    "openapi_manufacturing_state": ManufacturingStatus,
    "openapi_device_status": DeviceStatus,
    "openapi_os_version": OsVersion,
    "openapi_system_restart": SystemRestart,
    "openapi_images": ImageList,
    "openapi_network_interface": NetworkInterface,
    "openapi_network_proxy_basic": NetworkProxy,
    "openapi_network_status": NetworkStatus,
    "openapi_firewall_rulesets": FirewallRulesets,
    "openapi_wifi_network_eaptls": WifiNetwork,
    "openapi_wifi_interface": WifiInterfaceState,
    "openapi_wifi_failure_eaptls": WifiConnectionFailure,
    "openapi_wifi_scan": WifiScanResults,
}


def test_every_fixture_has_a_model() -> None:
    on_disk = {path.stem for path in FIXTURES.glob("*.json")}
    assert on_disk == set(FIXTURE_MODELS)


@pytest.mark.parametrize(("name", "model"), sorted(FIXTURE_MODELS.items()))
def test_recorded_answer_round_trips(name: str, model: type) -> None:
    data = load(name)
    parsed: object = converter.structure(data, model)
    assert isinstance(parsed, model)
    assert converter.unstructure(parsed) == data


def test_wifi_failure_timestamp_is_aware_and_written_back_in_the_device_form() -> None:
    failure = converter.structure(load("wifi_failure"), WifiConnectionFailure)
    assert failure.timestamp == datetime(2000, 1, 1, 0, 4, 37, tzinfo=UTC)
    assert failure.timestamp is not None
    assert failure.timestamp.tzinfo is not None
    assert converter.unstructure(failure)["timestamp"] == "2000-01-01t00:04:37+0000"
    assert failure.error is WifiFailureReason.NETWORK_NOT_FOUND
    assert failure.network_id == 0


def test_wifi_failure_timestamp_accepts_other_iso_forms() -> None:
    failure = converter.structure({"timestamp": "2000-01-01T02:04:37+02:00"}, WifiConnectionFailure)
    assert failure.timestamp == datetime(2000, 1, 1, 0, 4, 37, tzinfo=UTC)
    assert converter.unstructure(failure) == {"timestamp": "2000-01-01t02:04:37+0200"}


def test_certificate_times_are_utc_datetimes_written_back_without_a_zone() -> None:
    info = converter.structure(load("certificate_info"), CertificateInfo)
    assert info.not_before == datetime(2022, 4, 12, 8, 31, 54, tzinfo=UTC)
    assert info.not_after == datetime(2023, 4, 12, 8, 51, 54, tzinfo=UTC)
    written = converter.unstructure(info)
    assert written["notBefore"] == "2022-04-12T08:31:54"
    assert written["notAfter"] == "2023-04-12T08:51:54"


def test_certificate_space_is_a_string_on_the_wire_and_an_int_in_the_model() -> None:
    space = converter.structure(load("certificate_space"), CertificateSpace)
    assert space.available_bytes == 24514
    assert converter.unstructure(CertificateSpace(available_bytes=100)) == {"AvailableSpace": "100"}


def test_parsed_values_have_python_types() -> None:
    rulesets = converter.structure(load("openapi_firewall_rulesets"), FirewallRulesets)
    assert rulesets.rulesets is not None
    rule = rulesets.rulesets[0].rules[0] if rulesets.rulesets[0].rules else None
    assert rule is not None
    assert rule.tcp_mask == (TcpFlag.SYN, TcpFlag.ACK)
    assert rule.packet_count == 2**64 - 1
    assert rule.byte_count == 0
    assert rule.destination_port_range == PortRange(min=443, max=443)
    interface = converter.structure(load("wifi_interface"), WifiInterfaceState)
    assert interface.wpa_state is WpaState.COMPLETED
    assert interface.key_mgmt is WifiKeyManagement.WPA2_PSK
    assert interface.ip_address == "902.21.11.1"
    scan = converter.structure(load("wifi_scan"), WifiScanResults)
    assert scan.values is not None
    assert scan.values[2].ssid == "\x00"
    capabilities = converter.structure(load("device_capabilities"), DeviceCapabilities)
    assert capabilities.has(11)
    assert not capabilities.has(1)


def test_unknown_enum_values_from_newer_devices_are_kept() -> None:
    status = converter.structure({"state": "hibernating"}, AppStatus)
    assert status.state == "hibernating"
    assert not status.state.is_known
    assert isinstance(status.state, AppState)
    assert converter.unstructure(status) == {"state": "hibernating"}
    assert AppState.RUNNING.is_known


def test_unknown_fields_are_ignored() -> None:
    status = converter.structure({"uptime": 5, "bootReason": "watchdog"}, DeviceStatus)
    assert status == DeviceStatus(uptime=5)


def test_bare_state_string_of_the_api_description_is_accepted() -> None:
    assert converter.structure("stopped", AppStatus) == AppStatus(state=AppState.STOPPED)


def test_missing_optional_fields_are_none_and_left_out_when_written() -> None:
    network = converter.structure(load("wifi_network"), WifiNetwork)
    assert network.config_name is None
    assert "configName" not in converter.unstructure(network)


@pytest.mark.parametrize(
    ("data", "model"),
    [
        ({"uptime": "634"}, DeviceStatus),
        ({"uptime": True}, DeviceStatus),
        ({"interfaceUp": "true"}, NetworkInterface),
        ({"ipAddresses": "192.168.35.2"}, NetworkInterface),
        ({"osversion": 22.11}, OsVersion),
        ({"AvailableSpace": "lots"}, CertificateSpace),
        ({}, CertificateSpace),
        ({"id": 0}, WifiNetwork),
        ({"timestamp": "yesterday"}, WifiConnectionFailure),
        ({"notBefore": 1649752314}, CertificateInfo),
        ({"state": 3}, AppStatus),
        ([{"uptime": 1}], DeviceStatus),
    ],
)
def test_answers_of_the_wrong_shape_are_refused(data: Any, model: type) -> None:
    # cattrs gathers field errors in an ExceptionGroup; the transport turns all of these
    # into MalformedResponseError (checked below).
    with pytest.raises((ValueError, TypeError, KeyError, ExceptionGroup)):
        converter.structure(data, model)


async def test_wrong_shapes_reach_the_caller_as_malformed_response_errors(
    router: respx.MockRouter, client: DeviceClient
) -> None:
    router.get("/wifi/diagnostics/networks/0").mock(
        return_value=reply({"timestamp": "2000-13-45t99:00:00+0000", "networkId": 0})
    )
    with pytest.raises(MalformedResponseError) as caught:
        await client.network.get_failed_connection(0)
    assert DEVICE_ADDRESS in str(caught.value)
    assert "timestamp" in str(caught.value)


def test_request_secrets_never_show_in_reprs() -> None:
    wifi = WifiNetworkRequest(
        ssid="Home", security_state=WifiSecurityState.PSK, psk="hunter2-secret"
    )
    proxy = ProxyConfiguration(
        address="proxy",
        port=8080,
        enabled=True,
        authentication_type=ProxyAuthentication.BASIC,
        no_proxy_addresses=(),
        username="operator",
        password="s3cret-pass",
    )
    upload = CertificateUpload(
        cert_type=CertificateType.CLIENT,
        public_cert="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        private_key="-----BEGIN PRIVATE KEY-----\nKEYMATERIAL\n-----END PRIVATE KEY-----\n",
        password="keypass-secret",
    )
    for model, secret in ((wifi, "hunter2"), (proxy, "s3cret"), (upload, "KEYMATERIAL")):
        assert secret not in repr(model)
        assert secret not in str(model)
    assert "keypass" not in repr(upload)
    assert "operator" in repr(proxy)
    # The secrets still go to the device when the request body is written.
    assert converter.unstructure(wifi)["psk"] == "hunter2-secret"
    assert converter.unstructure(proxy)["password"] == "s3cret-pass"


def test_request_models_write_the_device_field_names() -> None:
    request = WifiNetworkRequest(
        ssid="I-WPA",
        security_state=WifiSecurityState.EAPTLS,
        client_cert_store_identifier="ClientCert",
        targeted_scan=True,
    )
    assert converter.unstructure(request) == {
        "ssid": "I-WPA",
        "securityState": "eaptls",
        "clientCertStoreIdentifier": "ClientCert",
        "targetedScan": True,
    }
