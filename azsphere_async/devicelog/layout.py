"""The byte layout of the board's diagnostic log (``GET /log``), as facts in one place.

The layout is the one Microsoft's decoding script reads (``ParseDeviceLog/parse-devicelog.py``
in the public repository Azure/azure-sphere-tools, MIT); this module states it in our own
words, and both our decoder and our mock's encoder are written from this description:

- The log is a ring of **banks** of :data:`BANK_SIZE` bytes. The last four bytes of a bank
  are its footer: a little-endian 16-bit **counter** (banks are numbered as they are
  written, so the oldest bank has the lowest counter, modulo 2**16) and a 16-bit **status**.
  A bank that was never written is erased flash: every byte is ``0xFF``.
- From the start of a bank come **records**, back to back. A record is a 12-byte header,
  ``<HBBHHI``: total length (header included), one byte whose meaning is not published
  (kept as ``reserved``), priority, category ID, message ID, and the time since boot in
  milliseconds; then the message's parameters.
- A length of ``0xFFFF`` (erased flash) ends the bank's records, and so does a position where
  a header and the footer no longer fit (:data:`LAST_RECORD_START`).
- Parameters follow the message's entry in the release's manifest, in order: 32-bit signed
  and unsigned integers, IPv4 addresses (four bytes in network order), GUIDs (16 bytes,
  Microsoft's mixed-endian order, ``uuid.UUID(bytes_le=...)``), common error codes (32 bits:
  the error category in the top 12 bits, the category's code in the low 20) and strings
  (UTF-8, NUL-terminated). Everything multi-byte is little-endian (the board is ARM).
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Sequence
from typing import Final

import attrs

__all__ = [
    "BANK_SIZE",
    "ERASED_LENGTH",
    "ERROR_CATEGORY_SHIFT",
    "ERROR_CODE_MASK",
    "FOOTER",
    "FOOTER_SIZE",
    "HEADER",
    "HEADER_SIZE",
    "LAST_RECORD_START",
    "FixedRun",
    "ParamKind",
    "Priority",
    "parameter_layout",
]

BANK_SIZE: Final = 4096
FOOTER: Final = struct.Struct("<HH")
"""A bank's footer, in its last four bytes: counter, status."""
FOOTER_SIZE: Final = FOOTER.size
HEADER: Final = struct.Struct("<HBBHHI")
"""A record's header: length, reserved, priority, category ID, message ID, uptime (ms)."""
HEADER_SIZE: Final = HEADER.size
LAST_RECORD_START: Final = BANK_SIZE - FOOTER_SIZE - HEADER_SIZE
"""A record starting at this offset in a bank (or later) would not leave room for the footer."""
ERASED_LENGTH: Final = 0xFFFF
"""The length field of erased flash: no more records in this bank."""
ERROR_CATEGORY_SHIFT: Final = 20
ERROR_CODE_MASK: Final = (1 << ERROR_CATEGORY_SHIFT) - 1


class ParamKind(enum.StrEnum):
    """The type of one message parameter, spelled as in our manifest files."""

    INT = "int"
    """32-bit signed integer."""
    UINT = "uint"
    """32-bit unsigned integer."""
    IPV4 = "ipv4"
    """IPv4 address, four bytes in network order."""
    GUID = "guid"
    """GUID, 16 bytes in Microsoft's mixed-endian order."""
    ERROR = "error"
    """Azure Sphere common error code, 32 bits (category << 20 | code)."""
    STR = "str"
    """UTF-8 string ending with a NUL byte."""

    @property
    def size(self) -> int | None:
        """Bytes taken in a record; ``None`` for strings, whose end is their NUL byte."""
        return _SIZES[self]


_SIZES: Final[dict[ParamKind, int | None]] = {
    ParamKind.INT: 4,
    ParamKind.UINT: 4,
    ParamKind.IPV4: 4,
    ParamKind.GUID: 16,
    ParamKind.ERROR: 4,
    ParamKind.STR: None,
}
_FORMATS: Final = {
    ParamKind.INT: "i",
    ParamKind.UINT: "I",
    ParamKind.ERROR: "I",
    ParamKind.IPV4: "4s",
    ParamKind.GUID: "16s",
}


@attrs.frozen
class FixedRun:
    """Parameters of fixed size in a row: their names and types, and one ``struct`` for all."""

    names: tuple[str, ...]
    kinds: tuple[ParamKind, ...]
    layout: struct.Struct

    @classmethod
    def of(cls, names: Sequence[str], kinds: Sequence[ParamKind]) -> FixedRun:
        """The run of these parameters (none of them strings)."""
        layout = struct.Struct("<" + "".join(_FORMATS[kind] for kind in kinds))
        return cls(tuple(names), tuple(kinds), layout)


def parameter_layout(
    params: Sequence[tuple[str, ParamKind]],
) -> tuple[FixedRun | tuple[str, ParamKind], ...]:
    """How parameters lie in a record: runs of fixed-size ones, and each string on its own."""
    steps: list[FixedRun | tuple[str, ParamKind]] = []
    run: list[tuple[str, ParamKind]] = []
    for name, kind in params:
        if kind is not ParamKind.STR:
            run.append((name, kind))
            continue
        if run:
            steps.append(FixedRun.of([n for n, _ in run], [k for _, k in run]))
            run = []
        steps.append((name, kind))
    if run:
        steps.append(FixedRun.of([n for n, _ in run], [k for _, k in run]))
    return tuple(steps)


class Priority(enum.IntEnum):
    """A record's priority byte; lower numbers are more severe."""

    NONE = 0
    FATAL = 1
    ERROR = 2
    WARNING = 3
    INFO = 4
    DEBUG = 5
    TRACE = 6

    @property
    def label(self) -> str:
        """The name as logs show it: ``Error``, ``Warning``..."""
        return self.name.capitalize()

    @classmethod
    def parse(cls, value: str | int) -> Priority:
        """A priority from its name (any case) or number; ``ValueError`` names the choices."""
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        if isinstance(value, str):
            text = value.strip()
            if text.isdigit():
                return cls(int(text))
            try:
                return cls[text.upper()]
            except KeyError:
                pass
        choices = ", ".join(p.label for p in cls)
        raise ValueError(f"unknown priority {value!r}; expected one of {choices} or 0-6")

    @classmethod
    def label_of(cls, value: int) -> str:
        """The label of a priority byte, or its number when it is none of the known ones."""
        try:
            return cls(value).label
        except ValueError:
            return str(value)
