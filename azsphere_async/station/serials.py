"""Serial numbers for the station's boards: from a barcode scanner, or printed by a command.

A barcode scanner is a keyboard wedge: each scan is a line of text. :class:`SerialScanner`
queues the scans and binds each to the next board that asks (oldest scan to the first board
waiting). :class:`CommandSerials` runs a command (the recipe's ``[station] serial_command``,
or the station's ``--serial-command``) with the board's identity in its environment and takes
the first line it prints. Either way a serial number is bound to one board at a time: one
scanned or printed again while another board this station has not released holds it is
refused, and said, and a board plugged in again keeps its serial number.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Final, Protocol

import anyio
from anyio.abc import ByteReceiveStream

from ..errors import AzsphereError, InvalidArgumentError

__all__ = [
    "CommandSerials",
    "SerialError",
    "SerialScanner",
    "SerialSource",
    "check_serial_command",
]

logger = logging.getLogger("azsphere_async")

#: The longest serial number taken, in characters.
MAX_SERIAL_LENGTH: Final = 128
# What is kept of a command's output: the head of its standard output, the tail of its errors.
_KEPT_OUTPUT: Final = 4096


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


def _unusable(serial: str) -> str:
    """Why ``serial`` cannot be a serial number (``""``: it can)."""
    if len(serial) > MAX_SERIAL_LENGTH:
        return f"longer than {MAX_SERIAL_LENGTH} characters"
    if not serial.isprintable():
        return "it holds control characters"
    return ""


class _Bindings:
    """Which board holds which serial number, until it is released."""

    def __init__(self) -> None:
        self._holders: dict[str, str] = {}  # serial -> device ID

    def of(self, device_id: str) -> str | None:
        """The serial number bound to ``device_id``, if any."""
        return next((s for s, holder in self._holders.items() if holder == device_id), None)

    def holder(self, serial: str) -> str | None:
        """The board holding ``serial``, if any."""
        return self._holders.get(serial)

    def bind(self, serial: str, device_id: str) -> None:
        self._holders[serial] = device_id

    def release(self, device_id: str) -> None:
        for serial, holder in list(self._holders.items()):
            if holder == device_id:
                del self._holders[serial]


def _held_by(device_id: str) -> str:
    return f"already bound to board {device_id[:16]}..."


class SerialScanner:
    """Scans (lines) matched to boards in order; feed it with :meth:`scan`.

    ``on_refused`` hears every refused scan with why (the live view shows it).
    """

    def __init__(self, *, on_refused: Callable[[str, str], None] | None = None) -> None:
        self._queued: deque[str] = deque()
        self._bound = _Bindings()
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
        holder = self._bound.holder(serial)
        why = _unusable(serial)
        if serial in self._queued:
            why = "scanned twice: already waiting for a board"
        elif holder is not None:
            why = f"scanned twice: {_held_by(holder)}"
        if why:
            logger.warning("serial number %s refused: %s", serial[:MAX_SERIAL_LENGTH], why)
            self.refused.append((serial, why))
            if self._on_refused is not None:
                self._on_refused(serial, why)
            return False
        self._queued.append(serial)
        self._arrived.set()
        return True

    async def serial_for(self, device_id: str, slot: str) -> str:
        """The oldest scan not yet bound (waits for a scan if there is none)."""
        bound = self._bound.of(device_id)
        if bound is not None:
            return bound  # the same board again: its serial stays
        while not self._queued:
            self._arrived = anyio.Event()
            await self._arrived.wait()
        serial = self._queued.popleft()
        self._bound.bind(serial, device_id)
        return serial

    def release(self, device_id: str) -> None:
        """Forget the serial bound to ``device_id`` (a failed board's label may be reused)."""
        self._bound.release(device_id)


def check_serial_command(command: str | Sequence[str]) -> tuple[str, ...]:
    """The command as a program and its arguments, once the program is known to run.

    A string is split as a shell would (no shell runs it). The program is an executable
    file's path, or a name found on ``PATH``; else :class:`InvalidArgumentError` says so.
    """
    words = tuple(shlex.split(command) if isinstance(command, str) else command)
    if not words or not all(isinstance(word, str) and word for word in words):
        raise InvalidArgumentError(
            "serial_command", repr(command), "a program, then its arguments (non-empty strings)"
        )
    program = words[0]
    if "/" in program:
        runs = os.path.isfile(program) and os.access(program, os.X_OK)
        why = "not an executable file" if os.path.exists(program) else "no such file"
    else:
        runs = shutil.which(program) is not None
        why = "not found on PATH"
    if not runs:
        raise InvalidArgumentError(
            "serial_command",
            f"{program!r} ({why})",
            "a program that can be run: the path of an executable file, or a name on PATH",
        )
    return words


def _last_line(data: bytes) -> str:
    lines = data.decode(errors="replace").strip().splitlines()
    return lines[-1].strip()[:200] if lines else ""


class CommandSerials:
    """A command that prints the board's serial number (run once per board).

    The command gets ``AZSPHERE_DEVICE_ID``, ``AZSPHERE_SLOT`` and ``AZSPHERE_STATION``
    (``station``) in its environment and nothing on its standard input; its first line of
    output, with exit status 0, is the serial number. ``timeout``: seconds it may take (then
    it is killed). The program is checked when this is made (:func:`check_serial_command`).
    ``withheld``: secret values (Wi-Fi keys, passwords, tokens); a variable of the station's
    environment that holds one is not passed on to the command.
    """

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        timeout: float = 30.0,
        station: str = "station",
        withheld: Iterable[str] = (),
    ) -> None:
        self.command = check_serial_command(command)
        self._timeout = timeout
        self._station = station
        self._withheld = frozenset(value for value in withheld if value)
        self._bound = _Bindings()

    @property
    def _name(self) -> str:
        return os.path.basename(self.command[0])

    async def serial_for(self, device_id: str, slot: str) -> str:
        """The board's serial number: the one it holds already, else the command's first line."""
        bound = self._bound.of(device_id)
        if bound is not None:
            return bound  # the same board again: the command is not asked for another
        env = {
            **{name: value for name, value in os.environ.items() if value not in self._withheld},
            "AZSPHERE_DEVICE_ID": device_id,
            "AZSPHERE_SLOT": slot,
            "AZSPHERE_STATION": self._station,
        }
        try:
            with anyio.fail_after(self._timeout):
                status, out, err = await self._run(env)
        except TimeoutError:
            raise SerialError(
                f"the serial number command {self._name} took over {self._timeout:g} s "
                "and was stopped"
            ) from None
        except OSError as exc:
            raise SerialError(f"cannot run the serial number command: {exc}") from None
        serial = (out.decode(errors="replace").strip().splitlines() or [""])[0].strip()
        if status != 0 or not serial:
            said = _last_line(err)
            raise SerialError(
                f"the serial number command {self._name} "
                + (f"exited with {status}" if status else "printed nothing")
                + (f": {said}" if said else ""),
                hint="it must print the serial number on its first line and exit 0",
            )
        why = _unusable(serial)
        holder = self._bound.holder(serial)
        if not why and holder is not None:
            why = f"printed twice: {_held_by(holder)}"
        if why:
            raise SerialError(
                f"the serial number command {self._name} printed {serial[:40]!r}: {why}",
                hint="each board needs a serial number of its own",
            )
        self._bound.bind(serial, device_id)
        return serial

    async def _run(self, env: dict[str, str]) -> tuple[int, bytes, bytes]:
        """Run the command: its exit status, the head of its output, the tail of its errors."""
        out, err = bytearray(), bytearray()

        async def head(stream: ByteReceiveStream) -> None:
            async for chunk in stream:
                out.extend(chunk[: _KEPT_OUTPUT - len(out)])

        async def tail(stream: ByteReceiveStream) -> None:
            async for chunk in stream:
                err.extend(chunk)
                del err[:-_KEPT_OUTPUT]

        async with await anyio.open_process(
            self.command, stdin=subprocess.DEVNULL, env=env
        ) as process:
            assert process.stdout is not None
            assert process.stderr is not None
            async with anyio.create_task_group() as group:
                group.start_soon(head, process.stdout)
                group.start_soon(tail, process.stderr)
                status = await process.wait()
        return status, bytes(out), bytes(err)

    def release(self, device_id: str) -> None:
        """Forget the serial bound to ``device_id``: the command is asked again next time."""
        self._bound.release(device_id)
