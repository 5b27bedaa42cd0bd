"""Showing every board's result: a table, plain lines or one JSON document, and the exit status.

A command describes how one board's value looks with :class:`BoardRows`; :func:`report` shows
the finished boards (and the unfinished ones after Ctrl-C) and returns the exit status. Every
board is named by its address and its device ID. Failures are told once each: the failed
boards' rows say ``failed``, and beneath the table each distinct failure is one line with the
boards it struck, however many. ``--retry-file`` writes the boards that did not succeed as a
devices file for the next run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs

from ..fleet import BoardResult
from .exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from .failures import describe, error_json
from .formatting import printable
from .output import Cell, Column, Output, Part, styled

if TYPE_CHECKING:
    from .context import AppContext
    from .running import Collected

__all__ = [
    "BOARD_COLUMNS",
    "BoardRows",
    "FailureGroup",
    "board_cells",
    "group_failures",
    "report",
    "show_failures",
    "write_retry_file",
]

T = TypeVar("T")

#: The columns every board table starts with: the board's address and its device ID (whole
#: where there is room, else cut with a visible mark). Their keys start with "_", which
#: command columns may not use.
BOARD_COLUMNS: Final = (
    Column("Board", "_board", no_wrap=True),
    Column("Device ID", "_device_id", no_wrap=True, cut=True, min_width=9, priority=1),
)

_INTERRUPTED: Final = "interrupted before it finished; run the command again for it"


def _no_reserved_keys(instance: object, attribute: object, columns: Sequence[Column]) -> None:
    taken = [column.key for column in columns if column.key.startswith("_")]
    if taken:
        raise ValueError(f"column keys starting with '_' belong to the board columns: {taken}")


@attrs.frozen
class BoardRows(Generic[T]):
    """How a command shows one board's value: table rows and JSON data.

    ``rows`` gives zero or more rows (a listing may have many); a board with none gets one row
    whose first column says ``empty``. ``data`` is the board's value as JSON data. Column keys
    may not start with ``_`` (the board's own columns use those).
    """

    columns: Sequence[Column] = attrs.field(validator=_no_reserved_keys)
    rows: Callable[[T], list[dict[str, Cell | None]]]
    data: Callable[[T], Any]
    empty: str = "none"


@attrs.frozen
class FailureGroup:
    """One failure and every board it struck, in the boards' order."""

    text: str
    addresses: tuple[str, ...]
    error: BaseException | None = None

    @property
    def interrupted(self) -> bool:
        """Whether these boards were stopped by Ctrl-C rather than failing."""
        return self.text == _INTERRUPTED


def group_failures(failures: Sequence[tuple[str, str, BaseException | None]]) -> list[FailureGroup]:
    """``(address, text, error)`` triples grouped by identical text, first seen first."""
    groups: dict[str, list[str]] = {}
    first_error: dict[str, BaseException | None] = {}
    for address, text, error in failures:
        groups.setdefault(text, []).append(address)
        first_error.setdefault(text, error)
    return [FailureGroup(text, tuple(boards), first_error[text]) for text, boards in groups.items()]


def show_failures(out: Output, groups: Sequence[FailureGroup], boards: int) -> None:
    """Each failure once, with the boards it struck (and, with ``--debug``, one traceback).

    ``boards`` is how many boards the command ran on: a failure on all of them names none.
    """
    for group in groups:
        count = len(group.addresses)
        lead: list[Part] = [
            ("✗ interrupted", "bold yellow") if group.interrupted else ("✗ failed", "bold red")
        ]
        if count == 1:
            out.message(*lead, " on ", (group.addresses[0], "bold"), ": ", group.text)
        elif count == boards:
            out.message(*lead, f" on all {count} boards: ", group.text)
        else:
            out.message(*lead, f" on {count} boards: ", group.text)
            out.message(", ".join(group.addresses), indent=2)
        if out.debug and group.error is not None:
            more = f" (the same on {count - 1} more)" if count > 1 else ""
            out.err_console.file.write(f"traceback of {group.addresses[0]}{more}:\n")
            out.traceback(group.error)


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
    retry = [(r.address, _reason(r)) for r in bad] + [(a, _INTERRUPTED) for a in unfinished]
    retry_file = write_retry_file(app, command, retry, collected.device_ids)
    if out.json_mode:
        boards: list[dict[str, Any]] = []
        for result in finished:
            entry = _identity(result.address, collected.device_ids)
            entry.update(ok=not is_bad(result), elapsed=round(result.elapsed, 3))
            if result.error is not None:
                entry["error"] = error_json(result.error)
            else:
                entry["result"] = shape.data(result.value)  # type: ignore[arg-type]
            boards.append(entry)
        for address in unfinished:
            entry = _identity(address, collected.device_ids)
            entry.update(ok=False, error=_interrupted_json())
            boards.append(entry)
        document = {"command": command, **(extra or {}), "boards": boards, "summary": summary}
        if retry_file is not None:
            document["retry_file"] = str(retry_file)
        if json_sink is not None:
            json_sink.append(document)
        else:
            out.json(document)
    else:
        _table(app, collected, shape, title)
        out.message(*_summary_line(summary, outcome_words))
        if retry_file is not None:
            _tell_retry(out, retry_file, len(retry))
    if collected.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if bad or unfinished else EXIT_OK


def _identity(address: str, device_ids: Mapping[str, str | None]) -> dict[str, Any]:
    return {"address": address, "device_id": device_ids.get(address)}


def _reason(result: BoardResult[Any]) -> str:
    return describe(result.error) if result.error is not None else "not ready"


def board_cells(address: str, device_id: str | None) -> dict[str, Cell | None]:
    """The board columns' cells of a board's first row."""
    return {"_board": address, "_device_id": device_id or "-"}


def _table(
    app: AppContext, collected: Collected[T], shape: BoardRows[T], title: str | None
) -> None:
    """The results table, then each distinct failure once with the boards it struck."""
    failures: list[tuple[str, str, BaseException | None]] = [
        (r.address, describe(r.error), r.error) for r in collected.failed if r.error is not None
    ]
    failures += [(a, _INTERRUPTED, None) for a in collected.unfinished()]
    columns = [*BOARD_COLUMNS, *shape.columns]
    first_key = shape.columns[0].key if shape.columns else "_device_id"
    repeat = app.output.mode != "rich"  # plain lines repeat the board on every row, for grep
    rows: list[dict[str, Cell | None]] = []
    for result in collected.finished():
        identity = board_cells(result.address, collected.device_ids.get(result.address))
        if result.error is not None:
            rows.append({**identity, first_key: styled("failed", "red")})
            continue
        board_rows = shape.rows(result.value)  # type: ignore[arg-type]
        if not board_rows:
            board_rows = [{first_key: styled(shape.empty, "dim")}]
        for index, row in enumerate(board_rows):
            shown = identity if index == 0 or repeat else {"_board": "", "_device_id": ""}
            rows.append({**shown, **row})
    for address in collected.unfinished():
        identity = board_cells(address, collected.device_ids.get(address))
        rows.append({**identity, first_key: styled("interrupted", "yellow")})
    app.output.table(columns, rows, title=title)
    show_failures(app.output, group_failures(failures), len(collected.addresses))


def write_retry_file(
    app: AppContext,
    command: str,
    boards: Sequence[tuple[str, str]],
    device_ids: Mapping[str, str | None],
) -> Path | None:
    """Write the boards to retry (``(address, why)``) to ``--retry-file``, if it was given.

    A devices file: one address a line, with the device ID and the reason as a comment, so
    ``--devices-file FILE`` runs the same command on just those boards. Written whole, then
    renamed into place; with nothing to retry it holds no boards.
    """
    target = app.retry_file
    if target is None:
        return None
    when = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [
        f"# azsphere-async {command}: {len(boards)} boards to retry ({when})",
        "# use with: azsphere-async --devices-file THIS-FILE ...",
    ]
    for address, why in boards:
        device_id = device_ids.get(address) or "device ID unknown"
        reason = " ".join(printable(why).split())
        lines.append(f"{address}  # {device_id}: {reason[:160]}")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial.replace(target)
    return target


def _tell_retry(out: Output, path: Path, count: int) -> None:
    if count:
        noun = "board" if count == 1 else "boards"
        out.message(
            f"{count} {noun} to retry written to {path}: run again with --devices-file {path}"
        )
    else:
        out.message(f"No board to retry; {path} now names none.", style="dim")


def _interrupted_json() -> dict[str, str]:
    return {
        "type": "Interrupted",
        "message": "interrupted before it finished",
        "hint": "run the command again for this board",
    }


def _summary_line(summary: Mapping[str, Any], words: tuple[str, str]) -> list[Part]:
    total, ok, bad, left = (summary[k] for k in ("boards", "ok", "failed", "unfinished"))
    noun = "board" if total == 1 else "boards"
    parts: list[Part] = [
        f"{total} {noun}: ",
        (f"{ok} {words[0]}", "green") if ok else f"0 {words[0]}",
    ]
    if bad:
        parts += [", ", (f"{bad} {words[1]}", "bold red")]
    if left:
        parts += [", ", (f"{left} unfinished", "yellow")]
    if summary["interrupted"]:
        parts += [" ", ("(interrupted with Ctrl-C)", "yellow")]
    return parts
