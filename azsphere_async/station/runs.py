"""A board's run at the station as its operation sees it, and what the view shows of a slot."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Literal

import anyio
import attrs

from ..client import DeviceClient
from ..errors import AzsphereError
from ..records.store import StepOutcome

if TYPE_CHECKING:
    from ._station import Station

__all__ = ["BoardRun", "Operation", "SlotState", "SlotView"]

Operation = Callable[[DeviceClient, "BoardRun"], Awaitable[None]]
"""What the station does to each board; it records its steps with :meth:`BoardRun.step`."""

SlotState = Literal[
    "idle", "serial", "running", "passed", "failed", "interrupted", "refused", "not taken"
]


@attrs.frozen
class SlotView:
    """What the live view shows of one slot (connection path)."""

    slot: str
    state: SlotState
    device_id: str = ""
    serial: str | None = None
    step: str = ""
    detail: str = ""
    started: float = 0.0
    """``time.monotonic()`` when the run started."""


class _StepFailed(AzsphereError):
    """A step reported as failed without raising (the operation's own verdict)."""


class BoardRun:
    """One board's run, as the operation sees it: its identity, and its steps recorded."""

    def __init__(
        self, station: Station, run_id: int, run_uid: str, slot: str, device_id: str, address: str
    ) -> None:
        self._station = station
        self.run_id = run_id
        self.run_uid = run_uid
        self.slot = slot
        self.device_id = device_id
        self.address = address
        self.serial: str | None = None
        self.steps = 0
        self.failed_step = ""
        self.current_step = ""
        self._open: dict[int, tuple[str, float]] = {}  # steps begun, not yet ended

    @asynccontextmanager
    async def step(self, name: str) -> AsyncIterator[None]:
        """Record a step: started now, then passed, or failed with what it raised."""
        step_id = await self.begin_step(name)
        started = time.monotonic()
        try:
            yield
        except BaseException as exc:
            interrupted = isinstance(exc, anyio.get_cancelled_exc_class())
            with anyio.CancelScope(shield=True):
                if interrupted:
                    await self.end_step(step_id, name, "interrupted", started, "interrupted")
                else:
                    await self.end_step(step_id, name, "failed", started, _describe(exc))
            raise
        await self.end_step(step_id, name, "passed", started)

    async def begin_step(self, name: str) -> int:
        """Record a step as started now; returns its ID for :meth:`end_step`."""
        self.steps += 1
        position = self.steps
        self.current_step = name
        self._station._show(self.slot, step=name)
        store = self._station.store
        step_id = await self._station._write(lambda: store.start_step(self.run_id, position, name))
        self._open[step_id] = (name, time.monotonic())
        return step_id

    async def end_step(
        self, step_id: int, name: str, outcome: StepOutcome, started: float, detail: str = ""
    ) -> None:
        """Record how a step ended (``started``: its ``time.monotonic()`` start)."""
        if outcome == "failed":
            self.failed_step = self.failed_step or name
        self._open.pop(step_id, None)
        elapsed = time.monotonic() - started
        event = self._station._event(
            self, "step_done", step=name, outcome=outcome, elapsed=round(elapsed, 3), detail=detail
        )
        store = self._station.store
        await self._station._write(
            lambda: store.finish_step(step_id, outcome, elapsed, detail, events=[event])
        )
        self.current_step = ""

    async def end_open_steps(self, outcome: StepOutcome, detail: str) -> None:
        """End every step begun and not ended (the run stopped in the middle of it)."""
        for step_id, (name, started) in list(self._open.items()):
            await self.end_step(step_id, name, outcome, started, detail)

    async def identify(
        self, *, os_version: str | None = None, images: Sequence[str] | None = None
    ) -> None:
        """Record what the board is (its OS and images; the serial is bound by the station)."""
        store = self._station.store
        await self._station._write(
            lambda: store.set_identity(self.run_id, os_version=os_version, images=images)
        )


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0] if text else type(exc).__name__
