"""Device-wide calls: status, versions, security state, diagnostics and restart."""

from __future__ import annotations

import logging
from typing import Literal, overload

import anyio

from ..errors import (
    DeviceTimeoutError,
    DeviceUnreachableError,
    MalformedResponseError,
)
from ..models import DeviceStatus, OsVersion, SecurityState, SystemRestart
from ..validation import check_bool, check_seconds
from ..versions import V1_2, V3_1, V4_5, RestApiVersion
from ._base import Resource

__all__ = ["DeviceResource"]

logger = logging.getLogger("azsphere_async")


class DeviceResource(Resource):
    """The device as a whole."""

    group = "device"

    async def get_status(self) -> DeviceStatus:
        """The device's uptime in seconds (``GET /status``; answers on any device)."""
        return await self._get("/status", DeviceStatus)

    async def get_rest_api_version(self) -> RestApiVersion:
        """The device's REST API version; asks ``GET /status`` only if no answer has told it yet."""
        return await self._session.get_rest_api_version()

    async def get_os_version(self) -> OsVersion:
        """The Azure Sphere OS release, such as ``22.11`` (REST API 4.5.0 and later)."""
        return await self._get("/osversion", OsVersion, since=V4_5)

    async def get_security_state(self) -> SecurityState:
        """The device's security state and identifier."""
        return await self._get("/device/security_state", SecurityState)

    async def get_diagnostic_log(self) -> bytes:
        """The diagnostic log as raw bytes."""
        return await self._get_bytes("/log", since=V1_2)

    async def get_error_report_data(self) -> bytes:
        """The error report (telemetry) data as raw bytes."""
        return await self._get_bytes("/telemetry", since=V3_1)

    async def clear_error_report_data(self) -> None:
        """Delete the error report data kept on the device."""
        await self._send("DELETE", "/telemetry")

    @overload
    async def restart(
        self, *, wait: Literal[False] = False, timeout: float = ..., poll_interval: float = ...
    ) -> SystemRestart: ...

    @overload
    async def restart(
        self, *, wait: Literal[True], timeout: float = ..., poll_interval: float = ...
    ) -> DeviceStatus: ...

    @overload
    async def restart(
        self, *, wait: bool, timeout: float = ..., poll_interval: float = ...
    ) -> SystemRestart | DeviceStatus: ...

    async def restart(
        self, *, wait: bool = False, timeout: float = 120.0, poll_interval: float = 0.5
    ) -> SystemRestart | DeviceStatus:
        """Restart the device (``POST /restart``, sent without a body).

        Without ``wait``, return the device's answer as soon as it accepted the request. With
        ``wait=True``, poll ``GET /status`` every ``poll_interval`` seconds, riding out the time
        the device is unreachable, until it reports an uptime shorter than the time since the
        restart was sent; return that status. Raise :class:`DeviceTimeoutError` (phase
        ``"restart"``) if it is not back within ``timeout`` seconds of the request.
        """
        wait = check_bool(wait, "wait")
        limit = check_seconds(timeout, "timeout")
        interval = check_seconds(poll_interval, "poll_interval")
        started = anyio.current_time()
        answer = await self._send("POST", "/restart", answer=SystemRestart)
        if not wait:
            return answer
        return await self.wait_until_restarted(started, limit, interval)

    async def wait_until_restarted(
        self, started: float, timeout: float = 120.0, poll_interval: float = 0.5
    ) -> DeviceStatus:
        """Wait for a device restarted at ``started`` (``anyio.current_time()``) to be back.

        Polls ``GET /status``, riding out the time the device is unreachable, until it
        reports an uptime shorter than the time since ``started``.
        """
        limit = check_seconds(timeout, "timeout")
        interval = check_seconds(poll_interval, "poll_interval")
        deadline = started + limit
        while True:
            remaining = deadline - anyio.current_time()
            if remaining <= 0:
                break
            with anyio.move_on_after(remaining):
                try:
                    status = await self.get_status()
                except DeviceUnreachableError as exc:
                    logger.debug(
                        "%s: not back from restart yet (%s)", self._session.address, exc.detail
                    )
                else:
                    if status.uptime is None:
                        raise MalformedResponseError(
                            self._session.address,
                            "GET /status answered no uptime; the restart cannot be confirmed",
                        )
                    if status.uptime < anyio.current_time() - started:
                        return status
                await anyio.sleep(min(interval, max(0.0, deadline - anyio.current_time())))
        raise DeviceTimeoutError(
            self._session.address,
            f"the device did not come back from its restart within {limit:g} s",
            phase="restart",
        )
