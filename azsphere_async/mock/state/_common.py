"""What every part of the state shares: the REST API level, and checks on request bodies."""

from __future__ import annotations

import re
from typing import Any, Final

from ..errors import Code, DeviceRefusal
from ..spec import API_VERSION_CHANGES, parse_version

__all__ = ["ApiLevel", "check_component_id", "invalid", "optional_bool", "require_object"]

_UID: Final = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
)


class ApiLevel:
    """The REST API version a device speaks; calls and fields newer than it are absent."""

    def __init__(self, version: str) -> None:
        parse_version(version)
        self.version = version

    def at_least(self, version: str) -> bool:
        """Whether the device's REST API version is ``version`` or newer."""
        return parse_version(self.version) >= parse_version(version)

    def feature(self, name: str) -> bool:
        """Whether a versioned change (a key of ``spec.API_VERSION_CHANGES``) is in effect."""
        return self.at_least(API_VERSION_CHANGES[name])


def check_component_id(component_id: str) -> str:
    """Refuse a malformed component ID in a path (400, 15728642); return it lower-cased."""
    if not _UID.fullmatch(component_id):
        raise DeviceRefusal(400, Code.INVALID_URI)
    return component_id.lower()


def invalid() -> DeviceRefusal:
    """The refusal of a malformed or incomplete body: 400 with 22 (EINVAL)."""
    return DeviceRefusal(400, Code.EINVAL)


def require_object(body: Any) -> dict[str, Any]:
    """The body as a JSON object, or the EINVAL refusal."""
    if not isinstance(body, dict):
        raise invalid()
    return body


def optional_bool(body: dict[str, Any], key: str) -> bool | None:
    """``body[key]`` when it is a boolean, ``None`` when absent or null; else EINVAL."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid()
    return value
