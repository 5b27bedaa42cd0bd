"""Models of the device-wide calls: status, versions, security, capabilities, manufacturing."""

from __future__ import annotations

import attrs

from ._wire import TolerantStrEnum, wire

__all__ = [
    "DeviceCapabilities",
    "DeviceSecurityState",
    "DeviceStatus",
    "ManufacturingState",
    "ManufacturingStatus",
    "OsVersion",
    "SecurityState",
    "SystemRestart",
]


class DeviceSecurityState(TolerantStrEnum):
    """How far the device's security is locked down."""

    TEST = "TEST"
    BLANK = "BLANK"
    SECURE = "SECURE"
    EOL = "EOL"
    UNKNOWN = "UNKNOWN"


class ManufacturingState(TolerantStrEnum):
    """Where the device is in manufacturing; it only ever moves forward.

    ``Blank`` -> ``Module1Complete`` -> ``DeviceComplete``; ``Unknown`` is reported when the
    device cannot tell.
    """

    BLANK = "Blank"
    MODULE1_COMPLETE = "Module1Complete"
    DEVICE_COMPLETE = "DeviceComplete"
    UNKNOWN = "Unknown"

    @property
    def rank(self) -> int | None:
        """Position in the forward order (0 for Blank), or ``None`` for Unknown and new values."""
        return _MANUFACTURING_ORDER.get(self)


_MANUFACTURING_ORDER = {
    ManufacturingState.BLANK: 0,
    ManufacturingState.MODULE1_COMPLETE: 1,
    ManufacturingState.DEVICE_COMPLETE: 2,
}


@wire()
@attrs.frozen(kw_only=True)
class DeviceStatus:
    """``GET /status``: seconds since the device started."""

    uptime: int | None = None


@wire(os_version="osversion")
@attrs.frozen(kw_only=True)
class OsVersion:
    """``GET /osversion``: the Azure Sphere OS release, such as ``22.11``."""

    os_version: str | None = None


@wire()
@attrs.frozen(kw_only=True)
class SecurityState:
    """``GET /device/security_state``: security state and device identifier."""

    security_state: DeviceSecurityState | None = None
    device_identifier: str | None = None
    #: Deprecated by the API; older devices still send it.
    device_identity_public_key: str | None = None


@wire(capabilities="device_capabilities")
@attrs.frozen(kw_only=True)
class DeviceCapabilities:
    """``GET /device/capabilities``: the numbers of the capabilities the device has."""

    capabilities: tuple[int, ...] | None = None

    def has(self, capability: int) -> bool:
        """Whether the capability with this number is present."""
        return capability in (self.capabilities or ())


@wire()
@attrs.frozen(kw_only=True)
class ManufacturingStatus:
    """``GET /device/manufacturing_state`` (and the body of its PUT)."""

    manufacturing_state: ManufacturingState | None = None


@wire()
@attrs.frozen(kw_only=True)
class SystemRestart:
    """Answer of calls that may restart the device (``None`` when the device did not say)."""

    restarting_system: bool | None = None
