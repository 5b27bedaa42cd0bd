"""Facts about real boards, each asserted against the mock served over HTTPS.

Each test is one row of ``azsphere_async/mock/FACTS.md`` (its name starts with the row's ID)
and names where the fact comes from: Microsoft's tests written against real boards
(``Azure/azure-sphere-tools``, C# ``DeviceAPITest`` and Python ``package_tests``), its
manufacturing scripts, or the product overview.  Every answer also passes the OpenAPI
validator of ``checking_client``.  Exact bodies are compared as text, as the C# tests do.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import azsphere_async.mock
from azsphere_async.mock import MockDevice, MockDeviceConfig, spec
from tests.shared_data import BLINK, BLINK_ID, MUTABLE, MUTABLE_ID, OCTETS

from .conftest import checking_client

OTHER_ID = "6770fc06-e7db-11ec-8fea-0242ac120002"
"""A component ID that is on no board (the one Microsoft's tests use)."""

FACTS = Path(azsphere_async.mock.__file__).parent / "FACTS.md"


@pytest.fixture
async def board() -> AsyncIterator[httpx.AsyncClient]:
    """A checking client of a fresh development board served over HTTPS."""
    async with MockDevice() as device, checking_client(device) as http:
        yield http


@contextlib.asynccontextmanager
async def served(config: MockDeviceConfig) -> AsyncIterator[tuple[MockDevice, httpx.AsyncClient]]:
    """A board with ``config`` served over HTTPS, and a checking client of it."""
    async with MockDevice(config) as device, checking_client(device) as http:
        yield device, http


async def install(http: httpx.AsyncClient, package: Path = BLINK) -> None:
    assert (
        await http.put("/update/stage", content=package.read_bytes(), headers=OCTETS)
    ).text == "{}"
    assert (await http.post("/update/install")).status_code == 200


def components(images: httpx.Response) -> dict[str, dict[str, Any]]:
    return {c["uid"]: c for c in images.json()["components"]}


# -- applications -------------------------------------------------------------------------


async def test_a1_an_absent_component_is_not_present(board: httpx.AsyncClient) -> None:
    """C# GetAppStatusTests.GetAppStatus_WhenComponentIdIsUuidButDoesntExist_ReturnsNotPresent;
    Python test_get_app_status.py::test__get_app_status__valid_non_existent_component_returns_
    not_present."""
    response = await board.get(f"/app/status/{OTHER_ID}")
    assert (response.status_code, response.text) == (200, '{"state":"notPresent"}')


async def test_a2_staged_is_not_present_until_installed(board: httpx.AsyncClient) -> None:
    """C# GetAppStatusTests.GetAppStatus_InstallingImagesChangesState_ReturnsIsRunning,
    StageImageTests.StageImage_StageValidImage_DoesntDeployImage;
    Python test_install_image.py::test__install_images__installing_image_changes_state."""
    staged = await board.put("/update/stage", content=BLINK.read_bytes(), headers=OCTETS)
    assert staged.text == "{}"
    assert (await board.get(f"/app/status/{BLINK_ID}")).text == '{"state":"notPresent"}'
    assert (await board.post("/update/install")).text == "{}"
    assert (await board.get(f"/app/status/{BLINK_ID}")).text == '{"state":"running"}'


async def test_a3_a_deleted_app_is_not_present(board: httpx.AsyncClient) -> None:
    """C# GetAppStatusTests.GetAppStatus_NewlyDeletedComponent_ReturnsNotPresent."""
    await install(board)
    assert (await board.delete(f"/app/image/{BLINK_ID}")).text == "{}"
    assert (await board.get(f"/app/status/{BLINK_ID}")).text == '{"state":"notPresent"}'


async def test_a4_start_and_stop_answer_the_state(board: httpx.AsyncClient) -> None:
    """C# SetAppStatusTests.SetAppStatus_WhenTriggerValid_ReturnsCorrectState;
    Python test_set_app_status.py::test__set_app_status__valid_triggers_return_correct_states."""
    await install(board)
    url = f"/app/status/{BLINK_ID}"
    assert (await board.patch(url, json={"trigger": "start"})).text == '{"state":"running"}'
    assert (await board.patch(url, json={"trigger": "stop"})).text == '{"state":"stopped"}'


async def test_a5_debugging_needs_the_debug_server() -> None:
    """C# SetAppStatusTests.SetAppStatus_WhenTriggerValid_ReturnsCorrectState (both branches:
    with gdbserver listed, the ports; without it, a refusal); the code from ErrorHandling.cs."""
    for debug_server in (True, False):
        async with served(MockDeviceConfig(debug_server=debug_server)) as (_, http):
            await install(http)
            names = [c["name"] for c in (await http.get("/images")).json()["components"]]
            assert ("gdbserver" in names) is debug_server
            answer = await http.patch(f"/app/status/{BLINK_ID}", json={"trigger": "startDebug"})
            if debug_server:
                assert answer.text == '{"state":"debugging","gdbPort":2345,"outPort":2342}'
            else:
                assert (answer.status_code, answer.json()) == (400, {"error": 3145738})


async def test_a6_starting_an_absent_app_is_a_conflict(board: httpx.AsyncClient) -> None:
    """C# SetAppStatusTests.SetAppStatus_WhenComponentIdIsUuidButDoesntExist_ThrowsDeviceError
    ("conflicting state. Application is not present": 409 in ErrorHandling.cs);
    Python test_set_app_status.py::test__set_app_status__random_component_id_throws_device_error."""
    response = await board.patch(f"/app/status/{OTHER_ID}", json={"trigger": "start"})
    assert (response.status_code, response.json()) == (409, {"error": 14680076})


async def test_a7_the_quota_of_an_absent_app_is_unavailable(board: httpx.AsyncClient) -> None:
    """C# GetAppQuotaTest.GetAppQuota_WhenComponentIdIsUuidButDoesntExist_ThrowsDeviceError and
    GetAppQuota_NewlyDeletedComponentAppQuota_ThrowsDeviceError ("unavailable ... Application
    is not present"); Python test_get_app_quota.py (both)."""
    response = await board.get(f"/app/quota/{OTHER_ID}")
    assert (response.status_code, response.json()) == (404, {"error": 14680076})
    await install(board)
    await board.delete(f"/app/image/{BLINK_ID}")
    response = await board.get(f"/app/quota/{BLINK_ID}")
    assert (response.status_code, response.json()) == (404, {"error": 14680076})


async def test_a8_quotas_of_the_two_real_packages(board: httpx.AsyncClient) -> None:
    """C# GetAppQuotaTest.GetAppQuota_WhenComponentIdIsUuidFormatAndExists_ReturnsExpectedUsageLimit
    and GetAppQuota_StageMutableStorageApp_IncreasesValue; Python test_get_app_quota.py."""
    await install(board)
    await install(board, MUTABLE)
    assert (await board.get(f"/app/quota/{BLINK_ID}")).text == '{"UsageKB":0,"LimitKB":0}'
    assert (await board.get(f"/app/quota/{MUTABLE_ID}")).text == '{"UsageKB":0,"LimitKB":8}'


async def test_a9_memory_statistics(board: httpx.AsyncClient) -> None:
    """C# GetMemoryStatistics.GetMemoryStatistics_ReturnsValidResponseFormat;
    Python test_get_memory_statistics.py."""
    stats = (await board.get("/stats/memory/groups/applications")).json()["memoryStats"]
    for name in ("currentMemoryUsageInBytes", "peakUserModeMemoryUsageInBytes"):
        assert isinstance(stats[name], int)


# -- images and sideloading ---------------------------------------------------------------


async def test_i1_installing_nothing_answers_empty(board: httpx.AsyncClient) -> None:
    """C# InstallImagesTests.InstallImages_Call_ReturnEmptyJsonResponse; Python
    test_install_image.py::test__install_images__returns_empty_json_response and
    helpers/utils.py clean_images (it needs exactly {})."""
    assert (await board.post("/update/install")).text == "{}"


async def test_i2_deleting_an_absent_component_answers_empty(board: httpx.AsyncClient) -> None:
    """C# DeleteImagesTests.DeleteImage_DeleteNonExistentImage_ReturnsEmptyJsonResponse;
    Python test_delete_images.py::test__delete_image__valid_non_existent_uuid_component_...;
    the overview's example."""
    response = await board.delete(f"/app/image/{OTHER_ID}")
    assert (response.status_code, response.text) == (200, "{}")


async def test_i3_deleting_an_app_answers_empty_and_removes_it(board: httpx.AsyncClient) -> None:
    """C# DeleteImagesTests.DeleteImage_DeleteExistingImage_ReturnsEmptyJsonResponse and
    DeleteImage_DeleteImage_DeletesImageFromComponentsList; GetImagesTests (add, delete);
    Python test_delete_images.py and test_get_images.py."""
    await install(board)
    before = components(await board.get("/images"))
    assert BLINK_ID in before
    assert (await board.delete(f"/app/image/{BLINK_ID}")).text == "{}"
    after = components(await board.get("/images"))
    assert BLINK_ID not in after
    apps = sum(1 for c in after.values() if c["image_type"] == 10)
    assert apps < sum(1 for c in before.values() if c["image_type"] == 10)


async def test_i4_staging_a_component_again_replaces_it() -> None:
    """Issue 11: a second stage of the same component replaces the staged copy (its space
    counted once), so an upload left staged by an interrupted deploy blocks nothing."""
    big = 600_000
    package = azsphere_async.mock.build_image_package(OTHER_ID, size=big)
    async with served(MockDeviceConfig(storage_capacity=big + 100_000)) as (_, http):
        for _ in range(3):
            response = await http.put("/update/stage", content=package, headers=OCTETS)
            assert (response.status_code, response.text) == (200, "{}")
        assert (await http.get("/images")).json()["has_staged_updates"] is True
        assert (await http.post("/update/install")).text == "{}"
        assert OTHER_ID in components(await http.get("/images"))


# -- certificates -------------------------------------------------------------------------


def _root_ca(common_name: str = "TestRootCert") -> str:
    """A self-signed root with the validity of the test certificate in Microsoft's suites."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2022, 6, 17, 9, 12, 46, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2023, 6, 17, 9, 32, 46, tzinfo=datetime.UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


async def test_c1_a_root_certificate_as_a_board_shows_it(board: httpx.AsyncClient) -> None:
    """C# GetCertificateTests.GetCertificate_ValidCertificateId_ReturnsCertificate (the exact
    text, with "/" written "\\/"); AddCertificateTests.AddCertificate_ValidCertTypes_...;
    Python test_get_certificate.py::test__get_certificate__valid_certificate_id_returns_
    expected_cert."""
    added = await board.post(
        "/certstore/certs/TestCert", json={"certType": "rootca", "publicCert": _root_ca()}
    )
    assert (added.status_code, added.text) == (200, "{}")
    shown = await board.get("/certstore/certs/TestCert")
    assert shown.text == (
        '{"id":"TestCert","notBefore":"2022-06-17T09:12:46","notAfter":"2023-06-17T09:32:46",'
        '"subjectName":"\\/CN=TestRootCert","issuerName":"\\/CN=TestRootCert"}'
    )
    assert shown.json()["subjectName"] == "/CN=TestRootCert"


async def test_c2_the_identifier_list(board: httpx.AsyncClient) -> None:
    """C# GetAllCertificatesTests (all three); Python test_get_all_certificates.py."""
    assert (await board.get("/certstore/certs")).text == '{"identifiers":[]}'
    await board.post(
        "/certstore/certs/TestCert", json={"certType": "rootca", "publicCert": _root_ca()}
    )
    assert (await board.get("/certstore/certs")).text == '{"identifiers":["TestCert"]}'
    assert (await board.delete("/certstore/certs/TestCert")).text == "{}"
    assert (await board.get("/certstore/certs")).text == '{"identifiers":[]}'


