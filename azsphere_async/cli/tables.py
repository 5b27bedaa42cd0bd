"""How a table fits a terminal: which columns are shown, and how wide each one is.

Nothing is ever cut without a mark. Each :class:`Column` says how it may give way when the
terminal is too narrow for every value whole:

- a column that wraps (the default) folds its text onto more lines, at spaces where it can,
  and never loses a character;
- a ``cut`` column (an ID) is shortened with a visible ``…``, never below ``min_width``;
- any other column is shown whole or not at all.

When even the narrowest form does not fit, whole columns are dropped, highest ``priority``
number first (``0`` is never dropped), and :attr:`Layout.dropped` names them so the table
can say so. Through a pipe no fitting happens at all: every value is written whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import attrs
from rich.cells import cell_len

__all__ = ["CUT_MARK", "Column", "Layout", "fit"]

#: What a shortened value ends with.
CUT_MARK: Final = "…"

# Rich's SIMPLE_HEAD box with one cell of padding on the right and none at the edges: one
# edge space on each side and two cells between neighbouring columns.
_EDGES: Final = 2
_BETWEEN: Final = 2
# The narrowest a wrapping column gets unless it says otherwise.
_WRAP_MIN: Final = 12
# The narrowest a cut column gets unless it says otherwise: a few characters and the mark.
_CUT_MIN: Final = 5


@attrs.frozen
class Column:
    """One column of a table: its header, the row key it shows, and how it gives way.

    ``no_wrap`` keeps each value on one line; with ``cut`` such a value may be shortened
    (with a visible ``…``) down to ``min_width``, else it is shown whole or the column is
    dropped. A wrapping column (``no_wrap=False``) folds down to ``min_width``, and never
    grows past ``max_width`` (its longer values fold; a cut column's are cut). ``priority``
    orders the dropping when the terminal is too narrow: the highest number goes first,
    ``0`` never. Headers are never cut.
    """

    header: str
    key: str
    justify: Literal["left", "right", "center"] = "left"
    no_wrap: bool = False
    min_width: int | None = None
    max_width: int | None = None
    priority: int = 0
    cut: bool = False

    def narrowest(self, natural: int) -> int:
        """The least width this column can be shown in, given its widest value."""
        header = cell_len(self.header)
        if self.no_wrap and not self.cut:
            return max(natural, header)
        floor = self.min_width or (_CUT_MIN if self.cut else _WRAP_MIN)
        return max(header, min(natural, floor))


@attrs.frozen
class Layout:
    """The columns a table shows at a width, their widths, and the columns left out."""

    columns: tuple[Column, ...]
    widths: tuple[int, ...]
    dropped: tuple[Column, ...]

    @property
    def width(self) -> int:
        """The table's whole width in terminal cells."""
        return table_width(self.widths)


def table_width(widths: Sequence[int]) -> int:
    """How wide a table with columns this wide is drawn."""
    if not widths:
        return 0
    return sum(widths) + _EDGES + _BETWEEN * (len(widths) - 1)


def fit(columns: Sequence[Column], cells: Sequence[Sequence[str]], width: int) -> Layout:
    """Choose the shown columns and their widths so the table fits ``width`` cells.

    ``cells`` holds the rows' texts, in the order of ``columns``.
    """
    natural = [
        _capped(column, max([cell_len(column.header), *(_longest_line(row[i]) for row in cells)]))
        for i, column in enumerate(columns)
    ]
    shown = list(range(len(columns)))
    if table_width([natural[i] for i in shown]) <= width:
        return Layout(tuple(columns), tuple(natural), ())
    least = [column.narrowest(natural[i]) for i, column in enumerate(columns)]
    dropped: list[int] = []
    while table_width([least[i] for i in shown]) > width:
        candidates = [i for i in shown if columns[i].priority > 0]
        if not candidates:
            break  # only columns that are never dropped are left; let them overflow
        victim = max(candidates, key=lambda i: (columns[i].priority, i))
        shown.remove(victim)
        dropped.append(victim)
    if table_width([least[i] for i in shown]) > width:
        # Nothing more may be dropped: what folds or cuts gives way down to its header.
        for i in shown:
            if not columns[i].no_wrap or columns[i].cut:
                least[i] = min(least[i], max(cell_len(columns[i].header), 2))
    widths = {i: least[i] for i in shown}
    # Room goes to folded text first (each fold costs a line), then to values cut short.
    for kinds in ([i for i in shown if not columns[i].no_wrap], shown):
        spare = width - table_width(list(widths.values()))
        _share_out(widths, {i: natural[i] if i in kinds else widths[i] for i in shown}, spare)
    return Layout(
        tuple(columns[i] for i in shown),
        tuple(widths[i] for i in shown),
        tuple(columns[i] for i in sorted(dropped)),
    )


def _share_out(widths: dict[int, int], natural: dict[int, int], spare: int) -> None:
    """Widen the squeezed columns towards their natural widths, in proportion to the lack."""
    while spare > 0:
        short = {i: natural[i] - widths[i] for i in widths if widths[i] < natural[i]}
        if not short:
            return
        lack = sum(short.values())
        given = 0
        for i, missing in short.items():
            share = min(missing, spare * missing // lack)
            widths[i] += share
            given += share
        if given == 0:
            # Less spare than columns short of it: one cell each, the most squeezed first.
            for i in sorted(short, key=lambda i: -short[i])[:spare]:
                widths[i] += 1
            return
        spare -= given


def _capped(column: Column, natural: int) -> int:
    if column.max_width is None or (column.no_wrap and not column.cut):
        return natural
    return max(cell_len(column.header), min(natural, column.max_width))


def _longest_line(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)
