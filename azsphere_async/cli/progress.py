"""Live deploy progress: a total and a row per board, or plain lines as phases change.

On a terminal the view is redrawn ten times a second (the library reports each board twice a
second) and always fits it: a total bar (bytes
the boards received, their rate together, time until the slowest has its image), a count of
boards per phase, then one row per board. With more boards than the terminal has rows the
view is compact: after the total and the counts come the failed boards (never hidden below
the fold), then as many active boards as fit, and a line for the rest. Progress never reaches
a piped stdout, which carries the results alone: with stdout piped the view goes to stderr
when that is a terminal, and otherwise each board gets a line on stderr when its phase
changes and at every quarter of its upload, so logs stay short and greppable. Under
``--json`` the view goes to stderr when that is a terminal, and otherwise nothing is shown.
A failure's reason is left to the results, so it is told once. After Ctrl-C it says what may
be left on each board that had begun, and the command that clears it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import Final

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ..imagepackage import ImagePackageInfo
from ..progress import FleetProgress, Phase, RateWindow, StageProgress
from .formatting import format_bytes, format_rate
from .output import Output

__all__ = ["DeployDisplay", "format_clock"]

_MILESTONES: Final = (25, 50, 75)
_QUEUED: Final = "waiting to start"
# Below this many columns the rows leave out the byte counts and shorten the phases.
_WIDE: Final = 110
_SHORT: Final = {
    _QUEUED: "queued",
    Phase.WAITING.label: "board checking",
}
_STYLES: Final = {
    _QUEUED: "dim",
    Phase.CONNECTING.label: "cyan",
    Phase.UPLOADING.label: "cyan",
    Phase.WAITING.label: "magenta",
    Phase.INSTALLING.label: "yellow",
    Phase.CONFIRMING.label: "yellow",
    "done": "bold green",
    "failed": "bold red",
}
# Phases in which a board may have installed the image, if the deploy stops there.
_MAY_HAVE_INSTALLED: Final = frozenset({Phase.INSTALLING.label, Phase.CONFIRMING.label})
# Phases in which a board may hold a staged image, if the deploy stops there.
_LEAVES_STAGED: Final = frozenset(
    {Phase.UPLOADING.label, Phase.WAITING.label, Phase.INSTALLING.label}
)


def format_clock(seconds: float | None) -> str:
    """``0:07``, ``12:30`` or ``1:02:03``; ``-`` for unknown."""
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    if minutes < 60:
        return f"{minutes}:{secs:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _sizes(part: int, whole: int) -> str:
    """``405.5/921.6 kB``: two sizes in the unit of the larger."""
    size, unit = float(whole), "B"
    divisor = 1.0
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            break
        size /= 1000
        divisor *= 1000
    if unit == "B":
        return f"{part}/{whole} B"
    return f"{part / divisor:.1f}/{whole / divisor:.1f} {unit}"


class DeployDisplay:
    """Shows every board's deploy, phase by phase, and a total; a context manager.

    Feed it :meth:`update` (the library's :class:`StageProgress`) or :meth:`sent` (bytes a
    board received, counted elsewhere) and :meth:`set_phase`, then :meth:`finished`. Updates
    may come from any task of the event loop; they only store figures (drawing happens ten
    times a second).
    """

    def __init__(
        self,
        output: Output,
        addresses: Sequence[str],
        size: int,
        *,
        package: ImagePackageInfo | None = None,
    ) -> None:
        self._output = output
        self._size = size
        self._package = package
        self._addresses = tuple(addresses)
        self.fleet = FleetProgress.of(self._addresses, size)
        self._width = max((len(a) for a in self._addresses), default=0)
        self._milestone: dict[str, int] = dict.fromkeys(self._addresses, 0)
        self._shown_phase: dict[str, str] = dict.fromkeys(self._addresses, _QUEUED)
        self._started = time.monotonic()
        self._windows: dict[str, RateWindow] = {}
        console: Console | None = None
        if output.mode == "rich":
            console = output.console
        elif output.err_console.is_terminal:
            console = output.err_console
        self._console = console
        self._plain = console is None and output.mode == "plain"
        self._live: Live | None = None
        if console is not None:
            self._live = Live(_View(self), console=console, refresh_per_second=10, transient=False)

    def __enter__(self) -> DeployDisplay:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()
        if exc_type is not None:
            self._tell_what_is_left()

    # -- updates --------------------------------------------------------------------------

    def update(self, address: str, progress: StageProgress) -> None:
        """A :class:`StageProgress` from the library's callback."""
        self._store(address, progress)

    def _store(self, address: str, progress: StageProgress) -> None:
        if address not in self.fleet.boards or address in self.fleet.finished:
            return
        self.fleet.update(address, progress)
        self._changed(address, progress)

    def sent(self, address: str, sent: int, total: int | None = None) -> None:
        """``sent`` bytes of this board's upload have reached it (counted by the caller)."""
        if address not in self.fleet.boards or address in self.fleet.finished:
            return
        total = total or self._size
        now = time.monotonic()
        window = self._windows.get(address)
        if window is None:
            # The first figure holds the burst that filled the buffers: the window starts after.
            window = self._windows[address] = RateWindow()
            rate = None
        else:
            window.add(now, sent)
            rate = window.rate()
        previous = self.fleet.boards[address]
        phase = previous.phase if previous is not None else Phase.UPLOADING
        if phase in (Phase.CONNECTING, Phase.UPLOADING):
            phase = Phase.UPLOADING if sent < total else Phase.WAITING
        self._store(address, StageProgress(sent, total, now - self._started, phase, rate))

    def set_phase(self, address: str, phase: Phase) -> None:
        """The board's deploy entered ``phase`` (its byte count stays)."""
        previous = self.fleet.boards.get(address)
        sent = previous.bytes_sent if previous is not None else 0
        if phase in (Phase.INSTALLING, Phase.CONFIRMING):
            sent = self._size
        rate = previous.recent_rate if previous is not None else None
        elapsed = time.monotonic() - self._started
        self._store(address, StageProgress(sent, self._size, elapsed, phase, rate))

    def finished(self, address: str, ok: bool) -> None:
        """The board's deploy ended: done, or failed (the results say why)."""
        if address not in self.fleet.boards or address in self.fleet.finished:
            return
        self.fleet.finish(address, ok)
        self._line(address, "done" if ok else "FAILED    (why: see the results)")

    # -- plain lines ----------------------------------------------------------------------

    def _line(self, address: str, text: str) -> None:
        if self._plain:
            self._output.note(f"{address:<{self._width}}  {text}")

    def _changed(self, address: str, progress: StageProgress) -> None:
        if not self._plain:
            return
        label = progress.phase.label
        if label != self._shown_phase[address]:
            self._shown_phase[address] = label
            extra = f" {format_bytes(progress.total_bytes)}" if label == "uploading" else ""
            self._line(address, f"{label}{extra}")
        if progress.phase is not Phase.UPLOADING:
            return
        percent = int(100 * progress.fraction)
        crossed = [m for m in _MILESTONES if self._milestone[address] < m <= percent]
        if crossed:
            # One line for the highest quarter passed: a fast upload prints no burst.
            self._milestone[address] = crossed[-1]
            text = (
                f"uploading {crossed[-1]:>3d}%  {format_bytes(progress.bytes_sent)} of "
                f"{format_bytes(progress.total_bytes)}"
            )
            if progress.recent_rate is not None:
                text += f"  {format_rate(progress.recent_rate)}"
                text += f"  {format_clock(progress.time_left)} left"
            self._line(address, text)

    # -- after Ctrl-C ---------------------------------------------------------------------

    def _tell_what_is_left(self) -> None:
        """Say which boards may hold a staged image, and how to clear it."""
        fleet = self.fleet
        begun = [
            a
            for a in self._addresses
            if a not in fleet.finished and fleet.phase_of(a) not in (_QUEUED, "connecting")
        ]
        if not begun:
            return
        name = self._package.name if self._package is not None else None
        image = f"{name or 'the image'}"
        out = self._output
        out.message(("Stopped mid-deploy. What may be left on the boards:", "yellow"))
        for address in begun:
            phase = fleet.phase_of(address)
            progress = fleet.boards[address]
            if phase == Phase.UPLOADING.label and progress is not None:
                left = f"{int(100 * progress.fraction)}% of {image} uploaded: part may stay staged"
            elif phase == Phase.WAITING.label:
                left = f"{image} uploaded, perhaps staged"
            elif phase == Phase.INSTALLING.label:
                left = f"{image} staged, perhaps installed"
            else:
                left = f"{image} installed (it was being confirmed)"
            out.message(f"  {address:<{self._width}}  {left}")
        staged = [a for a in begun if fleet.phase_of(a) in _LEAVES_STAGED]
        if staged:
            boards = " ".join(f"-d {a}" for a in staged)
            out.message(
                "A restart clears a staged image: ", (f"azsphere-async {boards} restart", "bold")
            )
        installed = [a for a in begun if fleet.phase_of(a) in _MAY_HAVE_INSTALLED]
        if installed and self._package is not None:
            boards = " ".join(f"-d {a}" for a in installed)
            out.message(
                "To remove what got installed: ",
                (f"azsphere-async {boards} app delete {self._package.component_id}", "bold"),
            )


