"""The command line's shared state: the options every board command takes, and the boards.

:class:`AppContext` holds the global options (boards, TLS, time limits, output mode); a
command gets it with :data:`pass_app`. :meth:`AppContext.check_options` checks them all once,
before any board is contacted. Running boards is :mod:`.running`, showing results
:mod:`.reporting`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import click
import httpx

from ..discovery import DEFAULT_DCS_URL
from ..errors import InvalidArgumentError
from ..fleet import Fleet
from ..options import DEFAULT_CONCURRENCY, ClientOptions
from ..tls import CAInput
from .log_setup import configure_logging
from .output import Output
from .selection import BoardSelection, explicit_boards, resolve_boards

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
        #: Where the boards that failed are written, as a devices file (``--retry-file``).
        self.retry_file: Path | None = None
        #: Replaces the network for every board (the demo's simulated slow links).
        self.transport_factory: Callable[[str], httpx.AsyncBaseTransport] | None = None
        self.json = False
        self.debug = False
        self._output: Output | None = None
        self._options: tuple[tuple[object, object], ClientOptions] | None = None
        self._explicit: tuple[tuple[object, ...], BoardSelection | None] | None = None

    @property
    def output(self) -> Output:
        """The output layer, made on first use (after every option is known)."""
        if self._output is None:
            self._output = Output(json_mode=self.json, debug=self.debug)
            configure_logging(self._output, self.debug)
        return self._output

    def check_options(self) -> None:
        """Check the connection options and the named boards, once, before any traffic.

        Raises :class:`click.BadParameter` naming the option (exit status 2), or
        :class:`~.selection.SelectionError` for the boards.
        """
        self.client_options()
        self._explicit_boards()

    def client_options(self) -> ClientOptions:
        """The options of every board's connection (the CA's TLS context is built once)."""
        key = (self.ca, self.transport_factory)
        if self._options is None or self._options[0] != key:
            try:
                options = ClientOptions(ca=self.ca, transport_factory=self.transport_factory)
            except InvalidArgumentError as exc:
                if exc.argument != "ca":
                    raise
                raise click.BadParameter(
                    f"{exc.given} is not usable: it must be a PEM file holding the "
                    "certificate of the CA that signed the boards' certificates",
                    param_hint="'--ca' / AZSPHERE_CA",
                ) from None
            self._options = (key, options)
        return self._options[1]

    def _explicit_boards(self) -> BoardSelection | None:
        key = (tuple(self.devices), self.devices_file, self.all_boards)
        if self._explicit is None or self._explicit[0] != key:
            self._explicit = (
                key,
                explicit_boards(
                    devices=self.devices,
                    devices_file=self.devices_file,
                    all_boards=self.all_boards,
                ),
            )
        return self._explicit[1]

    async def select(self) -> BoardSelection:
        """The boards this command acts on."""
        explicit = self._explicit_boards()
        if explicit is not None:
            return explicit
        return await resolve_boards(all_boards=self.all_boards, dcs_url=self.dcs_url)

    def fleet(self, addresses: Sequence[str]) -> Fleet:
        """A fleet of the chosen boards with the command line's TLS and concurrency options."""
        return Fleet(addresses, options=self.client_options(), concurrency=self.concurrency)

    def time_limit(self, default: float | None = DEFAULT_TIMEOUT) -> float | None:
        """The per-board time limit: ``--timeout``, else the command's default."""
        return self.timeout if self.timeout is not None else default


pass_app = click.make_pass_decorator(AppContext)
