"""The recipe's ``[station]`` table: what the station does for each board besides its state."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Final

import attrs

from ..errors import InvalidArgumentError
from ._convert import shown, to_items

__all__ = ["MAX_SERIAL_TIMEOUT", "RecipeStation"]

#: The longest a serial number command may be given to run, in seconds.
MAX_SERIAL_TIMEOUT: Final = 3600.0


def _command_word(value: object) -> str:
    if isinstance(value, str) and value and "\0" not in value:
        return value
    raise InvalidArgumentError(
        "serial_command", shown(value), "non-empty strings (the program, then its arguments)"
    )


def _serial_command(value: object) -> tuple[str, ...]:
    words = to_items(value, "serial_command", _command_word)
    if not words:
        raise InvalidArgumentError(
            "serial_command", "an empty list", 'the program and its arguments: ["prog", "arg"]'
        )
    return words


def _serial_timeout(value: object) -> float:
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= MAX_SERIAL_TIMEOUT
    ):
        return float(value)
    raise InvalidArgumentError(
        "serial_timeout", shown(value), f"seconds, more than 0 and at most {MAX_SERIAL_TIMEOUT:g}"
    )


@attrs.frozen(kw_only=True)
class RecipeStation:
    """The recipe's ``[station]`` table: what the station does for each board besides the state.

    ``serial_command`` is the program that prints the board's serial number, then its
    arguments (run without a shell; ``["sh", "-c", "..."]`` for one). A program named with a
    path (``./serial.sh``) is relative to the recipe's folder, a bare name is looked up on
    ``PATH``. It is run once per board with ``AZSPHERE_DEVICE_ID``, ``AZSPHERE_SLOT`` and
    ``AZSPHERE_STATION`` in its environment; its first line of output, with exit status 0, is
    the serial number. ``serial_timeout``: the seconds it may take (30).
    """

    serial_command: tuple[str, ...] = attrs.field(converter=_serial_command)
    serial_timeout: float = attrs.field(default=30.0, converter=_serial_timeout)

    def relative_to(self, base: Path) -> RecipeStation:
        """The same table with a program named by a relative path taken from ``base``."""
        program = self.serial_command[0]
        if "/" not in program or Path(program).is_absolute():
            return self
        moved = str(base / program)
        # Still a path, not a name to look up on PATH ("./serial.sh" from the folder ".").
        moved = moved if "/" in moved else f"./{moved}"
        return attrs.evolve(self, serial_command=(moved, *self.serial_command[1:]))