class _View:
    """The live view of a :class:`DeployDisplay`, laid out for the console's size."""

    def __init__(self, display: DeployDisplay) -> None:
        self._display = display

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        display = self._display
        fleet = display.fleet
        width = options.max_width
        wide = width >= _WIDE
        height = (options.height or console.size.height) - 1
        table = Table.grid(padding=(0, 1), expand=True)
        name_width = max(display._width, 5)
        table.add_column(width=name_width, no_wrap=True)
        table.add_column(ratio=1, min_width=8)
        table.add_column(justify="right", width=4, no_wrap=True)
        if wide:
            table.add_column(justify="right", width=15, no_wrap=True)
        table.add_column(justify="right", width=10, no_wrap=True)
        table.add_column(justify="right", width=10, no_wrap=True)
        table.add_column(width=21 if wide else 14, no_wrap=True)
        counts = fleet.counts()
        ended = len(fleet.finished) == len(fleet.boards)
        failed = counts.get("failed", 0)
        total_state = Text("")
        if ended:
            total_state = (
                Text(f"{failed} failed", "bold red") if failed else Text("all done", "bold green")
            )
        self._row(
            table,
            wide,
            Text("total", "bold"),
            fleet.bytes_sent,
            fleet.total_bytes,
            fleet.rate if not ended else None,
            fleet.time_left if not ended else None,
            total_state,
        )
        lines: list[Table | Text] = [table, self._counts(counts, len(fleet.boards))]
        addresses = display._addresses
        room = height - 2
        if len(addresses) <= room:
            shown, hidden = list(addresses), []
        else:
            failures = [a for a in addresses if fleet.finished.get(a) is False]
            active = [a for a in addresses if a not in fleet.finished and fleet.boards[a]]
            room -= 1  # the line about the boards not shown
            if len(failures) > room:
                lines.append(
                    Text(f"failed ({len(failures)}): ", "bold red") + Text(", ".join(failures))
                )
                shown = []
            else:
                shown = failures + active[: room - len(failures)]
            hidden = [a for a in addresses if a not in shown]
        rows = Table.grid(padding=(0, 1), expand=True)
        for column in table.columns:
            rows.add_column(
                width=column.width,
                ratio=column.ratio,
                min_width=column.min_width,
                justify=column.justify,
                no_wrap=True,
            )
        for address in shown:
            self._board_row(rows, wide, address)
        if shown:
            lines.append(rows)
        if hidden:
            lines.append(Text(f"… {len(hidden)} more: {self._summary(hidden)}", "dim"))
        yield from lines

    def _summary(self, addresses: list[str]) -> str:
        tally: dict[str, int] = {}
        for address in addresses:
            phase = self._display.fleet.phase_of(address)
            tally[phase] = tally.get(phase, 0) + 1
        return ", ".join(f"{n} {phase}" for phase, n in tally.items())

    @staticmethod
    def _counts(counts: dict[str, int], boards: int) -> Text:
        text = Text(f"{boards} {'board' if boards == 1 else 'boards'}: ", "bold")
        for i, (phase, n) in enumerate(counts.items()):
            if i:
                text.append(" · ", "dim")
            text.append(f"{n} {phase}", _STYLES.get(phase, ""))
        return text

    def _board_row(self, table: Table, wide: bool, address: str) -> None:
        fleet = self._display.fleet
        phase = fleet.phase_of(address)
        progress = fleet.boards[address]
        sent = progress.bytes_sent if progress is not None else 0
        if phase == "done":
            sent = self._display._size
        uploading = progress is not None and progress.phase is Phase.UPLOADING
        uploading = uploading and address not in fleet.finished
        label = phase if wide else _SHORT.get(phase, phase)
        self._row(
            table,
            wide,
            Text(address, "bold"),
            sent,
            self._display._size,
            progress.rate if uploading and progress is not None else None,
            progress.time_left if uploading and progress is not None else None,
            Text(label, _STYLES.get(phase, "")),
        )

    @staticmethod
    def _row(
        table: Table,
        wide: bool,
        name: Text,
        sent: int,
        total: int,
        rate: float | None,
        left: float | None,
        state: Text,
    ) -> None:
        percent = f"{int(100 * sent / total) if total else 100}%"
        cells: list[Text | ProgressBar] = [
            name,
            ProgressBar(total=max(total, 1), completed=sent),
            Text(percent),
        ]
        if wide:
            cells.append(Text(_sizes(sent, total)))
        cells.append(Text(format_rate(rate) if rate is not None else ""))
        cells.append(Text(f"{format_clock(left)} left" if left is not None else ""))
        cells.append(state)
        table.add_row(*cells)
