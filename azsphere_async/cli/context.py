"""The command line's shared state: the options every board command takes, and the boards.

:class:`AppContext` holds the global options (boards, TLS, time limits, output mode); a
command gets it with :data:`pass_app`. Running boards is :mod:`.running`, showing results
:mod:`.reporting`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import click
import httpx

from ..discovery import DEFAULT_DCS_URL
from ..fleet import Fleet
from ..options import DEFAULT_CONCURRENCY
from ..tls import CAInput
from .log_setup import configure_logging
from .output import Output
from .selection import BoardSelection, resolve_boards

__all__ = ["DEFAULT_TIMEOUT", "AppContext", "pass_app"]

#: The default limit on one board's whole operation, for quick calls.
DEFAULT_TIMEOUT: Final = 30.0


class AppContext:
    """The options every board command shares, and the helpers built on them."""

    def __init__(self) -> None:
        self.devices: list[str] = []
        self.devices_file: Path | None = None
        self.all_boards = False
        self.dcs_url = DEFAULT_DCS_URL
        self.concurrency = DEFAULT_CONCURRENCY
        self.timeout: float | None = None
        self.ca: CAInput | None = None
        #: Replaces the network for every board (the demo's simulated slow links).
        self.transport_factory: Callable[[str], httpx.AsyncBaseTransport] | None = None
        self.json = False
        self.debug = False
        self._output: Output | None = None

    @property
    def output(self) -> Output:
        """The output layer, made on first use (after every option is known)."""
        if self._output is None:
            self._output = Output(json_mode=self.json, debug=self.debug)
            configure_logging(self._output, self.debug)
        return self._output

    async def select(self) -> BoardSelection:
        """The boards this command acts on."""
        return await resolve_boards(
            devices=self.devices,
            devices_file=self.devices_file,
            all_boards=self.all_boards,
            dcs_url=self.dcs_url,
        )

    def fleet(self, addresses: Sequence[str]) -> Fleet:
        """A fleet of the chosen boards with the command line's TLS and concurrency options."""
        return Fleet(
            addresses,
            ca=self.ca,
            concurrency=self.concurrency,
            transport_factory=self.transport_factory,
        )

    def time_limit(self, default: float | None = DEFAULT_TIMEOUT) -> float | None:
        """The per-board time limit: ``--timeout``, else the command's default."""
        return self.timeout if self.timeout is not None else default


pass_app = click.make_pass_decorator(AppContext)
