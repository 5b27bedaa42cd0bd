"""Build diagnostic logs byte by byte for the decoder's tests, and a synthetic manifest.

Written from the layout's description (``azsphere_async.devicelog.layout``), independently of
the decoder, so that a test can also build what a decoder must survive: cut-short logs,
lengths that lie, counters out of sequence.
"""

from __future__ import annotations

import ipaddress
import struct
import uuid
from collections.abc import Sequence
from typing import Final

from azsphere_async.devicelog import (
    Category,
    ErrorCategory,
    Manifest,
    Message,
    ParamKind,
    ParamSpec,
    Priority,
)

BANK: Final = 4096
ERASED_BANK: Final = b"\xff" * BANK

# The synthetic release: every parameter type, in categories of our own.
SENSOR: Final = 7
SENSOR_READING: Final = 1
SENSOR_EVERY_TYPE: Final = 2
SENSOR_LABEL: Final = 3
SENSOR_QUIET: Final = 4
LINK: Final = 9
LINK_UP: Final = 1
LINK_FAILED: Final = 2
LINK_ERROR_TABLE: Final = 13


def synthetic_manifest(release: str = "30.01") -> Manifest:
    """A manifest of invented categories whose messages use every parameter type."""
    sensor = Category(
        SENSOR,
        "sensord",
        {
            SENSOR_READING: Message(
                SENSOR_READING,
                "Reading",
                Priority.INFO,
                "Sensor read",
                (ParamSpec("channel", ParamKind.UINT), ParamSpec("value", ParamKind.INT)),
            ),
            SENSOR_EVERY_TYPE: Message(
                SENSOR_EVERY_TYPE,
                "EveryType",
                Priority.DEBUG,
                "Every type at once",
                (
                    ParamSpec("delta", ParamKind.INT),
                    ParamSpec("count", ParamKind.UINT),
                    ParamSpec("peer", ParamKind.IPV4),
                    ParamSpec("component", ParamKind.GUID),
                    ParamSpec("error", ParamKind.ERROR),
                    ParamSpec("label", ParamKind.STR),
                ),
            ),
            SENSOR_LABEL: Message(
                SENSOR_LABEL,
                "Label",
                Priority.INFO,
                "Labelled",
                (ParamSpec("first", ParamKind.STR), ParamSpec("second", ParamKind.STR)),
            ),
            SENSOR_QUIET: Message(SENSOR_QUIET, "Quiet", Priority.TRACE, "Nothing to say"),
        },
    )
    link = Category(
        LINK,
        "linkd",
        {
            LINK_UP: Message(
                LINK_UP,
                "Up",
                Priority.INFO,
                "Link up",
                (ParamSpec("address", ParamKind.IPV4),),
            ),
            LINK_FAILED: Message(
                LINK_FAILED,
                "Failed",
                Priority.ERROR,
                "Link failed",
                (ParamSpec("error", ParamKind.ERROR),),
            ),
        },
    )
    errors = ErrorCategory(
        LINK_ERROR_TABLE, "LinkError", {1: ("NoCarrier", "No carrier"), 2: ("Timeout", "Timed out")}
    )
    return Manifest(release, "tests", {SENSOR: sensor, LINK: link}, {LINK_ERROR_TABLE: errors})


def error_code(category: int, number: int) -> int:
    """A common error code: the category in the top 12 bits, its code in the low 20."""
    return category << 20 | number


def i32(value: int) -> bytes:
    return struct.pack("<i", value)


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def ipv4(text: str) -> bytes:
    return ipaddress.IPv4Address(text).packed


def guid(text: str) -> bytes:
    return uuid.UUID(text).bytes_le


def string(text: str | bytes) -> bytes:
    return (text.encode() if isinstance(text, str) else text) + b"\0"


def record(
    category: int,
    message: int,
    params: bytes = b"",
    *,
    priority: int = 4,
    uptime_ms: int = 0,
    reserved: int = 0,
    length: int | None = None,
) -> bytes:
    """One record: a 12-byte header (length, reserved, priority, IDs, uptime) and parameters."""
    size = 12 + len(params) if length is None else length
    return struct.pack("<HBBHHI", size, reserved, priority, category, message, uptime_ms) + params


def bank(records: Sequence[bytes], counter: int, status: int = 0) -> bytes:
    """A full bank: the records, erased flash up to the footer, then counter and status."""
    body = b"".join(records)
    if len(body) > BANK - 4:
        raise ValueError(f"{len(body)} bytes of records do not fit a bank")
    return body + b"\xff" * (BANK - 4 - len(body)) + struct.pack("<HH", counter, status)


def reading(channel: int, value: int, uptime_ms: int, priority: int = 4) -> bytes:
    """A ``sensord`` reading record (20 bytes)."""
    return record(
        SENSOR, SENSOR_READING, u32(channel) + i32(value), uptime_ms=uptime_ms, priority=priority
    )
