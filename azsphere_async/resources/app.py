"""Application calls: status, start/stop, storage quota and memory statistics."""

from __future__ import annotations

import uuid

from ..models import AppQuota, AppStatus, AppStatusChange, AppTrigger, MemoryStatistics
from ..validation import check_choice, check_component_id
from ._base import V2_0, V3_1, V4_3, Resource

__all__ = ["AppResource"]


class AppResource(Resource):
    """Applications on the device, addressed by component ID (a UUID)."""

    async def get_quota(self, component_id: str | uuid.UUID) -> AppQuota:
        """The application's mutable storage use and limit, in KiB (``GET /app/quota``)."""
        cid = check_component_id(component_id)
        data = await self._session.call_json(
            "GET", f"/app/quota/{cid}", min_version=V3_1, operation="app.get_quota"
        )
        return self._session.structure(data, AppQuota, what="app quota")

    async def get_status(self, component_id: str | uuid.UUID) -> AppStatus:
        """The application's state: running, stopped, debugging or notPresent."""
        cid = check_component_id(component_id)
        data = await self._session.call_json(
            "GET", f"/app/status/{cid}", min_version=V2_0, operation="app.get_status"
        )
        return self._session.structure(data, AppStatus, what="app status")

    async def set_status(
        self, component_id: str | uuid.UUID, trigger: AppTrigger | str
    ) -> AppStatusChange:
        """Start, debug-start or stop the application; returns its state afterwards."""
        cid = check_component_id(component_id)
        chosen = check_choice(trigger, AppTrigger, "trigger")
        data = await self._session.call_json(
            "PATCH",
            f"/app/status/{cid}",
            json={"trigger": chosen.value},
            min_version=V2_0,
            operation="app.set_status",
        )
        return self._session.structure(data, AppStatusChange, what="app status change")

    async def get_memory_statistics(self) -> MemoryStatistics:
        """Memory used by applications, in total and per process (needs app development)."""
        data = await self._session.call_json(
            "GET",
            "/stats/memory/groups/applications",
            min_version=V4_3,
            operation="app.get_memory_statistics",
        )
        return self._session.structure(data, MemoryStatistics, what="memory statistics")
