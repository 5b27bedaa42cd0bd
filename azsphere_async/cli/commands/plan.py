"""``plan RECIPE``: what ``apply`` would change on every chosen board, and why; changes nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ...fleet import BoardResult
from ...planning import Plan, plan
from ..context import AppContext, pass_app
from ..output import Cell, Column, styled
from ..recipe_input import read_recipe
from ..reporting import BoardRows, report
from ..running import run_boards
from ..shared_options import board_options

__all__ = ["PLAN_ROWS", "plan_command", "plan_rows"]


def plan_rows(plan: Plan) -> list[dict[str, Cell | None]]:
    """One row per action, problem and locked part of a board's plan."""
    rows: list[dict[str, Cell | None]] = []
    for action in plan.actions:
        why = action.why
        if action.irreversible:
            rows.append(
                {
                    "action": styled(action.describe(), "yellow"),
                    "why": f"now {why}; apply moves it only with --yes-irreversible",
                }
            )
        else:
            rows.append({"action": action.describe(), "why": why})
    for check in plan.problems:
        rows.append({"action": styled(f"cannot fix {check.name}", "bold red"), "why": check.detail})
    for note in plan.notes:
        rows.append({"action": styled("blocked", "bold red"), "why": note})
    locked = [check.name for check in plan.locked]
    if locked:
        rows.append(
            {
                "action": styled(f"skipped, locked: {', '.join(locked)}", "dim"),
                "why": "DeviceComplete locks them",
            }
        )
    if plan.up_to_date:
        rows.insert(0, {"action": styled("nothing to do", "green"), "why": "as the recipe says"})
    return rows


#: How ``plan`` shows each board's plan.
PLAN_ROWS = BoardRows[Plan](
    columns=[
        Column("Action", "action", min_width=16),
        Column("Why (what the board has now)", "why", min_width=16),
    ],
    rows=plan_rows,
    data=lambda plan: plan.to_json(),
)


def _has_work(result: BoardResult[Plan]) -> bool:
    return result.value is not None and not result.value.up_to_date


@click.command("plan")
@click.argument("recipe", type=click.Path(dir_okay=False, path_type=Path))
@board_options
@pass_app
def plan_command(app: AppContext, recipe: Path) -> None:
    """Show what `apply RECIPE` would change on every chosen board, and why; nothing is
    changed.

    RECIPE is a TOML file (see README.md). Each action says what the board has now; what no
    action can fix (the OS version, capabilities) is shown as "cannot fix", and what would
    stop apply (a capability the next manufacturing state would not allow) as "blocked".
    Exit status 0 when every board already is as the recipe says, 1 when any board has
    something to do or to fix (or could not be read), 2 for a bad recipe (nothing is sent).
    """
    prepared = read_recipe(app, recipe)
    collected, code = run_boards(app, lambda client: plan(client, prepared))
    if code is not None:
        sys.exit(code)
    actions = sum(len(r.value.actions) for r in collected.finished() if r.value is not None)
    sys.exit(
        report(
            app,
            "plan",
            collected,
            PLAN_ROWS,
            failed=_has_work,
            extra={"recipe": str(recipe), "actions": actions},
            outcome_words=("up to date", "not up to date"),
        )
    )
