"""Application calls: status, start/stop, storage quota and memory statistics."""

from __future__ import annotations

import uuid

from ..models import (
    AppQuota,
    AppStatus,
    AppStatusChange,
    AppStatusRequest,
    AppTrigger,
    MemoryStatistics,
)
from ..validation import check_choice, check_component_id
from ..versions import V2_0, V3_1, V4_3
from ._base import Resource

__all__ = ["AppResource"]


class AppResource(Resource):
    """Applications on the device, addressed by component ID (a UUID)."""

    group = "app"

    async def get_quota(self, component_id: str | uuid.UUID) -> AppQuota:
        """The application's mutable storage use and limit, in KiB (``GET /app/quota``)."""
        cid = check_component_id(component_id)
        return await self._get(f"/app/quota/{cid}", AppQuota, since=V3_1)

    async def get_status(self, component_id: str | uuid.UUID) -> AppStatus:
        """The application's state: running, stopped, debugging or notPresent."""
        cid = check_component_id(component_id)
        return await self._get(f"/app/status/{cid}", AppStatus, since=V2_0)

    async def set_status(
        self, component_id: str | uuid.UUID, trigger: AppTrigger | str
    ) -> AppStatusChange:
        """Start, debug-start or stop the application; returns its state afterwards."""
        cid = check_component_id(component_id)
        body = AppStatusRequest(trigger=check_choice(trigger, AppTrigger, "trigger"))
        return await self._send(
            "PATCH",
            f"/app/status/{cid}",
            body=body,
            answer=AppStatusChange,
            since=V2_0,
            allow_empty=False,
        )

    async def get_memory_statistics(self) -> MemoryStatistics:
        """Memory used by applications, in total and per process (needs app development)."""
        return await self._get("/stats/memory/groups/applications", MemoryStatistics, since=V4_3)
