"""What a board has now, read once for readiness checks and plans, knowing what its state locks.

The manufacturing state is read first (any board answers it, and a board that cannot be
reached fails here, once). In ``DeviceComplete`` the board locks every call whose
authorizer is not ``None`` in the OpenAPI description (``GET /images``, Wi-Fi, certificates)
unless it holds appDevelopment (11) or fieldServicing (13): the capabilities are read next
(an open call), and a locked board is not asked the rest at all: those facts are
:attr:`DeviceFacts.locked`, never a pile of 403s. ``GET /osversion`` stays open (its
authorizer is ``None``). Boards whose REST API is older
than 4.5.0 have no ``/osversion``; their OS release is told from their images with
Microsoft's list of releases (:class:`~azsphere_async.os_releases.OsReleases`), when given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

import anyio
import attrs

from .client import DeviceClient
from .errors import (
    DeviceError,
    DeviceUnreachableError,
    TLSVerificationError,
    UnsupportedVersionError,
)
from .models import ComponentDetails, ManufacturingState, WifiNetwork
from .os_releases import OsReleases

__all__ = [
    "LOCKED_IN_DEVICE_COMPLETE",
    "UNLOCKING_CAPABILITIES",
    "DeviceFacts",
    "FactsWanted",
    "gather_facts",
]

T = TypeVar("T")

#: The facts a board in DeviceComplete will not tell (their calls need REST access).
LOCKED_IN_DEVICE_COMPLETE: Final = frozenset({"images", "wifi", "certificates"})
#: Capabilities that open a DeviceComplete board's REST API again: appDevelopment (11) and
#: fieldServicing (13) (Manufacturing/src/README.md in Azure/azure-sphere-tools; the docs'
#: "device capabilities"). enableRFTestMode (12), which Blank boards carry, does not.
UNLOCKING_CAPABILITIES: Final = frozenset({11, 13})


@attrs.frozen(kw_only=True)
class FactsWanted:
    """Which facts to read beyond the manufacturing state, OS version and images.

    ``os_releases`` tells the OS from the images on boards without ``/osversion``.
    """

    capabilities: bool = True
    wifi: bool = True
    certificates: bool = False
    os_releases: OsReleases | None = None


@attrs.frozen(kw_only=True)
class DeviceFacts:
    """What was read from one board.

    A fact that could not be read is ``None`` and says why in ``errors``; one the board's
    manufacturing state locks is ``None`` and named in ``locked``. ``os_version_source`` says
    where the OS version came from: ``"/osversion"`` or the list of releases.
    """

    address: str
    manufacturing_state: str | None = None
    os_version: str | None = None
    os_version_source: str | None = None
    rest_api_version: str | None = None
    components: tuple[ComponentDetails, ...] | None = None
    capabilities: tuple[int, ...] | None = None
    wifi_networks: tuple[WifiNetwork, ...] | None = None
    certificates: tuple[str, ...] | None = None
    locked: frozenset[str] = frozenset()
    errors: dict[str, str] = attrs.field(factory=dict)

    @property
    def wifi_ssids(self) -> tuple[str, ...] | None:
        """The SSIDs of the configured networks (``None`` when not read)."""
        if self.wifi_networks is None:
            return None
        return tuple(network.ssid or "" for network in self.wifi_networks)

    @property
    def device_complete(self) -> bool:
        """Whether the board is finalized (and so locks most calls)."""
        return self.manufacturing_state == ManufacturingState.DEVICE_COMPLETE.value


def describe_failure(exc: Exception) -> str:
    """A failure without the board's address (the report names the board), with its hint."""
    if isinstance(exc, DeviceError):
        return f"{exc.detail}; {exc.hint}" if exc.hint else exc.detail
    return str(exc) or type(exc).__name__


async def _read(errors: dict[str, str], fact: str, call: Callable[[], Awaitable[None]]) -> None:
    try:
        await call()
    except Exception as exc:
        errors[fact] = describe_failure(exc)


def _no_os_version(rest_api: str | None, releases: OsReleases | None) -> str:
    if releases is None:
        return (
            f"the board's REST API ({rest_api}) has no /osversion (4.5.0 and later); give a "
            "list of OS releases (mt3620an.json) to tell its OS from its images"
        )
    return f"its images match no release in {releases.source}"


async def gather_facts(client: DeviceClient, wanted: FactsWanted | None = None) -> DeviceFacts:
    """Read one board's facts, as many at once as possible; failures land in ``errors``.

    A board that cannot be reached (or whose certificate is refused) raises, once.
    """
    wanted = wanted or FactsWanted()
    errors: dict[str, str] = {}
    found: dict[str, Any] = {}

    async def capabilities() -> None:
        answer = await client.capabilities.get()
        found["capabilities"] = tuple(answer.capabilities or ())

    try:
        state = await client.manufacturing.get_state()
        found["manufacturing_state"] = str(state.value)
    except (DeviceUnreachableError, TLSVerificationError):
        raise
    except Exception as exc:
        errors["manufacturing"] = describe_failure(exc)
        state = ManufacturingState.UNKNOWN
    version = client.rest_api_version
    found["rest_api_version"] = None if version is None else str(version)
    needs_images = False

    async def os_version() -> None:
        nonlocal needs_images
        try:
            answer = await client.device.get_os_version()
        except UnsupportedVersionError as exc:
            found["rest_api_version"] = exc.actual
            needs_images = True
            return
        found["os_version"] = answer.os_version
        found["os_version_source"] = "/osversion"

    async def components() -> None:
        answer = await client.image.get_images()
        found["components"] = tuple(answer.components or ())

    async def wifi() -> None:
        found["wifi_networks"] = tuple(await client.wifi.get_networks())

    async def certificates() -> None:
        found["certificates"] = tuple(await client.certificates.list())

    locked: frozenset[str] = frozenset()
    if state is ManufacturingState.DEVICE_COMPLETE:
        # Only a capability opens a finalized board: ask which it holds before anything else.
        await _read(errors, "capabilities", capabilities)
        if not set(found.get("capabilities") or ()) & UNLOCKING_CAPABILITIES:
            locked = LOCKED_IN_DEVICE_COMPLETE
    readers: dict[str, Callable[[], Awaitable[None]]] = {"os": os_version}
    if "images" not in locked:
        readers["images"] = components
    if wanted.capabilities and "capabilities" not in found and "capabilities" not in errors:
        readers["capabilities"] = capabilities
    if wanted.wifi and "wifi" not in locked:
        readers["wifi"] = wifi
    if wanted.certificates and "certificates" not in locked:
        readers["certificates"] = certificates
    async with anyio.create_task_group() as group:
        for fact, reader in readers.items():
            group.start_soon(_read, errors, fact, reader)
    os_locked = False
    if needs_images:
        releases = wanted.os_releases
        release = None
        if releases is not None and found.get("components") is not None:
            release = releases.identify(found["components"])
        if release is not None:
            assert releases is not None
            found["os_version"] = release.name
            found["os_version_source"] = releases.source
        elif "images" in locked:
            os_locked = True
        elif "images" in errors:
            errors["os"] = "told from GET /images, which failed: " + errors["images"]
        else:
            errors["os"] = _no_os_version(found["rest_api_version"], releases)
    shown_locked = locked | ({"os"} if os_locked else set())
    if not wanted.wifi:
        shown_locked -= {"wifi"}
    if not wanted.certificates:
        shown_locked -= {"certificates"}
    return DeviceFacts(
        address=client.address, errors=errors, locked=frozenset(shown_locked), **found
    )
