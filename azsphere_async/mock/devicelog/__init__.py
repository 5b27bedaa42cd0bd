"""The mock board's diagnostic log (``GET /log``), written in a real board's binary format.

A real board keeps its log in a ring of 4096-byte flash banks; the layout below is what
Microsoft's public decoding script reads (``ParseDeviceLog/parse-devicelog.py`` in
Azure/azure-sphere-tools, MIT), restated in our words:

- each bank ends with a 4-byte footer, a little-endian 16-bit counter (one more for each
  bank opened, wrapping at 2**16) and a 16-bit status; an unused bank is erased (all ``0xFF``);
- records follow each other from the start of a bank: a 12-byte header ``<HBBHHI`` (record
  length with the header, a reserved byte, priority, category ID, message ID, milliseconds
  since boot) and the parameters; erased bytes (a length of ``0xFFFF``) end a bank's records,
  and no record starts in a bank's last 16 bytes;
- parameters: 32-bit signed and unsigned integers and error codes, IPv4 addresses (network
  order), GUIDs (``uuid.UUID.bytes_le``) and NUL-terminated UTF-8 strings.

What the numbers mean comes from a manifest. Real boards' manifests are Microsoft's and are
not shipped here; the mock logs its own events with its own messages, kept in
:data:`MANIFEST_DIR` (``24.03.json``, in the library's manifest format), so that the library's
decoder reads the mock's log with ``ManifestStore(MANIFEST_DIR)``. This module is written from
the format alone: the mock never imports the library.
"""

from __future__ import annotations

import ipaddress
import json
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = [
    "BANK_SIZE",
    "MANIFEST_DIR",
    "MOCK_RELEASE",
    "LogRing",
    "MockMessage",
    "mock_messages",
]

MANIFEST_DIR: Final = Path(__file__).resolve().parent
"""The mock's manifest directory: give it to the library's ``ManifestStore``."""
MOCK_RELEASE: Final = "24.03"
"""The release of the mock's manifest (the mock's default OS version)."""
BANK_SIZE: Final = 4096
_FOOTER: Final = struct.Struct("<HH")
_HEADER: Final = struct.Struct("<HBBHHI")
_LAST_START: Final = BANK_SIZE - _FOOTER.size - _HEADER.size
_BANK_STATUS: Final = 0
"""What the mock writes in a bank's status field (its meaning on real boards is not published)."""
_PRIORITIES: Final = {
    "None": 0,
    "Fatal": 1,
    "Error": 2,
    "Warning": 3,
    "Info": 4,
    "Debug": 5,
    "Trace": 6,
}
_MAX_STRING: Final = 200


@dataclass(frozen=True)
class MockMessage:
    """One message of the mock's manifest: where it is, how severe, its parameter types."""

    category: int
    message: int
    priority: int
    kinds: tuple[str, ...]


def mock_messages(document: Mapping[str, Any] | None = None) -> dict[tuple[str, str], MockMessage]:
    """Every message of a manifest document (the mock's own by default), by category and name."""
    if document is None:
        path = MANIFEST_DIR / f"{MOCK_RELEASE}.json"
        document = json.loads(path.read_text(encoding="utf-8"))
    found = {}
    for category_id, category in document["categories"].items():
        for message_id, (name, priority, _text, params) in category["messages"].items():
            found[(category["name"], name)] = MockMessage(
                int(category_id),
                int(message_id),
                _PRIORITIES[priority],
                tuple(kind for _name, kind in params),
            )
    return found


_MESSAGES: Final = mock_messages()


def _encode(kind: str, value: str | int) -> bytes:
    if kind == "str":
        return str(value).encode("utf-8")[:_MAX_STRING] + b"\0"
    if kind == "int":
        return struct.pack("<i", int(value))
    if kind in ("uint", "error"):
        return struct.pack("<I", int(value) & 0xFFFFFFFF)
    if kind == "ipv4":
        return ipaddress.IPv4Address(str(value)).packed
    if kind == "guid":
        return uuid.UUID(str(value)).bytes_le
    raise ValueError(f"unknown parameter type {kind!r}")


class LogRing:
    """A ring of banks that records go into, oldest bank overwritten first.

    ``capacity`` is rounded down to whole banks (at least two). :meth:`write` adds one record;
    :meth:`contents` is what ``GET /log`` answers. ``messages`` defaults to the mock's manifest
    (another, from :func:`mock_messages`, serves benchmarks that need a bigger one).
    """

    def __init__(
        self,
        capacity: int = 64 * 1024,
        messages: Mapping[tuple[str, str], MockMessage] | None = None,
    ) -> None:
        self._messages = messages if messages is not None else _MESSAGES
        self._banks = max(2, capacity // BANK_SIZE)
        self._ring = bytearray(b"\xff" * (self._banks * BANK_SIZE))
        self._bank = -1
        self._counter = -1
        self._position = 0
        self.records = 0
        """Records written since the mock started (including those overwritten since)."""
        self._open_next_bank()

    @property
    def capacity(self) -> int:
        """Bytes in the ring (whole banks)."""
        return len(self._ring)

    def _open_next_bank(self) -> None:
        self._bank = (self._bank + 1) % self._banks
        self._counter = (self._counter + 1) % 0x10000
        start = self._bank * BANK_SIZE
        self._ring[start : start + BANK_SIZE] = b"\xff" * BANK_SIZE
        _FOOTER.pack_into(self._ring, start + BANK_SIZE - _FOOTER.size, self._counter, _BANK_STATUS)
        self._position = 0

    def write(self, uptime_ms: int, category: str, message: str, *values: str | int) -> None:
        """Append one record of the mock's manifest; ``values`` in the message's order."""
        spec = self._messages.get((category, message))
        if spec is None:
            raise KeyError(f"the manifest has no message {category}/{message}")
        if len(values) != len(spec.kinds):
            raise ValueError(
                f"{category}/{message} takes {len(spec.kinds)} values, got {len(values)}"
            )
        params = b"".join(
            _encode(kind, value) for kind, value in zip(spec.kinds, values, strict=True)
        )
        length = _HEADER.size + len(params)
        if length > _LAST_START:
            raise ValueError(f"a record of {length} bytes does not fit a bank")
        if self._position >= _LAST_START or self._position + length > BANK_SIZE - _FOOTER.size:
            self._open_next_bank()
        at = self._bank * BANK_SIZE + self._position
        header = _HEADER.pack(
            length, 0, spec.priority, spec.category, spec.message, uptime_ms & 0xFFFFFFFF
        )
        self._ring[at : at + length] = header + params
        self._position += length
        self.records += 1

    def contents(self) -> bytes:
        """The whole ring as the board sends it."""
        return bytes(self._ring)
