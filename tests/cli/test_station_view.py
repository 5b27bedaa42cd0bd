"""The station's live view at 80 and 200 columns: panels while they fit, a compact view of
every slot when they do not, and never a failure below the fold."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.console import Console

from azsphere_async.cli.station_view import render_station
from azsphere_async.records import RecordStore
from azsphere_async.station import (
    BrokerSettings,
    MqttPublisher,
    SlotView,
    Station,
    WebhookPublisher,
    WebhookSettings,
)

REASON = "verify: os: 23.10, expected 24.03; update the board's OS"


async def operation(client: object, run: object) -> None:
    """Never run: the view is drawn from the slots alone."""


def station_with(tmp_path: Path, boards: int, failed: int) -> Station:
    station = Station(operation, RecordStore(tmp_path / "records.db"), name="line3")
    for number in range(1, boards + 1):
        slot = str(number)
        if number == failed:
            view = SlotView(slot, "failed", "C926BBC1" + "0" * 120, detail=REASON)
        elif number > boards - 8:
            view = SlotView(slot, "running", "A" * 128, step="install", started=time.monotonic())
        else:
            view = SlotView(slot, "passed", "B" * 128)
        station.slots[slot] = view
    station.counts.update(passed=boards - 9, failed=1)
    return station


def drawn(station: Station, width: int, height: int) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=width, height=height, color_system=None)
    console.print(render_station(station, width=width, height=height))
    return out.getvalue().splitlines()


@pytest.mark.parametrize("width", [80, 200])
def test_48_slots_fit_the_terminal_and_the_failure_shows_with_its_reason(
    tmp_path: Path, width: int
) -> None:
    lines = drawn(station_with(tmp_path, 48, failed=40), width, 40)
    assert len(lines) <= 40
    assert lines[0] == "line3: 39 passed, 1 failed, 0 interrupted, 0 in flight"
    text = "\n".join(lines)
    cells = " ".join(lines[1:])
    for number in (1, 39, 40, 48):  # every slot has its cell
        assert f" {number} " in cells
    failure = next(line for line in lines if line.startswith("slot 40 "))
    assert "FAIL" in failure
    assert "C926BBC1" in failure
    assert "verify: os: 23.10" in failure
    assert text.count("WORKING") >= 8
    assert all(len(line) <= width for line in lines)


def test_a_short_terminal_says_how_many_more_are_at_work(tmp_path: Path) -> None:
    lines = drawn(station_with(tmp_path, 48, failed=40), 80, 16)
    assert any(line.startswith("slot 40 ") for line in lines)  # the failure first
    assert any("more at work" in line for line in lines)
    assert len(lines) <= 16


def test_a_few_slots_get_their_big_panels(tmp_path: Path) -> None:
    lines = drawn(station_with(tmp_path, 3, failed=2), 80, 40)
    text = "\n".join(lines)
    assert "slot 2" in text
    assert "FAIL" in text
    assert "╭" in text  # panels, not the compact rows
    assert not any(line.startswith("slot 2 ") for line in lines)


@pytest.mark.parametrize(("width", "boards"), [(80, 4), (80, 48), (200, 48)])
def test_a_held_webhook_and_a_broker_away_show_in_the_view_whatever_its_size(
    tmp_path: Path, width: int, boards: int
) -> None:
    store = RecordStore(tmp_path / "records.db")
    webhook = WebhookPublisher(store, WebhookSettings("https://mes.example/line3/events"))
    webhook.held = True
    webhook.problem = "it refuses the event: 413 Request Entity Too Large"
    broker = MqttPublisher(store, BrokerSettings("broker.example"))  # "not connected" yet
    taking = WebhookPublisher(store, WebhookSettings("https://spare.example/events"))
    station = station_with(tmp_path, boards, failed=1)
    out = io.StringIO()
    console = Console(file=out, width=width, height=40, color_system=None)
    console.print(
        render_station(station, width=width, height=40, senders=[broker, webhook, taking])
    )
    text = " ".join(out.getvalue().split())  # folded lines read as one
    held = "EVENTS HELD: webhook https://mes.example/line3/events: it refuses the event: 413"
    assert held in text
    assert "(see azsphere-async outbox)" in text
    assert "events wait: broker broker.example:1883: not connected" in text
    assert "spare.example" not in text  # a target that takes events is no trouble
