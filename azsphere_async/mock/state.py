"""The state of one mock device and the rules that change it.

:class:`DeviceState` is plain Python (no HTTP): each REST operation is a method that takes the
parsed request and returns the JSON answer, or raises :class:`~.errors.DeviceError`.  The ASGI
application in :mod:`.app` only translates HTTP to these calls.  Tests may read and change the
state directly (``device.state.development_mode = False``).
"""

from __future__ import annotations

import hashlib
import re
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from .certs import StoredCertificate, check_identifier, parse_certificate_request
from .config import APP_DEVELOPMENT_CAPABILITY, MockDeviceConfig, WifiScanEntry
from .errors import Code, DeviceError
from .faults import FaultInjector
from .images import ImagePackageError, ImagePackageInfo, ImagePackageSink, is_nil_uid
from .link import LinkSettings
from .spec import API_VERSION_CHANGES, parse_version
from .stats import DeviceStats

__all__ = [
    "MANUFACTURING_STATES",
    "DeviceState",
    "InstalledComponent",
    "NetInterface",
    "StagingUpload",
    "WifiNetwork",
]

MANUFACTURING_STATES: Final = ("Blank", "Module1Complete", "DeviceComplete")
"""Manufacturing states in the only order a device can move through them."""

_UID: Final = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
)
_MAC: Final = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")
_DEVICE_EPOCH: Final = datetime(2000, 1, 1)
_KEY_MGMT: Final = {"open": "NONE", "psk": "WPA2-PSK", "eaptls": "WPA-EAP"}
_HOOKS: Final = ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")


def check_component_id(component_id: str) -> str:
    """Refuse a malformed component ID in a path (400, 15728642); return it lower-cased."""
    if not _UID.fullmatch(component_id):
        raise DeviceError(400, Code.INVALID_URI)
    return component_id.lower()


def _invalid() -> DeviceError:
    return DeviceError(400, Code.EINVAL)


def _require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _invalid()
    return body


