"""Small formatting helpers shared by the commands (no click, no rich)."""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from typing import Any

import attrs

__all__ = [
    "format_bytes",
    "format_duration",
    "format_rate",
    "format_uptime",
    "printable",
    "safe_filename",
    "short_id",
    "to_jsonable",
]


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on shown as an escape instead.

    Control characters (``ESC``, ``BEL``, newlines, ``DEL``, C1 codes) and invisible format
    characters (bidirectional overrides, zero-width spaces) become ``\\x1b``, ``\\n``,
    ``\\u202e`` and so on, so text from a board, a file or an error can neither move the
    cursor, recolour the screen, hide itself nor break a table's row. Letters of every
    script, and spaces, stay as they are.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape_character(ch) for ch in text)


def _escape_character(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def format_bytes(count: float | None) -> str:
    """``16.6 kB``-style sizes (powers of 1000, as rich's progress columns show them)."""
    if count is None:
        return "-"
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def format_rate(rate: float | None) -> str:
    """A transfer rate such as ``3.2 kB/s``."""
    return "-" if rate is None else f"{format_bytes(rate)}/s"


def format_duration(seconds: float | None) -> str:
    """``0.4 s``, ``12.0 s``, ``3 min 05 s``, ``2 h 01 min`` or ``-`` for unknown."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours:02d} h"


def short_id(device_id: str | None, length: int = 12) -> str:
    """The start of a 128-hex-digit device ID, enough to tell boards apart on a bench."""
    if not device_id:
        return "-"
    return device_id if len(device_id) <= length else device_id[:length] + "…"


def safe_filename(address: str) -> str:
    """A board address made safe as a file name: ``127.0.0.2:4430`` -> ``127.0.0.2_4430``."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", address).strip("_") or "board"


def to_jsonable(value: Any) -> Any:
    """Models and values as plain JSON data: attrs classes become dicts of their field names.

    This is the one dialect of every ``--json`` document: snake_case, the names of the
    library's attributes, whatever the device's own JSON spells (camelCase), so a document
    reads the same as the Python objects and the command's own fields (``address``, ``ok``).

    Enums become their values, datetimes ISO 8601 text, tuples and sets lists. Fields that
    hold secrets are never part of an answer model, so nothing is masked here.
    """
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if attrs.has(type(value)):
        return {
            field.name: to_jsonable(getattr(value, field.name))
            for field in attrs.fields(type(value))
        }
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def format_uptime(seconds: int | None) -> str:
    """A compact uptime: ``42s``, ``3m05s``, ``2h07m`` or ``5d03h``."""
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
