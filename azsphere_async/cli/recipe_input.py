"""Reading a recipe for ``plan``, ``apply`` and ``ready --recipe``, and grouping reasons.

A recipe is read and prepared once, before any board is contacted: a bad recipe prints each
problem (file, line, key, what is allowed) on its own line and exits with status 2. Many
boards often fail for the same reason; :func:`show_reasons` prints each reason once with the
number of boards it applies to.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NoReturn

from ..errors import RecipeError
from ..recipe import PreparedRecipe, load_recipe, prepare_recipe
from .context import AppContext
from .exit_status import EXIT_USAGE
from .output import Column, styled

__all__ = ["read_recipe", "refuse_recipe", "show_reasons"]

# Boards named beside a reason that does not apply to all of them.
_NAMED_BOARDS = 3


def read_recipe(app: AppContext, path: Path) -> PreparedRecipe:
    """The recipe at ``path``, read and prepared; on any problem, say each and exit 2."""
    try:
        return prepare_recipe(load_recipe(path))
    except RecipeError as exc:
        refuse_recipe(app, path, exc.problems)


def refuse_recipe(app: AppContext, path: Path, problems: Sequence[str]) -> NoReturn:
    """Say each problem of the recipe at ``path``, and that nothing was sent; exit 2."""
    out = app.output
    for problem in problems:
        out.error(problem)
    noun = "problem" if len(problems) == 1 else "problems"
    out.error(f"{len(problems)} {noun} in the recipe {path}; nothing was sent to any board")
    sys.exit(EXIT_USAGE)


def _boards(addresses: list[str], total: int) -> str:
    if len(addresses) == total and total > 1:
        return "all"
    shown = ", ".join(addresses[:_NAMED_BOARDS])
    more = len(addresses) - _NAMED_BOARDS
    return shown + (f" and {more} more" if more > 0 else "")


def show_reasons(
    app: AppContext, title: str, reasons: Iterable[tuple[str, str]], total: int, *, hint: str
) -> None:
    """Each ``(address, reason)`` reason once, with how many boards (and which) it holds for.

    Reasons come most common first; ``hint`` follows the table (how to see each board).
    """
    boards: dict[str, list[str]] = {}
    for address, reason in reasons:
        boards.setdefault(reason, [])
        if address not in boards[reason]:
            boards[reason].append(address)
    if not boards:
        return
    ordered = sorted(boards.items(), key=lambda item: -len(item[1]))
    rows = [
        {
            "count": styled(str(len(addresses)), "bold"),
            "reason": reason,
            "boards": _boards(addresses, total),
        }
        for reason, addresses in ordered
    ]
    columns = [
        Column("Boards", "count", justify="right", no_wrap=True),
        Column("Reason", "reason", min_width=24),
        Column("Which", "boards", max_width=30),
    ]
    app.output.table(columns, rows, title=title)
    app.output.message((hint, "dim"))
