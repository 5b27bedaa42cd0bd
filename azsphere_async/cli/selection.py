"""Choosing boards: ``--device``, ``--devices-file``, ``AZSPHERE_DEVICES``, or ``--all``.

``--device ADDR`` (repeatable; one address each, or several separated by commas) and
``--devices-file FILE`` add up: their boards together, each once, in the order given (an
address repeated is taken once; one board under two spellings, ``h`` and ``h:443``, is a
usage error, as the library would refuse it).
Without either, the comma-separated ``AZSPHERE_DEVICES`` variable is used, and without that
the first attached board's address, ``192.168.35.2``. ``--all`` asks the Device
Communication Service instead, and cannot be combined with ``--device`` or
``--devices-file``. Every address is checked here, before any board is contacted.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

import attrs

from ..discovery import DEFAULT_DCS_URL, list_attached_devices
from ..errors import InvalidArgumentError
from ..options import DEFAULT_ADDRESS
from ..validation import DeviceAddress, check_address

__all__ = [
    "ENV_DEVICES",
    "BoardSelection",
    "SelectionError",
    "explicit_boards",
    "parse_device_list",
    "read_devices_file",
    "resolve_boards",
]

#: The environment variable that names the default boards, comma-separated.
ENV_DEVICES: Final = "AZSPHERE_DEVICES"

#: What separates addresses in a devices file: commas, spaces, line ends.
_FILE_SEPARATORS = re.compile(r"[,\s]+")
#: What separates addresses in one --device value or AZSPHERE_DEVICES: commas only, so that
#: "foo bar" is one (bad) address, never two boards.
_LIST_SEPARATORS = re.compile(r"\s*,\s*")


class SelectionError(ValueError):
    """The boards could not be chosen (bad address, unreadable file, nothing attached)."""


@attrs.frozen
class BoardSelection:
    """The chosen boards' addresses, in order, and where they came from (for messages)."""

    addresses: tuple[str, ...]
    source: str


def parse_device_list(text: str, *, what: str, in_file: bool = False) -> list[str]:
    """Addresses separated by commas (and, ``in_file``, spaces and lines; ``#`` comments)."""
    addresses: list[str] = []
    lines = text.splitlines() if in_file else [text]
    for number, line in enumerate(lines, start=1):
        if in_file:
            line = line.split("#", 1)[0]
        separators = _FILE_SEPARATORS if in_file else _LIST_SEPARATORS
        where = f"{what}, line {number}" if in_file and len(lines) > 1 else what
        for item in separators.split(line.strip()):
            if not item:
                continue
            try:
                check_address(item)
            except InvalidArgumentError as exc:
                raise SelectionError(
                    f"{where}: {exc.given} is not a board address; expected {exc.allowed}"
                ) from None
            addresses.append(item)
    return addresses


def read_devices_file(path: str | os.PathLike[str]) -> list[str]:
    """The addresses in a devices file.

    Either text with one or more addresses a line (``#`` comments, blanks ignored), or a
    JSON list of addresses (as the mock fleet writes with ``--addresses-file``) or of
    Device Communication Service entries (``{"IpAddress": ...}``).
    """
    what = f"devices file {str(path)!r}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SelectionError(
            f"cannot read the devices file {str(path)!r}: {exc.strerror or exc}"
        ) from None
    if text.lstrip().startswith("["):
        try:
            entries = json.loads(text)
        except ValueError as exc:
            raise SelectionError(f"{what} looks like JSON but is not: {exc}") from None
        items = []
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("IpAddress"), str):
                entry = entry["IpAddress"]
            if not isinstance(entry, str):
                raise SelectionError(f"{what}: {entry!r} is not a board address")
            items.append(entry)
        return [a for item in items for a in parse_device_list(item, what=what)]
    return parse_device_list(text, what=what, in_file=True)


def _unique(addresses: Iterable[str], source: str) -> tuple[str, ...]:
    """Each board once, in order: a repeated address is dropped, a second spelling refused."""
    chosen: dict[DeviceAddress, str] = {}
    for address in addresses:
        board = check_address(address)
        first = chosen.setdefault(board, address)
        if first != address:
            raise SelectionError(
                f"{source}: {first} and {address} are one board ({board}); name each board "
                "once, under one spelling"
            )
    return tuple(chosen.values())


def explicit_boards(
    *,
    devices: Sequence[str] = (),
    devices_file: str | os.PathLike[str] | None = None,
    all_boards: bool = False,
    environ: Mapping[str, str] | None = None,
) -> BoardSelection | None:
    """The boards named by ``--device``, ``--devices-file``, the environment or the default;
    ``None`` for ``--all`` (the service is asked by :func:`resolve_boards`)."""
    environ = os.environ if environ is None else environ
    explicit: list[str] = []
    sources: list[str] = []
    for value in devices:
        explicit += parse_device_list(value, what="--device")
    if devices:
        sources.append("--device")
    if devices_file is not None:
        explicit += read_devices_file(devices_file)
        sources.append(f"--devices-file {os.fspath(devices_file)}")
    if all_boards:
        if sources:
            raise SelectionError("--all cannot be combined with --device or --devices-file")
        return None
    if sources:
        if not explicit:
            raise SelectionError(f"{' and '.join(sources)} named no boards")
        source = " and ".join(sources)
        return BoardSelection(_unique(explicit, source), source)
    from_env = environ.get(ENV_DEVICES, "").strip()
    if from_env:
        return BoardSelection(
            _unique(parse_device_list(from_env, what=ENV_DEVICES), ENV_DEVICES), f"${ENV_DEVICES}"
        )
    return BoardSelection((DEFAULT_ADDRESS,), f"the default address {DEFAULT_ADDRESS}")


async def resolve_boards(
    *,
    devices: Sequence[str] = (),
    devices_file: str | os.PathLike[str] | None = None,
    all_boards: bool = False,
    dcs_url: str = DEFAULT_DCS_URL,
    environ: Mapping[str, str] | None = None,
) -> BoardSelection:
    """Work out which boards a command acts on (see the module docstring for the order)."""
    chosen = explicit_boards(
        devices=devices, devices_file=devices_file, all_boards=all_boards, environ=environ
    )
    if chosen is not None:
        return chosen
    attached = await list_attached_devices(dcs_url=dcs_url)
    if not attached:
        raise SelectionError(
            f"the Device Communication Service at {dcs_url} lists no attached boards; "
            "check the cables, then run `azsphere-async devices --rescan`"
        )
    source = f"every board listed by {dcs_url}"
    return BoardSelection(_unique((d.address for d in attached), source), source)