async def test_c3_an_absent_certificate_is_not_found(board: httpx.AsyncClient) -> None:
    """C# RemoveCertificateTests.RemoveCertificate_RemovingNonExistingCertificate_ThrowsDeviceError,
    RemoveCertificate_RemovingRemovedCertificate_ThrowsDeviceError,
    GetCertificateTests.GetCertificate_DeleteCertificateThenGet_ThrowsDeviceError
    ("unavailable ... No certificate with that identifier"); Python test_remove_certificate.py."""
    for response in (
        await board.delete("/certstore/certs/TestCert"),
        await board.get("/certstore/certs/TestCert"),
    ):
        assert (response.status_code, response.json()) == (404, {"error": 38797319})


async def test_c4_space_of_an_empty_store(board: httpx.AsyncClient) -> None:
    """Python test_get_certificate_space.py (all three: "24514", less after an add, more after
    a removal); C# GetCertificateSpaceTests (a string); the overview's example."""
    assert (await board.get("/certstore/space")).text == '{"AvailableSpace":"24514"}'
    await board.post(
        "/certstore/certs/root_id", json={"certType": "rootca", "publicCert": _root_ca()}
    )
    used = int((await board.get("/certstore/space")).json()["AvailableSpace"])
    assert used < 24514
    await board.delete("/certstore/certs/root_id")
    assert (await board.get("/certstore/space")).json() == {"AvailableSpace": "24514"}


