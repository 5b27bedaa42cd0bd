"""The station's live view: a panel per slot (connection path) with a big pass or fail;
on a pipe, a plain line per finished slot."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Final

from rich.align import Align
from rich.console import Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..station import OutboxSender, SlotView, Station, WebhookPublisher
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


# A slot's panel is 8 lines high, up to about 12 with a step or a reason folded in it.
_PANEL_LINES: Final = 12
# A slot's cell in the compact grid: "    40 NOT TAKEN", and a space.
_CELL_WIDTH: Final = 18
_NOT_PASSED: Final = ("failed", "refused", "not taken", "interrupted")
_ACTIVE: Final = ("running", "serial")


def render_station(
    station: Station,
    *,
    columns: int = 4,
    width: int = 80,
    height: int | None = None,
    senders: Sequence[OutboxSender] = (),
) -> RenderableType:
    """Every slot's panel in a grid, with the station's totals and troubles under it (the
    troubles include each target of ``senders`` that does not take events now).

    When the panels would not fit ``height`` lines, a compact view instead: the totals and
    troubles first, a small cell per slot (every slot, its state in its colour), then a line
    for each slot that did not pass and, room allowing, for each one at work; a failure is
    never below the fold.
    """
    slots = [station.slots[slot] for slot in sorted(station.slots, key=_slot_order)]
    rows = -(-len(slots) // columns)
    if height is not None and rows * _PANEL_LINES + 4 > height:
        return _compact(station, slots, width, height, senders)
    grid = Table.grid(expand=True, padding=(0, 1))
    for _ in range(columns):
        grid.add_column(ratio=1)
    panels = [_panel(view) for view in slots]
    for start in range(0, len(panels), columns):
        row = panels[start : start + columns]
        grid.add_row(*row, *([""] * (columns - len(row))))
    parts: list[RenderableType] = [grid, _status(station), *_troubles(station, senders)]
    if not panels:
        parts.insert(0, Text("Plug a board in.", style="bold"))
    return Group(*parts)


def _status(station: Station) -> Text:
    counts = station.counts
    return Text(
        f"{station.name}: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['interrupted']} interrupted, {station.in_flight} in flight"
    )


def _troubles(station: Station, senders: Sequence[OutboxSender]) -> list[Text]:
    lines = []
    if station.halted:
        halted = printable(station.halted)
        lines.append(Text(f"TAKING NO NEW BOARDS: {halted}", style="bold white on red"))
    if station.dcs_problem:
        problem = printable(station.dcs_problem)
        lines.append(Text(f"NO BOARD LIST: {problem}", style="bold white on red"))
    for sender in senders:
        if not sender.problem:
            continue
        problem = printable(sender.problem)
        if isinstance(sender, WebhookPublisher) and sender.held:
            said = f"EVENTS HELD: {sender.shown}: {problem} (see azsphere-async outbox)"
            lines.append(Text(said, style="bold black on yellow"))
        else:
            lines.append(Text(f"events wait: {sender.shown}: {problem}", style="yellow"))
    if station.draining:
        lines.append(Text("Finishing the boards in flight (Ctrl-C again to stop now)"))
    return lines


def _compact(
    station: Station,
    slots: list[SlotView],
    width: int,
    height: int,
    senders: Sequence[OutboxSender],
) -> RenderableType:
    top: list[RenderableType] = [_status(station), *_troubles(station, senders)]
    per_row = max(1, width // _CELL_WIDTH)
    grid = Table.grid(padding=(0, 0))
    for _ in range(per_row):
        grid.add_column(width=_CELL_WIDTH, no_wrap=True)
    cells = []
    for view in slots:
        word, style = _LOOK[view.state]
        cells.append(Text(f"{printable(view.slot)[:6]:>6} {word:<10}", style=style))
    for start in range(0, len(cells), per_row):
        grid.add_row(*cells[start : start + per_row])
    room = height - len(top) - -(-len(cells) // per_row) - 1
    lines: list[Text] = []
    used = 0
    for state_names, what in ((_NOT_PASSED, "not passed"), (_ACTIVE, "at work")):
        views = [view for view in slots if view.state in state_names]
        for index, view in enumerate(views):
            # A reason folds onto more lines; a slot at work keeps to one.
            row = _slot_row(view, fold=state_names is _NOT_PASSED)
            needs = -(-row.cell_len // width) if state_names is _NOT_PASSED else 1
            last = index == len(views) - 1
            if used + needs > room - (0 if last else 1):
                lines.append(Text(f"  ... {len(views) - index} more {what}", style="bold"))
                used += 1
                break
            lines.append(row)
            used += needs
    return Group(*top, grid, *lines)


def _slot_row(view: SlotView, *, fold: bool) -> Text:
    word, style = _LOOK[view.state]
    row = Text(f"slot {printable(view.slot)} ")
    row.append(f" {word} ", style=style)
    if view.device_id:
        row.append(f" {printable(view.device_id[:8])}…")
    if view.state in _ACTIVE and view.started:
        step = f" · {printable(view.step)}" if view.step else ""
        row.append(f" {time.monotonic() - view.started:.1f} s{step}")
    if view.detail:
        row.append(f" {printable(view.detail)}", style="italic")
    row.no_wrap = not fold
    row.overflow = "fold" if fold else "ellipsis"
    return row


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
    whose value is the function that shows the station now). ``senders``: the event targets
    whose troubles the view shows (on a pipe their warnings are logged lines already)."""

    def __init__(self, out: Output, senders: Sequence[OutboxSender] = ()) -> None:
        self._out = out
        self._senders = senders
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
            size = self._out.console.size
            drawn = render_station(
                station, width=size.width, height=size.height, senders=self._senders
            )
            self._live.update(drawn, refresh=True)
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
