"""The output layer: rich tables on a terminal, plain aligned lines through a pipe, or JSON.

Every command builds its data first and hands it here, so ``--json`` prints exactly the data
the table shows, and nothing else reaches stdout. Messages for people (summaries, warnings)
go to stdout with tables, or to stderr under ``--json``; errors always go to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, Literal

import attrs
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .failures import one_line, traceback_text

__all__ = ["Cell", "Column", "Output", "styled"]

#: A table cell: text, or text with a rich style such as ``"green"``.
Cell = str | tuple[str, str]

Mode = Literal["rich", "plain", "json"]


def styled(text: str, style: str) -> Cell:
    """A cell shown in ``style`` on a terminal (and as plain text elsewhere)."""
    return (text, style)


def _text(cell: Cell | None) -> str:
    if cell is None:
        return "-"
    return cell[0] if isinstance(cell, tuple) else cell


@attrs.frozen
class Column:
    """One column of a table: its header, the row key it shows, and how it lays out."""

    header: str
    key: str
    justify: Literal["left", "right", "center"] = "left"
    no_wrap: bool = False
    max_width: int | None = None
    min_width: int | None = None


class Output:
    """Where a command's results go; chooses rich, plain or JSON output once, up front.

    ``stdout``/``stderr`` default to the process's streams (looked up when writing, so click's
    test runner sees everything). ``mode`` is ``"json"`` under ``--json``, ``"rich"`` when
    stdout is a terminal, else ``"plain"``.
    """

    def __init__(
        self,
        *,
        json_mode: bool = False,
        debug: bool = False,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
    ) -> None:
        self.console = Console(file=stdout, highlight=False, soft_wrap=False)
        self.err_console = Console(file=stderr, stderr=stderr is None, highlight=False)
        self.debug = debug
        self.mode: Mode = "json" if json_mode else ("rich" if self.console.is_terminal else "plain")

    @property
    def json_mode(self) -> bool:
        """Whether ``--json`` was given."""
        return self.mode == "json"

    @property
    def interactive(self) -> bool:
        """Whether live displays (progress bars) may be drawn on stdout."""
        return self.mode == "rich"

    # -- people ---------------------------------------------------------------------------

    def _print(self, console: Console, markup: str, style: str | None = None) -> None:
        text = Text.from_markup(markup, style=style or "")
        if console.is_terminal:
            console.print(text)
        else:
            # Through a pipe: exactly the text, never wrapped at an imagined width.
            file = console.file
            file.write(text.plain + "\n")
            file.flush()

    def message(self, markup: str, *, style: str | None = None) -> None:
        """A line for people (rich markup allowed); on stderr under ``--json``."""
        self._print(self.err_console if self.json_mode else self.console, markup, style)

    def heading(self, markup: str) -> None:
        """A section heading (the demo's steps)."""
        if self.mode == "rich":
            self.console.print()
            self.console.rule(Text.from_markup(markup, style="bold"), align="left")
        else:
            self.message(f"== {Text.from_markup(markup).plain} ==")

    def warning(self, text: str) -> None:
        """A warning on stderr."""
        self._print(self.err_console, f"[bold yellow]warning:[/] {_escape(text)}")

    def error(self, text: str) -> None:
        """One error line on stderr."""
        self._print(self.err_console, f"[bold red]error:[/] {_escape(text)}")

    def failure(self, exc: BaseException, address: str | None = None) -> None:
        """A failure on stderr: one line, plus the traceback under ``--debug``."""
        self.error(one_line(exc, address))
        if self.debug:
            self.err_console.file.write(traceback_text(exc) + "\n")
            self.err_console.file.flush()

    # -- data -------------------------------------------------------------------------------

    def json(self, data: Any) -> None:
        """The one JSON document of a ``--json`` run, on stdout."""
        file = self.console.file
        file.write(json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n")
        file.flush()

    def table(
        self,
        columns: Sequence[Column],
        rows: Iterable[Mapping[str, Cell | None]],
        *,
        title: str | None = None,
    ) -> None:
        """Rows as a table: boxed and coloured on a terminal, aligned plain text otherwise."""
        rows = list(rows)
        if self.mode == "rich":
            self._rich_table(columns, rows, title)
        else:
            self._plain_table(columns, rows, title)

    def _rich_table(
        self, columns: Sequence[Column], rows: list[Mapping[str, Cell | None]], title: str | None
    ) -> None:
        table = Table(
            title=title,
            title_justify="left",
            title_style="bold",
            box=box.SIMPLE_HEAD,
            header_style="bold cyan",
            pad_edge=False,
            expand=False,
        )
        for column in columns:
            table.add_column(
                column.header,
                justify=column.justify,
                no_wrap=column.no_wrap,
                max_width=column.max_width,
                min_width=column.min_width,
                overflow="fold",
            )
        for row in rows:
            cells = []
            for column in columns:
                cell = row.get(column.key)
                if isinstance(cell, tuple):
                    cells.append(Text(cell[0], style=cell[1]))
                else:
                    cells.append(Text(_text(cell)))
            table.add_row(*cells)
        self.console.print(table)

    def _plain_table(
        self, columns: Sequence[Column], rows: list[Mapping[str, Cell | None]], title: str | None
    ) -> None:
        file = self.err_console.file if self.json_mode else self.console.file
        grid = [[column.header.upper() for column in columns]]
        grid += [[" ".join(_text(row.get(c.key)).split()) or "-" for c in columns] for row in rows]
        widths = [max(len(line[i]) for line in grid) for i in range(len(columns))]
        if title:
            file.write(title + "\n")
        for line in grid:
            cells = [
                cell.rjust(width) if column.justify == "right" else cell.ljust(width)
                for cell, width, column in zip(line, widths, columns, strict=True)
            ]
            file.write("  ".join(cells).rstrip() + "\n")
        file.flush()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
