"""The webhook's exact requests (respx), its settings refused before any traffic, and its
secrets (credentials and a token in the URL, a bearer token) never shown anywhere."""

from __future__ import annotations

import base64
import json
import logging
import time
from pathlib import Path

import anyio
import httpx
import pytest
import respx

from azsphere_async import InvalidArgumentError
from azsphere_async._version import __version__
from azsphere_async.records import RecordStore
from azsphere_async.station.webhook import WebhookSettings
from tests.station.station_helpers import wait_for
from tests.station.webhook_helpers import (
    BEARER,
    PASSWORD,
    QUERY_TOKEN,
    WebhookEndpoint,
    assert_no_secrets,
    publishing,
    with_secrets,
)

EVENT = ("azsphere/station/st1/boards/abc", {"kind": "passed", "device_id": "abc", "n": 1})


async def test_each_event_is_a_post_of_its_json_with_its_id_as_idempotency_key(
    tmp_path: Path,
) -> None:
    async with RecordStore(tmp_path / "records.db") as store:
        await store.add_events([EVENT])
        (event,) = await store.unsent_events("webhook")
        settings = WebhookSettings("https://mes.example/line3/events?site=7", token=BEARER)
        with respx.mock(assert_all_called=True) as router:
            route = router.post(host="mes.example", path="/line3/events").respond(204)
            async with publishing(store, settings) as publisher:
                await wait_for(lambda: publisher.sent == 1, "the event taken")
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.url.params["site"] == "7"
    assert request.content == event.payload.encode()
    assert json.loads(request.content) == {"event_id": event.event_id, **EVENT[1]}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == f'"{event.event_id}"'
    assert request.headers["authorization"] == f"Bearer {BEARER}"
    assert request.headers["user-agent"] == f"azsphere-async/{__version__}"
    assert route.call_count == 1


async def test_a_redirect_is_not_followed_but_held_and_shown_without_its_query(
    tmp_path: Path,
) -> None:
    async with RecordStore(tmp_path / "records.db") as store:
        await store.add_events([EVENT])
        settings = WebhookSettings("https://mes.example/events", retry_max=0.05, retry_min=0.01)
        with respx.mock(assert_all_called=True) as router:
            moved = f"https://mes2.example/v2/events?token={QUERY_TOKEN}"
            router.post("https://mes.example/events").respond(308, headers={"Location": moved})
            async with publishing(store, settings) as publisher:
                await wait_for(lambda: publisher.held, "held")
                assert publisher.sent == 0
    assert "308 Permanent Redirect" in publisher.problem
    assert "it points to https://mes2.example/v2/events" in publisher.problem
    assert QUERY_TOKEN not in publisher.problem


async def test_a_retry_after_is_honoured_over_a_shorter_backoff(tmp_path: Path) -> None:
    async with RecordStore(tmp_path / "records.db") as store:
        await store.add_events([EVENT])
        settings = WebhookSettings("https://mes.example/events", retry_min=0.01, retry_max=0.05)
        times: list[float] = []

        def answer(request: httpx.Request) -> httpx.Response:
            times.append(time.monotonic())
            if len(times) == 1:
                return httpx.Response(429, headers={"Retry-After": "1"})
            return httpx.Response(204)

        with respx.mock(assert_all_called=True) as router:
            router.post("https://mes.example/events").mock(side_effect=answer)
            async with publishing(store, settings) as publisher:
                await wait_for(lambda: publisher.sent == 1, "taken after the wait it asked for")
    assert len(times) == 2
    assert times[1] - times[0] >= 0.95  # not the 0.05 s backoff


async def test_a_refusal_that_echoes_the_secrets_is_shown_without_them(tmp_path: Path) -> None:
    async with RecordStore(tmp_path / "records.db") as store:
        await store.add_events([EVENT])
        url = with_secrets("https://mes.example/events")
        settings = WebhookSettings(url, retry_min=0.01, retry_max=0.05)
        echo = f"no such line: {url} (token={QUERY_TOKEN}, password {PASSWORD})"
        with respx.mock(assert_all_called=True) as router:
            router.post(host="mes.example").respond(400, text=echo)
            async with publishing(store, settings) as publisher:
                await wait_for(lambda: publisher.held, "held")
    assert "it refuses the event: 400 Bad Request: no such line: https://" in publisher.problem
    assert_no_secrets(publisher.problem, repr(publisher))


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"url": "ftp://mes.example/events"}, "an http:// or https:// URL"),
        ({"url": "https:///events"}, "an http:// or https:// URL"),
        ({"url": "https://mes.example:99999/events"}, "an http:// or https:// URL"),
        ({"url": "https://mes.example/events", "timeout": 0}, "seconds"),
        ({"url": "https://mes.example/", "retry_min": 5, "retry_max": 1}, "at least retry_min"),
    ],
)
def test_bad_settings_are_refused_before_any_traffic(
    arguments: dict[str, object], expected: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=expected):
        WebhookSettings(**arguments)  # type: ignore[arg-type]


def test_a_refused_url_never_shows_its_secrets() -> None:
    for url in (
        f"ftp://line:{PASSWORD}@mes.example/events?token={QUERY_TOKEN}",
        f"https://line:{PASSWORD}@mes.example:0x50/events?token={QUERY_TOKEN}",
        f"https://line:{PASSWORD}@mes.example/ev ents?token={QUERY_TOKEN}",
    ):
        with pytest.raises(InvalidArgumentError) as refused:
            WebhookSettings(url)
        assert_no_secrets(str(refused.value), repr(refused.value))
    with pytest.raises(InvalidArgumentError, match="one way to log in") as both:
        WebhookSettings(f"https://line:{PASSWORD}@mes.example/events", token=BEARER)
    assert_no_secrets(str(both.value))


async def test_secrets_in_the_url_reach_the_endpoint_and_are_never_shown(
    endpoint: WebhookEndpoint, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: the library's, httpx's and httpcore's
    settings = WebhookSettings(with_secrets(endpoint.url), retry_min=0.01, retry_max=0.1)
    texts = [repr(settings), str(settings), settings.shown, settings.target]
    path = tmp_path / "records.db"
    async with RecordStore(path) as store, publishing(store, settings) as publisher:
        texts.append(repr(publisher))
        await store.add_events([EVENT])
        await wait_for(lambda: publisher.sent == 1, "the first taken")
        endpoint.status = 403  # refused...
        await store.add_events([EVENT])
        await wait_for(lambda: publisher.held, "held")
        texts.append(publisher.problem)
        await anyio.to_thread.run_sync(endpoint.stop)  # ...then down
        endpoint.status = 200
        await wait_for(lambda: "cannot reach it" in publisher.problem, "the outage noticed")
        texts.append(publisher.problem)
        await anyio.to_thread.run_sync(endpoint.start)
        await wait_for(lambda: publisher.sent == 2, "the second taken")
    first = endpoint.received()[0]
    assert first.query["token"] == [QUERY_TOKEN]  # the secrets were used...
    assert first.headers["authorization"] == "Basic " + _basic("line", PASSWORD)
    texts.append(caplog.text)
    for record in caplog.records:
        texts.extend([record.getMessage(), repr(record.args), repr(record.__dict__)])
    assert any("HTTP Request: POST" in text for text in texts)  # httpx's log line, rewritten
    assert_no_secrets(*texts)  # ...and shown nowhere: not in logs, reprs, problems
    for stored in tmp_path.glob("records.db*"):
        assert_no_secrets(stored.read_bytes().decode("latin-1"))  # nor in the records


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()
