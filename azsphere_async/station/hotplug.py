"""Hot-plug events: boards attached and detached, from the Device Communication Service.

:func:`watch_attached` polls the DCS (:func:`~azsphere_async.discovery.list_attached_devices`,
with a periodic rescan where the service has one) and yields a :class:`HotplugEvent` for every
board that appears or goes, keyed by its device ID and connection path (its USB slot).

A board that restarts leaves the DCS's list for a few seconds. It is not detached until it has
been gone for ``restart_grace`` seconds; if it comes back at the same path with the same device
ID within that time, nothing is reported, so a board restarting during provisioning is never a
new board. A board that comes back at another path, or a different board at the same path, is
a detach and an attach. When the DCS itself stops answering, one ``service_lost`` event is
yielded (and ``service_back`` once it answers again); boards are not declared detached for
what a silent service does not say.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Final, Literal

import anyio
import attrs

from ..client import DeviceClient
from ..discovery import DEFAULT_DCS_URL, list_attached_devices, rescan_attached_devices
from ..errors import AzsphereError, DiscoveryError, MalformedResponseError
from ..options import ClientOptions

__all__ = ["HotplugEvent", "Identify", "identify_device", "watch_attached"]

logger = logging.getLogger("azsphere_async")

EventKind = Literal["attached", "detached", "service_lost", "service_back"]

Identify = Callable[[str], Awaitable[str]]
"""Asks the board at an address for its device ID."""

_IDENTIFY_TIMEOUT: Final = 10.0


@attrs.frozen
class HotplugEvent:
    """A board attached or detached at ``connection_path``, or the DCS lost or back.

    ``device_id``, ``connection_path`` and ``address`` are empty for the service events;
    ``detail`` says why (for ``service_lost``: what the DCS failed with).
    """

    kind: EventKind
    device_id: str = ""
    connection_path: str = ""
    address: str = ""
    detail: str = ""


async def identify_device(address: str, options: ClientOptions | None = None) -> str:
    """The device ID of the board at ``address`` (``GET /device/security_state``)."""
    async with DeviceClient(address, options=options) as client:
        state = await client.device.get_security_state()
    if not state.device_identifier:
        raise MalformedResponseError(address, "the board did not say its device ID")
    return state.device_identifier


@attrs.define
class _Board:
    device_id: str
    address: str
    missing_since: float | None = None


async def watch_attached(
    *,
    dcs_url: str = DEFAULT_DCS_URL,
    interval: float = 1.0,
    rescan_every: float | None = 30.0,
    restart_grace: float = 30.0,
    identify: Identify | None = None,
    options: ClientOptions | None = None,
) -> AsyncGenerator[HotplugEvent, None]:
    """Yield attach and detach events until cancelled (or the caller stops iterating).

    Boards already attached when it starts are reported as attached first. ``interval``:
    seconds between polls; ``rescan_every``: seconds between rescans (``None``: never; a
    service that refuses rescans is not asked again); ``restart_grace``: how long a board may
    be off the list and still be the same board; ``identify``: how a board's device ID is read
    (default: :func:`identify_device` with ``options``). A board that does not say its ID yet
    is asked again at the next poll.
    """
    for name, value in (("interval", interval), ("restart_grace", restart_grace)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number of seconds >= 0, not {value!r}")
    if rescan_every is not None and not (math.isfinite(rescan_every) and rescan_every > 0):
        raise ValueError(f"rescan_every must be None or seconds > 0, not {rescan_every!r}")

    async def default_identify(address: str) -> str:
        return await identify_device(address, options)

    ask_id = identify if identify is not None else default_identify
    boards: dict[str, _Board] = {}  # by connection path
    service_up = True
    next_rescan = anyio.current_time() + rescan_every if rescan_every is not None else math.inf
    while True:
        now = anyio.current_time()
        if now >= next_rescan:
            try:
                await rescan_attached_devices(dcs_url=dcs_url)
            except DiscoveryError as exc:
                if exc.answered:
                    logger.info("the DCS does not rescan (%s); polling only", exc)
                    next_rescan = math.inf
            else:
                next_rescan = now + (rescan_every or math.inf)
        try:
            listed = await list_attached_devices(dcs_url=dcs_url, sl0_fallback=False)
        except DiscoveryError as exc:
            if service_up:
                service_up = False
                yield HotplugEvent("service_lost", detail=str(exc))
            await anyio.sleep(interval)
            continue
        if not service_up:
            service_up = True
            yield HotplugEvent("service_back")
        now = anyio.current_time()
        seen = {device.connection_path: device.address for device in listed}
        for path, board in list(boards.items()):
            if path in seen:
                continue
            if board.missing_since is None:
                board.missing_since = now
            if now - board.missing_since >= restart_grace:
                del boards[path]
                yield HotplugEvent("detached", board.device_id, path, board.address)
        for path, address in seen.items():
            known = boards.get(path)
            if known is not None and known.missing_since is None and known.address == address:
                continue
            try:
                device_id = await ask_id(address)
            except AzsphereError as exc:
                logger.debug("board at %s (path %r) not identified yet: %s", address, path, exc)
                continue
            if known is not None:
                if known.device_id == device_id:
                    known.missing_since = None  # back from a restart: the same board
                    known.address = address
                    continue
                del boards[path]
                yield HotplugEvent("detached", known.device_id, path, known.address)
            for other_path, other in list(boards.items()):
                if other.device_id == device_id:  # moved to another port
                    del boards[other_path]
                    yield HotplugEvent("detached", device_id, other_path, other.address)
            boards[path] = _Board(device_id, address)
            yield HotplugEvent("attached", device_id, path, address)
        await anyio.sleep(interval)
