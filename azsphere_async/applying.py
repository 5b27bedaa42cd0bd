"""Applying a recipe: perform a board's plan in a safe order, and say what was done.

:func:`apply` plans (:func:`~azsphere_async.planning.plan`), performs the actions in the order of
:class:`~azsphere_async.planning.ActionKind` (applications removed before others are installed,
so flash is free; certificates before the Wi-Fi networks that use them), stops at the first
failure, and reads the board again. The manufacturing state comes last of all, and only when
``irreversible_ok=True`` and the board, read again, is in every other way as the recipe says;
otherwise that action is *held* or not run, and the result says why. Applying a recipe to a
board that already follows it sends no change at all.

:func:`apply_fleet` does this on every board of a fleet at once (the recipe prepared once:
each package read once), with results as boards finish.
"""

from __future__ import annotations

import enum
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from .deploy import deploy
from .errors import AzsphereError
from .facts import describe_failure
from .models import WifiConfigState
from .planning import Action, ActionKind, Plan, plan
from .recipe import PreparedRecipe, Recipe, prepare_recipe
from .staging import StageProgress
from .validation import check_bool, check_seconds

if TYPE_CHECKING:
    from .client import DeviceClient
    from .fleet import BoardResult, Fleet

__all__ = [
    "ActionResult",
    "ApplyProgress",
    "ApplyProgressCallback",
    "ApplyResult",
    "FleetApplyProgressCallback",
    "Outcome",
    "apply",
    "apply_fleet",
    "plan_fleet",
]


class Outcome(enum.StrEnum):
    """What became of one planned action."""

    DONE = "done"
    FAILED = "failed"
    HELD = "held"
    """Not run: the manufacturing state waits for ``irreversible_ok=True``."""
    NOT_RUN = "not run"


