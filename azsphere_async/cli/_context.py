"""What every board command shares: chosen boards, the fleet, running, and reporting.

A command builds its per-board operation, runs it with :meth:`AppContext.run_boards` (which
collects results as boards finish, so Ctrl-C still shows what finished) and hands the results
to :meth:`AppContext.report`, which prints a table, plain lines or JSON and picks the exit
status; :meth:`AppContext.run_and_report` does both and exits.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Final, Generic, NoReturn, TypeVar

import anyio
import attrs
import click
import httpx

from ..client import DeviceClient
from ..discovery import DEFAULT_DCS_URL
from ..errors import AzsphereError
from ..fleet import BoardResult, Fleet
from ..options import DEFAULT_CONCURRENCY
from ..tls import CAInput
from ._errors import describe, error_json
from .output import Cell, Column, Output, styled
from .selection import BoardSelection, SelectionError, resolve_boards

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "AppContext",
    "BoardRows",
    "Collected",
    "board_options",
    "pass_app",
    "state_choice",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK: Final = 0
#: Some board failed (or was not ready).
EXIT_FAILED: Final = 1
#: Bad options or no boards to act on.
EXIT_USAGE: Final = 2
#: Stopped with Ctrl-C.
EXIT_INTERRUPTED: Final = 130

#: The default limit on one board's whole operation, for quick calls.
DEFAULT_TIMEOUT: Final = 30.0


@attrs.define
class Collected(Generic[T]):
    """Results gathered as boards finish; what is here survives a Ctrl-C."""

    addresses: tuple[str, ...] = ()
    results: dict[str, BoardResult[T]] = attrs.field(factory=dict)
    interrupted: bool = False

    def finished(self) -> list[BoardResult[T]]:
        """The finished boards' results, in the boards' order."""
        return [self.results[a] for a in self.addresses if a in self.results]

    def unfinished(self) -> list[str]:
        """Boards that had not finished when the run stopped."""
        return [a for a in self.addresses if a not in self.results]

    @property
    def failed(self) -> list[BoardResult[T]]:
        """The finished boards whose operation raised."""
        return [r for r in self.finished() if not r.ok]


@attrs.frozen
class BoardRows(Generic[T]):
    """How a command shows one board's value: table rows and JSON data.

    ``rows`` gives zero or more rows (a listing may have many); a board with none gets one row
    whose first column says ``empty``. ``data`` is the board's value as JSON data.
    """

    columns: Sequence[Column]
    rows: Callable[[T], list[dict[str, Cell | None]]]
    data: Callable[[T], Any]
    empty: str = "none"


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
            _configure_logging(self._output, self.debug)
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

    def run(self, main: Callable[[], Awaitable[int]]) -> int:
        """Run ``main`` in an event loop; turn Ctrl-C and selection errors into exit statuses."""
        try:
            return anyio.run(main)
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except SelectionError as exc:
            self.output.error(f"{exc}")
            return EXIT_USAGE
        except AzsphereError as exc:
            self.output.failure(exc)
            return EXIT_FAILED
        except Exception as exc:
            if self.debug:
                raise
            self.output.failure(exc)
            return EXIT_FAILED

    async def gather(
        self,
        operation: Callable[[DeviceClient], Awaitable[T]],
        collected: Collected[T],
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        selection: BoardSelection | None = None,
    ) -> None:
        """Choose the boards and run ``operation`` on each, filling ``collected`` as they finish.

        The coroutine behind :meth:`run_boards`, for callers already in an event loop (the
        demo); a ``selection`` made earlier is used as it is.
        """
        limit = self.time_limit(timeout)
        await self.collect(
            lambda fleet: fleet.as_completed(operation, timeout=limit), collected, selection
        )

    async def collect(
        self,
        start: Callable[[Fleet], AbstractAsyncContextManager[AsyncIterator[BoardResult[T]]]],
        collected: Collected[T],
        selection: BoardSelection | None = None,
        *,
        on_result: Callable[[BoardResult[T]], None] | None = None,
    ) -> None:
        """Run ``start(fleet)`` over the chosen boards, filling ``collected`` as they finish.

        ``start`` is a fleet's as-completed run (``fleet.as_completed(...)`` or
        ``fleet.deploy_as_completed(...)``); ``on_result`` hears each board as it finishes.
        """
        if selection is None:
            selection = await self.select()
        collected.addresses = selection.addresses
        async with self.fleet(selection.addresses) as fleet, start(fleet) as results:
            async for result in results:
                collected.results[result.address] = result
                if on_result is not None:
                    on_result(result)

    def run_boards(
        self,
        operation: Callable[[DeviceClient], Awaitable[T]],
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> tuple[Collected[T], int | None]:
        """Run :meth:`gather` in a new event loop.

        Returns the results and ``None``, or the exit status of a run that could not start.
        After Ctrl-C the results so far come back marked ``interrupted``.
        """
        collected: Collected[T] = Collected()

        async def main() -> int:
            await self.gather(operation, collected, timeout=timeout)
            return EXIT_OK

        status = self.run(main)
        if status == EXIT_INTERRUPTED:
            collected.interrupted = True
            return collected, None
        return collected, None if status == EXIT_OK else status

    def run_and_report(
        self,
        command: str,
        operation: Callable[[DeviceClient], Awaitable[T]],
        shape: BoardRows[T],
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> NoReturn:
        """Run ``operation`` on every chosen board, :meth:`report` the results, and exit.

        What most commands do whole: the exit status is the report's, or that of a run that
        could not start.
        """
        collected, code = self.run_boards(operation, timeout=timeout)
        sys.exit(code if code is not None else self.report(command, collected, shape))

    # -- reporting ----------------------------------------------------------------------

    def report(
        self,
        command: str,
        collected: Collected[T],
        shape: BoardRows[T],
        *,
        title: str | None = None,
        extra: Mapping[str, Any] | None = None,
        failed: Callable[[BoardResult[T]], bool] | None = None,
        json_sink: list[dict[str, Any]] | None = None,
    ) -> int:
        """Show every board's result (table, plain lines or JSON) and return the exit status.

        A board counts as failed when its operation raised, or when ``failed`` says so.
        Under ``--json`` the document goes to ``json_sink`` when one is given (the demo
        prints one document for all its steps), else to stdout.
        """
        out = self.output
        finished = collected.finished()

        def is_bad(result: BoardResult[T]) -> bool:
            return not result.ok or (failed is not None and failed(result))

        bad = [r for r in finished if is_bad(r)]
        unfinished = collected.unfinished()
        summary = {
            "boards": len(collected.addresses),
            "ok": len(finished) - len(bad),
            "failed": len(bad),
            "unfinished": len(unfinished),
            "interrupted": collected.interrupted,
        }
        if out.debug:
            for result in finished:
                if result.error is not None:
                    out.failure(result.error, result.address)
        if out.json_mode:
            boards: list[dict[str, Any]] = []
            for result in finished:
                entry: dict[str, Any] = {"address": result.address, "ok": not is_bad(result)}
                entry["elapsed"] = round(result.elapsed, 3)
                if result.error is not None:
                    entry["error"] = error_json(result.error)
                else:
                    entry["result"] = shape.data(result.value)  # type: ignore[arg-type]
                boards.append(entry)
            for address in unfinished:
                boards.append({"address": address, "ok": False, "error": _interrupted_json()})
            document = {"command": command, **(extra or {}), "boards": boards, "summary": summary}
            if json_sink is not None:
                json_sink.append(document)
            else:
                out.json(document)
        else:
            self._table(collected, shape, title)
            out.message(_summary_line(summary))
        if collected.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_FAILED if bad or unfinished else EXIT_OK

    def _table(self, collected: Collected[T], shape: BoardRows[T], title: str | None) -> None:
        """The results table; failures go in an Error column (plain) or beneath it (terminal).

        On a terminal a long error in a column would squeeze every other column, so each
        failed row says ``failed`` and its error follows the table on a line of its own.
        """
        rich = self.output.mode == "rich"
        problems: list[tuple[str, str]] = []
        for result in collected.failed:
            assert result.error is not None
            problems.append((result.address, describe(result.error)))
        problems += [(a, "interrupted before it finished") for a in collected.unfinished()]
        columns = [Column("Board", "address", no_wrap=True), *shape.columns]
        if problems and not rich:
            columns.append(Column("Error", "error", min_width=16))
        first_key = shape.columns[0].key if shape.columns else "error"
        marker = first_key if rich else "error"
        rows: list[dict[str, Cell | None]] = []
        for result in collected.finished():
            if result.error is not None:
                text = "failed" if rich else describe(result.error)
                rows.append({"address": result.address, marker: styled(text, "red")})
                continue
            board_rows = shape.rows(result.value)  # type: ignore[arg-type]
            if not board_rows:
                board_rows = [{first_key: styled(shape.empty, "dim")}]
            # A terminal shows the address once per board; plain lines repeat it, for grep.
            for index, row in enumerate(board_rows):
                shown = result.address if index == 0 or not rich else ""
                rows.append({"address": shown, **row})
        for address in collected.unfinished():
            text = "interrupted" if rich else "interrupted before it finished"
            rows.append({"address": address, marker: styled(text, "yellow")})
        self.output.table(columns, rows, title=title)
        if rich:
            for address, text in problems:
                self.output.message(
                    f"[bold red]✗[/] [bold]{_markup_escape(address)}[/]: {_markup_escape(text)}"
                )


def _markup_escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _interrupted_json() -> dict[str, str]:
    return {
        "type": "Interrupted",
        "message": "interrupted before it finished",
        "hint": "run the command again for this board",
    }


def _summary_line(summary: Mapping[str, Any]) -> str:
    total, ok, bad, left = (summary[k] for k in ("boards", "ok", "failed", "unfinished"))
    parts = [f"[green]{ok} ok[/]" if ok else "0 ok"]
    if bad:
        parts.append(f"[bold red]{bad} failed[/]")
    if left:
        parts.append(f"[yellow]{left} unfinished[/]")
    noun = "board" if total == 1 else "boards"
    line = f"{total} {noun}: " + ", ".join(parts)
    if summary["interrupted"]:
        line += " [yellow](interrupted with Ctrl-C)[/]"
    return line


class _WarningHandler(logging.Handler):
    """Library warnings as one ``warning:`` line each on stderr."""

    def __init__(self, output: Output) -> None:
        super().__init__(logging.WARNING)
        self._output = output

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._output.warning(record.getMessage())
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


_HANDLER_MARK = "_azsphere_cli_handler"


def _configure_logging(output: Output, debug: bool) -> None:
    logger = logging.getLogger("azsphere_async")
    for old in list(logger.handlers):
        if getattr(old, _HANDLER_MARK, False):
            logger.removeHandler(old)
    handler: logging.Handler
    if debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.setLevel(logging.DEBUG)
    else:
        handler = _WarningHandler(output)
        logger.setLevel(logging.WARNING)
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)


# -- options shared by every board command -----------------------------------------------


def _store(
    name: str, *, extend: bool = False
) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None or value == () or value is False:
            return
        app = ctx.find_object(AppContext)
        if app is None:  # pragma: no cover - every command runs under the group
            return
        if extend:
            getattr(app, name).extend(value)
        else:
            setattr(app, name, value)

    return callback


def _positive(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise click.BadParameter("must be more than zero")
    return value


def selection_and_output_options(*, hidden: bool) -> list[Callable[[F], F]]:
    """The options that choose boards and shape output; the group shows them, commands hide them."""
    expose = not hidden

    def store(name: str, extend: bool = False) -> dict[str, Any]:
        if expose:
            return {}
        return {"expose_value": False, "callback": _store(name, extend=extend)}

    timeout_store: dict[str, Any] = (
        {"callback": _positive}
        if expose
        else {"expose_value": False, "callback": _chain(_positive, _store("timeout"))}
    )
    return [
        click.option(
            "--device",
            "-d",
            "devices",
            metavar="ADDR",
            multiple=True,
            hidden=hidden,
            help="A board's address, host or host:port (repeat for more boards).",
            **store("devices", extend=True),
        ),
        click.option(
            "--devices-file",
            type=click.Path(dir_okay=False, path_type=Path),
            hidden=hidden,
            help="A file of board addresses, one or more a line; # starts a comment.",
            **store("devices_file"),
        ),
        click.option(
            "--all",
            "all_boards",
            is_flag=True,
            default=False,
            hidden=hidden,
            help="Every board the Device Communication Service lists.",
            **store("all_boards"),
        ),
        click.option(
            "--dcs-url",
            metavar="URL",
            envvar=None if hidden else "AZSPHERE_DCS_URL",
            default=None if hidden else DEFAULT_DCS_URL,
            show_default=expose,
            hidden=hidden,
            help="Where the Device Communication Service listens (env AZSPHERE_DCS_URL).",
            **store("dcs_url"),
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(min=1),
            default=None if hidden else DEFAULT_CONCURRENCY,
            show_default=expose,
            hidden=hidden,
            help="Boards worked on at once.",
            **store("concurrency"),
        ),
        click.option(
            "--timeout",
            type=float,
            metavar="S",
            hidden=hidden,
            help="Seconds allowed for each board's whole operation "
            "(default 30; deploy 600; restart --wait 180).",
            **timeout_store,
        ),
        click.option(
            "--ca",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            envvar=None if hidden else "AZSPHERE_CA",
            hidden=hidden,
            help="PEM file of the CA to trust instead of the Azure Sphere device CA "
            "(env AZSPHERE_CA).",
            **store("ca"),
        ),
        click.option(
            "--json",
            "json_output",
            is_flag=True,
            default=False,
            hidden=hidden,
            help="Print the results as one JSON document on stdout, and nothing else.",
            **store("json"),
        ),
        click.option(
            "--debug",
            "-v",
            is_flag=True,
            default=False,
            hidden=hidden,
            help="Show tracebacks and a log of every request on stderr.",
            **store("debug"),
        ),
    ]


def _chain(
    first: Callable[[click.Context, click.Parameter, Any], Any],
    second: Callable[[click.Context, click.Parameter, Any], None],
) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        second(ctx, param, first(ctx, param, value))

    return callback


def board_options(function: F) -> F:
    """Accept the board and output options after the command name too (hidden from help)."""
    for option in reversed(selection_and_output_options(hidden=True)):
        function = option(function)
    return function


pass_app = click.make_pass_decorator(AppContext)


def state_choice(
    choices: Sequence[str],
) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A callback that accepts one of ``choices`` in any case and returns its own spelling."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        for choice in choices:
            if choice.lower() == value.lower():
                return choice
        raise click.BadParameter(f"{value!r} is not one of {', '.join(choices)}")

    return callback
