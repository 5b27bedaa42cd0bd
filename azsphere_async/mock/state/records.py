"""What the device writes down: the diagnostic log (``GET /log``) and error reports
(``GET /telemetry``), both binary."""

from __future__ import annotations

import struct
from collections import deque
from typing import Final

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
    """Error reports (crashes, restarts, exits) until cleared, oldest dropped when full.

    ``GET /telemetry`` answers a 5-byte header, then the reports: ``b"ER"``, a format
    version (1), and the length of the reports that follow as a big-endian 16-bit number
    (bytes 3 and 4, which Microsoft's tests read).  Cleared, the length is 0 and the header
    is still there.
    """

    CAPACITY: Final = 0xFFFF
    """Most bytes of reports kept: what the header's 16-bit length can say."""

    def __init__(self, clock: DeviceClock) -> None:
        self._clock = clock
        self._reports: deque[bytes] = deque()
        self._size = 0

    def add(self, kind: int, text: str) -> None:
        """Append a report (its text cut to 120 bytes)."""
        payload = text.encode()[:120]
        report = struct.pack("<4sHII", b"ASER", kind, self._clock.uptime(), len(payload))
        report += payload
        self._reports.append(report)
        self._size += len(report)
        while self._size > self.CAPACITY:
            self._size -= len(self._reports.popleft())

    def read(self) -> bytes:
        """``GET /telemetry``: the header, then the reports."""
        return struct.pack(">2sBH", b"ER", 1, self._size) + b"".join(self._reports)

    def clear(self) -> None:
        """``DELETE /telemetry``."""
        self._reports.clear()
        self._size = 0
