"""Events to a real HTTP endpoint: at least once, in order, through an endpoint that is down,
fails, hangs or refuses for a while, each event with its stable ID."""

from __future__ import annotations

import logging
from pathlib import Path

import anyio
import pytest

from azsphere_async.records import RecordStore
from azsphere_async.station.webhook import WebhookSettings
from tests.station.station_helpers import wait_for
from tests.station.webhook_helpers import WebhookEndpoint, fast, numbered, publishing


async def test_events_wait_while_the_endpoint_is_down_and_arrive_in_order(
    endpoint: WebhookEndpoint, tmp_path: Path
) -> None:
    async with RecordStore(tmp_path / "records.db") as store:
        settings = fast(endpoint.url)
        async with publishing(store, settings) as publisher:
            await store.add_events(numbered(0, 5))
            publisher.notify()
            await wait_for(lambda: publisher.sent == 5, "the first five taken")
            await anyio.to_thread.run_sync(endpoint.stop)
            for n in range(5, 15):  # down: the events wait in the outbox
                await store.add_events(numbered(n, n + 1))
                publisher.notify()
            await wait_for(lambda: "cannot reach it" in publisher.problem, "the outage noticed")
            assert await store.backlog(settings.target) == 10
            assert publisher.sent == 5
            await anyio.to_thread.run_sync(endpoint.start)
            await wait_for(lambda: publisher.sent == 15, "all fifteen taken")
            assert publisher.problem == ""
            assert await store.backlog(settings.target) == 0
            outbox = await store.unsent_events("a target never seen")  # has them all
    taken = endpoint.taken()
    assert [event["n"] for event in taken] == list(range(15))
    assert [event["event_id"] for event in taken] == [event.event_id for event in outbox]
    for request in endpoint.received():
        assert request.path == "/events"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["idempotency-key"] == f'"{request.body["event_id"]}"'


async def test_an_endpoint_that_fails_gets_the_same_event_again_until_it_takes_it(
    endpoint: WebhookEndpoint, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint.next_statuses = [500, 503, 500]
    async with RecordStore(tmp_path / "records.db") as store:
        settings = fast(endpoint.url)
        await store.add_events(numbered(0, 3))
        with caplog.at_level(logging.WARNING, "azsphere_async"):
            async with publishing(store, settings) as publisher:
                await wait_for(lambda: publisher.sent == 3, "all three taken")
    statuses = [(r.body["n"], r.status) for r in endpoint.received()]
    assert statuses == [(0, 500), (0, 503), (0, 500), (0, 200), (1, 200), (2, 200)]
    first_ids = {r.headers["idempotency-key"] for r in endpoint.received() if r.body["n"] == 0}
    assert len(first_ids) == 1  # the same event, the same key, every time
    assert [event["n"] for event in endpoint.taken()] == [0, 1, 2]
    warnings = [r.getMessage() for r in caplog.records]
    assert any("500 Internal Server Error" in w for w in warnings)
    assert any("takes events again" in w for w in warnings)


async def test_an_endpoint_that_does_not_answer_in_time_gets_the_event_again(
    endpoint: WebhookEndpoint, tmp_path: Path
) -> None:
    endpoint.stall_next = 1  # the first request is never answered
    async with RecordStore(tmp_path / "records.db") as store:
        settings = fast(endpoint.url, timeout=0.5)
        await store.add_events(numbered(0, 2))
        async with publishing(store, settings) as publisher:
            await wait_for(lambda: publisher.sent == 2, "both taken")
        endpoint.release()
    received = endpoint.received()
    assert [r.body["n"] for r in received] == [0, 0, 1]
    assert received[0].headers["idempotency-key"] == received[1].headers["idempotency-key"]
    assert [event["n"] for event in endpoint.taken()] == [0, 1]


async def test_a_refusing_endpoint_holds_its_events_and_gets_them_all_once_put_right(
    endpoint: WebhookEndpoint, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint.status = 401
    async with RecordStore(tmp_path / "records.db") as store:
        settings = WebhookSettings(endpoint.url, retry_min=0.01, retry_max=0.2)
        await store.add_events(numbered(0, 4))
        with caplog.at_level(logging.WARNING, "azsphere_async"):
            async with publishing(store, settings) as publisher:
                await wait_for(lambda: len(endpoint.received()) >= 3, "offered three times")
                assert publisher.held
                assert "refuses the event: 401 Unauthorized" in publisher.problem
                assert publisher.sent == 0
                assert await store.backlog(settings.target) == 4  # nothing skipped
                endpoint.status = 200  # the MES put right: no restart needed
                await wait_for(lambda: publisher.sent == 4, "all four taken")
                assert not publisher.held
    assert {r.body["n"] for r in endpoint.received() if r.status == 401} == {0}
    assert [event["n"] for event in endpoint.taken()] == [0, 1, 2, 3]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # said once, not at every offer
    assert "nothing skipped" in errors[0].getMessage()
