"""Serial numbers for the station's boards: from a barcode scanner, or printed by a command.

A barcode scanner is a keyboard wedge: each scan is a line of text. :class:`SerialScanner`
queues the scans and binds each to the next board that asks (oldest scan to the first board
waiting). A serial number scanned twice (already queued, or bound to a board this station has
not released) is refused, and said. :class:`CommandSerials` runs a command (the recipe names
it) with the board's identity in its environment and takes the first line it prints.
"""

from __future__ import annotations

import logging
import os
import shlex
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

import anyio

from .errors import AzsphereError

__all__ = ["CommandSerials", "SerialError", "SerialScanner", "SerialSource"]

logger = logging.getLogger("azsphere_async")


class SerialError(AzsphereError):
    """A board's serial number could not be had (the command failed or printed nothing)."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.hint = hint
        super().__init__(f"{message}; {hint}" if hint else message)


class SerialSource(Protocol):
    """Where serial numbers come from."""

    async def serial_for(self, device_id: str, slot: str) -> str:
        """The serial number of the board (waits for it if it has to)."""
        ...

    def release(self, device_id: str) -> None:
        """The board's run did not pass: its serial number may be bound again."""
        ...


class SerialScanner:
    """Scans (lines) matched to boards in order; feed it with :meth:`scan`.

    ``on_refused`` hears every refused scan with why (the live view shows it).
    """

    def __init__(self, *, on_refused: Callable[[str, str], None] | None = None) -> None:
        self._queued: deque[str] = deque()
        self._bound: dict[str, str] = {}  # serial -> device ID
        self._arrived = anyio.Event()
        self._on_refused = on_refused
        self.refused: list[tuple[str, str]] = []
        """Every refused scan and why, in order."""

    @property
    def waiting(self) -> Sequence[str]:
        """Scans not yet bound to a board, oldest first."""
        return tuple(self._queued)

    def scan(self, line: str) -> bool:
        """One scan; returns whether it was taken."""
        serial = line.strip()
        if not serial:
            return False
        why = ""
        if serial in self._queued:
            why = "scanned twice: already waiting for a board"
        elif serial in self._bound:
            why = f"scanned twice: already bound to board {self._bound[serial][:16]}..."
        if why:
            logger.warning("serial number %s refused: %s", serial, why)
            self.refused.append((serial, why))
            if self._on_refused is not None:
                self._on_refused(serial, why)
            return False
        self._queued.append(serial)
        self._arrived.set()
        return True

    async def serial_for(self, device_id: str, slot: str) -> str:
        """The oldest scan not yet bound (waits for a scan if there is none)."""
        for serial, bound_to in self._bound.items():
            if bound_to == device_id:
                return serial  # the same board again: its serial stays
        while not self._queued:
            self._arrived = anyio.Event()
            await self._arrived.wait()
        serial = self._queued.popleft()
        self._bound[serial] = device_id
        return serial

    def release(self, device_id: str) -> None:
        """Forget the serial bound to ``device_id`` (a failed board's label may be reused)."""
        for serial, bound_to in list(self._bound.items()):
            if bound_to == device_id:
                del self._bound[serial]


class CommandSerials:
    """A command that prints the board's serial number (run once per board).

    The command gets ``AZSPHERE_DEVICE_ID`` and ``AZSPHERE_SLOT`` in its environment; its
    first line of output is the serial number. ``timeout``: seconds it may take.
    """

    def __init__(self, command: str | Sequence[str], *, timeout: float = 30.0) -> None:
        self.command = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.command:
            raise ValueError("the serial number command must not be empty")
        self._timeout = timeout

    async def serial_for(self, device_id: str, slot: str) -> str:
        """Run the command for this board; its first line."""
        env = {**os.environ, "AZSPHERE_DEVICE_ID": device_id, "AZSPHERE_SLOT": slot}
        try:
            with anyio.fail_after(self._timeout):
                done = await anyio.run_process(self.command, env=env, check=False)
        except TimeoutError:
            raise SerialError(
                f"the serial number command {self.command[0]} took over {self._timeout} s"
            ) from None
        except OSError as exc:
            raise SerialError(f"cannot run the serial number command: {exc}") from None
        first = (done.stdout.decode(errors="replace").strip().splitlines() or [""])[0].strip()
        if done.returncode != 0 or not first:
            raise SerialError(
                f"the serial number command {self.command[0]} "
                + (f"exited with {done.returncode}" if done.returncode else "printed nothing"),
                hint="it must print the serial number on its first line and exit 0",
            )
        return first

    def release(self, device_id: str) -> None:
        """Nothing to forget: the command is asked again next time."""
