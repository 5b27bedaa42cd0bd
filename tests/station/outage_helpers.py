"""The issue's proof for any target of the outbox (the broker, a webhook): a station runs mock
boards plugged in and pulled out over time while the target is down for part of the run, and
every board's records and every event must come through."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import anyio

from azsphere_async import ClientOptions
from azsphere_async.mock import MockDeviceConfig, MockFleet
from azsphere_async.records import RecordStore, RunRecord
from azsphere_async.records.outbox import backlog
from azsphere_async.station import Station
from azsphere_async.station.delivery import OutboxSender
from azsphere_async.station.hotplug import watch_attached
from tests.station.station_helpers import GRACE, LineOperation, slot_state, wait_for


async def run_through_outage(
    path: Path,
    sender: Callable[[RecordStore], OutboxSender],
    down: Callable[[], Awaitable[object]],
    up: Callable[[], Awaitable[object]],
) -> tuple[list[str], list[RunRecord]]:
    """Four boards: the first passes, then the target goes ``down``; the second is pulled
    mid-run and plugged in again, the fourth fails its check; once all are done the target is
    ``up`` again and the run ends when it has every event. Returns the board IDs and runs."""
    operation = LineOperation()
    async with (
        MockFleet(4, MockDeviceConfig(restart_downtime=0.2), dcs_port=0, plugged=False) as mock,
        RecordStore(path) as store,
    ):
        assert mock.dcs is not None
        ids = [device.state.device_id for device in mock]
        operation.failing.add(ids[3])
        options = ClientOptions(ca=mock.ssl_context())
        publisher = sender(store)
        station = Station(operation, store, name="st1", options=options, on_outbox=publisher.notify)
        events = watch_attached(
            dcs_url=mock.dcs.url, options=options, interval=0.05, restart_grace=GRACE
        )
        async with anyio.create_task_group() as group:
            group.start_soon(publisher.run)
            group.start_soon(station.run, events)
            await mock.plug(0)
            await wait_for(lambda: slot_state(station, "1") == "passed", "board 1 passed")
            await down()  # the target goes down mid-run
            operation.hold(ids[1])
            for index in (1, 2, 3):
                await mock.plug(index)
            await wait_for(lambda: ids[1] in operation.started, "board 2 started")
            await mock.unplug(1)  # pulled mid-run
            await wait_for(lambda: slot_state(station, "2") == "interrupted", "board 2 pulled")
            operation.release(ids[1])
            await mock.plug(1)
            for slot, state in (("2", "passed"), ("3", "passed"), ("4", "failed")):
                await wait_for(slot_shows(station, slot, state), f"slot {slot} {state}")
            await up()  # back
            await wait_for(lambda: not target_backlog(path, publisher.target), "the outbox sent")
            group.cancel_scope.cancel()
        return ids, await store.runs()


def assert_every_board_recorded_and_every_event_in_order(
    ids: list[str], runs: list[RunRecord], received: Iterable[dict[str, Any]], path: Path
) -> None:
    """Each board has its complete records; the target got every event the station wrote,
    recognisable by its ID, in order per board (``received``: in arrival order)."""
    assert sorted((run.device_id, run.outcome) for run in runs) == sorted(
        [
            (ids[0], "passed"),
            (ids[1], "interrupted"),
            (ids[1], "passed"),
            (ids[2], "passed"),
            (ids[3], "failed"),
        ]
    )
    for run in runs:
        assert run.ended_at is not None
        assert run.steps
        assert all(step.ended_at is not None for step in run.steps)
    first_seen: dict[str, dict[str, Any]] = {}
    for message in received:
        first_seen.setdefault(message["event_id"], message)
    outbox = outbox_events(path)
    assert set(first_seen) == {event["event_id"] for event in outbox}
    for device_id in ids:
        sent = [e["event_id"] for e in outbox if e["device_id"] == device_id]
        seen = [i for i, m in first_seen.items() if m["device_id"] == device_id]
        assert seen == sent
    kinds = [e["kind"] for e in outbox if e["device_id"] == ids[3]]
    assert kinds == ["board_attached", "step_done", "step_done", "step_done", "failed"]


def slot_shows(station: Station, slot: str, state: str) -> Callable[[], bool]:
    """Whether ``slot`` shows ``state`` now."""
    return lambda: slot_state(station, slot) == state


def outbox_events(path: Path) -> list[dict[str, Any]]:
    """Every event the station wrote, in its order."""
    with sqlite3.connect(path) as db:
        return [json.loads(row[0]) for row in db.execute("SELECT payload FROM outbox ORDER BY seq")]


def target_backlog(path: Path, target: str) -> int:
    """How many events wait to be sent to ``target``."""
    with sqlite3.connect(path) as db:
        return backlog(db, target)
