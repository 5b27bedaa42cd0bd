"""The issue's proof: boards plugged in and pulled out over time, the broker stopped and started
again mid-run; every board has its records complete and every event reached the broker."""

from __future__ import annotations

from pathlib import Path

import anyio

from azsphere_async.records import RecordStore
from azsphere_async.station.delivery import BrokerSettings, MqttPublisher
from tests.station.broker_helpers import LineConsumer, Mosquitto
from tests.station.outage_helpers import (
    assert_every_board_recorded_and_every_event_in_order,
    outbox_events,
    run_through_outage,
)
from tests.station.station_helpers import wait_for


async def test_a_run_through_a_broker_outage_loses_nothing_and_keeps_order(
    broker: Mosquitto, tmp_path: Path
) -> None:
    path = tmp_path / "records.db"
    consumer = await anyio.to_thread.run_sync(LineConsumer, broker.port)
    try:

        def publisher(store: RecordStore) -> MqttPublisher:
            return MqttPublisher(store, BrokerSettings("127.0.0.1", broker.port))

        ids, runs = await run_through_outage(
            path,
            publisher,
            down=lambda: anyio.to_thread.run_sync(broker.stop),
            up=lambda: anyio.to_thread.run_sync(broker.start),
        )
        written = {event["event_id"] for event in outbox_events(path)}
        await wait_for(
            lambda: {m["event_id"] for m in consumer.received()} >= written,
            "every event at the consumer",
        )
    finally:
        consumer.close()
    assert_every_board_recorded_and_every_event_in_order(ids, runs, consumer.received(), path)