def _optional_bool(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _invalid()
    return value


@dataclass
class InstalledComponent:
    """An installed image package (an application, or a system component update)."""

    info: ImagePackageInfo
    manual: bool = False
    """Installed with ``appControlMode: Manual`` (does not start by itself)."""
    state: str = "stopped"
    pid: int | None = None
    usage_kb: int = 0
    """Mutable storage in use (tests may set it)."""

    @property
    def is_application(self) -> bool:
        """Whether this is an application."""
        return self.info.is_application


@dataclass
class WifiNetwork:
    """A configured Wi-Fi network.  The PSK is kept but never shown."""

    id: int
    ssid: str
    security_state: str
    config_state: str = "enabled"
    config_name: str | None = None
    targeted_scan: bool = False
    psk: str | None = field(default=None, repr=False)
    client_identity: str | None = None
    client_cert_id: str | None = None
    root_ca_cert_id: str | None = None
    connection_state: str = "unknown"

    def to_json(self) -> dict[str, Any]:
        """The ``WifiNetworkConfigResponse`` form."""
        body: dict[str, Any] = {
            "ssid": self.ssid,
            "configState": self.config_state,
            "connectionState": self.connection_state,
            "id": self.id,
            "securityState": self.security_state,
            "targetedScan": self.targeted_scan,
        }
        if self.config_name is not None:
            body["configName"] = self.config_name
        if self.client_identity is not None:
            body["clientIdentity"] = self.client_identity
        if self.client_cert_id is not None:
            body["clientCertStoreIdentifier"] = self.client_cert_id
        if self.root_ca_cert_id is not None:
            body["rootCaCertStoreIdentifier"] = self.root_ca_cert_id
        return body


@dataclass
class NetInterface:
    """A network interface of the device."""

    name: str
    up: bool
    ip_assignment: str | None = None
    hardware_address: str | None = None
    fixed_addresses: list[str] = field(default_factory=list)
    can_change_state: bool = True
    can_change_address: bool = False


class StagingUpload:
    """One ``PUT /update/stage`` in progress: feed it the body, then :meth:`finish` it."""

    def __init__(self, state: DeviceState, expected_length: int | None) -> None:
        self._state = state
        self._sink = ImagePackageSink()
        self._free = state.free_space
        if expected_length is not None and expected_length > self._free:
            raise DeviceError(400, Code.NO_FREE_SPACE)

    @property
    def received(self) -> int:
        """Bytes received so far."""
        return self._sink.length

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk; refuses once the package outgrows the free space."""
        self._sink.feed(chunk)
        if self._sink.length > self._free:
            raise DeviceError(400, Code.NO_FREE_SPACE)

    def finish(self) -> dict[str, Any]:
        """Parse the package metadata and stage it."""
        try:
            info = self._sink.finish()
        except ImagePackageError as exc:
            raise DeviceError(400, Code.STAGE_INVALID_PACKAGE) from exc
        if is_nil_uid(info.component_id):
            raise DeviceError(400, Code.INVALID_COMPONENT_ID)
        state = self._state
        previous = state.staged.pop(info.component_id, None)
        if info.length > state.free_space:
            if previous is not None:
                state.staged[info.component_id] = previous
            raise DeviceError(400, Code.NO_FREE_SPACE)
        state.staged[info.component_id] = info
        state.log_event(f"staged {info.component_id} {info.name} ({info.length} bytes)")
        return {}


class DeviceState:
    """Everything one mock device knows, and every operation its REST API offers."""

    def __init__(self, config: MockDeviceConfig | None = None) -> None:
        config = config or MockDeviceConfig()
        parse_version(config.rest_api_version)
        if config.manufacturing_state not in (*MANUFACTURING_STATES, "Unknown"):
            raise ValueError(f"unknown manufacturing state {config.manufacturing_state!r}")
        self.config = config
        self.rest_api_version = config.rest_api_version
        """REST API version the device speaks; calls and fields newer than it are absent."""
        self.device_id = config.make_device_id()
        self.security_state = config.security_state
        self.os_version = config.os_version
        self.development_mode = config.development_mode
        """Whether REST access (and app development) is allowed; off answers 403."""
        self.manufacturing_state = config.manufacturing_state
        self.ota_update_in_progress = False
        """While true, staging answers 409 with 7340071."""
        self.stats = DeviceStats()
        self.faults = FaultInjector()
        self.link = LinkSettings()
        self.components: dict[str, InstalledComponent] = {}
        self.staged: dict[str, ImagePackageInfo] = {}
        self.certificates: dict[str, StoredCertificate] = {}
        self.wifi_networks: dict[int, WifiNetwork] = {}
        self.wifi_failures: dict[int, dict[str, Any]] = {}
        self.scan_results: list[WifiScanEntry] = list(config.scan_results)
        self.connected_network: int | None = None
        self.power_savings = False
        self.proxy: dict[str, Any] | None = None
        self.interfaces: dict[str, NetInterface] = {
            "azspheresvc": NetInterface(
                "azspheresvc",
                True,
                "static",
                fixed_addresses=[config.service_ip],
                can_change_state=False,
            ),
            "lo": NetInterface("lo", True, fixed_addresses=["127.0.0.1"], can_change_state=False),
            "wlan0": NetInterface("wlan0", True, "dynamic", config.wlan_mac),
            "eth0": NetInterface("eth0", False, "dynamic", config.eth_mac, can_change_address=True),
        }
        self.restart_handler: Callable[[float], None] | None = None
        """Set by the server that serves this state: performs a restart on the sockets."""
        self.down_until: float | None = None
        self._booted_at = time.monotonic() - config.initial_uptime
        self._next_pid = 100
        self._log: deque[bytes] = deque()
        self._log_size = 0
        self._log_seq = 0
        self.telemetry = bytearray()
        self.log_event("boot: factory state")
        self.add_telemetry(1, "first boot")

    # ----------------------------------------------------------------- basics

    def at_least(self, version: str) -> bool:
        """Whether the device's REST API version is ``version`` or newer."""
        return parse_version(self.rest_api_version) >= parse_version(version)

    def feature(self, name: str) -> bool:
        """Whether a versioned change (a key of ``spec.API_VERSION_CHANGES``) is in effect."""
        return self.at_least(API_VERSION_CHANGES[name])

    def uptime(self) -> int:
        """Whole seconds since the device last came up."""
        return max(0, int(time.monotonic() - self._booted_at))

    def device_time(self) -> str:
        """The device clock as it writes timestamps (not synchronized: starts at 2000-01-01)."""
        moment = _DEVICE_EPOCH + timedelta(seconds=self.uptime())
        return moment.strftime("%Y-%m-%dt%H:%M:%S+0000")

    @property
    def capabilities(self) -> list[int]:
        """Capabilities the device reports (11, appDevelopment, while in development mode)."""
        caps = set(self.config.extra_capabilities)
        if self.development_mode:
            caps.add(APP_DEVELOPMENT_CAPABILITY)
        return sorted(caps)

    def is_down(self) -> bool:
        """Whether the device is restarting (in-process use only; sockets refuse instead)."""
        if self.down_until is None:
            return False
        if time.monotonic() >= self.down_until:
            self.down_until = None
            return False
        return True

    def log_event(self, text: str) -> None:
        """Append a record to the diagnostic log ring (``GET /log``)."""
        self._log_seq += 1
        payload = text.encode()[:200]
        record = struct.pack("<4sIIH", b"ASLG", self._log_seq, self.uptime(), len(payload))
        record += payload
        self._log.append(record)
        self._log_size += len(record)
        while self._log_size > self.config.log_capacity and self._log:
            self._log_size -= len(self._log.popleft())

    def add_telemetry(self, kind: int, text: str) -> None:
        """Append an error-report record (``GET /telemetry``)."""
        payload = text.encode()[:120]
        self.telemetry += struct.pack("<4sHII", b"ASER", kind, self.uptime(), len(payload))
        self.telemetry += payload

    # ----------------------------------------------------------------- device

    def get_status(self) -> dict[str, Any]:
        """``GET /status``."""
        return {"uptime": self.uptime()}

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
        """``PUT /device/manufacturing_state``: forward only, never back or in place."""
        target = _require_object(body).get("manufacturingState")
        if target not in MANUFACTURING_STATES[1:]:
            raise _invalid()
        current = self.manufacturing_state
        if current == "Unknown" or MANUFACTURING_STATES.index(target) <= MANUFACTURING_STATES.index(
            current
        ):
            raise DeviceError(400, Code.EPERM)
        self.manufacturing_state = target
        self.log_event(f"manufacturing state {current} -> {target}")
        return {}

    def get_log(self) -> bytes:
        """``GET /log``: the binary diagnostic log."""
        header = struct.pack("<4sII", b"ASLH", len(self._log), self._log_seq)
        return header + b"".join(self._log)

    def get_telemetry(self) -> bytes:
        """``GET /telemetry``: the binary error reports."""
        return bytes(self.telemetry)

    def clear_telemetry(self) -> dict[str, Any]:
        """``DELETE /telemetry``."""
        self.telemetry.clear()
        return {}

    # ------------------------------------------------------------ restarting

    def request_restart(self, downtime: float | None = None) -> None:
        """Restart the device (``POST /restart`` calls this once its answer is out)."""
        downtime = self.config.restart_downtime if downtime is None else downtime
        if self.restart_handler is not None:
            self.restart_handler(downtime)
            return
        self.reboot()
        self.down_until = time.monotonic() + downtime
        self._booted_at = self.down_until

    def reboot(self) -> None:
        """What a restart does to the state: staged images vanish, apps restart per mode."""
        self.stats.restarts += 1
        self.add_telemetry(2, "restart requested")
        self.staged.clear()
        for component in self.components.values():
            if component.is_application:
                self._set_app_running(component, not component.manual)
        self.wifi_failures.clear()
        self._booted_at = time.monotonic()
        self.log_event("boot: restart")
        self._evaluate_wifi()

    def mark_booted(self) -> None:
        """The device finished booting now (uptime counts from here)."""
        self._booted_at = time.monotonic()

    # ---------------------------------------------------------------- images

    @property
    def storage_used(self) -> int:
        """Bytes of application storage used by installed and staged images."""
        installed = sum(c.info.length for c in self.components.values())
        return installed + sum(info.length for info in self.staged.values())

    @property
    def free_space(self) -> int:
        """Bytes of application storage left."""
        return max(0, self.config.storage_capacity - self.storage_used)

    def begin_stage(self, expected_length: int | None) -> StagingUpload:
        """Start ``PUT /update/stage`` (``expected_length`` from ``Content-Length``)."""
        if self.ota_update_in_progress:
            raise DeviceError(409, Code.OTA_IN_PROGRESS)
        return StagingUpload(self, expected_length)

    def install(self, body: Any) -> tuple[dict[str, Any], bool]:
        """``POST /update/install``: install all staged images.  Returns (answer, restart?)."""
        manual = False
        if body is not None:
            mode = _require_object(body).get("appControlMode")
            if mode not in (None, "Manual", "Auto"):
                raise _invalid()
            manual = mode == "Manual"
        restart = False
        for component_id, info in list(self.staged.items()):
            component = InstalledComponent(info, manual=manual)
            old = self.components.get(component_id)
            if old is not None:
                component.usage_kb = old.usage_kb
            self.components[component_id] = component
            if info.is_application:
                self._set_app_running(component, not manual)
            else:
                restart = True
            self.log_event(f"installed {component_id} {info.name}")
        self.staged.clear()
        return ({"restartingSystem": True} if restart else {}), restart

    def _image_json(
        self,
        component_id: str,
        *,
        image_id: str,
        image_type: int,
        length: int,
        name: str,
        requires_restart: bool,
    ) -> dict[str, Any]:
        """One entry of ``GET /images``'s ``components``."""
        return {
            "uid": component_id,
            "image_type": image_type,
            "is_update_staged": component_id in self.staged,
            "does_image_type_require_restart": requires_restart,
            "images": [
                {
                    "uid": image_id,
                    "length_in_bytes": length,
                    "uncompressed_length_in_bytes": length,
                    "replica_type": 0,
                }
            ],
            "name": name,
        }

    def get_images(self) -> dict[str, Any]:
        """``GET /images``: OS components (unless replaced by an update), then installed images."""
        components = [
            self._image_json(
                os_component.component_id,
                image_id=os_component.image_id,
                image_type=os_component.image_type,
                length=os_component.length,
                name=os_component.name,
                requires_restart=os_component.requires_restart,
            )
            for os_component in self.config.os_components
            if os_component.component_id not in self.components
        ]
        components += [
            self._image_json(
                component_id,
                image_id=component.info.image_id,
                image_type=component.info.image_type,
                length=component.info.length,
                name=component.info.name,
                requires_restart=not component.info.is_application,
            )
            for component_id, component in self.components.items()
        ]
        return {
            "is_ota_update_in_progress": self.ota_update_in_progress,
            "has_staged_updates": bool(self.staged),
            "restart_required": False,
            "components": components,
        }

    # ------------------------------------------------------------------ apps

    def _app(self, component_id: str) -> InstalledComponent | None:
        component = self.components.get(check_component_id(component_id))
        return component if component is not None and component.is_application else None

    def _set_app_running(self, component: InstalledComponent, running: bool) -> None:
        if running:
            component.state = "running"
            component.pid = self._next_pid
            self._next_pid += 1
        else:
            component.state = "stopped"
            component.pid = None

    def get_app_status(self, component_id: str) -> dict[str, Any]:
        """``GET /app/status/{componentId}``: ``notPresent`` for unknown components."""
        app = self._app(component_id)
        return {"state": app.state if app is not None else "notPresent"}

    def set_app_status(self, component_id: str, body: Any) -> dict[str, Any]:
        """``PATCH /app/status/{componentId}``: start, stop or startDebug."""
        app = self._app(component_id)
        trigger = _require_object(body).get("trigger")
        if trigger not in ("start", "stop", "startDebug"):
            raise _invalid()
        if app is None:
            raise DeviceError(400, Code.APP_NOT_PRESENT)
        if trigger == "stop":
            if app.state != "stopped":
                self.add_telemetry(3, f"app {app.info.component_id} exited: stopped by request")
            self._set_app_running(app, False)
        elif trigger == "start" and app.state != "running":
            self._set_app_running(app, True)
        elif trigger == "startDebug":
            self._set_app_running(app, True)
            app.state = "debugging"
        self.log_event(f"app {app.info.component_id} {trigger} -> {app.state}")
        answer: dict[str, Any] = {"state": app.state}
        if app.info.is_real_time:
            answer["realTimeCore"] = 0
        return answer

    def remove_component(self, component_id: str) -> dict[str, Any]:
        """``DELETE /app/image/{componentId}``."""
        component_id = check_component_id(component_id)
        if self.components.pop(component_id, None) is None:
            raise DeviceError(400, Code.APP_NOT_PRESENT)
        self.staged.pop(component_id, None)
        self.log_event(f"removed {component_id}")
        return {"restartingSystem": False} if self.feature("delete_restarting_system") else {}

    def get_app_quota(self, component_id: str) -> dict[str, Any]:
        """``GET /app/quota/{componentId}``."""
        app = self._app(component_id)
        if app is None:
            raise DeviceError(404, Code.QUOTA_UNAVAILABLE)
        return {"UsageKB": app.usage_kb, "LimitKB": app.info.mutable_storage_kb}

    def get_memory_stats(self) -> dict[str, Any]:
        """``GET /stats/memory/groups/applications``: figures for running apps."""
        apps = []
        total = user = peak = 0
        for component_id, component in self.components.items():
            if not component.is_application or component.pid is None:
                continue
            seed = int.from_bytes(hashlib.sha256(component_id.encode()).digest()[:4], "little")
            used = 32_768 + (seed % 16) * 4096
            user += used
            peak += used + 16_384
            total += used + 49_152
            apps.append(
                {
                    "componentId": component_id.upper(),
                    "processes": [
                        {
                            "pid": component.pid,
                            "heapUsageByCaller": [
                                {"name": component.info.name or "app", "usageInBytes": used // 2}
                            ],
                        }
                    ],
                }
            )
        return {
            "memoryStats": {
                "currentMemoryUsageInBytes": total,
                "userModeMemoryUsageInBytes": user,
                "peakUserModeMemoryUsageInBytes": peak,
            },
            "apps": apps,
        }

    # ------------------------------------------------------------ certificates

    @property
    def cert_space(self) -> int:
        """Bytes left in the certificate store."""
        used = sum(cert.size for cert in self.certificates.values())
        return max(0, self.config.cert_store_capacity - used)

    def list_certificates(self) -> dict[str, Any]:
        """``GET /certstore/certs``."""
        return {"identifiers": list(self.certificates)}

    def _certificate(self, identifier: str) -> StoredCertificate:
        check_identifier(identifier)
        cert = self.certificates.get(identifier)
        if cert is None:
            raise DeviceError(404, Code.CERT_NOT_FOUND)
        return cert

    def get_certificate(self, identifier: str) -> dict[str, Any]:
        """``GET /certstore/certs/{identifier}``."""
        return self._certificate(identifier).info()

    def add_certificate(self, identifier: str, body: Any) -> dict[str, Any]:
        """``POST /certstore/certs/{identifier}`` (an existing identifier is replaced)."""
        check_identifier(identifier)
        cert = parse_certificate_request(identifier, body)
        existing = self.certificates.get(identifier)
        available = self.cert_space + (existing.size if existing is not None else 0)
        if cert.size > available:
            raise DeviceError(400, Code.CERT_STORE_FULL)
        self.certificates[identifier] = cert
        self.log_event(f"certificate {identifier} added ({cert.cert_type})")
        self._evaluate_wifi()
        return {}

    def remove_certificate(self, identifier: str) -> dict[str, Any]:
        """``DELETE /certstore/certs/{identifier}``."""
        self._certificate(identifier)
        del self.certificates[identifier]
        self.log_event(f"certificate {identifier} removed")
        self._evaluate_wifi()
        return {}

    def get_cert_space(self) -> dict[str, Any]:
        """``GET /certstore/space`` (a string of bytes, as devices send it)."""
        return {"AvailableSpace": str(self.cert_space)}

    # ------------------------------------------------------------------ Wi-Fi

    def _network(self, network_id: str) -> WifiNetwork:
        network = self.wifi_networks.get(self._network_id(network_id))
        if network is None:
            raise DeviceError(404, Code.WIFI_NETWORK_NOT_FOUND)
        return network

    @staticmethod
    def _network_id(network_id: str) -> int:
        if not re.fullmatch(r"\d{1,9}", network_id):
            raise DeviceError(400, Code.INVALID_URI)
        return int(network_id)

    def list_wifi_networks(self) -> dict[str, Any]:
        """``GET /wifi/config/networks``."""
        return {"values": [n.to_json() for n in sorted(self.wifi_networks.values(), key=_by_id)]}

    def get_wifi_network(self, network_id: str) -> dict[str, Any]:
        """``GET /wifi/config/networks/{id}``."""
        return self._network(network_id).to_json()

    @staticmethod
    def _check_psk(psk: Any) -> str:
        if not isinstance(psk, str):
            raise _invalid()
        if len(psk) < 8:
            raise DeviceError(400, Code.WIFI_PSK_TOO_SHORT)
        if len(psk) > 63:
            raise DeviceError(400, Code.WIFI_KEY_TOO_LONG)
        return psk

    def add_wifi_network(self, body: Any) -> dict[str, Any]:
        """``POST /wifi/config/networks``: answers the new network (201)."""
        body = _require_object(body)
        ssid = body.get("ssid")
        if not isinstance(ssid, str) or not ssid:
            raise _invalid()
        if len(ssid.encode()) > 32:
            raise DeviceError(400, Code.WIFI_SSID_TOO_LONG)
        security = body.get("securityState")
        if security not in ("open", "psk", "eaptls"):
            raise _invalid()
        name = body.get("configName")
        if name is not None:
            if not isinstance(name, str) or not name:
                raise _invalid()
            if len(name) > 16:
                raise DeviceError(400, Code.CONFIG_NAME_TOO_LONG)
            if any(n.config_name == name for n in self.wifi_networks.values()):
                raise DeviceError(400, Code.WIFI_DUPLICATE_CONFIG_NAME)
        config_state = body.get("configState", "enabled")
        if config_state not in ("enabled", "disabled"):
            raise _invalid()
        targeted = _optional_bool(body, "targetedScan") or False
        network = WifiNetwork(-1, ssid, security, config_state, name, targeted)
        if security == "psk":
            network.psk = self._check_psk(body.get("psk"))
        elif "psk" in body:
            raise _invalid()
        if security == "eaptls":
            client_cert = body.get("clientCertStoreIdentifier")
            if not isinstance(client_cert, str):
                raise DeviceError(400, Code.WIFI_INVALID_PROPERTIES)
            check_identifier(client_cert)
            identity = body.get("clientIdentity")
            if identity is None or identity == "":
                raise DeviceError(400, Code.WIFI_CLIENT_ID_MISSING)
            if not isinstance(identity, str) or len(identity) > 254:
                raise _invalid()
            root = body.get("rootCaCertStoreIdentifier")
            if root is not None:
                if not isinstance(root, str):
                    raise _invalid()
                check_identifier(root)
            network.client_cert_id, network.client_identity = client_cert, identity
            network.root_ca_cert_id = root
        if len(self.wifi_networks) >= self.config.max_wifi_networks:
            raise DeviceError(400, Code.WIFI_NO_RESOURCES)
        network.id = max(self.wifi_networks, default=-1) + 1
        self.wifi_networks[network.id] = network
        self.log_event(f"wifi network {network.id} added")
        answer = network.to_json()
        # A device answers before it tries to connect.
        answer["connectionState"] = "unknown"
        self._evaluate_wifi()
        return answer

    def change_wifi_network(self, network_id: str, body: Any) -> dict[str, Any]:
        """``PATCH /wifi/config/networks/{id}``: configState and/or psk."""
        network = self._network(network_id)
        body = _require_object(body)
        if "configState" not in body and "psk" not in body:
            raise _invalid()
        config_state = body.get("configState")
        if config_state is not None and config_state not in ("enabled", "disabled"):
            raise _invalid()
        if "psk" in body:
            if network.security_state != "psk":
                raise _invalid()
            network.psk = self._check_psk(body["psk"])
            if network.config_state == "temp-disabled":
                network.config_state = "enabled"
        if config_state is not None:
            network.config_state = config_state
        self.log_event(f"wifi network {network.id} changed")
        self._evaluate_wifi()
        return network.to_json()

    def remove_wifi_network(self, network_id: str) -> dict[str, Any]:
        """``DELETE /wifi/config/networks/{id}``."""
        network = self._network(network_id)
        del self.wifi_networks[network.id]
        self.wifi_failures.pop(network.id, None)
        self.log_event(f"wifi network {network.id} removed")
        self._evaluate_wifi()
        return {}

    def get_wifi_failures(self) -> dict[str, Any]:
        """``GET /wifi/diagnostics/networks``: the latest failure of each network."""
        return {"values": [self.wifi_failures[k] for k in sorted(self.wifi_failures)]}

    def get_wifi_failure(self, network_id: str) -> dict[str, Any]:
        """``GET /wifi/diagnostics/networks/{id}``."""
        failure = self.wifi_failures.get(self._network_id(network_id))
        if failure is None:
            raise DeviceError(404, Code.WIFI_NETWORK_NOT_FOUND)
        return failure

    def get_wifi_scan(self) -> dict[str, Any]:
        """``GET /wifi/scan``."""
        if not self.interfaces["wlan0"].up:
            raise DeviceError(400, Code.WIFI_INTERFACE_DISABLED)
        return {
            "values": [
                {
                    "bssid": entry.bssid,
                    "freq": entry.freq,
                    "signal_level": entry.signal_level,
                    "ssid": entry.ssid,
                    "securityState": entry.security_state,
                }
                for entry in self.scan_results
            ]
        }

    def _scan_entry(self, ssid: str) -> WifiScanEntry | None:
        matches = [entry for entry in self.scan_results if entry.ssid == ssid]
        return max(matches, key=lambda entry: entry.signal_level, default=None)

    def get_wifi_interface(self) -> dict[str, Any]:
        """``GET /wifi/interface``."""
        wlan = self.interfaces["wlan0"]
        body: dict[str, Any]
        network = self._connected()
        entry = self._scan_entry(network.ssid) if network is not None else None
        if network is not None and entry is not None:
            body = {
                "ssid": network.ssid,
                "configState": network.config_state,
                "connectionState": "connected",
                "securityState": network.security_state,
                "mode": "station",
                "key_mgmt": _KEY_MGMT[network.security_state],
                "wpa_state": "COMPLETED",
                "address": wlan.hardware_address,
                "freq": entry.freq,
                "ip_address": self.config.wlan_ip,
                "id": network.id,
            }
            if network.config_name is not None:
                body["configName"] = network.config_name
        else:
            enabled = any(n.config_state == "enabled" for n in self.wifi_networks.values())
            if not wlan.up:
                wpa_state = "INTERFACE_DISABLED"
            else:
                wpa_state = "SCANNING" if enabled else "INACTIVE"
            body = {
                "configState": "unknown",
                "connectionState": "disconnected",
                "securityState": "unknown",
                "mode": "station",
                "key_mgmt": "NONE",
                "wpa_state": wpa_state,
                "address": wlan.hardware_address,
            }
        if self.feature("power_savings"):
            body["powerSavingsState"] = "enabled" if self.power_savings else "disabled"
        return body

    def change_wifi_interface(self, body: Any) -> dict[str, Any]:
        """``PATCH /wifi/interface``: reloadConfig, enablePowerSavings (4.6.0)."""
        body = _require_object(body)
        reload = _optional_bool(body, "reloadConfig")
        power = _optional_bool(body, "enablePowerSavings")
        if power is not None and not self.feature("power_savings"):
            raise _invalid()
        if reload is None and power is None:
            raise _invalid()
        if power is not None:
            self.power_savings = power
        if reload:
            for network in self.wifi_networks.values():
                if network.config_state == "temp-disabled":
                    network.config_state = "enabled"
            self._evaluate_wifi()
        return {}

    def _evaluate_wifi(self) -> None:
        """Decide which configured network the device joins, logging failed attempts."""
        self.connected_network = None
        wlan_up = self.interfaces["wlan0"].up
        for network in sorted(self.wifi_networks.values(), key=_by_id):
            network.connection_state = "disconnected"
            if not wlan_up or network.config_state != "enabled":
                continue
            if self.connected_network is not None:
                continue
            entry = self._scan_entry(network.ssid)
            error = None
            if entry is None:
                error = "NetworkNotFound"
            elif entry.security_state != network.security_state:
                error = "SecurityTypeMismatch"
            elif network.security_state == "psk" and entry.psk not in (None, network.psk):
                error = "WrongKey"
            elif network.security_state == "eaptls" and (
                self.certificates.get(network.client_cert_id or "") is None
            ):
                error = "AuthenticationFailed"
            if error is None:
                network.connection_state = "connected"
                self.connected_network = network.id
                continue
            if error == "WrongKey":
                network.config_state = "temp-disabled"
            self.wifi_failures[network.id] = {
                "timestamp": self.device_time(),
                "networkId": network.id,
                "ssid": network.ssid,
                "configState": network.config_state,
                "connectionState": "disconnected",
                "error": error,
            }

    def _connected(self) -> WifiNetwork | None:
        if self.connected_network is None:
            return None
        return self.wifi_networks.get(self.connected_network)

    @property
    def internet(self) -> bool:
        """Whether the joined Wi-Fi network reaches the internet."""
        network = self._connected()
        entry = self._scan_entry(network.ssid) if network is not None else None
        return entry is not None and entry.internet

    # ---------------------------------------------------------------- network

    def _interface(self, name: str) -> NetInterface:
        interface = self.interfaces.get(name)
        if interface is None:
            raise DeviceError(404, Code.INVALID_INTERFACE)
        return interface

    def _interface_json(self, interface: NetInterface) -> dict[str, Any]:
        connected = interface.name == "wlan0" and self.connected_network is not None
        addresses = list(interface.fixed_addresses)
        if connected:
            addresses.append(self.config.wlan_ip)
        body: dict[str, Any] = {
            "interfaceName": interface.name,
            "interfaceUp": interface.up,
            "connectedToNetwork": connected,
            "ipAcquired": connected,
            "connectedToInternet": connected and self.internet,
            "ipAddresses": addresses,
        }
        if interface.ip_assignment is not None:
            body["ipAssignment"] = interface.ip_assignment
        if interface.hardware_address is not None and self.feature("hardware_address"):
            body["hardwareAddress"] = interface.hardware_address
        return body

    def list_interfaces(self) -> dict[str, Any]:
        """``GET /net/interfaces``."""
        return {"interfaces": [self._interface_json(i) for i in self.interfaces.values()]}

    def get_interface(self, name: str) -> dict[str, Any]:
        """``GET /net/interfaces/{name}``."""
        return self._interface_json(self._interface(name))

    def change_interface(self, name: str, body: Any) -> dict[str, Any]:
        """``PATCH /net/interfaces/{name}``: interfaceUp, hardwareAddress (eth0 only)."""
        interface = self._interface(name)
        body = _require_object(body)
        up = _optional_bool(body, "interfaceUp")
        address = body.get("hardwareAddress")
        if up is None and address is None:
            raise _invalid()
        if address is not None:
            if not interface.can_change_address:
                raise DeviceError(400, Code.INTERFACE_NOT_PERMITTED)
            if not isinstance(address, str) or not _MAC.fullmatch(address):
                raise DeviceError(400, Code.INVALID_HARDWARE_ADDRESS)
            if int(address[:2], 16) & 1 or address.replace(":", "").strip("0") == "":
                raise DeviceError(400, Code.INVALID_HARDWARE_ADDRESS)
        if up is not None and not interface.can_change_state:
            raise DeviceError(400, Code.INTERFACE_NOT_PERMITTED)
        if address is not None:
            interface.hardware_address = address.lower()
        if up is not None and up != interface.up:
            interface.up = up
            self.log_event(f"interface {name} {'up' if up else 'down'}")
            self._evaluate_wifi()
        return {}

    def get_proxy(self) -> dict[str, Any]:
        """``GET /net/proxy``: ``{}`` when no proxy is configured."""
        if self.proxy is None:
            return {}
        return {k: v for k, v in self.proxy.items() if k != "password"}

    def set_proxy(self, body: Any) -> dict[str, Any]:
        """``POST /net/proxy``: anonymous or basic; answers the proxy without its password."""
        body = _require_object(body)
        enabled = _optional_bool(body, "enabled")
        address = body.get("address")
        port = body.get("port")
        auth = body.get("authenticationType")
        no_proxy = body.get("noProxyAddresses", [])
        if not isinstance(address, str) or not 0 < len(address) <= 255:
            raise _invalid()
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port <= 65535:
            raise _invalid()
        if auth not in ("anonymous", "basic"):
            raise _invalid()
        if not isinstance(no_proxy, list) or not all(
            isinstance(a, str) and 0 < len(a) <= 255 for a in no_proxy
        ):
            raise _invalid()
        proxy: dict[str, Any] = {
            "address": address,
            "enabled": True if enabled is None else enabled,
            "port": port,
            "authenticationType": auth,
            "noProxyAddresses": list(no_proxy),
        }
        username, password = body.get("username"), body.get("password")
        if auth == "basic":
            for value in (username, password):
                if not isinstance(value, str) or not 0 < len(value) <= 63:
                    raise _invalid()
            proxy["username"], proxy["password"] = username, password
        elif username is not None or password is not None:
            raise _invalid()
        self.proxy = proxy
        self.log_event(f"proxy set to {address}:{port} ({auth})")
        return self.get_proxy()

    def delete_proxy(self) -> dict[str, Any]:
        """``DELETE /net/proxy``."""
        self.proxy = None
        return {}

    def get_net_status(self) -> dict[str, Any]:
        """``GET /net/status``."""
        internet = self.internet
        if self.proxy is None or not self.proxy["enabled"]:
            proxy = "disabled"
        else:
            proxy = "ready" if internet else "enabled"
        return {
            "deviceAuthenticationIsReady": internet,
            "networkTimeSync": "complete" if internet else "incomplete",
            "proxy": proxy,
        }

    def get_firewall_rulesets(self) -> dict[str, Any]:
        """``GET /net/firewall/rulesets`` (service-port counters follow real traffic)."""
        rulesets = []
        for hook in _HOOKS:
            rules = []
            for rule in self.config.firewall_rules:
                if rule.hook != hook:
                    continue
                packets = self.stats.requests if rule.counts_service_traffic else 0
                octets = self.stats.bytes_received if rule.counts_service_traffic else 0
                rules.append(
                    {
                        "sourceIP": rule.source_ip,
                        "sourceMask": rule.source_mask,
                        "destinationIP": rule.destination_ip,
                        "destinationMask": rule.destination_mask,
                        "uid": rule.uid,
                        "action": rule.action,
                        "interfaceInName": rule.interface_in,
                        "interfaceOutName": rule.interface_out,
                        "state": rule.state,
                        "tcpMask": [],
                        "tcpCmp": [],
                        "tcpInv": False,
                        "protocol": rule.protocol,
                        "sourcePortRange": {"min": 0, "max": 65535},
                        "destinationPortRange": {"min": 0, "max": 65535},
                        "packets": packets,
                        "bytes": octets,
                    }
                )
            rulesets.append({"hook": hook, "isValid": bool(rules), "rules": rules})
        return {"rulesets": rulesets}


def _by_id(network: WifiNetwork) -> int:
    return network.id
