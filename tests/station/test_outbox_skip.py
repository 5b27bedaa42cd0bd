"""Skipping an event one target refuses for good: that target only, named, noted, and a
running webhook moves on; ``azsphere-async outbox`` shows every target and does the skip."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner

from azsphere_async.cli.app import cli
from azsphere_async.cli.output import Output
from azsphere_async.cli.station_delivery import report_delivery
from azsphere_async.errors import InvalidArgumentError
from azsphere_async.records import RecordStore, query_targets
from azsphere_async.station.webhook import WebhookPublisher, WebhookSettings
from tests.station.station_helpers import wait_for
from tests.station.webhook_helpers import WebhookEndpoint, numbered, publishing


async def test_a_webhook_held_by_an_event_it_refuses_moves_on_once_that_event_is_skipped(
    endpoint: WebhookEndpoint, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint.refused = {1: 413}  # event 1 is too large for it, now and always
    path = tmp_path / "records.db"
    async with RecordStore(path) as store:
        settings = WebhookSettings(endpoint.url, retry_min=0.01, retry_max=0.2)
        await store.add_events(numbered(0, 4))
        with caplog.at_level(logging.WARNING, "azsphere_async"):
            async with publishing(store, settings) as publisher:
                await wait_for(lambda: publisher.held, "held at event 1")
                assert publisher.sent == 1
                (held,) = [p for p in await store.targets() if p.target == settings.target]
                assert held.waiting == 3
                assert held.next_event is not None
                assert json.loads(held.next_event.payload)["n"] == 1
                # Another program (the command) skips it while the station runs.
                async with RecordStore(path) as other:
                    skipped = await other.skip_event(
                        settings.target, held.next_event.event_id, "413: too large"
                    )
                await wait_for(lambda: publisher.sent == 3, "the events after it taken")
                assert not publisher.held
                assert publisher.problem == ""
        untouched = await store.unsent_events("another target")  # still gets every event
    assert [event["n"] for event in endpoint.taken()] == [0, 2, 3]
    assert {r.status for r in endpoint.received() if r.body["n"] == 1} == {413}
    assert [json.loads(e.payload)["n"] for e in untouched] == [0, 1, 2, 3]
    assert any("was skipped for it" in r.getMessage() for r in caplog.records)
    with sqlite3.connect(path) as db:
        notes = db.execute("SELECT target, event_id, reason FROM outbox_skipped").fetchall()
    assert notes == [(settings.target, skipped.event_id, "413: too large")]
    (after,) = await query_targets(path)
    assert (after.waiting, after.skipped, after.next_event) == (0, 1, None)


async def test_only_the_event_a_target_waits_for_next_can_be_skipped(tmp_path: Path) -> None:
    async with RecordStore(tmp_path / "records.db") as store:
        await store.add_events(numbered(0, 3))
        await store.add_target("webhook https://mes.example:443/events")
        first, second, _ = await store.unsent_events("webhook https://mes.example:443/events")
        with pytest.raises(InvalidArgumentError) as stale:
            await store.skip_event("webhook https://mes.example:443/events", second.event_id, "")
        assert first.event_id in str(stale.value)  # names the one it waits for
        with pytest.raises(InvalidArgumentError) as unknown:
            await store.skip_event("webhook https://typo.example:443/events", first.event_id, "")
        assert "mes.example" in str(unknown.value)  # names the targets it knows
        (position,) = await store.targets()
        assert (position.seq, position.waiting, position.skipped) == (0, 3, 0)


def test_the_outbox_command_lists_targets_and_skips_a_named_event(tmp_path: Path) -> None:
    path = tmp_path / "line3.db"
    url = "https://mes.example/events"  # as given to --webhook
    target = WebhookSettings(url).target

    async def fill() -> str:
        async with RecordStore(path) as store:
            await store.add_events(numbered(0, 2))
            await store.add_target(target)
            await store.add_target("mqtt")
            events = await store.unsent_events("mqtt")
            await store.mark_sent("mqtt", events[-1].seq)
            return events[0].event_id

    first = anyio.run(fill)
    runner = CliRunner()
    env = {"COLUMNS": "200"}
    table = runner.invoke(cli, ["outbox", "--db", str(path)], env=env)
    assert table.exit_code == 0, table.output
    assert target in table.output
    assert first in table.output
    listed = runner.invoke(cli, ["--json", "outbox", "--db", str(path)])
    rows = {row["target"]: row for row in json.loads(listed.output)}
    assert rows["mqtt"]["waiting"] == 0
    assert rows[target]["waiting"] == 2
    assert rows[target]["next_event_id"] == first

    wrong = runner.invoke(cli, ["outbox", "--db", str(path), "--skip", target, "--event", "x"])
    assert wrong.exit_code == 2
    assert first in wrong.output  # says which event it waits for
    alone = runner.invoke(cli, ["outbox", "--db", str(path), "--skip", target])
    assert alone.exit_code == 2
    assert "go together" in alone.output
    done = runner.invoke(
        cli, ["outbox", "--db", str(path), "--skip", url, "--event", first], env=env
    )
    assert done.exit_code == 0, done.output
    assert f"Skipped event {first}" in done.output
    after = {
        row["target"]: row
        for row in json.loads(runner.invoke(cli, ["--json", "outbox", "--db", str(path)]).output)
    }
    assert (after[target]["waiting"], after[target]["skipped"]) == (1, 1)
    assert (after["mqtt"]["waiting"], after["mqtt"]["skipped"]) == (0, 0)
    missing = runner.invoke(cli, ["outbox", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 2
    assert "no records database" in missing.output
    assert not (tmp_path / "none.db").exists()


async def test_a_stopping_station_says_when_events_were_skipped_for_a_target(
    tmp_path: Path,
) -> None:
    stdout = io.StringIO()
    out = Output(stdout=stdout, stderr=io.StringIO())
    settings = WebhookSettings("https://mes.example/events")
    async with RecordStore(tmp_path / "records.db") as store:
        publisher = WebhookPublisher(store, settings)
        await store.add_events(numbered(0, 2))
        await store.add_target(settings.target)
        first, second = await store.unsent_events(settings.target)
        await store.skip_event(settings.target, first.event_id, "413")
        await store.mark_sent(settings.target, second.seq)
        await report_delivery(out, store, [publisher])
    said = stdout.getvalue()
    assert "webhook https://mes.example/events: every event sent but 1 skipped for it" in said
