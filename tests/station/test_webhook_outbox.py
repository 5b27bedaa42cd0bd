"""One outbox, many targets: the broker and webhooks each with their own delivery position;
a database of the first outbox (one ``sent_at`` per event) migrates when opened."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import anyio
import pytest

from azsphere_async.records import RecordStore, RecordsUnavailableError, query_targets
from azsphere_async.station.delivery import MQTT_TARGET, BrokerSettings, MqttPublisher
from azsphere_async.station.webhook import WebhookPublisher, WebhookSettings
from tests.station.broker_helpers import LineConsumer, Mosquitto
from tests.station.station_helpers import wait_for
from tests.station.webhook_helpers import WebhookEndpoint, fast, numbered

# The records schema before targets had positions of their own (as the station wrote it).
FIRST_OUTBOX = """
CREATE TABLE runs (id INTEGER PRIMARY KEY, run_uid TEXT NOT NULL UNIQUE, station TEXT NOT NULL,
    recipe TEXT NOT NULL, slot TEXT NOT NULL, address TEXT NOT NULL, device_id TEXT NOT NULL,
    serial TEXT, os_version TEXT, images TEXT NOT NULL DEFAULT '[]', started_at TEXT NOT NULL,
    ended_at TEXT, elapsed REAL, outcome TEXT NOT NULL DEFAULT 'running',
    detail TEXT NOT NULL DEFAULT '');
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT);
CREATE INDEX outbox_unsent ON outbox (sent_at, seq);
"""


def first_outbox_database(path: Path, sent: int, unsent: int) -> None:
    """A database the first outbox wrote: ``sent`` events the broker had, then ``unsent``."""
    with sqlite3.connect(path) as db:
        db.executescript(FIRST_OUTBOX)
        for n in range(sent + unsent):
            db.execute(
                "INSERT INTO outbox (event_id, topic, payload, created_at, sent_at)"
                " VALUES (?, 't', ?, 'then', ?)",
                (f"id-{n}", f'{{"event_id": "id-{n}", "n": {n}}}', "then" if n < sent else None),
            )


async def test_a_first_outbox_database_migrates_and_the_broker_resumes_where_it_was(
    tmp_path: Path,
) -> None:
    path = tmp_path / "records.db"
    first_outbox_database(path, sent=3, unsent=2)
    for _ in range(2):  # opened again, it is left as it is
        async with RecordStore(path) as store:
            unsent = await store.unsent_events(MQTT_TARGET)
            assert [event.event_id for event in unsent] == ["id-3", "id-4"]
            webhook = WebhookSettings("http://127.0.0.1:9/events").target
            assert await store.backlog(webhook) == 5  # a new target gets every event
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
        columns = [row[1] for row in db.execute("PRAGMA table_info(outbox)")]
    assert "sent_at" not in columns
    async with RecordStore(path) as store:
        await store.add_events(numbered(5, 6))
        await store.mark_sent(MQTT_TARGET, 5)
        await store.mark_sent(MQTT_TARGET, 2)  # a position never moves back
        (left,) = await store.unsent_events(MQTT_TARGET)
    assert (left.seq, json.loads(left.payload)["n"]) == (6, 5)  # seq goes on after the migration


async def test_a_database_with_positions_but_no_skips_migrates_keeping_every_position(
    tmp_path: Path,
) -> None:
    path = tmp_path / "records.db"
    async with RecordStore(path) as store:
        await store.add_events(numbered(0, 3))
        await store.mark_sent(MQTT_TARGET, 2)
    with sqlite3.connect(path) as db:  # as schema 1 left it: positions, no skips table
        db.execute("DROP TABLE outbox_skipped")
        db.execute("PRAGMA user_version = 1")
    (before,) = await query_targets(path)  # read without writing: no skips to count
    assert (before.seq, before.waiting, before.skipped) == (2, 1, 0)
    async with RecordStore(path) as store:
        (after,) = await store.targets()
        assert (after.seq, after.waiting, after.skipped) == (2, 1, 0)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)


async def test_a_database_of_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "records.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 7")
    with pytest.raises(RecordsUnavailableError, match="newer azsphere-async"):
        async with RecordStore(path):
            pass
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (7,)


async def test_a_broker_and_a_webhook_each_get_every_event_at_their_own_pace(
    broker: Mosquitto, endpoint: WebhookEndpoint, tmp_path: Path
) -> None:
    consumer = await anyio.to_thread.run_sync(LineConsumer, broker.port)
    try:
        async with RecordStore(tmp_path / "records.db") as store:
            mqtt = MqttPublisher(store, BrokerSettings("127.0.0.1", broker.port))
            webhook = WebhookPublisher(store, fast(endpoint.url))
            async with anyio.create_task_group() as group:
                group.start_soon(mqtt.run)
                group.start_soon(webhook.run)
                await store.add_events(numbered(0, 3))
                await wait_for(lambda: mqtt.sent == webhook.sent == 3, "both have three")
                assert mqtt.problem == webhook.problem == ""
                await anyio.to_thread.run_sync(broker.stop)  # the broker down...
                for n in range(3, 8):
                    await store.add_events(numbered(n, n + 1))
                    webhook.notify()
                    mqtt.notify()
                await wait_for(lambda: webhook.sent == 8, "the webhook has all eight")  # ...not it
                assert mqtt.sent == 3
                await wait_for(lambda: mqtt.problem == "not connected", "it says why")
                assert await store.backlog(MQTT_TARGET) == 5
                await anyio.to_thread.run_sync(endpoint.stop)  # now the endpoint down
                await anyio.to_thread.run_sync(broker.start)
                await wait_for(lambda: mqtt.sent == 8, "the broker has all eight")
                await anyio.to_thread.run_sync(endpoint.start)
                await wait_for(lambda: len(consumer_ids(consumer)) == 8, "the consumer has all")
                group.cancel_scope.cancel()
    finally:
        consumer.close()
    over_http = [event["n"] for event in endpoint.taken()]
    first_seen: dict[str, int] = {}
    for message in consumer.received():
        first_seen.setdefault(message["event_id"], message["n"])
    assert over_http == list(first_seen.values()) == list(range(8))
    assert {event["event_id"] for event in endpoint.taken()} == set(first_seen)


def consumer_ids(consumer: LineConsumer) -> set[str]:
    """The event IDs the MQTT consumer has seen."""
    return {message["event_id"] for message in consumer.received()}
