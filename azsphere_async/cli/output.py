"""The output layer: rich tables on a terminal, plain aligned lines through a pipe, or JSON.

Every command builds its data first and hands it here, so ``--json`` prints exactly the data
the table shows, and nothing else reaches stdout. Messages for people (summaries, warnings)
go to stdout with tables, or to stderr under ``--json``; errors always go to stderr.

Nothing printed here is ever parsed as rich markup. A message is a sequence of parts, each
plain text or ``(text, style)``, and every text (a message part or a table cell) has its
control characters shown as escapes (:func:`~.formatting.printable`), so what a board, a file
or an error says is shown as it is and cannot act on the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, Literal

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from .failures import one_line, traceback_text
from .formatting import printable
from .tables import Column, fit

__all__ = ["Cell", "Column", "Output", "Part", "styled"]

#: A table cell: text, or text with a rich style such as ``"green"``.
Cell = str | tuple[str, str]
#: A piece of a message: plain text, or ``(text, style)``; never markup.
Part = str | tuple[str, str]

Mode = Literal["rich", "plain", "json"]


def styled(text: str, style: str) -> Cell:
    """A cell shown in ``style`` on a terminal (and as plain text elsewhere)."""
    return (text, style)


def _text(cell: Cell | None) -> str:
    if cell is None:
        return "-"
    return printable(cell[0] if isinstance(cell, tuple) else cell)


def _style(cell: Cell | None) -> str:
    return cell[1] if isinstance(cell, tuple) else ""


def assemble(parts: Sequence[Part], style: str = "") -> Text:
    """The parts as one rich ``Text``, each text shown as it is (no markup, no controls)."""
    text = Text(style=style)
    for part in parts:
        if isinstance(part, tuple):
            text.append(printable(part[0]), style=part[1])
        else:
            text.append(printable(part))
    return text


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
        self.console = Console(file=stdout, highlight=False, soft_wrap=False, markup=False)
        self.err_console = Console(
            file=stderr, stderr=stderr is None, highlight=False, markup=False
        )
        self.debug = debug
        self.mode: Mode = "json" if json_mode else ("rich" if self.console.is_terminal else "plain")
        self.live_on_stdout = False
        """Set while a live display is drawn on stdout: lines for stderr that go to the same
        terminal are printed through stdout's console, above the display. (Rich hands a stderr
        console's writes straight to the terminal, where the display's next redraw covers
        them: a warning would be lost.)"""

    @property
    def json_mode(self) -> bool:
        """Whether ``--json`` was given."""
        return self.mode == "json"

    @property
    def interactive(self) -> bool:
        """Whether live displays (progress bars) may be drawn on stdout."""
        return self.mode == "rich"

    # -- people ---------------------------------------------------------------------------

    def _print(
        self, console: Console, parts: Sequence[Part], style: str | None = None, indent: int = 0
    ) -> None:
        text = assemble(parts, style or "")
        if self.live_on_stdout and console is self.err_console and console.is_terminal:
            console = self.console
        if console.is_terminal:
            console.print(Padding(text, (0, 0, 0, indent)) if indent else text)
        else:
            # Through a pipe: exactly the text, never wrapped at an imagined width.
            file = console.file
            file.write(" " * indent + text.plain + "\n")
            file.flush()

    def message(self, *parts: Part, style: str | None = None, indent: int = 0) -> None:
        """A line for people (wrapped lines keep ``indent``); on stderr under ``--json``."""
        self._print(self.err_console if self.json_mode else self.console, parts, style, indent)

    def note(self, *parts: Part, style: str | None = None) -> None:
        """A line about the run rather than its results (progress, announcements): on stdout
        only on a terminal, else on stderr, so piped stdout carries the results alone."""
        self._print(self.console if self.mode == "rich" else self.err_console, parts, style)

    def heading(self, *parts: Part) -> None:
        """A section heading (the demo's steps)."""
        if self.mode == "rich":
            self.console.print()
            self.console.rule(assemble(parts, "bold"), align="left")
        else:
            self.message("== ", *parts, " ==")

    def warning(self, text: str) -> None:
        """A warning on stderr."""
        self._print(self.err_console, [("warning:", "bold yellow"), " ", text])

    def error(self, text: str) -> None:
        """One error line on stderr."""
        self._print(self.err_console, [("error:", "bold red"), " ", text])

    def failure(self, exc: BaseException, address: str | None = None) -> None:
        """A failure on stderr: one line, plus the traceback under ``--debug``."""
        self.error(one_line(exc, address))
        if self.debug:
            self.traceback(exc)

    def traceback(self, exc: BaseException) -> None:
        """The exception's traceback on stderr (for ``--debug``)."""
        self.err_console.file.write(printable_lines(traceback_text(exc)) + "\n")
        self.err_console.file.flush()

    # -- data -------------------------------------------------------------------------------

    def json(self, data: Any) -> None:
        """The one JSON document of a ``--json`` run, on stdout."""
        file = self.console.file
        text = json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False)
        file.write(json_printable(text) + "\n")
        file.flush()

    def table(
        self,
        columns: Sequence[Column],
        rows: Iterable[Mapping[str, Cell | None]],
        *,
        title: str | None = None,
    ) -> None:
        """Rows as a table: fitted, boxed and coloured on a terminal, plain text otherwise.

        On a terminal the table fits its width (:func:`~.tables.fit`): values fold or are
        cut with a visible mark, and columns left out for lack of room are named below it.
        """
        rows = list(rows)
        if self.mode == "rich":
            self._rich_table(columns, rows, title)
        else:
            self._plain_table(columns, rows, title)

    def _rich_table(
        self, columns: Sequence[Column], rows: list[Mapping[str, Cell | None]], title: str | None
    ) -> None:
        texts = [[_text(row.get(column.key)) for column in columns] for row in rows]
        layout = fit(columns, texts, self.console.width)
        table = Table(
            title=assemble([title]) if title else None,
            title_justify="left",
            title_style="bold",
            box=box.SIMPLE_HEAD,
            header_style="bold cyan",
            padding=(0, 1, 0, 0),
            pad_edge=False,
            expand=False,
        )
        for column, width in zip(layout.columns, layout.widths, strict=True):
            table.add_column(
                column.header,
                justify=column.justify,
                no_wrap=column.no_wrap,
                width=width,
                overflow="ellipsis" if column.cut else "fold",
            )
        shown = [columns.index(column) for column in layout.columns]
        for row, line in zip(rows, texts, strict=True):
            table.add_row(*(Text(line[i], style=_style(row.get(columns[i].key))) for i in shown))
        self.console.print(table)
        if layout.dropped:
            names = ", ".join(column.header for column in layout.dropped)
            them = "it" if len(layout.dropped) == 1 else "them"
            self.message(
                (
                    f"Not shown at {self.console.width} columns: {names}. "
                    f"A wider terminal shows {them}; --json has every value.",
                    "dim",
                )
            )

    def _plain_table(
        self, columns: Sequence[Column], rows: list[Mapping[str, Cell | None]], title: str | None
    ) -> None:
        file = self.err_console.file if self.json_mode else self.console.file
        grid = [[column.header.upper() for column in columns]]
        grid += [[_text(row.get(c.key)) or "-" for c in columns] for row in rows]
        widths = [max(len(line[i]) for line in grid) for i in range(len(columns))]
        if title:
            file.write(printable(title) + "\n")
        for line in grid:
            cells = [
                cell.rjust(width) if column.justify == "right" else cell.ljust(width)
                for cell, width, column in zip(line, widths, columns, strict=True)
            ]
            file.write("  ".join(cells).rstrip() + "\n")
        file.flush()


def printable_lines(text: str) -> str:
    """Each line of ``text`` made printable (a traceback keeps its lines)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def json_printable(document: str) -> str:
    """A JSON text with every character a terminal would act on written as a ``\\u`` escape.

    ``json.dumps`` escapes C0 controls already; DEL, C1 controls and invisible format
    characters (only ever inside strings, where an escape means the same) are escaped here.
    """
    if all(ch == "\n" or ch.isprintable() for ch in document):
        return document
    out = []
    for ch in document:
        if ch == "\n" or ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            code = ord(ch) - 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    return "".join(out)
