"""Deploying an image package: stage, install and confirm, on one board or on a fleet.

:func:`deploy` puts a package on one board and confirms what the board then shows;
:func:`deploy_fleet` does it on every board of a fleet at once and hands back each board's
result as soon as it is ready. The package is checked once, before any board is contacted;
one of up to 4 MiB (any application) is also read once and sent from memory to every board,
and a larger one streams from its file to each board.
:meth:`DeviceClient.deploy <azsphere_async.client.DeviceClient.deploy>`,
:meth:`Fleet.deploy <azsphere_async.fleet.Fleet.deploy>` and
:meth:`Fleet.deploy_as_completed <azsphere_async.fleet.Fleet.deploy_as_completed>` call these.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Final, TypedDict, Unpack

import anyio
import attrs

from .errors import DeploymentError, InvalidArgumentError
from .imagepackage import ImagePackageInfo, inspect_image_in_thread, read_checked_package
from .models import AppControlMode, AppState, ComponentDetails
from .progress import Phase, tell_now
from .staging import (
    DEFAULT_CHUNK_SIZE,
    FleetProgressCallback,
    ProgressCallback,
    StagedImage,
    StageProgress,
)
from .ticker import shared_progress_reports
from .validation import check_bool, check_chunk_size, check_seconds

if TYPE_CHECKING:
    from .client import DeviceClient
    from .fleet import BoardResult, Fleet

__all__ = [
    "FLEET_PROGRESS_INTERVAL",
    "DeploySettings",
    "DeployablePackage",
    "Deployment",
    "deploy",
    "deploy_fleet",
]

#: A path to an image package, or its bytes.
DeployablePackage = str | os.PathLike[str] | bytes

# A package up to this size is read once for a whole fleet and sent from memory to every board
# (applications are tens of KiB); a larger one is streamed from its file to each board, so
# memory stays flat whatever its size.
_SHARED_PACKAGE_BYTES: Final = 4 * 1024 * 1024

#: Seconds between a board's progress reports in a fleet's deploy (a single upload's are
#: :data:`~azsphere_async.staging.PROGRESS_INTERVAL` apart). Once a second, as ``dd`` and
#: ``pv`` report: the ticker's wake-ups are most of what a small fleet's progress costs (each
#: about 0.1 ms with its first report, caches cold; ``benchmarks/``: deploy), and rates still
#: come from a 5 s window.
FLEET_PROGRESS_INTERVAL: Final = 1.0

# Fleets of more than this many boards spread their boards' reports over two wake-ups a
# second, half of the boards at each, so that no wake-up holds the event loop for long (a
# report reads the board's TCP_INFO and tells the callback: about 10 us on a loaded 2-core
# machine); a large fleet's view then moves twice a second.
_SPREAD_ABOVE: Final = 32

# How long a deploy waits for a started application to report "running".
_START_GRACE: Final = 10.0
_POLL_INTERVAL: Final = 0.2


class DeploySettings(TypedDict, total=False):
    """How a deploy goes, the same on every board.

    ``start``: start an application after installing it (``False`` installs it with
    ``appControlMode: Manual``; default ``True``). ``chunk_size``: bytes per chunk of the
    upload (default 512 KiB). ``restart_timeout``: seconds to wait for a board that the
    install restarts (default 120).
    """

    start: bool
    chunk_size: int
    restart_timeout: float


@attrs.frozen
class Deployment:
    """What a deploy put on the device, as the device itself reports it afterwards.

    ``component`` is the device's ``GET /images`` entry for a non-application image (``None``
    for an application, which its own status confirms without listing every image);
    ``app_state`` is the application's state (``None`` for a non-application image);
    ``restarted`` tells whether the install restarted the device; ``elapsed`` is the whole
    deploy's time in seconds, from the first byte staged to the confirmation.
    """

    package: ImagePackageInfo
    staged: StagedImage
    component: ComponentDetails | None
    app_state: AppState | None
    restarted: bool
    elapsed: float


def _checked_image(image: object) -> DeployablePackage:
    if not isinstance(image, bytes | str | os.PathLike):
        raise InvalidArgumentError("image", type(image).__name__, "a path or bytes")
    return image


async def deploy(
    client: DeviceClient,
    image: DeployablePackage,
    *,
    start: bool = True,
    progress: ProgressCallback | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    restart_timeout: float = 120.0,
    package: ImagePackageInfo | None = None,
) -> Deployment:
    """Stage and install an image package on one board, then confirm what it now has.

    The package is checked before any traffic (``package`` is its metadata if the caller
    has read it already). After the install, an application must be present and running
    (``start=True``) or stopped (``start=False``, installed with ``appControlMode: Manual``),
    as ``GET /app/status`` reports it; any other image must be listed by ``GET /images``.
    Otherwise :class:`~azsphere_async.errors.DeploymentError` says what the device shows
    instead. On a session that knows the device's version, an application that starts at once
    takes three requests: stage, install, status. If the install restarts the device, this
    waits (up to ``restart_timeout`` seconds) for it to come back before confirming.
    ``progress`` hears the upload's progress (see :func:`~azsphere_async.staging.stage_image`),
    whose last report (the board has every byte) says ``installing``, then a
    :class:`StageProgress` as the phase becomes ``confirming``.
    """
    start = check_bool(start, "start")
    restart_timeout = check_seconds(restart_timeout, "restart_timeout")
    image = _checked_image(image)
    started = time.monotonic()
    # The upload's last report (the board has every byte) says it is installing.
    staged = await client.sideload.stage(
        image,
        progress=progress,
        chunk_size=chunk_size,
        package=package,
        next_phase=Phase.INSTALLING,
    )
    package = staged.package
    assert package is not None  # staging a path or bytes always reads its metadata

    sent_at = anyio.current_time()
    answer = await client.sideload.install(
        app_control_mode=None if start else AppControlMode.MANUAL
    )
    restarted = bool(answer.restarting_system)
    if restarted:
        await client.device.wait_until_restarted(sent_at, restart_timeout)
    pending = _tell_phase(progress, staged.bytes_sent, started, Phase.CONFIRMING)
    if pending is not None:
        await pending
    component: ComponentDetails | None = None
    app_state: AppState | None = None
    if package.is_application:
        app_state = await _confirm_app_state(client, package, start)
    else:
        component = await _installed_component(client, package)
    elapsed = time.monotonic() - started
    return Deployment(package, staged, component, app_state, restarted, elapsed)


def _tell_phase(
    progress: ProgressCallback | None, size: int, started: float, phase: Phase
) -> Awaitable[None] | None:
    """Tell ``progress`` (if any) that the deploy begun at ``started`` entered ``phase``;
    returns what is left to await of a coroutine function's call."""
    if progress is None:
        return None
    return tell_now(progress, StageProgress(size, size, time.monotonic() - started, phase))