# -- the device ---------------------------------------------------------------------------


async def test_d1_cleared_error_reports_keep_their_header(board: httpx.AsyncClient) -> None:
    """C# ClearErrorReportDataTests (both: {} and a data length of 0 in bytes 3-4, big-endian);
    Python test_clear_error_report_data.py; GetErrorReportDataTests (not empty)."""
    reports = (await board.get("/telemetry")).content
    assert len(reports) > 5
    assert reports[3] << 8 | reports[4] == len(reports) - 5
    assert (await board.delete("/telemetry")).text == "{}"
    cleared = (await board.get("/telemetry")).content
    assert cleared
    assert cleared[3] << 8 | cleared[4] == 0


async def test_d2_the_diagnostic_log_is_never_empty(board: httpx.AsyncClient) -> None:
    """C# GetDiagnosticsLogTests.GetDiagnosticsLog_Get_ReturnsNonNullOrEmptyResponse;
    Python test_get_diagnostics_log.py."""
    assert (await board.get("/log")).content


async def test_d3_a_restart_takes_the_board_off_the_link() -> None:
    """C# RestartDeviceTests (both: {"restartingSystem":true}, and a smaller uptime once it
    answers again); Python test_restart_device.py."""
    config = MockDeviceConfig(initial_uptime=100, restart_downtime=0.5)
    async with served(config) as (device, http):
        assert (await http.get("/status")).json()["uptime"] >= 100
        assert (await http.post("/restart")).text == '{"restartingSystem":true}'
        with anyio.fail_after(5):
            # The restart begins once the answer is out; MockDevice offers no event for it.
            while device.is_up:  # noqa: ASYNC110
                await anyio.sleep(0.01)
        with pytest.raises(httpx.TransportError):
            async with checking_client(device) as fresh:
                await fresh.get("/status")
        await device.wait_until_up()
        async with checking_client(device) as fresh:
            assert (await fresh.get("/status")).json()["uptime"] < 100


