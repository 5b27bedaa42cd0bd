"""The station's live view: a panel per slot (connection path) with a big pass or fail;
on a pipe, a plain line per finished slot."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from rich.align import Align
from rich.console import Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..station import SlotView, Station
from .formatting import printable
from .output import Output

__all__ = ["StationDisplay", "render_station", "slot_line"]

# Each state: the big word, and the style that fills the slot's panel.
_LOOK: Final[dict[str, tuple[str, str]]] = {
    "idle": ("EMPTY", "dim"),
    "serial": ("SCAN SERIAL", "bold black on yellow"),
    "running": ("WORKING", "bold white on blue"),
    "passed": ("PASS", "bold white on green"),
    "failed": ("FAIL", "bold white on red"),
    "interrupted": ("PULLED", "bold black on yellow"),
    "refused": ("REFUSED", "bold white on magenta"),
    "not taken": ("NOT TAKEN", "bold white on magenta"),
}


def _panel(view: SlotView) -> Panel:
    word, style = _LOOK[view.state]
    big = Panel(Align.center(Text(word, style="bold")), style=style, padding=(1, 1))
    lines: list[RenderableType] = [big]
    if view.device_id:
        lines.append(Text(f"device {printable(view.device_id[:16])}...", overflow="ellipsis"))
    if view.serial:
        lines.append(Text(f"serial {printable(view.serial)}"))
    if view.state in ("running", "serial") and view.started:
        step = f" · {printable(view.step)}" if view.step else ""
        lines.append(Text(f"{time.monotonic() - view.started:5.1f} s{step}", overflow="ellipsis"))
    if view.detail:
        lines.append(Text(printable(view.detail), style="italic", overflow="fold"))
    # A str title would be read as markup; the slot is the DCS's connection path.
    title = Text(f"slot {printable(view.slot)}")
    return Panel(Group(*lines), title=title, border_style=style.split(" on ")[-1])


def render_station(station: Station, *, columns: int = 4) -> RenderableType:
    """Every slot's panel in a grid, with the station's totals and troubles under it."""
    grid = Table.grid(expand=True, padding=(0, 1))
    for _ in range(columns):
        grid.add_column(ratio=1)
    panels = [_panel(station.slots[slot]) for slot in sorted(station.slots, key=_slot_order)]
    for start in range(0, len(panels), columns):
        row = panels[start : start + columns]
        grid.add_row(*row, *([""] * (columns - len(row))))
    counts = station.counts
    status = Text(
        f"{station.name}: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['interrupted']} interrupted, {station.in_flight} in flight"
    )
    parts: list[RenderableType] = [grid, status]
    if not panels:
        parts.insert(0, Text("Plug a board in.", style="bold"))
    if station.halted:
        halted = printable(station.halted)
        parts.append(Text(f"TAKING NO NEW BOARDS: {halted}", style="bold white on red"))
    if station.dcs_problem:
        problem = printable(station.dcs_problem)
        parts.append(Text(f"NO BOARD LIST: {problem}", style="bold white on red"))
    if station.draining:
        parts.append(Text("Finishing the boards in flight (Ctrl-C again to stop now)"))
    return Group(*parts)


def slot_line(view: SlotView) -> str:
    """One plain line for a slot's result (logs and pipes)."""
    word, _ = _LOOK[view.state]
    serial = f" serial {view.serial}" if view.serial else ""
    detail = f": {view.detail}" if view.detail else ""
    return f"slot {view.slot}: {word} {view.device_id[:16]}{serial}{detail}"


def _slot_order(slot: str) -> tuple[int, str]:
    return (int(slot), "") if slot.isdigit() else (1 << 30, slot)


class StationDisplay:
    """The live view on a terminal; on a pipe, a line per finished slot (a context manager
    whose value is the function that shows the station now)."""

    def __init__(self, out: Output) -> None:
        self._out = out
        self._live: Live | None = None
        self._shown: dict[str, str] = {}
        self._said_stopping = False

    def __enter__(self) -> Callable[[Station], None]:
        if self._out.interactive:
            self._live = Live(console=self._out.console, auto_refresh=False, transient=False)
            self._live.start()
            self._out.live_on_stdout = True  # warnings (a webhook held) above the view
        return self._refresh

    def _refresh(self, station: Station) -> None:
        if self._live is not None:
            self._live.update(render_station(station), refresh=True)
            return
        if station.draining and not self._said_stopping:
            self._said_stopping = True
            self._out.note("Stopping: finishing the boards in flight (Ctrl-C again: stop now)")
        for slot, view in station.slots.items():
            if view.state in ("passed", "failed", "interrupted", "refused", "not taken"):
                line = slot_line(view)
                if self._shown.get(slot) != line:
                    self._shown[slot] = line
                    self._out.message(line)

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._out.live_on_stdout = False
            self._live.stop()