async def _installed_component(client: DeviceClient, package: ImagePackageInfo) -> ComponentDetails:
    images = await client.image.get_images()
    for component in images.components or ():
        if (component.uid or "").lower() == package.component_id:
            return component
    raise DeploymentError(
        client.address,
        f"installed {package.name or 'the image'} but GET /images does not list component "
        f"{package.component_id}",
        hint="check the device's free space and its error report",
    )


async def _confirm_app_state(
    client: DeviceClient, package: ImagePackageInfo, start: bool
) -> AppState:
    wanted = AppState.RUNNING if start else AppState.STOPPED
    state = await _app_state(client, package)
    with anyio.move_on_after(_START_GRACE):
        while state != wanted:
            await anyio.sleep(_POLL_INTERVAL)
            state = await _app_state(client, package)
    if state != wanted:
        raise DeploymentError(
            client.address,
            f"installed {package.name or package.component_id} but it is {state} instead "
            f"of {wanted}",
            hint="read the device's diagnostic log (azsphere-async logs)",
        )
    return state


async def _app_state(client: DeviceClient, package: ImagePackageInfo) -> AppState:
    """The application's state; one the device does not have is a DeploymentError."""
    state = (await client.app.get_status(package.component_id)).state
    if state == AppState.NOT_PRESENT:
        raise DeploymentError(
            client.address,
            f"installed {package.name or 'the image'} but the device does not have "
            f"application {package.component_id}",
            hint="check the device's free space and its error report",
        )
    return state


@asynccontextmanager
async def deploy_fleet(
    fleet: Fleet,
    image: DeployablePackage,
    *,
    progress: FleetProgressCallback | None = None,
    concurrency: int | None = None,
    timeout: float | None = None,
    only: Sequence[str] | None = None,
    **settings: Unpack[DeploySettings],
) -> AsyncIterator[AsyncIterator[BoardResult[Deployment]]]:
    """Deploy one package to every board of ``fleet`` at once; results as boards finish.

    Use as ``async with deploy_fleet(fleet, image) as results: async for result in
    results:``. The package and every setting (:class:`DeploySettings`) are checked once,
    before any board is contacted; ``progress`` hears ``(address, StageProgress)``, with each
    board's phase (:class:`~azsphere_async.progress.Phase`) and the bytes it received (during
    the upload every :data:`FLEET_PROGRESS_INTERVAL` seconds: once a second, where a single
    upload reports twice);
    ``concurrency``, ``timeout`` and ``only`` are those of
    :meth:`~azsphere_async.fleet.Fleet.as_completed`. Leaving the block early cancels the
    boards still working.
    """
    checked = DeploySettings(
        start=check_bool(settings.get("start", True), "start"),
        chunk_size=check_chunk_size(settings.get("chunk_size", DEFAULT_CHUNK_SIZE)),
        restart_timeout=check_seconds(settings.get("restart_timeout", 120.0), "restart_timeout"),
    )
    image = _checked_image(image)
    package = await inspect_image_in_thread(image)
    if not isinstance(image, bytes) and package.size <= _SHARED_PACKAGE_BYTES:
        image = await anyio.to_thread.run_sync(read_checked_package, package)

    async def deploy_one(client: DeviceClient) -> Deployment:
        # A partial, not a closure: it is called for every report of every board.
        board_progress = None if progress is None else functools.partial(progress, client.address)
        return await deploy(client, image, progress=board_progress, package=package, **checked)

    async with AsyncExitStack() as stack:
        if progress is not None:
            # One ticker wakes the boards' uploads to report, not one per board.
            boards = len(fleet) if only is None else len(only)
            every = 1 if boards <= _SPREAD_ABOVE else 2
            # A board's deploy ends with its upload's failure: a failing callback's upload is
            # stopped by cancelling the board's scope, not by a scope of its own.
            await stack.enter_async_context(
                shared_progress_reports(
                    FLEET_PROGRESS_INTERVAL / every, every=every, stops_boards=True
                )
            )
        results = await stack.enter_async_context(
            fleet.as_completed(deploy_one, concurrency=concurrency, timeout=timeout, only=only)
        )
        yield results