async def test_d4_uptime_counts_whole_seconds(board: httpx.AsyncClient) -> None:
    """C# GetDeviceStatusTests (an integer that grows); Python test_get_device_status.py."""
    first = (await board.get("/status")).json()["uptime"]
    await anyio.sleep(1.05)
    assert (await board.get("/status")).json()["uptime"] > first


async def test_d5_versions_and_identity(board: httpx.AsyncClient) -> None:
    """C# GetDeviceRestAPIVersionTests, GetDeviceOSVersionTests, GetDeviceSecurityStateTests;
    Python test_get_device_rest_api_version.py, test_get_os_version.py."""
    response = await board.get("/osversion")
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", response.headers["rest-api-version"])
    assert isinstance(response.json()["osversion"], str)
    security = (await board.get("/device/security_state")).json()
    assert all(isinstance(security[k], str) for k in ("securityState", "deviceIdentifier"))


# -- manufacturing states and capabilities ------------------------------------------------


async def test_m1_setting_the_current_state_again(board: httpx.AsyncClient) -> None:
    """C# SetManufacturingState.SetManufacturingState_SetManufacturingStateAsCurrent_...:
    refused on a Blank board, {} and nothing changed on the later states."""
    url = "/device/manufacturing_state"
    refused = await board.put(url, json={"manufacturingState": "Blank"})
    assert refused.status_code == 400
    for state in ("Module1Complete", "DeviceComplete"):
        assert (await board.put(url, json={"manufacturingState": state})).text == "{}"
        again = await board.put(url, json={"manufacturingState": state})
        assert (again.status_code, again.text) == (200, "{}")
        assert (await board.get(url)).json() == {"manufacturingState": state}


