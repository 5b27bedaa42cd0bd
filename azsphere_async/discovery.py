"""Finding attached devices: the Device Communication Service, and the Linux ``sl0`` fallback.

On Windows, and on Linux with SDK 23.04 or later, the Device Communication Service (DCS) on
``http://localhost:48938`` lists attached devices. On older Linux set-ups a single device
appears as network interface ``sl0`` at ``192.168.35.2``; when the DCS cannot be reached,
:func:`list_attached_devices` falls back to that.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import attrs
import httpx

from .errors import DiscoveryError
from .options import DEFAULT_ADDRESS

__all__ = [
    "DEFAULT_DCS_URL",
    "AttachedDevice",
    "list_attached_devices",
    "rescan_attached_devices",
]

logger = logging.getLogger("azsphere_async")

#: Where the Device Communication Service listens.
DEFAULT_DCS_URL: Final = "http://localhost:48938"

_SL0: Final = Path("/sys/class/net/sl0")
_NOT_A_DCS: Final = "is the URL that of the Azure Sphere Device Communication Service?"

# A list of a few hundred devices is a few tens of KiB; anything far larger is not a DCS.
_MAX_DCS_ANSWER: Final = 1024 * 1024


@attrs.frozen
class AttachedDevice:
    """One attached device: the address to give a client, and its connection path."""

    address: str
    connection_path: str


async def _dcs_call(method: str, url: str, path: str, timeout: float) -> Any:
    body = bytearray()
    async with httpx.AsyncClient(base_url=url, timeout=timeout, trust_env=False) as client:
        try:
            async with client.stream(method, path) as response:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > _MAX_DCS_ANSWER:
                        raise DiscoveryError(
                            url,
                            f"{method} {path} answered more than {_MAX_DCS_ANSWER} bytes",
                            hint=_NOT_A_DCS,
                        )
        except httpx.HTTPError as exc:
            raise DiscoveryError(
                url, f"it did not answer ({type(exc).__name__}: {exc})", answered=False
            ) from exc
    if response.status_code != 200:
        raise DiscoveryError(
            url,
            f"{method} {path} answered HTTP {response.status_code} instead of 200",
            hint=_NOT_A_DCS,
        )
    try:
        return json.loads(body)
    except ValueError as exc:
        raise DiscoveryError(
            url, f"{method} {path} answered non-JSON ({exc})", hint=_NOT_A_DCS
        ) from None


async def list_attached_devices(
    *,
    dcs_url: str = DEFAULT_DCS_URL,
    timeout: float = 5.0,
    sl0_fallback: bool = True,
    sl0_present: Callable[[], bool] = _SL0.exists,
) -> list[AttachedDevice]:
    """The devices attached to this computer, in the order the DCS lists them.

    When the DCS cannot be reached and ``sl0_fallback`` is on, a present ``sl0`` interface
    means one device at ``192.168.35.2``; with neither, a
    :class:`~azsphere_async.errors.DiscoveryError` is raised (also for an answer that is not
    a device list).
    """
    try:
        body = await _dcs_call("GET", dcs_url, "/api/service/devices", timeout)
    except DiscoveryError as exc:
        if exc.answered:
            raise
        if sl0_fallback and sl0_present():
            logger.info("no Device Communication Service; using the device on interface sl0")
            return [AttachedDevice(DEFAULT_ADDRESS, "")]
        raise
    if not isinstance(body, list):
        raise DiscoveryError(dcs_url, "the device list is not a JSON array", hint=_NOT_A_DCS)
    devices = []
    for entry in body:
        if not isinstance(entry, dict) or not isinstance(entry.get("IpAddress"), str):
            raise DiscoveryError(
                dcs_url, f"a device entry lacks IpAddress: {entry!r}", hint=_NOT_A_DCS
            )
        path = entry.get("DeviceConnectionPath", "")
        devices.append(AttachedDevice(entry["IpAddress"], str(path) if path is not None else ""))
    return devices


async def rescan_attached_devices(*, dcs_url: str = DEFAULT_DCS_URL, timeout: float = 30.0) -> int:
    """Ask the DCS to look for attached devices again; returns how many it found."""
    body = await _dcs_call("PUT", dcs_url, "/api/service/devices/rescan", timeout)
    if isinstance(body, bool) or not isinstance(body, int):
        raise DiscoveryError(
            dcs_url, f"the rescan answer is not a number: {body!r}", hint=_NOT_A_DCS
        )
    return body
