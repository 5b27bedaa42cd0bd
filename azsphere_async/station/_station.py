"""The station: every board plugged in is provisioned and checked, and leaves a record.

:class:`Station` takes hot-plug events (:func:`~azsphere_async.station.hotplug.watch_attached`) and,
for every newly attached board, starts a run: it binds a serial number when asked to (a step
of the run: :class:`SerialScanner`, or a command), records the board's identity (device ID,
serial, OS, images), then calls the operation (a recipe's apply,
:mod:`azsphere_async.station.recipe`), whose steps are written to the records as they happen
(:class:`BoardRun.step`). A board pulled mid-run is recorded as interrupted; plugged in
again, it starts over. A records database that cannot be written (locked, disk full) stops
the station taking new boards, and the writes of the boards in flight are retried until they
succeed, so no record is lost.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final, TypeVar

import anyio
import attrs

from ..client import DeviceClient
from ..errors import (
    AzsphereError,
    DeviceUnreachableError,
    ForbiddenError,
    UnsupportedVersionError,
)
from ..fleet import PROGRAMMING_ERRORS
from ..options import ClientOptions
from ..records.store import RecordStore, RecordsUnavailableError, RunOutcome
from .hotplug import HotplugEvent
from .runs import BoardRun, Operation, SlotView, _describe, _StepFailed
from .serials import SerialScanner, SerialSource

__all__ = ["Station"]

logger = logging.getLogger("azsphere_async")

T = TypeVar("T")

_DEFAULT_TOPIC_PREFIX: Final = "azsphere/station"


class Station:
    """Provision every board the hot-plug events bring, and record each (see the module).

    ``operation`` is what each board gets; ``store`` keeps the records (and the outbox);
    ``name`` and ``recipe`` are written into every record; ``options`` are the clients';
    ``serials`` binds a serial number to each board before its run (a scanner or a command);
    ``detach_verdict``: how long a board that stopped answering may take to be reported
    detached before the run counts as failed rather than interrupted (the hot-plug
    ``restart_grace`` plus a poll or two); ``retry``: seconds between attempts to write
    records while the database cannot be written; ``on_change`` hears every change of a slot
    (for a live view); ``on_outbox`` hears that events were queued (a publisher's ``notify``).
    """

    def __init__(
        self,
        operation: Operation,
        store: RecordStore,
        *,
        name: str = "station",
        recipe: str = "",
        options: ClientOptions | None = None,
        serials: SerialSource | None = None,
        detach_verdict: float = 35.0,
        retry: float = 1.0,
        topic_prefix: str = _DEFAULT_TOPIC_PREFIX,
        on_change: Callable[[Station], None] | None = None,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        if not (math.isfinite(detach_verdict) and detach_verdict >= 0):
            raise ValueError(f"detach_verdict must be seconds >= 0, not {detach_verdict!r}")
        if not (math.isfinite(retry) and retry > 0):
            raise ValueError(f"retry must be seconds > 0, not {retry!r}")
        self._operation = operation
        self.store = store
        self.name = name
        self.recipe = recipe
        self._options = options
        self._serials = serials
        self._detach_verdict = detach_verdict
        self._retry = retry
        self._topic_prefix = topic_prefix.rstrip("/")
        self._on_change = on_change
        self._on_outbox = on_outbox
        self.slots: dict[str, SlotView] = {}
        """What each slot shows now, by connection path."""
        self.halted = ""
        """Why the station takes no new boards now (``""``: it does)."""
        self.dcs_problem = ""
        """Why the Device Communication Service does not answer now (``""``: it does)."""
        self.draining = False
        """Set by :meth:`drain`: boards in flight finish, no new board is taken."""
        self.counts = {"passed": 0, "failed": 0, "interrupted": 0}
        self._in_flight: dict[str, tuple[anyio.CancelScope, anyio.Event, BoardRun | None]] = {}
        self._detached: dict[str, anyio.Event] = {}
        self._idle = anyio.Event()
        self._idle.set()
        self._interruption = "the board was unplugged"
        # A board plugged into a slot whose pulled board is still being recorded waits here.
        self._waiting: dict[str, HotplugEvent] = {}
        self._group: anyio.abc.TaskGroup | None = None
        """The task group of :meth:`run`, where each board's run is started."""

    # ------------------------------------------------------------------ view

    def _show(self, slot: str, **changes: Any) -> None:
        current = self.slots.get(slot, SlotView(slot, "idle"))
        self.slots[slot] = attrs.evolve(current, **changes)
        self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self)

    @property
    def in_flight(self) -> int:
        """How many boards are being provisioned now."""
        return len(self._in_flight)

    # ------------------------------------------------------------------ records

    async def _write(self, write: Callable[[], Awaitable[T]]) -> T:
        """Write a record; while the database cannot be written, say so and try again.

        Each attempt is shielded: a write that happened is never lost to a cancellation
        arriving as it finishes (its row ID would be), so the caller can account for it.
        """
        while True:
            try:
                with anyio.CancelScope(shield=True):
                    result = await write()
            except RecordsUnavailableError as exc:
                if self.halted != str(exc):
                    logger.error("%s; taking no new boards until the records can be written", exc)
                    self.halted = str(exc)
                    self._changed()
                await anyio.sleep(self._retry)
                continue
            if self.halted:
                logger.warning("the records can be written again; taking new boards")
                self.halted = ""
                self._changed()
            if self._on_outbox is not None:
                self._on_outbox()
            return result

    def _event(self, run: BoardRun, kind: str, **payload: Any) -> tuple[str, dict[str, Any]]:
        topic = f"{self._topic_prefix}/{self.name}/boards/{run.device_id}"
        body = {
            "kind": kind,
            "station": self.name,
            "run_uid": run.run_uid,
            "slot": run.slot,
            "device_id": run.device_id,
            "serial": run.serial,
            "time": time.time(),
            **payload,
        }
        return topic, body

    # ------------------------------------------------------------------ events

    async def run(self, events: AsyncIterator[HotplugEvent]) -> None:
        """Handle hot-plug events until they end, :meth:`drain` finishes, or cancellation.

        Cancelled (Ctrl-C), every board in flight is recorded as interrupted before it returns.
        """
        async with anyio.create_task_group() as group:
            self._group = group
            try:
                async for event in events:
                    self._handle(event)
                    if self.draining and not self._in_flight:
                        break
                await self._idle.wait()
            finally:
                if self.draining:
                    with anyio.CancelScope(shield=True):
                        await self._idle.wait()
            group.cancel_scope.cancel()

    def drain(self) -> None:
        """Take no new boards; :meth:`run` returns once the boards in flight are done."""
        self.draining = True
        self._changed()

    def _handle(self, event: HotplugEvent) -> None:
        if event.kind == "service_lost":
            self.dcs_problem = event.detail or "the Device Communication Service does not answer"
            self._changed()
        elif event.kind == "service_back":
            self.dcs_problem = ""
            self._changed()
        elif event.kind == "detached":
            self._on_detached(event)
        elif event.kind == "attached":
            self._on_attached(event)

    def _on_detached(self, event: HotplugEvent) -> None:
        slot = event.connection_path
        detached = self._detached.pop(slot, None)
        if detached is not None:
            detached.set()
        self._waiting.pop(slot, None)
        flight = self._in_flight.get(slot)
        if flight is not None:
            flight[0].cancel()
        else:
            self._show(slot, state="idle", device_id="", serial=None, step="", detail="")

    def _on_attached(self, event: HotplugEvent) -> None:
        slot = event.connection_path
        elsewhere = [
            other
            for other, (_, _, run) in self._in_flight.items()
            if run is not None and run.device_id == event.device_id and other != slot
        ]
        if elsewhere:
            self._show(
                slot,
                state="refused",
                device_id=event.device_id,
                detail=f"the same board is being provisioned at slot {elsewhere[0]}",
            )
            return
        if slot in self._in_flight and slot not in self._detached and not self.draining:
            self._waiting[slot] = event  # taken once the pulled board's run is recorded
            return
        if self.draining or self.halted or slot in self._in_flight:
            why = "the station is stopping" if self.draining else self.halted or "slot busy"
            self._show(slot, state="not taken", device_id=event.device_id, detail=why)
            return
        scope = anyio.CancelScope()
        done = anyio.Event()
        self._in_flight[slot] = (scope, done, None)
        self._detached[slot] = anyio.Event()
        self._idle = anyio.Event()
        assert self._group is not None  # set by run(), which handles every event
        self._group.start_soon(self._provision, event, scope, done)

    # ------------------------------------------------------------------ one board

    async def _provision(
        self, event: HotplugEvent, scope: anyio.CancelScope, done: anyio.Event
    ) -> None:
        slot, device_id = event.connection_path, event.device_id
        started = time.monotonic()
        self._show(
            slot,
            state="running",
            device_id=device_id,
            serial=None,
            step="",
            detail="",
            started=started,
        )
        run_uid = str(uuid.uuid4())
        store = self.store
        run_id = await self._write(
            lambda: store.start_run(
                station=self.name,
                recipe=self.recipe,
                slot=slot,
                address=event.address,
                device_id=device_id,
                run_uid=run_uid,
            )
        )
        run = BoardRun(self, run_id, run_uid, slot, device_id, event.address)
        self._in_flight[slot] = (scope, done, run)
        outcome: RunOutcome = "passed"
        detail = ""
        attached_event = self._event(run, "board_attached", address=event.address)
        await self._write(lambda: store.add_events([attached_event]))
        try:
            with scope:
                try:
                    await self._steps(run)
                except AzsphereError as exc:
                    outcome, detail = await self._failure_verdict(run, exc)
                except PROGRAMMING_ERRORS:
                    raise  # a bug in the operation is no board's failure
                except Exception as exc:  # the operation's own failure, recorded with the board
                    outcome, detail = "failed", f"{type(exc).__name__}: {_describe(exc)}"
            if scope.cancelled_caught:
                outcome, detail = "interrupted", self._interruption
        except BaseException:
            outcome, detail = "interrupted", "the station was stopped"
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await self._finish(run, outcome, detail, started)
                del self._in_flight[slot]
                waiting = self._waiting.pop(slot, None)
                group = self._group
                if (
                    waiting is not None
                    and group is not None
                    and not group.cancel_scope.cancel_called
                ):
                    self._on_attached(waiting)
                done.set()
                if not self._in_flight:
                    self._idle.set()

    async def _steps(self, run: BoardRun) -> None:
        async with DeviceClient(run.address, options=self._options) as client:
            if self._serials is not None:
                await self._bind_serial(self._serials, run)
            async with run.step("identify"):
                await self._identify(client, run)
            await self._operation(client, run)
            if run.failed_step:
                raise _StepFailed(f"{run.failed_step} failed")

    async def _bind_serial(self, serials: SerialSource, run: BoardRun) -> None:
        """The board's serial number, as a step of its own (its failure is the board's)."""
        if isinstance(serials, SerialScanner):
            self._show(run.slot, state="serial")  # the operator is asked to scan the label
        async with run.step("serial number"):
            serial = await serials.serial_for(run.device_id, run.slot)
            run.serial = serial
            await self._write(lambda: self.store.set_identity(run.run_id, serial=serial))
        self._show(run.slot, state="running", serial=serial)

    @staticmethod
    async def _identify(client: DeviceClient, run: BoardRun) -> None:
        os_version: str | None = None
        images: list[str] | None = None
        # Before REST API 4.5.0 the board does not say its OS; its images still tell.
        with contextlib.suppress(UnsupportedVersionError):
            os_version = (await client.device.get_os_version()).os_version
        try:
            listing = await client.image.get_images()
        except ForbiddenError:
            pass  # locked in DeviceComplete
        else:
            images = [
                image.uid
                for component in listing.components or ()
                for image in component.images or ()
                if image.uid
            ]
        await run.identify(os_version=os_version, images=images)

    async def _failure_verdict(self, run: BoardRun, exc: AzsphereError) -> tuple[RunOutcome, str]:
        """A board that stopped answering and is then detached was pulled, not failed."""
        if isinstance(exc, DeviceUnreachableError):
            detached = self._detached.get(run.slot)
            if detached is not None:
                with anyio.move_on_after(self._detach_verdict):
                    await detached.wait()
                    return "interrupted", self._interruption
        return "failed", f"{run.failed_step or 'run'}: {_describe(exc)}"

    async def _finish(
        self, run: BoardRun, outcome: RunOutcome, detail: str, started: float
    ) -> None:
        await run.end_open_steps("interrupted" if outcome == "interrupted" else "failed", detail)
        if outcome == "passed" and run.failed_step:
            outcome, detail = "failed", f"{run.failed_step} failed"
        elapsed = time.monotonic() - started
        event = self._event(run, outcome, elapsed=round(elapsed, 3), detail=detail)
        await self._write(
            lambda: self.store.finish_run(run.run_id, outcome, elapsed, detail, events=[event])
        )
        self.counts[outcome] += 1
        if self._serials is not None and outcome != "passed":
            self._serials.release(run.device_id)
        self._show(run.slot, state=outcome, step="", detail=detail)
