"""Benchmark 2: fan-out, a status sweep (``GET /status`` on every board) over many boards.

One mock fleet (``python -m azsphere_async.mock``, its own process) with 50 ms added latency
on every board. The client (its own process) sweeps the first 1, 8, 32 and 64 boards:

- the library, all boards at once (``Fleet.run`` with ``device.get_status()``);
- the library, one board after another (the same pool and warm connections);
- Microsoft's client, one board at a time through its global device address.

Each process warms up first (one concurrent sweep: every connection open), then times sweeps.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from .charts import line_chart
from .context import Context
from .processes import mock_fleet, run_job
from .results import BenchResult, Table, Target, median

__all__ = ["run"]

LATENCY_MS = 50.0


def run(ctx: Context) -> BenchResult:
    """Sweep 1 to 64 boards concurrently, sequentially, and with Microsoft's client."""
    boards: list[int] = ctx.pick([1, 2], [1, 8, 32, 64], [1, 8, 32, 64])
    sweeps: int = ctx.pick(2, 5, 15)
    sequential_boards: list[int] = ctx.pick([1, 2], [1, 8, 32], [1, 8, 32, 64])
    sequential_sweeps: int = ctx.pick(1, 1, 3)
    official_boards: list[int] = ctx.pick([1, 2], [1, 8], [1, 8, 32, 64])
    has_official = importlib.util.find_spec("azuresphere_device_api") is not None

    result = BenchResult(
        name="fanout",
        title="2. Fan-out: status sweep over many mock boards (50 ms added latency each)",
        mode=ctx.mode,
        description=(
            "Time for one `GET /status` on every board: median over "
            f"{sweeps} timed sweeps (concurrent) or {sequential_sweeps} (one after another), "
            "after a warm-up sweep that opens every connection. Client in its own process, "
            "mock fleet in another."
        ),
    )
    rows: list[dict[str, Any]] = []
    raw: dict[str, Any] = {}
    with mock_fleet(ctx, max(boards), latency_ms=LATENCY_MS) as (addresses, ca_path):
        ca = str(ca_path)

        def sweep(job: str, n: int, count: int, **extra: Any) -> dict[str, Any] | None:
            params = {"addresses": addresses[:n], "ca": ca, "sweeps": count, **extra}
            budget = 60 + count * n * 0.5
            try:
                out = run_job(ctx, job, params, timeout=budget)
            except Exception as exc:
                result.notes.append(f"{job} over {n} boards failed: {exc}")
                return None
            raw[f"{job}{'-seq' if extra.get('sequential') else ''}@{n}"] = out
            return out

        for n in boards:
            ctx.log(f"fanout: {n} boards")
            row: dict[str, Any] = {"boards": n}
            out = sweep("sweep_library", n, sweeps)
            if out is not None:
                walls = [s["wall"] for s in out["samples"]]
                row["concurrent_ms"] = median(walls) * 1000
                row["concurrent_min_ms"] = min(walls) * 1000
                row["cpu_ms"] = median([s["cpu"] for s in out["samples"]]) * 1000
            if n in sequential_boards:
                out = sweep("sweep_library", n, sequential_sweeps, sequential=True)
                if out is not None:
                    row["sequential_ms"] = median([s["wall"] for s in out["samples"]]) * 1000
            if has_official and n in official_boards:
                out = sweep("sweep_official", n, sequential_sweeps)
                if out is not None:
                    row["official_ms"] = median([s["wall"] for s in out["samples"]]) * 1000
            rows.append(row)

    one = next((r.get("concurrent_ms") for r in rows if r["boards"] == 1), None)
    for row in rows:
        if one and "concurrent_ms" in row:
            row["x_one_board"] = row["concurrent_ms"] / one
            if "sequential_ms" in row:
                row["speedup_vs_sequential"] = row["sequential_ms"] / row["concurrent_ms"]
            if "official_ms" in row:
                row["speedup_vs_official"] = row["official_ms"] / row["concurrent_ms"]
    result.tables.append(
        Table(
            "Sweep time (ms) by number of boards",
            [
                ("boards", "boards"),
                ("concurrent_ms", "library, all at once"),
                ("x_one_board", "vs one board"),
                ("cpu_ms", "client CPU ms/sweep"),
                ("sequential_ms", "library, one after another"),
                ("speedup_vs_sequential", "speed-up vs sequential"),
                ("official_ms", "Microsoft's client"),
                ("speedup_vs_official", "speed-up vs Microsoft's"),
            ],
            rows,
        )
    )

    def ratio(n: int) -> float | None:
        row = next((r for r in rows if r["boards"] == n), None)
        return row.get("x_one_board") if row else None

    largest = max(boards)
    limits = {32: 1.5, 64: 2.0}
    for n, limit in limits.items():
        measured = n in boards
        result.targets.append(
            Target(
                f"{n} boards vs one",
                f"<= {limit}x the time of one board",
                ratio(n) if measured else None,
                limit,
                higher_is_better=False,
                note="" if measured else f"not measured in {ctx.mode} mode",
            )
        )
    if largest not in limits:
        result.notes.append(f"{ctx.mode} mode sweeps at most {largest} boards.")
    if not has_official:
        result.notes.append("azuresphere-device-api is not installed: its baseline was skipped.")
    result.notes.append(
        "Sequential and Microsoft's-client sweeps are run for fewer board counts in quick mode "
        "(each takes boards x per-request time)."
    )
    series: dict[str, tuple[list[float], list[float | None]]] = {}
    for key, label in (
        ("concurrent_ms", "library, all at once"),
        ("sequential_ms", "library, sequential"),
        ("official_ms", "Microsoft's client"),
    ):
        points = [r for r in rows if key in r]
        series[label] = ([float(r["boards"]) for r in points], [r[key] for r in points])
    chart = line_chart(
        ctx.out_dir / "fanout.png",
        "Status sweep time by number of boards (50 ms latency each)",
        "boards",
        "ms per sweep",
        series,
        log_x=True,
        log_y=True,
    )
    if chart:
        result.charts.append(chart)
    result.data["rows"] = rows
    result.data["jobs"] = raw
    result.data["latency_ms"] = LATENCY_MS
    return result
