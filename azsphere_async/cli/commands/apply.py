"""``apply RECIPE``: bring every chosen board to the recipe at once, with a live view."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ...applying import ApplyProgress, ApplyResult, Outcome
from ...fleet import BoardResult
from ..apply_progress import ApplyDisplay, outcome_of
from ..context import AppContext, pass_app
from ..exit_status import EXIT_INTERRUPTED, EXIT_OK
from ..output import Cell, Column, styled
from ..recipe_input import read_recipe, show_reasons
from ..reporting import BoardRows, report
from ..running import Collected, collect, run
from ..shared_options import board_options

__all__ = ["APPLY_TIMEOUT", "apply_command", "apply_rows"]

#: The default limit on one board's whole apply, in seconds (an install may restart it).
APPLY_TIMEOUT = 900.0

_OUTCOME_STYLES = {
    Outcome.DONE: "green",
    Outcome.FAILED: "bold red",
    Outcome.HELD: "yellow",
    Outcome.NOT_RUN: "dim",
}


def _remaining(result: ApplyResult) -> list[str]:
    """What still stands between the board and the recipe, one reason each."""
    reasons = [f"{r.action.describe()}: {r.detail}" for r in result.failed]
    if result.held:
        reasons.append(
            f"{result.held[0].action.describe()}: held; run again with --yes-irreversible"
        )
    done = {r.action for r in result.results}
    reasons += [f"still to do: {a.describe()}" for a in result.after.actions if a not in done]
    reasons += [f"{check.name}: {check.detail}" for check in result.after.problems]
    return reasons + list(result.after.notes)


def apply_rows(*, details: bool) -> BoardRows[ApplyResult]:
    """How apply results are shown: a line per board (what is left follows, grouped), or
    (``details``) a line per action."""

    def rows(result: ApplyResult) -> list[dict[str, Cell | None]]:
        word, style = outcome_of(result)
        done = sum(1 for r in result.results if r.outcome is Outcome.DONE)
        first: dict[str, Cell | None] = {
            "result": styled(word, style),
            "changes": str(done) if done else "-",
        }
        if not details:
            return [first]
        lines: list[dict[str, Cell | None]] = [first]
        for outcome in result.results:
            lines.append(
                {
                    "changes": styled(outcome.outcome.value, _OUTCOME_STYLES[outcome.outcome]),
                    "detail": f"{outcome.action.describe()}: {outcome.detail}",
                }
            )
        lines += [{"detail": reason} for reason in _remaining(result) if "still" in reason]
        lines += [{"detail": f"{c.name}: {c.detail}"} for c in result.after.problems]
        return lines

    columns = [
        Column("Result", "result", no_wrap=True),
        Column("Changes", "changes", justify="right", no_wrap=True),
    ]
    if details:
        columns.append(Column("Detail", "detail", min_width=16))
    return BoardRows[ApplyResult](
        columns=columns,
        rows=rows,
        data=lambda result: result.to_json(),
    )


def _not_converged(result: BoardResult[ApplyResult]) -> bool:
    return result.value is not None and not result.value.ok


@click.command("apply")
@click.argument("recipe", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--yes-irreversible",
    is_flag=True,
    help="Also move the manufacturing state to the recipe's, last and only on boards that "
    "are otherwise as the recipe says. THIS CAN NEVER BE UNDONE.",
)
@click.option("--details", is_flag=True, help="Show every action of every board.")
@board_options
@pass_app
def apply_command(app: AppContext, recipe: Path, yes_irreversible: bool, details: bool) -> None:
    """Bring every chosen board to RECIPE at once: install, remove and configure what `plan
    RECIPE` lists, then read each board again.

    An application package already installed (the same image ID) is never sent again, so a
    second run changes nothing. Each board stops at its first failure. The manufacturing
    state moves last, and only with --yes-irreversible. Exit status 0 when every board ends
    as the recipe says, 1 otherwise, 2 for a bad recipe (nothing is sent).
    """
    prepared = read_recipe(app, recipe)
    out = app.output
    collected: Collected[ApplyResult] = Collected()

    async def main() -> int:
        selection = await app.select()
        count = len(selection.addresses)
        out.note(
            "Applying ", (str(recipe), "bold"), f" to {count} {'board' if count == 1 else 'boards'}"
        )
        with ApplyDisplay(out, selection.addresses) as display:

            def progress(address: str, event: ApplyProgress) -> None:
                display.update(address, event)

            await collect(
                app,
                lambda fleet: fleet.apply_as_completed(
                    prepared,
                    irreversible_ok=yes_irreversible,
                    progress=progress,
                    timeout=app.time_limit(APPLY_TIMEOUT),
                ),
                collected,
                selection,
                on_result=display.finished,
            )
        return EXIT_OK

    status = run(app, main)
    if status == EXIT_INTERRUPTED:
        collected.interrupted = True
    elif status != EXIT_OK:
        sys.exit(status)
    code = report(
        app,
        "apply",
        collected,
        apply_rows(details=details),
        failed=_not_converged,
        extra={"recipe": str(recipe), "irreversible_ok": yes_irreversible},
        outcome_words=("as the recipe says", "not"),
    )
    if not out.json_mode and not details:
        reasons = [
            (r.address, reason)
            for r in collected.finished()
            if r.value is not None
            for reason in _remaining(r.value)
        ]
        show_reasons(
            app,
            "What is left",
            reasons,
            len(collected.addresses),
            hint="apply --details shows every action of every board",
        )
    sys.exit(code)
