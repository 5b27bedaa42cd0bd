"""The issue's proof: boards plugged in and pulled out over time, the broker stopped and started
again mid-run; every board has its records complete and every event reached the broker."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from azsphere_async import ClientOptions
from azsphere_async.hotplug import watch_attached
from azsphere_async.mock import MockDeviceConfig, MockFleet
from azsphere_async.outbox import BrokerSettings, MqttPublisher
from azsphere_async.records import RecordStore
from azsphere_async.station import Station
from tests.station.broker_helpers import LineConsumer, Mosquitto
from tests.station.station_helpers import GRACE, LineOperation, slot_state, wait_for


async def test_a_run_through_a_broker_outage_loses_nothing_and_keeps_order(
    broker: Mosquitto, tmp_path: Path
) -> None:
    operation = LineOperation()
    path = tmp_path / "records.db"
    consumer = await anyio.to_thread.run_sync(LineConsumer, broker.port)
    try:
        async with (
            MockFleet(4, MockDeviceConfig(restart_downtime=0.2), dcs_port=0, plugged=False) as mock,
            RecordStore(path) as store,
        ):
            assert mock.dcs is not None
            ids = [device.state.device_id for device in mock]
            operation.failing.add(ids[3])
            options = ClientOptions(ca=mock.ssl_context())
            publisher = MqttPublisher(store, BrokerSettings("127.0.0.1", broker.port))
            station = Station(
                operation, store, name="st1", options=options, on_outbox=publisher.notify
            )
            events = watch_attached(
                dcs_url=mock.dcs.url, options=options, interval=0.05, restart_grace=GRACE
            )
            async with anyio.create_task_group() as group:
                group.start_soon(publisher.run)
                group.start_soon(station.run, events)
                await mock.plug(0)
                await wait_for(lambda: slot_state(station, "1") == "passed", "board 1 passed")
                await anyio.to_thread.run_sync(broker.stop)  # the broker goes down mid-run
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
                await anyio.to_thread.run_sync(broker.start)  # back
                await wait_for(lambda: not publisher_backlog(path), "the outbox sent")
                outbox = outbox_events(path)
                await wait_for(
                    lambda: (
                        {e["event_id"] for e in consumer.received()}
                        >= {e["event_id"] for e in outbox}
                    ),
                    "every event at the consumer",
                )
                group.cancel_scope.cancel()
            runs = await store.runs()
    finally:
        consumer.close()
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
    # Every event reached the broker, recognisable by its ID, in order per board.
    first_seen: dict[str, dict[str, Any]] = {}
    for message in consumer.received():
        first_seen.setdefault(message["event_id"], message)
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


def publisher_backlog(path: Path) -> int:
    """How many events wait to be sent."""
    with sqlite3.connect(path) as db:
        count: int = db.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
        return count
