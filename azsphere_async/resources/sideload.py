"""Sideloading calls: stage, install and delete images (``deploy`` does all three: see
:mod:`azsphere_async.deploy`)."""

from __future__ import annotations

import uuid

from ..imagepackage import ImagePackageInfo
from ..models import AppControlMode, InstallRequest, SystemRestart
from ..progress import Phase
from ..staging import DEFAULT_CHUNK_SIZE, ImageSource, ProgressCallback, StagedImage, stage_image
from ..validation import check_choice, check_component_id
from ..versions import V3_0
from ._base import Resource

__all__ = ["SideloadResource"]


class SideloadResource(Resource):
    """Putting application images on the device and taking them off."""

    group = "sideload"

    async def delete_image(self, component_id: str | uuid.UUID) -> SystemRestart:
        """Delete the installed component; the answer may say the device restarts."""
        cid = check_component_id(component_id)
        return await self._send("DELETE", f"/app/image/{cid}", answer=SystemRestart)

    async def install(
        self, *, app_control_mode: AppControlMode | str | None = None
    ) -> SystemRestart:
        """Install everything staged; ``app_control_mode="Manual"`` keeps the apps from starting.

        Without ``app_control_mode`` the request has no body and the apps start by themselves.
        The answer may say the device restarts.
        """
        body = None
        if app_control_mode is not None:
            mode = check_choice(app_control_mode, AppControlMode, "app_control_mode")
            body = InstallRequest(app_control_mode=mode)
        return await self._send(
            "POST", "/update/install", body=body, answer=SystemRestart, since=V3_0
        )

    async def stage(
        self,
        image: ImageSource,
        *,
        progress: ProgressCallback | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        package: ImagePackageInfo | None = None,
        next_phase: Phase | str = Phase.WAITING,
    ) -> StagedImage:
        """Upload an image package without installing it, streamed, with progress.

        ``image`` is a path, bytes, or an :class:`~azsphere_async.staging.ImageStream` of a
        known size. A path or bytes must be a readable image package; that is checked before
        the first byte goes out (``package`` is its metadata, if already read with
        :func:`~azsphere_async.imagepackage.inspect_image`). ``progress`` (sync or async)
        receives a :class:`~azsphere_async.staging.StageProgress` now and then and at the end,
        that one in phase ``next_phase`` (say ``installing``, where the caller installs next).
        """
        return await stage_image(
            self._session,
            image,
            progress=progress,
            chunk_size=chunk_size,
            package=package,
            next_phase=next_phase,
        )
