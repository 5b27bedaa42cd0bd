"""What the device writes down: the diagnostic log (``GET /log``) and error reports
(``GET /telemetry``), both binary."""

from __future__ import annotations

import struct

from ..devicelog import LogRing
from .clock import DeviceClock

__all__ = ["DiagnosticLog", "ErrorReports"]


class DiagnosticLog:
    """The diagnostic log: records of the mock's manifest in a real board's ring of banks.

    Each record carries the milliseconds since boot; within one boot they never go back (a
    restart marks the clock twice: when it goes down and when it is up again), so a decoder
    sees a new boot exactly where :meth:`new_boot` was called.  See
    :mod:`azsphere_async.mock.devicelog` for the format and the messages.
    """

    def __init__(self, clock: DeviceClock, capacity: int) -> None:
        self._clock = clock
        self._ring = LogRing(capacity)
        self._floor = 0

    def record(self, category: str, message: str, *values: str | int) -> None:
        """Append a record of the mock's manifest (``values`` in the message's order)."""
        uptime = max(self._clock.uptime_ms(), self._floor)
        self._floor = uptime
        self._ring.write(uptime, category, message, *values)

    def new_boot(self) -> None:
        """The device has just booted: the next records count from the new boot."""
        self._floor = 0

    def read(self) -> bytes:
        """``GET /log``: the whole ring."""
        return self._ring.contents()


class ErrorReports:
    """Error reports (crashes, restarts, exits) until cleared."""

    def __init__(self, clock: DeviceClock) -> None:
        self._clock = clock
        self._data = bytearray()

    def add(self, kind: int, text: str) -> None:
        """Append a report (its text cut to 120 bytes)."""
        payload = text.encode()[:120]
        self._data += struct.pack("<4sHII", b"ASER", kind, self._clock.uptime(), len(payload))
        self._data += payload

    def read(self) -> bytes:
        """``GET /telemetry``."""
        return bytes(self._data)

    def clear(self) -> None:
        """``DELETE /telemetry``."""
        self._data.clear()
