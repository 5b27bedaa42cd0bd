"""Smoke test of the benchmarks: each one runs in its tiny mode and writes sane figures.

No timing is asserted (figures from a tiny run mean nothing): only that every benchmark ran,
wrote its JSON and Markdown, produced positive finite numbers, and left no process behind.
The whole run takes about ten seconds; every server it starts listens on loopback only.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.shared_data import ROOT

RUN_ID_VARIABLE = "AZSPHERE_BENCH_RUN_ID"
NAMES = ("staging", "fanout", "deploy", "requests", "devicelog")


def _processes_with(run_id: str) -> list[int]:
    """Processes whose environment carries this run's id (they were started by the run)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if f"{RUN_ID_VARIABLE}={run_id}".encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


class TinyRun:
    def __init__(self, out: Path, run_id: str, completed: subprocess.CompletedProcess[str]):
        self.out = out
        self.run_id = run_id
        self.completed = completed

    def result(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.out / f"{name}.json").read_text())
        return data


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> TinyRun:
    out = tmp_path_factory.mktemp("bench-results")
    run_id = uuid.uuid4().hex
    env = dict(os.environ, **{RUN_ID_VARIABLE: run_id})
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--quiet", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return TinyRun(out, run_id, completed)


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def _rows(data: dict[str, Any], title_start: str) -> list[dict[str, Any]]:
    for table in data["tables"]:
        if table["title"].startswith(title_start):
            rows: list[dict[str, Any]] = table["rows"]
            return rows
    raise AssertionError(f"no table {title_start!r} in {data['name']}")


def test_the_run_succeeds(tiny_run: TinyRun) -> None:
    assert tiny_run.completed.returncode == 0, tiny_run.completed.stderr[-3000:]


def test_no_process_is_left_behind(tiny_run: TinyRun) -> None:
    deadline = time.monotonic() + 5
    left = _processes_with(tiny_run.run_id)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = _processes_with(tiny_run.run_id)
    assert left == []


@pytest.mark.parametrize("name", NAMES)
def test_each_benchmark_writes_its_files(tiny_run: TinyRun, name: str) -> None:
    data = tiny_run.result(name)
    assert data["name"] == name
    assert data["mode"] == "tiny"
    assert (tiny_run.out / f"{name}.md").read_text().startswith("# ")
    assert data["machine"]["cores"] >= 1
    assert data["machine"]["python"]
    assert data["targets"], "every benchmark checks targets"
    for target in data["targets"]:
        assert target["status"] in {"PASS", "MISS", "N/A"}
        assert target["value"] is None or math.isfinite(target["value"])
    summary = (tiny_run.out / "summary.md").read_text()
    assert data["title"] in summary


def test_staging_figures(tiny_run: TinyRun) -> None:
    data = tiny_run.result("staging")
    for server in ("Into the bare TLS sink", "Into the mock device"):
        rows = {row["client"]: row for row in _rows(data, server)}
        for client in ("library", "raw pump 256 KiB"):
            row = rows[client]
            assert _positive(row["mb_s"])
            assert _positive(row["cpu_s_per_gib"])
            assert row["rss_growth_mib"] >= 0
            assert _positive(row["x_pump_mb_s"])
    sweep = _rows(data, "Chunk-size sweep")
    assert {row["chunk"] for row in sweep} >= {64 * 1024, 1024 * 1024}
    assert all(_positive(row["mb_s"]) for row in sweep)
    measured = [t for t in data["targets"] if t["value"] is not None]
    assert any(t["name"].startswith("sink throughput") for t in measured)


def test_fanout_figures(tiny_run: TinyRun) -> None:
    rows = _rows(tiny_run.result("fanout"), "Sweep time")
    assert [row["boards"] for row in rows] == [1, 2]
    for row in rows:
        assert _positive(row["library_ms"])
        assert _positive(row["httpx_ms"])
        assert _positive(row["library_cpu_us_per_board"])
        assert _positive(row["sequential_ms"])
        assert _positive(row["x_one_board"])
    targets = {t["name"]: t for t in tiny_run.result("fanout")["targets"]}
    wall = targets["sweep of 2 boards, wall"]
    assert wall["baseline"].startswith("bare httpx")
    assert wall["spread"]["runs"] >= 2


def test_deploy_figures(tiny_run: TinyRun) -> None:
    rows = _rows(tiny_run.result("deploy"), "Deploy to N boards")
    assert {row["progress"] for row in rows} == {True, False}
    for row in rows:
        assert _positive(row["wall_s"])
        assert _positive(row["aggregate_mb_s"])
        assert _positive(row["cpu_s"])
    assert any(_positive(row["progress_calls"]) for row in rows if row["progress"])
    # The CPU inside the progress machinery was counted in the runs with callbacks.
    assert all(_positive(row["progress_cpu_pct"]) for row in rows if row["progress"])
    counted = next(
        t
        for t in tiny_run.result("deploy")["targets"]
        if t["name"] == "requests per application deploy, warm session"
    )
    assert counted["value"] == 3


def test_request_cost_figures(tiny_run: TinyRun) -> None:
    data = tiny_run.result("requests")
    rows = {row["client"]: row for row in _rows(data, "Client CPU per request")}
    for client in ("library", "bare httpx", "raw asyncio TLS"):
        assert _positive(rows[client]["cpu_us"])
    target = next(t for t in data["targets"] if t["name"] == "library CPU per GET")
    assert _positive(target["value"])
    assert target["baseline"].startswith("bare httpx")
    assert target["spread"]["low"] <= target["spread"]["mid"] <= target["spread"]["high"]


def test_devicelog_figures(tiny_run: TinyRun) -> None:
    data = tiny_run.result("devicelog")
    rows = _rows(data, "CPU per call")
    assert {row["log"] for row in rows} == {"mock log", "release-sized"}
    for row in rows:
        assert _positive(row["records"])
        assert 0 < row["min_ms"] <= row["median_ms"] <= row["max_ms"]
    assert len(data["data"]["samples_ms"]["mock log: decode"]) >= 5
    assert data["notes"] == [], "both logs decode cleanly"
    assert all(_positive(t["value"]) for t in data["targets"])


def test_charts_are_written_when_matplotlib_is_there(tiny_run: TinyRun) -> None:
    pytest.importorskip("matplotlib")
    for name in NAMES:
        for chart in tiny_run.result(name)["charts"]:
            assert (tiny_run.out / Path(chart).name).stat().st_size > 0
