"""What the device writes down: the diagnostic log (``GET /log``) and error reports
(``GET /telemetry``), both binary."""

from __future__ import annotations

import struct
from collections import deque

from .clock import DeviceClock

__all__ = ["DiagnosticLog", "ErrorReports"]


class DiagnosticLog:
    """A ring of log records, oldest dropped beyond ``capacity`` bytes."""

    def __init__(self, clock: DeviceClock, capacity: int) -> None:
        self._clock = clock
        self._capacity = capacity
        self._records: deque[bytes] = deque()
        self._size = 0
        self._sequence = 0

    def event(self, text: str) -> None:
        """Append a record (its text cut to 200 bytes)."""
        self._sequence += 1
        payload = text.encode()[:200]
        record = struct.pack("<4sIIH", b"ASLG", self._sequence, self._clock.uptime(), len(payload))
        record += payload
        self._records.append(record)
        self._size += len(record)
        while self._size > self._capacity and self._records:
            self._size -= len(self._records.popleft())

    def read(self) -> bytes:
        """``GET /log``: a header, then the records."""
        header = struct.pack("<4sII", b"ASLH", len(self._records), self._sequence)
        return header + b"".join(self._records)


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
