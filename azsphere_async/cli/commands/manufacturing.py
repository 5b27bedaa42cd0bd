"""``manufacturing-state``: show the manufacturing state, or move it forward (never back)."""

from __future__ import annotations

import sys
from typing import Any

import attrs
import click

from ...fleet import BoardResult
from ...models import ManufacturingState
from ..context import AppContext, pass_app
from ..exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from ..failures import describe, error_json
from ..output import Cell, Column, styled
from ..reporting import (
    BOARD_COLUMNS,
    BoardRows,
    board_cells,
    group_failures,
    show_failures,
    write_retry_file,
)
from ..running import Collected, run_and_report, run_boards
from ..shared_options import board_options, state_choice

__all__ = ["manufacturing_state"]


@click.group("manufacturing-state")
def manufacturing_state() -> None:
    """Show or move forward the manufacturing state (Blank -> Module1Complete ->
    DeviceComplete). Moving it can never be undone."""


_MFG_SHOW = BoardRows[ManufacturingState](
    columns=[Column("Manufacturing state", "state")],
    rows=lambda s: [{"state": str(s.value)}],
    data=lambda s: {"manufacturing_state": str(s.value)},
)


@manufacturing_state.command("show")
@board_options
@pass_app
def mfg_show(app: AppContext) -> None:
    """Each board's manufacturing state."""
    run_and_report(
        app, "manufacturing-state show", lambda d: d.manufacturing.get_state(), _MFG_SHOW
    )


@attrs.frozen
class _Plan:
    current: str
    action: str  # "change", "already", "refused"
    reason: str


def _plan(current: ManufacturingState, target: ManufacturingState) -> _Plan:
    if current == target:
        return _Plan(str(current.value), "already", f"already {target.value}")
    if current.rank is None:
        return _Plan(str(current.value), "refused", "state unknown; left alone")
    if target.rank is not None and target.rank < current.rank:
        return _Plan(str(current.value), "refused", "already past it; the state never goes back")
    return _Plan(str(current.value), "change", f"{current.value} -> {target.value}")


@manufacturing_state.command("set")
@click.argument(
    "state",
    metavar="STATE",
    callback=state_choice(["Module1Complete", "DeviceComplete"]),
)
@click.option(
    "--yes-irreversible",
    is_flag=True,
    help="Confirm that the boards listed may be moved to STATE, which can never be undone.",
)
@board_options
@pass_app
def mfg_set(app: AppContext, state: str, yes_irreversible: bool) -> None:
    """Move every chosen board to STATE (Module1Complete or DeviceComplete).

    THIS CAN NEVER BE UNDONE.

    First reads every board and shows which ones would change. Nothing is sent unless
    --yes-irreversible is given; there is no prompt to answer by accident.
    """
    target = ManufacturingState(state)
    out = app.output
    collected, code = run_boards(app, lambda d: d.manufacturing.get_state())
    if code is not None:
        sys.exit(code)
    plans = {r.address: _plan(r.value, target) for r in collected.finished() if r.value is not None}
    to_change = [a for a, p in plans.items() if p.action == "change"]
    unreadable = collected.failed

    if not yes_irreversible or not to_change or collected.interrupted:
        _show_plan(app, collected, plans, target, applied=None)
        if collected.interrupted:
            sys.exit(EXIT_INTERRUPTED)
        if not to_change:
            out.message("No board needs changing; nothing was sent.")
            sys.exit(EXIT_FAILED if unreadable else EXIT_OK)
        out.message(
            (f"Moving the manufacturing state to {target.value} can never be undone.", "bold red"),
            f" {len(to_change)} {'board' if len(to_change) == 1 else 'boards'} would change.",
        )
        out.message(
            "Nothing was sent. To go ahead, run the same command again with --yes-irreversible."
        )
        sys.exit(EXIT_FAILED)

    out.message(
        (
            f"Moving {len(to_change)} {'board' if len(to_change) == 1 else 'boards'} to "
            f"{target.value}; this can never be undone.",
            "bold red",
        )
    )
    app.devices, app.devices_file, app.all_boards = list(to_change), None, False
    applied, code = run_boards(
        app, lambda d: d.manufacturing.set_state(target, irreversible_ok=True)
    )
    if code is not None:
        sys.exit(code)
    sys.exit(_show_plan(app, collected, plans, target, applied=applied.results))


def _show_plan(
    app: AppContext,
    collected: Collected[ManufacturingState],
    plans: dict[str, _Plan],
    target: ManufacturingState,
    *,
    applied: dict[str, BoardResult[None]] | None,
) -> int:
    """The plan (and, once applied, the outcome) per board; returns the exit status."""
    out = app.output
    rows: list[dict[str, Cell | None]] = []
    boards: list[dict[str, Any]] = []
    failures: list[tuple[str, str, BaseException | None]] = []
    retry: list[tuple[str, str]] = []
    for address in collected.addresses:
        result = collected.results.get(address)
        plan = plans.get(address)
        device_id = collected.device_ids.get(address)
        entry: dict[str, Any] = {"address": address, "device_id": device_id}
        row = board_cells(address, device_id)
        if result is None or plan is None:
            error = result.error if result is not None else None
            text = describe(error) if error is not None else "interrupted before it finished"
            rows.append({**row, "outcome": styled("failed", "red")})
            failures.append((address, text, error))
            retry.append((address, text))
            entry.update(ok=False, error=error_json(error) if error else {"message": text})
            boards.append(entry)
            continue
        entry.update(current=plan.current, action=plan.action, reason=plan.reason)
        outcome: Cell
        reason = plan.reason
        if applied is None:
            outcome = {
                "change": styled(f"would change to {target.value}", "bold yellow"),
                "already": styled(plan.reason, "green"),
                "refused": styled(plan.reason, "red"),
            }[plan.action]
            entry["ok"] = plan.action != "refused"
        elif address in applied:
            done = applied[address]
            if done.ok:
                outcome = styled(f"changed to {target.value}", "bold green")
                entry.update(ok=True, changed=True)
            else:
                assert done.error is not None
                outcome = styled("failed", "red")
                reason = describe(done.error)
                failures.append((address, reason, done.error))
                entry.update(ok=False, changed=False, error=error_json(done.error))
        else:
            outcome = styled(plan.reason, "green" if plan.action == "already" else "red")
            entry.update(ok=plan.action == "already", changed=False)
        if not entry["ok"]:
            retry.append((address, reason))
        rows.append({**row, "current": plan.current, "outcome": outcome})
        boards.append(entry)
    command = "manufacturing-state set"
    retry_file = write_retry_file(app, command, retry, collected.device_ids)
    if out.json_mode:
        document: dict[str, Any] = {
            "command": command,
            "target": target.value,
            "applied": applied is not None,
            "boards": boards,
        }
        if retry_file is not None:
            document["retry_file"] = str(retry_file)
        out.json(document)
    else:
        out.table(
            [
                *BOARD_COLUMNS,
                Column("Now", "current", no_wrap=True),
                Column("Outcome" if applied is not None else "Plan", "outcome"),
            ],
            rows,
        )
        show_failures(out, group_failures(failures), len(collected.addresses))
    return EXIT_FAILED if retry else EXIT_OK
