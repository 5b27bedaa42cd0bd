"""Rates over a sliding window, time left, and a fleet's progress summed (no network)."""

from __future__ import annotations

from azsphere_async import FleetProgress, Phase, StageProgress
from azsphere_async.progress import RateWindow


def test_the_rate_is_measured_over_the_window_and_not_before_a_second_of_it() -> None:
    window = RateWindow(window=5.0)
    window.add(0.0, 0)
    window.add(0.5, 50_000)
    assert window.rate() is None
    for second in range(1, 20):
        window.add(float(second), 1_000_000 + 10_000 * second)  # a burst, then 10 kB/s
    assert window.rate() == 10_000


def test_time_left_follows_the_recent_rate() -> None:
    update = StageProgress(400, 1000, 4.0, Phase.UPLOADING, recent_rate=100.0)
    assert update.time_left == 6.0
    assert update.rate == 100.0
    assert StageProgress(400, 1000, 4.0).time_left is None
    assert StageProgress(1000, 1000, 9.0, Phase.WAITING).time_left == 0.0


def test_a_fleet_sums_its_boards_counts_phases_and_waits_for_the_slowest() -> None:
    fleet = FleetProgress.of(["a", "b", "c", "d"], 1000)
    fleet.update("a", StageProgress(500, 1000, 5.0, Phase.UPLOADING, recent_rate=100.0))
    fleet.update("b", StageProgress(900, 1000, 5.0, Phase.UPLOADING, recent_rate=50.0))
    fleet.update("c", StageProgress(1000, 1000, 9.0, Phase.INSTALLING))
    fleet.finish("d", ok=False)
    assert fleet.bytes_sent == 500 + 900 + 1000
    assert fleet.rate == 150.0
    assert fleet.time_left == 5.0  # board a: 500 bytes at 100 B/s
    assert fleet.counts() == {"uploading": 2, "installing": 1, "failed": 1}
    fleet.finish("c", ok=True)
    assert fleet.phase_of("c") == "done"
    assert fleet.bytes_sent == 500 + 900 + 1000
