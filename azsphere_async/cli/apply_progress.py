"""Live view of ``apply``: each board's actions as they run, then its outcome.

On a terminal, rich draws a line per board (a bar of its actions, the one running now with
its upload's percentage) and a total of boards finished. Through a pipe, each action's start
and end is one line on stderr, so stdout keeps only the result table. Under ``--json`` the
bars go to stderr when that is a terminal, and otherwise nothing is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from ..applying import ApplyProgress, ApplyResult
from ..fleet import BoardResult
from .formatting import printable
from .output import Output

__all__ = ["ApplyDisplay", "outcome_of"]


def outcome_of(result: ApplyResult) -> tuple[str, str]:
    """A board's outcome in a word or two, and its style."""
    if result.failed:
        return "failed", "bold red"
    if result.held and not result.after.problems:
        return "held", "bold yellow"
    if not result.converged:
        return "not as the recipe says", "bold red"
    return ("converged", "bold green") if result.changed else ("up to date", "green")


class ApplyDisplay:
    """Shows every board's apply as it goes; a context manager fed by :meth:`update`."""

    def __init__(self, output: Output, addresses: Sequence[str]) -> None:
        self._output = output
        self._addresses = tuple(addresses)
        self._width = max((len(a) for a in self._addresses), default=0)
        console: Console | None = None
        if output.mode == "rich":
            console = output.console
        elif output.json_mode and output.err_console.is_terminal:
            console = output.err_console
        self._plain = console is None and output.mode == "plain"
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._finished = 0
        self._total: TaskID | None = None
        if console is not None:
            self._progress = Progress(
                TextColumn(f"{{task.description:<{max(self._width, 5)}}}", style="bold"),
                BarColumn(bar_width=None),
                TextColumn("{task.fields[count]:>5}"),
                TextColumn("{task.fields[state]}"),
                console=console,
                expand=True,
                refresh_per_second=10,
            )
            for address in self._addresses:
                self._tasks[address] = self._progress.add_task(
                    address, total=None, count="", state="[dim]reading[/]"
                )
            self._total = self._progress.add_task(
                "boards", total=len(self._addresses), count=f"0/{len(self._addresses)}", state=""
            )

    def __enter__(self) -> ApplyDisplay:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _line(self, address: str, text: str) -> None:
        if self._plain:
            self._output.err_console.file.write(f"{address:<{self._width}}  {printable(text)}\n")
            self._output.err_console.file.flush()

    def _set(self, address: str, **fields: object) -> None:
        if self._progress is not None and address in self._tasks:
            self._progress.update(self._tasks[address], **fields)  # type: ignore[arg-type]

    def update(self, address: str, event: ApplyProgress) -> None:
        """One step of a board's apply (the library's progress callback)."""
        count = f"{event.index}/{event.total}" if event.total else ""
        what = escape(printable(event.action.describe())) if event.action is not None else ""
        if event.phase == "planned":
            if event.total == 0:
                self._set(address, total=1, completed=0, count="", state="[dim]checking[/]")
            else:
                self._set(address, total=event.total, completed=0, count=f"0/{event.total}")
                self._line(address, f"{event.total} to do")
        elif event.phase == "staging" and event.staged is not None:
            staged = event.staged
            fraction = staged.bytes_sent / staged.total_bytes if staged.total_bytes else 1.0
            self._set(
                address,
                completed=event.index - 1 + fraction,
                count=count,
                state=f"[cyan]{what}[/] {int(100 * fraction)}%",
            )
        elif event.phase == "started":
            self._set(address, completed=event.index - 1, count=count, state=f"[cyan]{what}[/]")
            self._line(address, f"{count} {event.action.describe() if event.action else ''}")
        elif event.phase == "verifying":
            self._set(address, state="[dim]reading the board again[/]")
        elif event.action is not None:
            style = {"done": "green", "failed": "red", "held": "yellow"}.get(event.phase, "dim")
            self._set(address, completed=event.index, count=count)
            self._set(address, state=f"[{style}]{what}: {event.phase}[/]")
            detail = f" ({event.detail})" if event.detail else ""
            self._line(address, f"{count} {event.action.describe()}: {event.phase}{detail}")

    def finished(self, result: BoardResult[ApplyResult]) -> None:
        """A board's apply ended."""
        address = result.address
        if result.value is None:
            text = "failed (why: see the results)"  # told once, with the boards it struck
            word, style = "failed", "bold red"
        else:
            word, style = outcome_of(result.value)
            text = word
        self._finished += 1
        if self._progress is not None and address in self._tasks:
            task = self._progress.tasks[self._progress.task_ids.index(self._tasks[address])]
            total = task.total or 1
            self._progress.update(self._tasks[address], total=total, completed=total)
            mark = {"green": "✓", "yellow": "‖"}.get(style.split()[-1], "✗")
            self._set(address, state=f"[{style}]{mark} {escape(word)}[/]")
        if self._progress is not None and self._total is not None:
            count = f"{self._finished}/{len(self._addresses)}"
            self._progress.update(self._total, completed=self._finished, count=count)
        self._line(address, text)
