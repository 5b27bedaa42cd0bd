"""One mock device: who it is, its manufacturing state, restarts, and its parts.

:class:`DeviceState` is plain Python (no HTTP).  It holds the device as a whole (identity,
manufacturing state, capabilities, clock, diagnostic log and error reports) and one object
per group of calls: :attr:`~DeviceState.images` (applications and images),
:attr:`~DeviceState.certificates`, :attr:`~DeviceState.wifi` and
:attr:`~DeviceState.network`.  Each REST operation is a method that takes the parsed request
and returns the JSON answer, or raises :class:`~azsphere_async.mock.errors.DeviceRefusal`;
:mod:`azsphere_async.mock.routes` only translates HTTP to these calls.  Tests may read and
change the state directly (``device.state.development_mode = False``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

from ..config import (
    APP_DEVELOPMENT_CAPABILITY,
    FIELD_SERVICING_CAPABILITY,
    RF_TEST_CAPABILITY,
    MockDeviceConfig,
)
from ..errors import Code, DeviceRefusal
from ..faults import FaultInjector
from ..link import LinkSettings
from ..stats import DeviceStats
from ._common import ApiLevel, invalid, require_object
from .apps import ImageStore
from .certificates import CertificateStore
from .clock import DeviceClock
from .network import NetworkState, factory_interfaces
from .records import DiagnosticLog, ErrorReports
from .wifi import WifiState

__all__ = ["MANUFACTURING_STATES", "DeviceState"]

MANUFACTURING_STATES: Final = ("Blank", "Module1Complete", "DeviceComplete")
"""Manufacturing states in the only order a device can move through them."""


class DeviceState:
    """Everything one mock device knows, and every operation its REST API offers."""

    def __init__(self, config: MockDeviceConfig | None = None) -> None:
        config = config or MockDeviceConfig()
        if config.manufacturing_state not in (*MANUFACTURING_STATES, "Unknown"):
            raise ValueError(f"unknown manufacturing state {config.manufacturing_state!r}")
        self.config = config
        self.api = ApiLevel(config.rest_api_version)
        """The REST API version the device speaks."""
        self.device_id = config.make_device_id()
        self.security_state = config.security_state
        self.os_version = config.os_version
        self.development_mode = config.development_mode
        """Whether the board holds appDevelopment (11): app debugging, memory statistics, and
        the REST API even once DeviceComplete."""
        self.manufacturing_state = config.manufacturing_state
        self.stats = DeviceStats()
        self.faults = FaultInjector()
        self.link = LinkSettings()
        self.clock = DeviceClock(config.initial_uptime)
        self.log = DiagnosticLog(self.clock, config.log_capacity)
        """The diagnostic log (``GET /log``)."""
        self.reports = ErrorReports(self.clock)
        """Error reports (``GET /telemetry``)."""
        self.images = ImageStore(config, self.api, self.log, self.reports)
        self.certificates = CertificateStore(config.cert_store_capacity, self.log)
        interfaces = factory_interfaces(config)
        self.wifi = WifiState(
            config, self.api, self.clock, self.log, self.certificates, interfaces["wlan0"]
        )
        self.certificates.on_change = self.wifi.evaluate
        self.network = NetworkState(config, self.api, self.log, interfaces, self.wifi, self.stats)
        self.restart_handler: Callable[[float], None] | None = None
        """Set by the server that serves this state: performs a restart on the sockets."""
        self.down_until: float | None = None
        self._log_boot("power on")
        self.reports.add(1, "first boot")

    # -- basics -------------------------------------------------------------------------

    @property
    def rest_api_version(self) -> str:
        """The REST API version the device speaks; calls and fields newer than it are absent."""
        return self.api.version

    def feature(self, name: str) -> bool:
        """Whether a versioned change (a key of ``spec.API_VERSION_CHANGES``) is in effect."""
        return self.api.feature(name)

    @property
    def capabilities(self) -> list[int]:
        """Capabilities the device reports: 11 (appDevelopment) in development mode, 12
        (enableRFTestMode) while Blank, and the configured extra ones."""
        caps = set(self.config.extra_capabilities)
        if self.development_mode:
            caps.add(APP_DEVELOPMENT_CAPABILITY)
        if self.manufacturing_state == "Blank":
            caps.add(RF_TEST_CAPABILITY)
        return sorted(caps)

    def allows(self, authorizer: str) -> bool:
        """Whether a call guarded by ``authorizer`` (``x-azsphere-authorizer``) may run.

        ``IsRESTAllowed``: until the board is DeviceComplete, or with appDevelopment or
        fieldServicing.  ``IsAppDevelopmentAllowed``: with appDevelopment.
        """
        caps = self.capabilities
        if authorizer == "IsAppDevelopmentAllowed":
            return APP_DEVELOPMENT_CAPABILITY in caps
        if self.manufacturing_state != "DeviceComplete":
            return True
        return APP_DEVELOPMENT_CAPABILITY in caps or FIELD_SERVICING_CAPABILITY in caps

    def is_down(self) -> bool:
        """Whether the device is restarting (in-process use only; sockets refuse instead)."""
        if self.down_until is None:
            return False
        if time.monotonic() >= self.down_until:
            self.down_until = None
            return False
        return True

    # -- device calls -------------------------------------------------------------------

    def get_status(self) -> dict[str, Any]:
        """``GET /status``."""
        return {"uptime": self.clock.uptime()}

    def get_security_state(self) -> dict[str, Any]:
        """``GET /device/security_state``."""
        return {
            "securityState": self.security_state,
            "deviceIdentifier": self.device_id,
            "deviceIdentityPublicKey": self.device_id,
        }

    def get_capabilities(self) -> dict[str, Any]:
        """``GET /device/capabilities``."""
        return {"device_capabilities": self.capabilities}

    def get_os_version(self) -> dict[str, Any]:
        """``GET /osversion``."""
        return {"osversion": self.os_version}

    def get_abi_versions(self) -> dict[str, Any]:
        """``GET /abi_versions``."""
        return dict(self.config.abi_versions)

    def get_manufacturing_state(self) -> dict[str, Any]:
        """``GET /device/manufacturing_state``."""
        return {"manufacturingState": self.manufacturing_state}

    def set_manufacturing_state(self, body: Any) -> dict[str, Any]:
        """``PUT /device/manufacturing_state``: forward only; the state it is in already
        answers ``{}`` and changes nothing (Blank is no target at all)."""
        target = require_object(body).get("manufacturingState")
        if target not in MANUFACTURING_STATES[1:]:
            raise invalid()
        current = self.manufacturing_state
        if target == current:
            return {}
        if current == "Unknown" or MANUFACTURING_STATES.index(target) < MANUFACTURING_STATES.index(
            current
        ):
            raise DeviceRefusal(400, Code.EPERM)
        self.manufacturing_state = target
        self.log.record("manufacturing", "StateChanged", current, target)
        return {}

    def get_log(self) -> bytes:
        """``GET /log``: the binary diagnostic log."""
        return self.log.read()

    def get_telemetry(self) -> bytes:
        """``GET /telemetry``: the binary error reports."""
        return self.reports.read()

    def clear_telemetry(self) -> dict[str, Any]:
        """``DELETE /telemetry``."""
        self.reports.clear()
        return {}

    # -- restarting ---------------------------------------------------------------------

    def request_restart(self, downtime: float | None = None) -> None:
        """Restart the device (``POST /restart`` calls this once its answer is out)."""
        downtime = self.config.restart_downtime if downtime is None else downtime
        if self.restart_handler is not None:
            self.restart_handler(downtime)
            return
        self.reboot()
        self.down_until = time.monotonic() + downtime
        self.clock.mark_booted(self.down_until)

    def reboot(self) -> None:
        """What a restart does to the state: staged images vanish, apps restart per mode."""
        self.stats.restarts += 1
        self.log.record("boot", "RestartRequested")
        self.reports.add(2, "restart requested")
        self.images.reboot()
        self.clock.mark_booted()
        self.wifi.reboot()
        self._log_boot("restart")

    def mark_booted(self) -> None:
        """The device finished booting now (uptime counts from here)."""
        self.clock.mark_booted()

    def _log_boot(self, reason: str) -> None:
        """What the device logs as it comes up: the boot, its interfaces, Wi-Fi and apps."""
        log = self.log
        log.new_boot()
        log.record("boot", "Booted", self.os_version, reason)
        log.record("boot", "ClockStarted", 2000)
        for interface in self.network.interfaces.values():
            if interface.up:
                log.record("network", "InterfaceUp", interface.name)
                for address in interface.fixed_addresses:
                    log.record("network", "AddressAssigned", interface.name, address)
        network = self.wifi.connected()
        if network is not None:
            log.record("wifi", "Connected", network.id, network.ssid)
            log.record("network", "AddressAssigned", "wlan0", self.config.wlan_ip)
        for component_id, component in self.images.components.items():
            if component.pid is not None:
                log.record("appman", "AppStarted", component_id, component.pid)
