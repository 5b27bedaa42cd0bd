"""A station whose webhook endpoint is down for part of a run: boards plugged in and pulled out,
every event reaches the endpoint once by ID, in order per board, as the station wrote it."""

from __future__ import annotations

from pathlib import Path

import anyio

from azsphere_async.records import RecordStore
from azsphere_async.station.webhook import WebhookPublisher
from tests.station.outage_helpers import (
    assert_every_board_recorded_and_every_event_in_order,
    outbox_events,
    run_through_outage,
)
from tests.station.webhook_helpers import WebhookEndpoint, fast


async def test_a_run_through_an_endpoint_outage_loses_nothing_and_keeps_order(
    endpoint: WebhookEndpoint, tmp_path: Path
) -> None:
    path = tmp_path / "records.db"
    publishers: list[WebhookPublisher] = []

    def publisher(store: RecordStore) -> WebhookPublisher:
        publishers.append(WebhookPublisher(store, fast(endpoint.url)))
        return publishers[-1]

    async def down() -> None:
        await anyio.to_thread.run_sync(endpoint.stop)

    async def up() -> None:
        assert "cannot reach it" in publishers[0].problem  # it noticed, and said so
        await anyio.to_thread.run_sync(endpoint.start)

    ids, runs = await run_through_outage(path, publisher, down, up)
    assert_every_board_recorded_and_every_event_in_order(ids, runs, endpoint.taken(), path)
    assert endpoint.taken() == outbox_events(path)  # each event once, as the station wrote it
