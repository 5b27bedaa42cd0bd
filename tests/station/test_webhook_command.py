"""``azsphere-async station RECIPE --webhook URL``: a real process, a real endpoint, a secret in
the URL that is used and never shown; what a stopping station says of the events left."""

from __future__ import annotations

import io
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner

from azsphere_async.cli import station_delivery
from azsphere_async.cli.app import cli
from azsphere_async.cli.output import Output
from azsphere_async.cli.station_delivery import event_senders, webhook_settings
from azsphere_async.records import RecordStore
from tests.station.station_helpers import CommandProcess
from tests.station.test_station_command import RECIPE, finished_runs
from tests.station.webhook_helpers import (
    PASSWORD,
    QUERY_TOKEN,
    WebhookEndpoint,
    assert_no_secrets,
    numbered,
    with_secrets,
)
from tests.threaded_fleet import ThreadedFleet
from tests.workflows.workflow_helpers import write_recipe


def test_the_station_command_sends_every_event_to_its_webhook_and_never_shows_its_secrets(
    endpoint: WebhookEndpoint, tmp_path: Path
) -> None:
    recipe = write_recipe(tmp_path, RECIPE)
    db = tmp_path / "records.db"
    with ThreadedFleet(1, dcs_port=0) as fleet:
        ca = fleet.mock.write_ca(tmp_path / "ca.pem")
        assert fleet.mock.dcs is not None
        with CommandProcess(
            [
                *("--ca", str(ca), "--dcs-url", fleet.mock.dcs.url),
                *("station", str(recipe), "--db", str(db), "--poll", "0.1"),
                *("--webhook", with_secrets(endpoint.url)),
            ]
        ) as station:
            station.wait_until(
                lambda: any(e["kind"] == "passed" for e in endpoint.taken()),
                "the board's verdict at the endpoint",
            )
            station.interrupt()
            status = station.finish()
    out, err = station.stdout, station.stderr
    assert status == 0, err
    assert finished_runs(db) == [(fleet.mock[0].state.device_id, "passed")]
    assert endpoint.taken()[0]["kind"] == "board_attached"
    assert endpoint.received()[0].query["token"] == [QUERY_TOKEN]  # the URL was used whole
    assert f"webhook http://127.0.0.1:{endpoint.port}/events: every event sent" in out + err
    stored = [path.read_bytes().decode("latin-1") for path in tmp_path.glob("records.db*")]
    assert_no_secrets(out, err, *stored)
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("webhooks", "expected"),
    [
        ([f"ftp://line:{PASSWORD}@mes.example/events?token={QUERY_TOKEN}"], "invalid webhook url"),
        (
            [with_secrets("https://mes.example/events"), "https://mes.example/events?other=1"],
            "https://mes.example/events is given twice",
        ),
    ],
)
def test_a_bad_webhook_is_refused_before_anything_starts_without_its_secrets(
    tmp_path: Path, webhooks: list[str], expected: str
) -> None:
    recipe = write_recipe(tmp_path, RECIPE)
    options = [part for url in webhooks for part in ("--webhook", url)]
    db = tmp_path / "records.db"
    result = CliRunner().invoke(cli, ["station", str(recipe), "--db", str(db), *options])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert_no_secrets(result.output)
    assert not db.exists()


async def test_a_stopping_station_waits_a_little_for_its_targets_then_says_what_waits(
    endpoint: WebhookEndpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(station_delivery, "FLUSH_LIMIT", 0.5)
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output(stdout=stdout, stderr=stderr)
    settings = webhook_settings([with_secrets(endpoint.url)], None)
    await anyio.to_thread.run_sync(endpoint.stop)  # down as the station stops
    async with RecordStore(tmp_path / "records.db") as store:
        senders = event_senders(store, None, settings)
        await store.add_events(numbered(0, 3))
        async with anyio.create_task_group() as group:
            group.start_soon(senders[0].run)
            await station_delivery.flush(out, store, senders)  # gives up after FLUSH_LIMIT
            group.cancel_scope.cancel()
        await station_delivery.report_delivery(out, store, senders)
    shown = f"webhook http://127.0.0.1:{endpoint.port}/events"
    said = stdout.getvalue() + stderr.getvalue()
    assert "Sending the events left (up to 0.5 s" in said
    assert f"{shown}: 3 events wait in the outbox (cannot reach it: " in said
    assert "they go, in order, when the station runs again" in said
    assert_no_secrets(said)
