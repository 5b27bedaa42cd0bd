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

import anyio
import attrs
import httpx

from .codings import ACCEPTED_CODINGS, CodingError, DecodedTooLarge, read_decoded
from .errors import DiscoveryError, InvalidArgumentError
from .options import DEFAULT_ADDRESS
from .validation import check_address

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


def _shown(value: object) -> str:
    """A value from the service, as text safe to show (escaped, and cut short)."""
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


async def _dcs_call(method: str, url: str, path: str, timeout: float) -> Any:
    """The service's JSON answer to ``method path``, all of it within ``timeout`` seconds."""
    with anyio.move_on_after(timeout):
        return await _dcs_exchange(method, url, path, timeout)
    raise DiscoveryError(url, f"{method} {path} did not answer within {timeout} s", answered=False)


async def _dcs_exchange(method: str, url: str, path: str, timeout: float) -> Any:
    headers = {"Accept": "application/json", "Accept-Encoding": ACCEPTED_CODINGS}
    async with httpx.AsyncClient(
        base_url=url, timeout=timeout, trust_env=False, headers=headers
    ) as client:
        try:
            async with client.stream(method, path) as response:
                body = await read_decoded(response, _MAX_DCS_ANSWER)
        except DecodedTooLarge:
            raise DiscoveryError(
                url, f"{method} {path} answered more than {_MAX_DCS_ANSWER} bytes", hint=_NOT_A_DCS
            ) from None
        except CodingError as exc:
            raise DiscoveryError(url, f"{method} {path} answered {exc}", hint=_NOT_A_DCS) from None
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
    except (ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise DiscoveryError(
            url, f"{method} {path} answered non-JSON ({why})", hint=_NOT_A_DCS
        ) from None


def _attached(url: str, entry: object) -> AttachedDevice:
    """One entry of the device list, its address checked like any other."""
    if not isinstance(entry, dict) or not isinstance(entry.get("IpAddress"), str):
        raise DiscoveryError(
            url, f"a device entry lacks IpAddress: {_shown(entry)}", hint=_NOT_A_DCS
        )
    try:
        address = check_address(entry["IpAddress"])
    except InvalidArgumentError as exc:
        # The one gate's own error, saying where the address came from.
        raise InvalidArgumentError(
            exc.argument,
            f"{exc.given}, listed by the Device Communication Service at {url}",
            exc.allowed,
        ) from None
    path = entry.get("DeviceConnectionPath", "")
    return AttachedDevice(str(address), str(path) if path is not None else "")


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
    a device list); an address it lists that is not a board's is an
    :class:`~azsphere_async.errors.InvalidArgumentError`, like any other. ``timeout`` bounds the
    whole call, however slowly the service answers; its answer is read up to 1 MiB, decoded
    content codings included. Each address is checked and normalised as a client's would be.
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
    return [_attached(dcs_url, entry) for entry in body]


async def rescan_attached_devices(*, dcs_url: str = DEFAULT_DCS_URL, timeout: float = 30.0) -> int:
    """Ask the DCS to look for attached devices again; returns how many it found."""
    body = await _dcs_call("PUT", dcs_url, "/api/service/devices/rescan", timeout)
    if isinstance(body, bool) or not isinstance(body, int):
        raise DiscoveryError(
            dcs_url, f"the rescan answer is not a number: {_shown(body)}", hint=_NOT_A_DCS
        )
    return body