async def test_m2_device_complete_locks_the_board() -> None:
    """Manufacturing_Tools/device_ready.py perform_device_ready_checks: images, Wi-Fi and OS
    checks are skipped in DeviceComplete because those endpoints are locked; every call whose
    x-azsphere-authorizer is not None answers 403 there, the open ones still answer."""
    config = MockDeviceConfig(development_mode=False, manufacturing_state="DeviceComplete")
    async with served(config) as (_, http):
        for path in ("/images", "/wifi/config/networks", "/certstore/certs", "/net/interfaces"):
            response = await http.get(path)
            assert (response.status_code, response.json()) == (403, {"error": 13}), path
        locked = await http.put("/update/stage", content=BLINK.read_bytes(), headers=OCTETS)
        assert (locked.status_code, locked.json()) == (403, {"error": 7340069})
        for op in spec.operations():
            if op.authorizer is None and op.method == "GET":
                assert (await http.get(op.path)).status_code == 200, op.path


async def test_m3_before_device_complete_no_capability_is_needed() -> None:
    """Manufacturing_Tools/device_ready.py: a Module1Complete board must hold no capabilities,
    and its images and Wi-Fi networks are read all the same."""
    config = MockDeviceConfig(development_mode=False, manufacturing_state="Module1Complete")
    async with served(config) as (_, http):
        assert (await http.get("/device/capabilities")).text == '{"device_capabilities":[]}'
        assert (await http.get("/images")).status_code == 200
        assert (await http.get("/wifi/config/networks")).text == '{"values":[]}'


async def test_m4_app_development_or_field_servicing_open_a_finished_board() -> None:
    """Manufacturing/src/README.md (Get device capabilities): appDevelopment is 11,
    enableRFTestMode 12, fieldServicing 13; learn.microsoft.com device-capabilities: after
    finalization every operation needs a device capability.  C# SetAppStatusTests asserts a
    development board holds 11."""
    for capabilities, opened in (((11,), True), ((13,), True), ((12,), False)):
        config = MockDeviceConfig(
            development_mode=False,
            manufacturing_state="DeviceComplete",
            extra_capabilities=capabilities,
        )
        async with served(config) as (_, http):
            assert (await http.get("/images")).status_code == (200 if opened else 403)
    async with MockDevice() as device, checking_client(device) as http:
        assert 11 in (await http.get("/device/capabilities")).json()["device_capabilities"]


async def test_m5_blank_boards_hold_the_rf_test_capability() -> None:
    """Manufacturing_Tools/device_ready.py perform_device_ready_checks ("Blank devices always
    have rftest capability enabled": the capability check is skipped in Blank)."""
    async with served(MockDeviceConfig(development_mode=False)) as (_, http):
        assert (await http.get("/device/capabilities")).text == '{"device_capabilities":[12]}'
        await http.put(
            "/device/manufacturing_state", json={"manufacturingState": "Module1Complete"}
        )
        assert (await http.get("/device/capabilities")).text == '{"device_capabilities":[]}'


# -- networking ---------------------------------------------------------------------------

ANONYMOUS_PROXY = {
    "enabled": True,
    "address": "example.com",
    "port": 8081,
    "noProxyAddresses": [],
    "authenticationType": "anonymous",
}
"""The anonymous proxy of Microsoft's tests, as their clients send it."""
ANONYMOUS = (
    '{"address":"example.com","enabled":true,"port":8081,'
    '"authenticationType":"anonymous","noProxyAddresses":[]}'
)


