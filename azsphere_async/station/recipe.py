"""A recipe as the station's operation: each board is brought to it, each action a step.

``recipe_operation(prepared)`` applies the recipe (:func:`~azsphere_async.applying.apply`) to
every board the station takes and records each of the apply's actions as a step as it
happens (started, then done or failed, with its time); a board that does not converge fails
in a last ``verify`` step that says what is left. :func:`recipe_secrets` lists the recipe's
keys and passwords, for the records never to hold them.
"""

from __future__ import annotations

import time
from typing import Final

from ..applying import ApplyProgress, apply
from ..client import DeviceClient
from ..errors import AzsphereError
from ..recipe import PreparedRecipe
from ..records.store import StepOutcome
from .runs import BoardRun, Operation

__all__ = ["RecipeNotMet", "recipe_operation", "recipe_secrets"]

_STEP_OUTCOMES: Final[dict[str, StepOutcome]] = {
    "done": "passed",
    "failed": "failed",
    "held": "skipped",
    "not run": "skipped",
}


class RecipeNotMet(AzsphereError):
    """The board is not as the recipe says after the apply."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        self.hint = ""
        super().__init__("; ".join(reasons) or "not as the recipe says")


def recipe_secrets(prepared: PreparedRecipe) -> list[str]:
    """Every key and password the recipe holds (never to be written to a record)."""
    secrets = prepared.secrets
    return [s.reveal() for s in (*secrets.wifi_keys.values(), *secrets.cert_passwords.values())]


def recipe_operation(prepared: PreparedRecipe, *, irreversible_ok: bool = False) -> Operation:
    """The station's operation that applies ``prepared`` to a board, recording each action."""

    async def operation(client: DeviceClient, run: BoardRun) -> None:
        open_steps: dict[int, tuple[int, float]] = {}

        async def progress(step: ApplyProgress) -> None:
            if step.action is None:
                return
            name = step.action.describe()
            if step.phase == "started":
                open_steps[step.index] = (await run.begin_step(name), time.monotonic())
            elif step.phase in _STEP_OUTCOMES:
                outcome = _STEP_OUTCOMES[step.phase]
                if step.index not in open_steps:  # never started: held or not run
                    open_steps[step.index] = (await run.begin_step(name), time.monotonic())
                step_id, started = open_steps.pop(step.index)
                await run.end_step(step_id, name, outcome, started, step.detail)

        result = await apply(client, prepared, irreversible_ok=irreversible_ok, progress=progress)
        async with run.step("verify"):
            if not result.ok:
                reasons = [f"{r.action.describe()}: {r.detail}" for r in result.failed]
                reasons += [f"still to do: {a.describe()}" for a in result.after.actions]
                reasons += [f"{c.name}: {c.detail}" for c in result.after.problems]
                if result.held and not result.failed:
                    reasons.append("the manufacturing state is held (--yes-irreversible)")
                raise RecipeNotMet(reasons)

    return operation
