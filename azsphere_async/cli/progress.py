"""Live deploy progress: a bar per board plus a total, or plain milestone lines.

On a terminal, rich draws one bar per board and a total. Through a pipe each board gets a
line at every quarter of its upload and when it is installing and done, so logs stay short
and greppable. Under ``--json`` nothing reaches stdout: the bars go to stderr when that is a
terminal, and otherwise nothing is shown.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TransferSpeedColumn,
)

from ..staging import StageProgress
from .formatting import format_bytes, format_duration, format_rate
from .output import Output

__all__ = ["DeployDisplay"]

_MILESTONES = (25, 50, 75)


class DeployDisplay:
    """Shows every board's upload, then its install and outcome; a context manager.

    Feed it :meth:`sent` (bytes so far) or :meth:`update` (a :class:`StageProgress`),
    then :meth:`installing` and :meth:`finished`. Updates may come from any task of the
    event loop; they are cheap.
    """

    def __init__(self, output: Output, addresses: Sequence[str], size: int) -> None:
        self._output = output
        self._size = size
        self._addresses = tuple(addresses)
        self._sent: dict[str, int] = dict.fromkeys(self._addresses, 0)
        self._sent_total = 0
        self._width = max((len(a) for a in self._addresses), default=0)
        self._milestone: dict[str, int] = dict.fromkeys(self._addresses, 0)
        self._state: dict[str, str] = dict.fromkeys(self._addresses, "waiting")
        self._started: dict[str, float] = {}
        console: Console | None = None
        if output.mode == "rich":
            console = output.console
        elif output.json_mode and output.err_console.is_terminal:
            console = output.err_console
        self._plain = console is None and output.mode == "plain"
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._total: TaskID | None = None
        if console is not None:
            self._progress = Progress(
                TextColumn(f"{{task.description:<{max(self._width, 5)}}}", style="bold"),
                BarColumn(bar_width=None),
                TaskProgressColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TextColumn("{task.fields[state]}"),
                console=console,
                expand=True,
                refresh_per_second=10,
                speed_estimate_period=5.0,
            )
            for address in self._addresses:
                self._tasks[address] = self._progress.add_task(
                    address, total=size, state="[dim]waiting[/]"
                )
            self._total = self._progress.add_task(
                "total", total=size * len(self._addresses), state=""
            )

    def __enter__(self) -> DeployDisplay:
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
            if exc_type is not None:
                for address, state in self._state.items():
                    if state not in ("done", "failed"):
                        self._set_state(address, "[yellow]stopped[/]")
            self._progress.stop()

    # -- updates --------------------------------------------------------------------------

    def _set_state(self, address: str, markup: str) -> None:
        if self._progress is not None and address in self._tasks:
            self._progress.update(self._tasks[address], state=markup)

    def _line(self, address: str, text: str) -> None:
        if self._plain:
            self._output.message(f"{address:<{self._width}}  {text}")

    def _record_sent(self, address: str, sent: int) -> None:
        """Note a board's bytes sent; the total bar follows without summing every board."""
        self._sent_total += sent - self._sent[address]
        self._sent[address] = sent
        if self._progress is not None:
            assert self._total is not None
            self._progress.update(self._total, completed=self._sent_total)

    def update(self, address: str, progress: StageProgress) -> None:
        """A :class:`StageProgress` from the library's callback."""
        self.sent(address, progress.bytes_sent, progress.total_bytes)

    def sent(self, address: str, sent: int, total: int | None = None) -> None:
        """``sent`` bytes of this board's upload have gone out."""
        if address not in self._sent:
            return
        total = total or self._size
        previous = self._sent[address]
        if sent <= previous and self._state[address] != "waiting":
            return
        if self._state[address] == "waiting":
            self._state[address] = "staging"
            self._started[address] = time.monotonic()
            self._set_state(address, "[cyan]staging[/]")
            self._line(address, f"staging   {format_bytes(total)}")
        self._record_sent(address, sent)
        if self._progress is not None:
            self._progress.update(self._tasks[address], completed=sent)
        percent = int(100 * sent / total) if total else 100
        crossed = [m for m in _MILESTONES if self._milestone[address] < m <= percent]
        if crossed and sent < total:
            # One line for the highest quarter passed: a fast upload prints no burst.
            self._milestone[address] = crossed[-1]
            elapsed = time.monotonic() - self._started[address]
            rate = sent / elapsed if elapsed > 0 else None
            self._line(
                address,
                f"staging   {crossed[-1]:>3d}%  {format_bytes(sent)} of {format_bytes(total)}"
                f"  {format_rate(rate)}",
            )
        if sent >= total:
            self.installing(address)

    def installing(self, address: str) -> None:
        """The upload is complete; the board is installing."""
        if self._state.get(address) in ("installing", "done", "failed"):
            return
        self._state[address] = "installing"
        self._set_state(address, "[yellow]installing[/]")
        elapsed = time.monotonic() - self._started.get(address, time.monotonic())
        self._line(address, f"sent      {format_bytes(self._size)} in {format_duration(elapsed)}")
        self._line(address, "installing")

    def finished(self, address: str, ok: bool, detail: str = "") -> None:
        """The board's deploy ended: done, or failed (``detail`` says why)."""
        if address not in self._state:
            return
        self._state[address] = "done" if ok else "failed"
        self._set_state(address, "[bold green]✓ done[/]" if ok else "[bold red]✗ failed[/]")
        if ok and self._progress is not None:
            self._progress.update(self._tasks[address], completed=self._size)
            self._record_sent(address, self._size)
        self._line(address, "done" if ok else f"FAILED    {detail}")
        if self._total is not None and all(s in ("done", "failed") for s in self._state.values()):
            failed = sum(1 for s in self._state.values() if s == "failed")
            self._progress_total_state(
                "[bold green]all done[/]" if not failed else f"[bold red]{failed} failed[/]"
            )

    def _progress_total_state(self, markup: str) -> None:
        if self._progress is not None and self._total is not None:
            self._progress.update(self._total, state=markup)
