"""Showing every board's result: a table, plain lines or one JSON document, and the exit status.

A command describes how one board's value looks with :class:`BoardRows`; :func:`report` shows
the finished boards (and the unfinished ones after Ctrl-C) and returns the exit status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from ..fleet import BoardResult
from .exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from .failures import describe, error_json
from .output import Cell, Column, styled

if TYPE_CHECKING:
    from .context import AppContext
    from .running import Collected

__all__ = ["BoardRows", "report"]

T = TypeVar("T")


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


def report(
    app: AppContext,
    command: str,
    collected: Collected[T],
    shape: BoardRows[T],
    *,
    title: str | None = None,
    extra: Mapping[str, Any] | None = None,
    failed: Callable[[BoardResult[T]], bool] | None = None,
    json_sink: list[dict[str, Any]] | None = None,
    outcome_words: tuple[str, str] = ("ok", "failed"),
) -> int:
    """Show every board's result (table, plain lines or JSON) and return the exit status.

    A board counts as failed when its operation raised, or when ``failed`` says so.
    Under ``--json`` the document goes to ``json_sink`` when one is given (the demo
    prints one document for all its steps), else to stdout. ``outcome_words`` name the two
    kinds of board in the summary line (``plan``: "up to date" and "not up to date").
    """
    out = app.output
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
        _table(app, collected, shape, title)
        out.message(_summary_line(summary, outcome_words))
    if collected.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if bad or unfinished else EXIT_OK


def _table(
    app: AppContext, collected: Collected[T], shape: BoardRows[T], title: str | None
) -> None:
    """The results table; failures go in an Error column (plain) or beneath it (terminal).

    On a terminal a long error in a column would squeeze every other column, so each
    failed row says ``failed`` and its error follows the table on a line of its own.
    """
    rich = app.output.mode == "rich"
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
    app.output.table(columns, rows, title=title)
    if rich:
        for address, text in problems:
            app.output.message(
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


def _summary_line(summary: Mapping[str, Any], words: tuple[str, str]) -> str:
    total, ok, bad, left = (summary[k] for k in ("boards", "ok", "failed", "unfinished"))
    parts = [f"[green]{ok} {words[0]}[/]" if ok else f"0 {words[0]}"]
    if bad:
        parts.append(f"[bold red]{bad} {words[1]}[/]")
    if left:
        parts.append(f"[yellow]{left} unfinished[/]")
    noun = "board" if total == 1 else "boards"
    line = f"{total} {noun}: " + ", ".join(parts)
    if summary["interrupted"]:
        line += " [yellow](interrupted with Ctrl-C)[/]"
    return line
