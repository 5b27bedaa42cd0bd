"""``azsphere-async station RECIPE --webhook URL``: a real process, a real endpoint, a secret in
the URL that is used and never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from azsphere_async.cli.app import cli
from tests.station.station_helpers import CommandProcess
from tests.station.test_station_command import RECIPE, finished_runs
from tests.station.webhook_helpers import (
    PASSWORD,
    QUERY_TOKEN,
    WebhookEndpoint,
    assert_no_secrets,
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
