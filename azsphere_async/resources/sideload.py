"""Sideloading calls: install staged images and delete installed ones."""

from __future__ import annotations

import uuid

from ..models import AppControlMode, SystemRestart
from ..validation import check_choice, check_component_id
from ._base import V3_0, Resource

__all__ = ["SideloadResource"]


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

    # -- staging ----------------------------------------------------------------------------
    # ``stage`` (PUT /update/stage) and ``deploy`` (stage then install) are added here by the
    # staging work in azsphere_async/staging.py; this module deliberately has neither yet.