async def test_n1_configuring_a_proxy_echoes_it(board: httpx.AsyncClient) -> None:
    """C# ConfigureProxyTests.ConfigureProxy_AnonymousWithValidValues_... and
    ConfigureProxy_BasicWithValidValues_... (the exact text, the password included);
    Python test_configure_network_proxy.py (both)."""
    assert (await board.post("/net/proxy", json=ANONYMOUS_PROXY)).text == ANONYMOUS
    basic = {
        **ANONYMOUS_PROXY,
        "authenticationType": "basic",
        "username": "example",
        "password": "example",
    }
    assert (await board.post("/net/proxy", json=basic)).text == (
        '{"address":"example.com","enabled":true,"port":8081,"authenticationType":"basic",'
        '"username":"example","password":"example","noProxyAddresses":[]}'
    )
    assert "password" not in (await board.get("/net/proxy")).json()


async def test_n2_reading_and_deleting_the_proxy(board: httpx.AsyncClient) -> None:
    """C# GetNetworkProxyTests (all three), DeleteNetworkProxyTests (all three); Python
    test_get_network_proxy.py, test_delete_network_proxy.py."""
    assert (await board.get("/net/proxy")).text == "{}"
    assert (await board.delete("/net/proxy")).text == "{}"
    await board.post("/net/proxy", json=ANONYMOUS_PROXY)
    assert (await board.get("/net/proxy")).text == ANONYMOUS
    assert (await board.delete("/net/proxy")).text == "{}"
    assert (await board.get("/net/proxy")).text == "{}"


async def test_n3_the_service_interface(board: httpx.AsyncClient) -> None:
    """C# GetNetworkInterfaceTests.GetNetworkInterface_ValidInterface_ReturnsExpectedValues;
    Python test_get_network_interface.py::test__get_network_interface__valid_interface_..."""
    assert (await board.get("/net/interfaces/azspheresvc")).text == (
        '{"interfaceName":"azspheresvc","interfaceUp":true,"connectedToNetwork":false,'
        '"ipAcquired":false,"connectedToInternet":false,"ipAddresses":["192.168.35.2"]}'
    )


async def test_n4_interfaces_have_addresses_or_hardware(board: httpx.AsyncClient) -> None:
    """C# GetAllNetworkInterfacesTests.GetNetworkInterfaces_Get_ReturnsInterfacesInCorrectFormat:
    with wlan0 up but not on a network, each interface has exactly one of two shapes
    (ipAddresses, or hardwareAddress with ipAssignment)."""
    await board.patch("/net/interfaces/wlan0", json={"interfaceUp": True})
    base = {
        "interfaceName",
        "interfaceUp",
        "connectedToNetwork",
        "ipAcquired",
        "connectedToInternet",
    }
    for interface in (await board.get("/net/interfaces")).json()["interfaces"]:
        with_addresses = base | {"ipAddresses"} <= interface.keys()
        with_hardware = base | {"hardwareAddress", "ipAssignment"} <= interface.keys()
        assert with_addresses != with_hardware, interface


async def test_n5_an_unknown_interface_is_an_invalid_uri(board: httpx.AsyncClient) -> None:
    """C# GetNetworkInterfaceTests.GetNetworkInterface_InvalidInterface_ThrowsDeviceError
    ("unavailable ... Invalid request URI."); Python test_get_network_interface.py."""
    response = await board.get("/net/interfaces/InvalidInterface!")
    assert (response.status_code, response.json()) == (404, {"error": 15728642})


