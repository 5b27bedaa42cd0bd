"""The device's clock: uptime since the last boot, and the unsynchronized wall clock."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Final

__all__ = ["DeviceClock"]

_DEVICE_EPOCH: Final = datetime(2000, 1, 1)


class DeviceClock:
    """Counts from the last boot; a device that never synchronized its time starts at 2000."""

    def __init__(self, initial_uptime: int = 0) -> None:
        self._booted_at = time.monotonic() - initial_uptime

    def uptime(self) -> int:
        """Whole seconds since the device last came up."""
        return max(0, int(time.monotonic() - self._booted_at))

    def uptime_ms(self) -> int:
        """Milliseconds since the device last came up (what log records carry)."""
        return max(0, int((time.monotonic() - self._booted_at) * 1000))

    def device_time(self) -> str:
        """The device clock as it writes timestamps (not synchronized: starts at 2000-01-01)."""
        moment = _DEVICE_EPOCH + timedelta(seconds=self.uptime())
        return moment.strftime("%Y-%m-%dt%H:%M:%S+0000")

    def mark_booted(self, at: float | None = None) -> None:
        """The device came up at ``at`` (``time.monotonic()`` seconds; default now)."""
        self._booted_at = time.monotonic() if at is None else at
