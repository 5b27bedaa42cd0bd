"""Microsoft's own Python client (``azuresphere-device-api``) against the mock over HTTPS.

It sends ``Host: *.devices.sphere.azure.local``, checks the certificate against that name,
turns statuses into the messages of its error handler, and returns ``{}`` for an empty body.
Each case below is ours; it checks that the client gets the answers a real board gives
(``azsphere_async/mock/FACTS.md``).  The client is synchronous and keeps its device address
in a module global, so it runs in a worker thread, pointed at the mock's loopback address
before its first request.  Skipped where the package is not installed (it is a benchmark
dependency).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest

from azsphere_async.mock import MockDevice, MockDeviceConfig
from tests.shared_data import BLINK, BLINK_ID

T = TypeVar("T")

pytest.importorskip("azuresphere_device_api")

OTHER_ID = "6770fc06-e7db-11ec-8fea-0242ac120002"


class Official:
    """Microsoft's client modules, pointed at one mock board."""

    def __init__(self, device: MockDevice, ca_file: Path) -> None:
        self.utils = importlib.import_module("azuresphere_device_api.utils")
        self.exceptions = importlib.import_module("azuresphere_device_api.exceptions")
        self.device = importlib.import_module("azuresphere_device_api.device")
        self.app = importlib.import_module("azuresphere_device_api.app")
        self.sideload = importlib.import_module("azuresphere_device_api.sideload")
        self.certificate = importlib.import_module("azuresphere_device_api.certificate")
        self.network = importlib.import_module("azuresphere_device_api.network")
        self.wifi = importlib.import_module("azuresphere_device_api.wifi")
        self.manufacturing = importlib.import_module("azuresphere_device_api.manufacturing")
        self.capabilities = importlib.import_module("azuresphere_device_api.capabilities")
        self.utils.set_device_ip_address(device.address)
        # Checked through the client's own URL builder before any request goes out.
        assert self.utils._create_url("status") == f"https://{device.address}/status"
        # It verifies against Microsoft's device CA; the mock has its own.
        setattr(self.utils, "_CERT_PATH", ca_file)  # noqa: B010

    @property
    def device_error(self) -> type[Exception]:
        error: type[Exception] = self.exceptions.DeviceError
        return error

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one blocking call of the client in a worker thread."""
        return await anyio.to_thread.run_sync(lambda: function(*args, **kwargs))

    async def refused(self, function: Callable[..., Any], *args: Any) -> str:
        """The message of the DeviceError the call raises."""
        with pytest.raises(self.device_error) as raised:
            await self.call(function, *args)
        return str(raised.value)


@pytest.fixture
async def official(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[MockDevice, Official]]:
    # The client takes addresses other than 192.168.35.2 only from SDK 23.04 on.
    sdk = tmp_path / "sdk"
    sdk.mkdir()
    (sdk / "VERSION").write_text("24.03.0.0\n")
    monkeypatch.setenv("AzureSphereDefaultSDKDir", str(sdk))
    monkeypatch.setenv("NO_PROXY", "*")  # requests reads proxy settings from the environment
    async with MockDevice(MockDeviceConfig(restart_downtime=0.3)) as device:
        ca_file = device.write_ca(tmp_path / "ca.pem")
        utils = importlib.import_module("azuresphere_device_api.utils")
        previous = (utils.get_device_ip_address(), utils._CERT_PATH)
        try:
            yield device, Official(device, ca_file)
        finally:
            # Back to its defaults, without a request (module globals the client reads).
            setattr(utils, "_CURRENT_DEVICE_IP", previous[0])  # noqa: B010
            setattr(utils, "_CERT_PATH", previous[1])  # noqa: B010


async def test_device_calls(official: tuple[MockDevice, Official]) -> None:
    _, ms = official
    status = await ms.call(ms.device.get_device_status)
    assert isinstance(status["uptime"], int)
    assert (await ms.call(ms.device.get_device_rest_api_version))["REST-API-Version"] == "4.6.0"
    assert await ms.call(ms.manufacturing.get_device_manufacturing_state) == {
        "manufacturingState": "Blank"
    }
    assert await ms.call(ms.capabilities.get_device_capabilities) == {
        "device_capabilities": [11, 12]
    }
    reports = await ms.call(ms.device.get_error_report_data)
    assert reports[3] << 8 | reports[4] == len(reports) - 5
    assert await ms.call(ms.device.clear_error_report_data) == {}
    cleared = await ms.call(ms.device.get_error_report_data)
    assert cleared[3] << 8 | cleared[4] == 0
    assert await ms.call(ms.device.get_diagnostic_log)


async def test_applications_and_sideloading(official: tuple[MockDevice, Official]) -> None:
    _, ms = official
    assert await ms.call(ms.app.get_app_status, OTHER_ID) == {"state": "notPresent"}
    message = await ms.refused(ms.app.set_app_status, OTHER_ID, "start")
    assert message.startswith("ERROR: The device could not perform this request due to the ")
    assert message.endswith("conflicting state. Application is not present")
    message = await ms.refused(ms.app.get_app_quota, OTHER_ID)
    assert "This resource is unavailable on this device. Application is not present" in message
    assert await ms.call(ms.sideload.stage_image, str(BLINK)) == {}
    assert await ms.call(ms.app.get_app_status, BLINK_ID) == {"state": "notPresent"}
    assert await ms.call(ms.sideload.install_images) == {}
    assert await ms.call(ms.app.get_app_status, BLINK_ID) == {"state": "running"}
    assert await ms.call(ms.app.get_app_quota, BLINK_ID) == {"UsageKB": 0, "LimitKB": 0}
    assert await ms.call(ms.app.set_app_status, BLINK_ID, "stop") == {"state": "stopped"}
    assert await ms.call(ms.sideload.delete_image, BLINK_ID) == {}
    assert await ms.call(ms.sideload.delete_image, BLINK_ID) == {}  # gone already: still {}
    assert await ms.call(ms.sideload.install_images) == {}  # nothing staged


async def test_certificates(
    official: tuple[MockDevice, Official], cert_material: dict[str, str], tmp_path: Path
) -> None:
    _, ms = official
    assert await ms.call(ms.certificate.get_certificate_space) == {"AvailableSpace": "24514"}
    root = tmp_path / "root.pem"
    root.write_text(cert_material["root"])
    assert await ms.call(ms.certificate.add_certificate, "line_root", str(root), "rootca") == {}
    shown = await ms.call(ms.certificate.get_certificate, "line_root")
    assert shown["subjectName"] == shown["issuerName"]
    assert shown["subjectName"].startswith("/O=Test Org")
    assert await ms.call(ms.certificate.get_all_certificates) == {"identifiers": ["line_root"]}
    assert await ms.call(ms.certificate.remove_certificate, "line_root") == {}
    message = await ms.refused(ms.certificate.remove_certificate, "line_root")
    assert message.startswith("ERROR: This resource is unavailable on this device. ")
    assert "No certificate with that identifier could be found on the device." in message


async def test_proxy_and_interfaces(official: tuple[MockDevice, Official]) -> None:
    _, ms = official
    answer = await ms.call(
        ms.network.configure_proxy, True, "example.com", 8081, [], "basic", "user", "pass-word"
    )
    assert answer == {
        "address": "example.com",
        "enabled": True,
        "port": 8081,
        "authenticationType": "basic",
        "username": "user",
        "password": "pass-word",  # a board echoes it
        "noProxyAddresses": [],
    }
    assert "password" not in await ms.call(ms.network.get_network_proxy)
    assert await ms.call(ms.network.delete_network_proxy) == {}
    assert await ms.call(ms.network.get_network_proxy) == {}
    assert await ms.call(ms.network.get_network_interface, "azspheresvc") == {
        "interfaceName": "azspheresvc",
        "interfaceUp": True,
        "connectedToNetwork": False,
        "ipAcquired": False,
        "connectedToInternet": False,
        "ipAddresses": ["192.168.35.2"],
    }
    message = await ms.refused(ms.network.get_network_interface, "InvalidInterface!")
    assert "Invalid request URI." in message


async def test_wifi(official: tuple[MockDevice, Official]) -> None:
    _, ms = official
    assert await ms.call(
        ms.wifi.add_wifi_network,
        "TestEaptls",
        "eaptls",
        "example1",
        "enabled",
        client_cert_store_identifier="example",
    ) == {
        "ssid": "TestEaptls",
        "configState": "enabled",
        "connectionState": "unknown",
        "id": 0,
        "securityState": "eaptls",
        "targetedScan": False,
        "configName": "example1",
        "clientCertStoreIdentifier": "example",
    }
    message = await ms.refused(ms.wifi.change_wifi_network_config, 5, "unknown", "Test")
    assert message == "ERROR: An invalid request was made to the device. PSK is too short."
    assert await ms.call(ms.wifi.change_wifi_interface_state, True) == {}
    assert await ms.call(ms.wifi.remove_configured_wifi_network, 0) == {}
    assert await ms.call(ms.network.set_network_interfaces, "wlan0", False) == {}
    for call, args in (
        (ms.wifi.get_wifi_scan, ()),
        (ms.wifi.get_all_wifi_networks, ()),
        (ms.wifi.remove_configured_wifi_network, (0,)),
        (ms.network.get_all_failed_network_connections, ()),
    ):
        message = await ms.refused(call, *args)
        assert message == "ERROR: An internal device error occurred. Wi-Fi interface is disabled"
    assert await ms.call(ms.network.set_network_interfaces, "wlan0", True) == {}
    assert await ms.call(ms.wifi.get_all_wifi_networks) == {"values": []}


async def test_restart(official: tuple[MockDevice, Official]) -> None:
    device, ms = official
    assert await ms.call(ms.device.restart_device) == {"restartingSystem": True}
    await anyio.sleep(0.05)
    await device.wait_until_up()
    assert isinstance((await ms.call(ms.device.get_device_status))["uptime"], int)
