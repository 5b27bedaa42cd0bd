"""Plugging mock boards in and out while a fleet is served, from lines of text.

``azsphere-async mock --plug-control`` reads commands on standard input, one a line:
``unplug N`` pulls board N (1 for the first), ``plug N [PATH]`` plugs it in again (at
connection path PATH, else its own slot), ``list`` prints every board's state.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

import anyio

from .server import MockFleet

__all__ = ["PLUG_COMMANDS", "apply_plug_command", "read_plug_commands"]

PLUG_COMMANDS = "unplug N | plug N [PATH] | list"


def _board_state(fleet: MockFleet) -> str:
    return ", ".join(
        f"{number}@{device.connection_path}:{'in' if device.plugged else 'out'}"
        for number, device in enumerate(fleet, start=1)
    )


async def apply_plug_command(fleet: MockFleet, line: str) -> str:
    """Carry out one command line; returns what happened (or what was wrong)."""
    words = line.split()
    if not words:
        return ""
    if words == ["list"]:
        return _board_state(fleet)
    if words[0] not in ("plug", "unplug") or len(words) < 2 or not words[1].isdigit():
        return f"unknown command {line.strip()!r}; commands: {PLUG_COMMANDS}"
    number = int(words[1])
    if not 1 <= number <= len(fleet):
        return f"no board {number}: boards are 1 to {len(fleet)}"
    if words[0] == "unplug" and len(words) == 2:
        await fleet.unplug(number - 1)
        return f"board {number} unplugged"
    if words[0] == "plug" and len(words) <= 3:
        await fleet.plug(number - 1, words[2] if len(words) == 3 else None)
        return f"board {number} plugged in at {fleet[number - 1].connection_path}"
    return f"unknown command {line.strip()!r}; commands: {PLUG_COMMANDS}"


async def read_plug_commands(
    fleet: MockFleet, stream: TextIO = sys.stdin, out: TextIO = sys.stdout
) -> None:
    """Read commands from ``stream`` until it ends (cancellable while waiting for a line)."""
    fd = stream.fileno()
    buffered = b""
    while True:
        await anyio.wait_readable(fd)
        chunk = os.read(fd, 4096)
        if not chunk:
            return
        buffered += chunk
        *lines, buffered = buffered.split(b"\n")
        for raw in lines:
            answer = await apply_plug_command(fleet, raw.decode(errors="replace"))
            if answer:
                print(answer, file=out, flush=True)
