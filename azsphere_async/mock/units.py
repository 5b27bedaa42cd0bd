"""Sizes and transfer rates as people type them: ``64M``, ``2MiB``, ``500k``, ``64KB/s``.

One grammar for every command line that serves mock boards (``python -m azsphere_async.mock``,
``azsphere-async mock`` and ``azsphere-async demo``)::

    SIZE  =  NUMBER [UNIT]            1000, 1.5k, 64M, 64 MB, 2MiB, 1G
    RATE  =  SIZE ["/s"]              500k, 64KB/s, 1.5 MB/s, 512KiB/s

``UNIT`` is a prefix ``k``, ``M`` or ``G`` (powers of 1000; any case), optionally followed by
``i`` for powers of 1024, optionally followed by ``B``; a bare ``B`` means bytes.  Rates are
bytes per second and must be more than zero; ``bps`` and ``ps`` are refused, because
``1Mbps`` usually means megabits.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["format_size", "parse_rate", "parse_size"]

_SIZE: Final = re.compile(
    r"\s*(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(?P<prefix>[kmg]i?)?(?P<byte>b)?\s*",
    re.IGNORECASE,
)
_PER_SECOND: Final = re.compile(r"\s*/\s*s\s*$", re.IGNORECASE)
_BITS: Final = re.compile(r"ps\s*$", re.IGNORECASE)
_MULTIPLIERS: Final = {
    "": 1,
    "k": 10**3,
    "m": 10**6,
    "g": 10**9,
    "ki": 2**10,
    "mi": 2**20,
    "gi": 2**30,
}


def _bytes(text: str) -> float | None:
    match = _SIZE.fullmatch(text)
    if match is None:
        return None
    return float(match["number"]) * _MULTIPLIERS[(match["prefix"] or "").lower()]


def parse_size(text: str) -> int:
    """Bytes from ``1000``, ``64k``, ``64 MB``, ``2MiB`` or ``1.5G``; raises ``ValueError``."""
    value = _bytes(text)
    if value is None:
        raise ValueError(f"not a size: {text!r} (try 1000, 64k, 64MB or 2MiB)")
    return int(value)


def parse_rate(text: str) -> float:
    """Bytes per second from ``500k``, ``64KB/s``, ``1.5 MB/s`` or ``512KiB/s``.

    Raises ``ValueError`` for anything else, for zero, and for ``bps``/``ps`` spellings.
    """
    if _BITS.search(text):
        raise ValueError(
            f"not a transfer rate: {text!r} (rates are bytes per second: write 1MB/s, not 1Mbps)"
        )
    value = _bytes(_PER_SECOND.sub("", text, count=1))
    if value is None:
        raise ValueError(f"not a transfer rate: {text!r} (try 500k, 64KB/s or 1.5MB/s)")
    if value <= 0:
        raise ValueError(f"a transfer rate must be more than zero, got {text!r}")
    return value


def format_size(count: float) -> str:
    """A size for people, in powers of 1024: ``1 MiB``, ``6.5 KiB``, ``512 B``."""
    for unit, step in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= step:
            return f"{count / step:.4g} {unit}"
    return f"{count:.0f} B"
