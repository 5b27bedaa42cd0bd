"""Events to a real MQTT broker: at least once, in order, through a broker stopped mid-run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio

from azsphere_async.records import RecordStore
from azsphere_async.station.delivery import MQTT_TARGET, BrokerSettings, MqttPublisher
from tests.station.broker_helpers import LineConsumer, Mosquitto
from tests.station.station_helpers import wait_for


async def test_events_wait_while_the_broker_is_down_and_arrive_in_order(
    broker: Mosquitto, tmp_path: Path
) -> None:
    consumer = await anyio.to_thread.run_sync(LineConsumer, broker.port)
    try:
        async with RecordStore(tmp_path / "records.db") as store:
            publisher = MqttPublisher(store, BrokerSettings("127.0.0.1", broker.port))
            async with anyio.create_task_group() as group:
                group.start_soon(publisher.run)
                first = [("azsphere/st/board-a", {"n": n, "board": "a"}) for n in range(5)]
                await store.add_events(first)
                await wait_for(lambda: publisher.sent == 5, "the first five sent")
                await anyio.to_thread.run_sync(broker.stop)
                # Down: the events wait in the outbox.
                for n in range(5, 15):
                    board = "ab"[n % 2]
                    await store.add_events(
                        [(f"azsphere/st/board-{board}", {"n": n, "board": board})]
                    )
                assert len(await store.unsent_events(MQTT_TARGET)) >= 9
                await anyio.to_thread.run_sync(broker.start)
                await wait_for(lambda: publisher.sent == 15, "all fifteen sent")
                assert await store.unsent_events(MQTT_TARGET) == []
                await wait_for(lambda: len(distinct_ids(consumer)) == 15, "the consumer has all")
                group.cancel_scope.cancel()
    finally:
        consumer.close()
    received = consumer.received()
    first_seen: dict[str, dict[str, Any]] = {}
    for message in received:
        first_seen.setdefault(message["event_id"], message)
    assert len(first_seen) == 15
    for board in "ab":
        numbers = [m["n"] for m in first_seen.values() if m["board"] == board]
        assert numbers == sorted(numbers)
    assert [m["n"] for m in first_seen.values()] == list(range(15))


def distinct_ids(consumer: LineConsumer) -> set[str]:
    """The event IDs the consumer has seen (a duplicate counts once)."""
    return {message["event_id"] for message in consumer.received()}