async def test_n6_wifi_fails_while_wlan0_is_down(board: httpx.AsyncClient) -> None:
    """C# SetNetworkInterfacesTests.SetInterfaces_SettingInterfaceUpToFalse_MakesWifiFail and
    SetInterfaces_AlternateInterfaceUp_ChangeIsObserved; Python test_set_network_interfaces.py
    ("An internal device error occurred. Wi-Fi interface is disabled": 500)."""
    assert (await board.patch("/net/interfaces/wlan0", json={"interfaceUp": False})).text == "{}"
    assert (await board.get("/net/interfaces/wlan0")).json()["interfaceUp"] is False
    for method, path in (
        ("GET", "/wifi/scan"),
        ("GET", "/wifi/config/networks"),
        ("DELETE", "/wifi/config/networks/0"),
        ("GET", "/wifi/diagnostics/networks"),
    ):
        response = await board.request(method, path)
        assert (response.status_code, response.json()) == (500, {"error": 13631506}), path
    await board.patch("/net/interfaces/wlan0", json={"interfaceUp": True})
    assert (await board.get("/net/interfaces/wlan0")).json()["interfaceUp"] is True
    assert (await board.get("/wifi/config/networks")).text == '{"values":[]}'


# -- Wi-Fi --------------------------------------------------------------------------------


async def test_w1_adding_networks_answers_them(board: httpx.AsyncClient) -> None:
    """C# AddConfiguredWifiNetworkTests.AddWifiNetwork_ValidSecurityState_ReturnsExpected...
    (EAP-TLS with a client certificate identifier only; the unknown field targetScan is
    ignored); Python test_add_configured_wifi_network.py; OpenAPI EapTlsNetworkRequest."""
    eaptls = await board.post(
        "/wifi/config/networks",
        json={
            "ssid": "TestEaptls",
            "securityState": "eaptls",
            "clientCertStoreIdentifier": "example",
            "configName": "example1",
            "configState": "enabled",
        },
    )
    assert (eaptls.status_code, eaptls.text) == (
        201,
        '{"ssid":"TestEaptls","configState":"enabled","connectionState":"unknown","id":0,'
        '"securityState":"eaptls","targetedScan":false,"configName":"example1",'
        '"clientCertStoreIdentifier":"example"}',
    )
    opened = await board.post(
        "/wifi/config/networks",
        json={
            "ssid": "TestOpen",
            "securityState": "open",
            "configName": "example2",
            "configState": "enabled",
        },
    )
    assert opened.text == (
        '{"ssid":"TestOpen","configState":"enabled","connectionState":"unknown","id":1,'
        '"securityState":"open","targetedScan":false,"configName":"example2"}'
    )
    psk = await board.post(
        "/wifi/config/networks",
        json={
            "ssid": "NETWORK1",
            "securityState": "psk",
            "psk": "EXAMPLEPSK",
            "configState": "enabled",
            "targetScan": False,
        },
    )
    assert psk.text == (
        '{"ssid":"NETWORK1","configState":"enabled","connectionState":"unknown","id":2,'
        '"securityState":"psk","targetedScan":false}'
    )


async def test_w2_the_network_list(board: httpx.AsyncClient) -> None:
    """C# GetAllConfiguredWifiNetworksTests (all four), AddConfiguredWifiNetworkTests.
    AddWifiNetwork_ValidConfigStates_ReturnsExpectedValuesList (two networks may share a
    configName), GetConfiguredWifiNetworkTests.GetWifiNetwork_ExistingId_...,
    RemoveConfiguredWifiNetworkTests (both); Python test_get_all_configured_wifi_networks.py,
    test_add_configured_wifi_network.py, test_remove_wifi_network.py."""
    assert (await board.get("/wifi/config/networks")).text == '{"values":[]}'
    for ssid, state in (("TestSsid0", "enabled"), ("TestSsid1", "disabled")):
        body = {
            "ssid": ssid,
            "securityState": "open",
            "configName": "example",
            "configState": state,
        }
        assert (await board.post("/wifi/config/networks", json=body)).status_code == 201
    first = (
        '{"ssid":"TestSsid0","configState":"enabled","connectionState":"disconnected","id":0,'
        '"securityState":"open","targetedScan":false,"configName":"example"}'
    )
    second = (
        '{"ssid":"TestSsid1","configState":"disabled","connectionState":"disconnected","id":1,'
        '"securityState":"open","targetedScan":false,"configName":"example"}'
    )
    assert (await board.get("/wifi/config/networks")).text == f'{{"values":[{first},{second}]}}'
    assert (await board.get("/wifi/config/networks/0")).text == first
    assert (await board.delete("/wifi/config/networks/0")).text == "{}"
    assert (await board.delete("/wifi/config/networks/1")).text == "{}"
    assert (await board.get("/wifi/config/networks")).text == '{"values":[]}'