@attrs.frozen
class ActionResult:
    """One action's outcome: ``detail`` says what happened (or why it did not run)."""

    action: Action
    outcome: Outcome
    detail: str = ""
    elapsed: float = 0.0
    error: Exception | None = attrs.field(default=None, eq=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The result as JSON data (the action's, plus ``outcome``, ``detail``, ``seconds``)."""
        return {
            **self.action.to_json(),
            "outcome": self.outcome.value,
            "detail": self.detail,
            "seconds": round(self.elapsed, 3),
        }


@attrs.frozen
class ApplyResult:
    """What :func:`apply` did to one board: the plan it followed, each action's outcome, and
    ``after``, the board read again afterwards (``before`` itself when nothing changed)."""

    address: str
    before: Plan
    results: tuple[ActionResult, ...]
    after: Plan

    @property
    def changed(self) -> bool:
        """Whether any change was made."""
        return any(result.outcome is Outcome.DONE for result in self.results)

    @property
    def converged(self) -> bool:
        """Whether the board now is as the recipe says."""
        return self.after.up_to_date

    @property
    def failed(self) -> tuple[ActionResult, ...]:
        """The actions that failed."""
        return tuple(r for r in self.results if r.outcome is Outcome.FAILED)

    @property
    def held(self) -> tuple[ActionResult, ...]:
        """The actions held back (the manufacturing state, without the confirmation)."""
        return tuple(r for r in self.results if r.outcome is Outcome.HELD)

    @property
    def ok(self) -> bool:
        """Whether nothing failed and the board is now as the recipe says."""
        return not self.failed and self.converged

    def to_json(self) -> dict[str, Any]:
        """The result as JSON data."""
        return {
            "address": self.address,
            "ok": self.ok,
            "changed": self.changed,
            "converged": self.converged,
            "results": [result.to_json() for result in self.results],
            "remaining": [action.to_json() for action in self.after.actions],
            "problems": [check.to_json() for check in self.after.problems],
            "checks": [check.to_json() for check in self.after.readiness.checks],
        }


@attrs.frozen
class ApplyProgress:
    """A step of one board's apply, for a live view.

    ``phase`` is ``"planned"`` (``total`` actions to do), ``"started"``, ``"staging"``
    (``staged`` has the upload's progress), ``"done"``, ``"failed"``, ``"held"``,
    ``"not run"`` or ``"verifying"``; ``index`` counts actions from 1.
    """

    phase: str
    index: int = 0
    total: int = 0
    action: Action | None = None
    staged: StageProgress | None = None
    detail: str = ""


ApplyProgressCallback = Callable[[ApplyProgress], Awaitable[None] | None]
FleetApplyProgressCallback = Callable[[str, ApplyProgress], Awaitable[None] | None]


class _Reporter:
    def __init__(self, callback: ApplyProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = total

    async def __call__(
        self, phase: str, index: int = 0, action: Action | None = None, **more: Any
    ) -> None:
        if self.callback is not None:
            outcome = self.callback(ApplyProgress(phase, index, self.total, action, **more))
            if outcome is not None:
                await outcome


async def _perform(
    client: DeviceClient,
    prepared: PreparedRecipe,
    action: Action,
    staged: Callable[[StageProgress], Awaitable[None]],
    restart_timeout: float,
) -> str:
    """Make one change; returns what the board reports about it."""
    kind, key = action.kind, action.key
    if kind is ActionKind.INSTALL_APP:
        app = prepared.app(key)
        deployment = await deploy(
            client,
            app.app.package,
            start=app.app.start,
            package=app.package,
            progress=staged,
            restart_timeout=restart_timeout,
        )
        state = "" if deployment.app_state is None else f", {deployment.app_state.value}"
        restarted = ", the board restarted" if deployment.restarted else ""
        return f"installed ({deployment.staged.bytes_sent} bytes sent{state}{restarted})"
    if kind is ActionKind.REMOVE_APP:
        sent_at = anyio.current_time()
        answer = await client.sideload.delete_image(key)
        if answer.restarting_system:
            await client.device.wait_until_restarted(sent_at, restart_timeout)
            return "removed, the board restarted"
        return "removed"
    if kind is ActionKind.REMOVE_WIFI:
        await client.wifi.remove_network(int(key))
        return "removed"
    if kind is ActionKind.ADD_WIFI:
        spec = prepared.wifi(key)
        psk = prepared.secrets.wifi_keys.get(spec.ssid)
        network = await client.wifi.add_network(
            ssid=spec.ssid,
            security_state=spec.security,
            psk=None if psk is None else psk.reveal(),
            config_name=spec.config_name,
            targeted_scan=spec.targeted_scan or None,
            client_identity=spec.client_identity,
            client_cert_store_identifier=spec.client_cert,
            root_ca_cert_store_identifier=spec.root_ca,
        )
        return f"added as network {network.id}"
    if kind is ActionKind.ENABLE_WIFI:
        await client.wifi.change_network(int(key), config_state=WifiConfigState.ENABLED)
        return "enabled"
    if kind is ActionKind.ADD_CERTIFICATE:
        cert = prepared.certificate(key)
        await client.certificates.add(
            key,
            cert_type=cert.spec.type,
            public_cert=cert.public_cert,
            private_key=None if cert.private_key is None else cert.private_key.reveal(),
            password=None if cert.password is None else cert.password.reveal(),
        )
        return "added"
    if kind is ActionKind.REMOVE_CERTIFICATE:
        await client.certificates.remove(key)
        return "removed"
    await client.manufacturing.set_state(key, irreversible_ok=True)
    return f"moved to {key}"


def _state_blocker(after: Plan, irreversible_ok: bool, failed: bool) -> tuple[Outcome, str] | None:
    """Why the manufacturing state must not move now, or ``None`` when it may."""
    if failed:
        return Outcome.NOT_RUN, "an earlier action failed; the state never moves on such a board"
    pending = [a.describe() for a in after.actions if not a.irreversible]
    problems = [f"{c.name}: {c.detail}" for c in after.problems]
    if pending or problems or after.notes:
        reasons = "; ".join([*pending, *problems, *after.notes])
        return Outcome.NOT_RUN, f"the board is not otherwise as the recipe says ({reasons})"
    if not irreversible_ok:
        return (
            Outcome.HELD,
            "needs the explicit confirmation (irreversible_ok=True): it can never be undone",
        )
    return None


class _Run:
    """One board's apply as it goes: performs actions, records and reports each outcome."""

    def __init__(
        self,
        client: DeviceClient,
        prepared: PreparedRecipe,
        report: _Reporter,
        restart_timeout: float,
    ) -> None:
        self.client = client
        self.prepared = prepared
        self.report = report
        self.restart_timeout = restart_timeout
        self.results: list[ActionResult] = []
        self.failed = False

    async def skip(self, index: int, action: Action, outcome: Outcome, why: str) -> None:
        self.results.append(ActionResult(action, outcome, why))
        await self.report(outcome.value, index, action, detail=why)

    async def perform(self, index: int, action: Action) -> bool:
        """Make one change; whether it worked (a failure stops the board's other changes)."""
        await self.report("started", index, action)
        started = time.monotonic()

        async def staged(update: StageProgress) -> None:
            await self.report("staging", index, action, staged=update)

        try:
            detail = await _perform(
                self.client, self.prepared, action, staged, self.restart_timeout
            )
        except (AzsphereError, OSError) as exc:
            self.failed = True
            text = describe_failure(exc)
            elapsed = time.monotonic() - started
            self.results.append(ActionResult(action, Outcome.FAILED, text, elapsed, exc))
            await self.report("failed", index, action, detail=text)
            return False
        elapsed = time.monotonic() - started
        self.results.append(ActionResult(action, Outcome.DONE, detail, elapsed))
        await self.report("done", index, action, detail=detail)
        return True

    async def read_again(self) -> Plan:
        await self.report("verifying")
        return await plan(self.client, self.prepared)


async def apply(
    client: DeviceClient,
    recipe: Recipe | PreparedRecipe,
    *,
    irreversible_ok: bool = False,
    progress: ApplyProgressCallback | None = None,
    restart_timeout: float = 120.0,
) -> ApplyResult:
    """Bring one board to ``recipe`` and return what was done, action by action.

    The recipe is prepared (files and secrets checked) before any request. Changes stop at
    the first failure. The manufacturing state moves last, only with ``irreversible_ok=True``
    and only if the board, read again, needs nothing else. ``progress`` (sync or async) hears
    each step (:class:`ApplyProgress`); ``restart_timeout`` bounds the wait for a board that an
    install or removal restarts.
    """
    irreversible_ok = check_bool(irreversible_ok, "irreversible_ok")
    restart_timeout = check_seconds(restart_timeout, "restart_timeout")
    prepared = prepare_recipe(recipe)
    before = await plan(client, prepared)
    run = _Run(client, prepared, _Reporter(progress, len(before.actions)), restart_timeout)
    await run.report("planned")
    numbered = list(enumerate(before.actions, 1))
    for index, action in numbered:
        if action.irreversible:
            continue
        if run.failed:
            await run.skip(index, action, Outcome.NOT_RUN, "an earlier action failed")
        else:
            await run.perform(index, action)
    after = await run.read_again() if run.results else before
    for index, action in numbered:
        if not action.irreversible:
            continue
        blocker = _state_blocker(after, irreversible_ok, run.failed)
        if blocker is not None:
            await run.skip(index, action, *blocker)
        elif await run.perform(index, action):
            after = await run.read_again()
    return ApplyResult(client.address, before, tuple(run.results), after)


async def plan_fleet(
    fleet: Fleet,
    recipe: Recipe | PreparedRecipe,
    *,
    concurrency: int | None = None,
    timeout: float | None = None,
    only: Sequence[str] | None = None,
) -> list[BoardResult[Plan]]:
    """Plan every board of ``fleet`` at once (the recipe prepared once); fleet order."""
    prepared = prepare_recipe(recipe)
    return await fleet.run(
        lambda client: plan(client, prepared), concurrency=concurrency, timeout=timeout, only=only
    )


@asynccontextmanager
async def apply_fleet(
    fleet: Fleet,
    recipe: Recipe | PreparedRecipe,
    *,
    irreversible_ok: bool = False,
    progress: FleetApplyProgressCallback | None = None,
    concurrency: int | None = None,
    timeout: float | None = None,
    only: Sequence[str] | None = None,
    restart_timeout: float = 120.0,
) -> AsyncIterator[AsyncIterator[BoardResult[ApplyResult]]]:
    """Apply ``recipe`` to every board of ``fleet`` at once; results as boards finish.

    Use as ``async with apply_fleet(fleet, recipe) as results: async for result in
    results:``. The recipe is prepared once, before any board is contacted; ``progress``
    hears ``(address, ApplyProgress)``; ``concurrency``, ``timeout`` and ``only`` are those of
    :meth:`~azsphere_async.fleet.Fleet.as_completed`.
    """
    irreversible_ok = check_bool(irreversible_ok, "irreversible_ok")
    restart_timeout = check_seconds(restart_timeout, "restart_timeout")
    prepared = prepare_recipe(recipe)

    async def apply_one(client: DeviceClient) -> ApplyResult:
        board_progress: ApplyProgressCallback | None = None
        if progress is not None:
            callback, address = progress, client.address

            def board_progress(update: ApplyProgress) -> Awaitable[None] | None:
                return callback(address, update)

        return await apply(
            client,
            prepared,
            irreversible_ok=irreversible_ok,
            progress=board_progress,
            restart_timeout=restart_timeout,
        )

    async with fleet.as_completed(
        apply_one, concurrency=concurrency, timeout=timeout, only=only
    ) as results:
        yield results
