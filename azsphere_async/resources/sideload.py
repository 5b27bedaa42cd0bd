"""Sideloading calls: stage, install and delete images, and ``deploy`` which does it all."""

from __future__ import annotations

import os
import uuid

import anyio
import attrs

from ..errors import DeploymentError, ImagePackageError, InvalidArgumentError
from ..models import AppControlMode, AppState, ComponentDetails, SystemRestart
from ..staging import (
    DEFAULT_CHUNK_SIZE,
    ImagePackageInfo,
    ImageSource,
    ProgressCallback,
    StagedImage,
    stage_image,
)
from ..validation import check_bool, check_choice, check_component_id, check_seconds
from ._base import V3_0, Resource
from .app import AppResource
from .device import DeviceResource
from .image import ImageResource

__all__ = ["Deployment", "SideloadResource"]

# How long deploy() waits for a started application to report "running".
_START_GRACE = 10.0
_POLL_INTERVAL = 0.2


@attrs.frozen
class Deployment:
    """What a deploy put on the device, as the device itself reports it afterwards.

    ``component`` is the device's ``GET /images`` entry for the package's component;
    ``app_state`` is the application's state (``None`` for a non-application image);
    ``restarted`` tells whether the install restarted the device.
    """

    package: ImagePackageInfo
    staged: StagedImage
    component: ComponentDetails
    app_state: AppState | None
    restarted: bool


class SideloadResource(Resource):
    """Putting application images on the device and taking them off."""

    async def delete_image(self, component_id: str | uuid.UUID) -> SystemRestart:
        """Delete the installed component; the answer may say the device restarts."""
        cid = check_component_id(component_id)
        data = await self._session.call_json(
            "DELETE", f"/app/image/{cid}", operation="sideload.delete_image", allow_empty=True
        )
        return self._session.structure(data, SystemRestart, what="delete image answer")

    async def install(
        self, *, app_control_mode: AppControlMode | str | None = None
    ) -> SystemRestart:
        """Install everything staged; ``app_control_mode="Manual"`` keeps the apps from starting.

        Without ``app_control_mode`` the request has no body and the apps start by themselves.
        The answer may say the device restarts.
        """
        mode = (
            None
            if app_control_mode is None
            else check_choice(app_control_mode, AppControlMode, "app_control_mode")
        )
        data = await self._session.call_json(
            "POST",
            "/update/install",
            json=None if mode is None else {"appControlMode": mode.value},
            min_version=V3_0,
            operation="sideload.install",
            allow_empty=True,
        )
        return self._session.structure(data, SystemRestart, what="install answer")

    async def stage(
        self,
        image: ImageSource,
        *,
        progress: ProgressCallback | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> StagedImage:
        """Upload an image package without installing it, streamed, with progress.

        ``image`` is a path, bytes, or an :class:`~azsphere_async.staging.ImageStream` of a
        known size. A path or bytes must be a readable image package; that is checked before
        the first byte goes out. ``progress`` (sync or async) receives a
        :class:`~azsphere_async.staging.StageProgress` now and then and at the end.
        """
        return await stage_image(self._session, image, progress=progress, chunk_size=chunk_size)

    async def deploy(
        self,
        image: str | os.PathLike[str] | bytes,
        *,
        start: bool = True,
        progress: ProgressCallback | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        restart_timeout: float = 120.0,
    ) -> Deployment:
        """Stage and install an image package, then confirm what the device now has.

        The package is checked before any traffic. After the install, ``GET /images`` must
        list the package's component, and an application must be running (``start=True``)
        or stopped (``start=False``, installed with ``appControlMode: Manual``); otherwise
        :class:`~azsphere_async.errors.DeploymentError` says what the device shows instead.
        If the install restarts the device, this waits (up to ``restart_timeout`` seconds)
        for it to come back before confirming.
        """
        start = check_bool(start, "start")
        restart_timeout = check_seconds(restart_timeout, "restart_timeout")
        if isinstance(image, bytes | str | os.PathLike):
            staged = await self.stage(image, progress=progress, chunk_size=chunk_size)
        else:
            raise InvalidArgumentError("image", type(image).__name__, "a path or bytes")
        package = staged.package
        if package is None:  # pragma: no cover - stage() inspects paths and bytes
            raise ImagePackageError("image", "an unreadable package", "an image package")
        sent_at = anyio.current_time()
        answer = await self.install(app_control_mode=None if start else AppControlMode.MANUAL)
        restarted = bool(answer.restarting_system)
        if restarted:
            await DeviceResource(self._session).wait_until_restarted(sent_at, restart_timeout)
        component = await self._installed_component(package)
        app_state = None
        if package.is_application:
            app_state = await self._confirm_app_state(package, start)
        return Deployment(package, staged, component, app_state, restarted)

    async def _installed_component(self, package: ImagePackageInfo) -> ComponentDetails:
        images = await ImageResource(self._session).get_images()
        for component in images.components or ():
            if (component.uid or "").lower() == package.component_id:
                return component
        raise DeploymentError(
            self._session.address,
            f"installed {package.name or 'the image'} but GET /images does not list component "
            f"{package.component_id}; check the device's free space and its error report",
        )

    async def _confirm_app_state(self, package: ImagePackageInfo, start: bool) -> AppState:
        wanted = AppState.RUNNING if start else AppState.STOPPED
        app = AppResource(self._session)
        state = (await app.get_status(package.component_id)).state
        with anyio.move_on_after(_START_GRACE):
            while state != wanted:
                await anyio.sleep(_POLL_INTERVAL)
                state = (await app.get_status(package.component_id)).state
        if state != wanted:
            raise DeploymentError(
                self._session.address,
                f"installed {package.name or package.component_id} but it is {state} instead "
                f"of {wanted}; read the device's diagnostic log (azsphere-async logs)",
            )
        return state