async def test_w3_an_absent_network_is_not_found(board: httpx.AsyncClient) -> None:
    """C# GetConfiguredWifiNetworkTests.GetWifiNetwork_NonExistentId_ThrowsDeviceError,
    RemoveConfiguredWifiNetworkTests.RemoveNetwork_NoNetwork_ThrowsDeviceError,
    ChangeConfiguredWifiTests.ChangeNetwork_ChangeNonExistentNetwork_ThrowsDeviceError."""
    for response in (
        await board.get("/wifi/config/networks/0"),
        await board.delete("/wifi/config/networks/0"),
        await board.patch(
            "/wifi/config/networks/0", json={"configState": "unknown", "psk": "TestNetwork"}
        ),
    ):
        assert (response.status_code, response.json()) == (404, {"error": 13631491})


async def test_w4_a_short_key_is_refused_before_the_network_is_looked_up(
    board: httpx.AsyncClient,
) -> None:
    """Python test_change_configured_wifi.py::test__change_wifi_network__change_non_existent_
    network_throws_device_error ("invalid request ... PSK is too short" for network 0)."""
    response = await board.patch(
        "/wifi/config/networks/0", json={"configState": "unknown", "psk": "Test"}
    )
    assert (response.status_code, response.json()) == (400, {"error": 13631513})


async def test_w5_changing_a_network_answers_it(board: httpx.AsyncClient) -> None:
    """C# ChangeConfiguredWifiTests.ChangeNetwork_ChangeExistingNetwork_ReturnsExpected...;
    Python test_change_configured_wifi.py::test__change_wifi_network__change_existing_..."""
    await board.post(
        "/wifi/config/networks",
        json={
            "ssid": "NETWORK1",
            "securityState": "psk",
            "psk": "EXAMPLEPSK",
            "configState": "enabled",
        },
    )
    response = await board.patch(
        "/wifi/config/networks/0", json={"configState": "disabled", "psk": "NETWORK1"}
    )
    assert response.text == (
        '{"ssid":"NETWORK1","configState":"disabled","connectionState":"disconnected","id":0,'
        '"securityState":"psk","targetedScan":false}'
    )


async def test_w6_the_wifi_interface_settings(board: httpx.AsyncClient) -> None:
    """C# ChangeWifiInterfaceStateTests (reloadConfig and enablePowerSavings answer {}; the
    power savings state follows); Python test_change_wifi_interface_state.py."""
    for reload_config, power_savings in (
        (True, False),
        (False, False),
        (False, True),
        (True, True),
    ):
        body = {"reloadConfig": reload_config, "enablePowerSavings": power_savings}
        assert (await board.patch("/wifi/interface", json=body)).text == "{}"
        shown = (await board.get("/wifi/interface")).json()["powerSavingsState"]
        assert shown == ("enabled" if power_savings else "disabled")


async def test_w7_no_connection_failures_yet(board: httpx.AsyncClient) -> None:
    """C# GetAllNetworkConnectionFailureAttemptsTests.AllFailedConnections_Get_...;
    Python test_get_all_network_connection_failure_attempts.py."""
    assert (await board.get("/wifi/diagnostics/networks")).text == '{"values":[]}'


# -- the table ----------------------------------------------------------------------------


def test_every_fact_in_the_table_has_its_test() -> None:
    rows = re.findall(r"^\|\s*([A-Z]\d+)\s*\|", FACTS.read_text(encoding="utf-8"), re.MULTILINE)
    tests = {name.split("_")[1].upper() for name in globals() if re.match(r"test_[a-z]\d+_", name)}
    assert rows, "no facts found in FACTS.md"
    assert len(rows) == len(set(rows)), "an ID appears twice in FACTS.md"
    assert set(rows) == tests
