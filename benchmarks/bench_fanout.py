"""Benchmark 2: fan-out, a status sweep (``GET /status`` on every board) over many boards.

One mock fleet (``python -m azsphere_async.mock``, its own process) with 50 ms added latency
on every board. The client (its own process) sweeps the first 1, 32 and 253 boards (every
address 127.0.0.2 to 127.0.0.254):

- the library, all boards at once (``Fleet.run`` with ``device.get_status()``);
- bare httpx as its users write a sweep: one ``AsyncClient`` per board (one connection each,
  the same SSL context), every board at once with ``asyncio.gather`` (the baseline);
- the library one board after another, and Microsoft's client, for the smaller fleets.

Each process warms up first (one board, then one concurrent sweep: every connection open; its
resident memory is read between the two, which gives the memory each open board costs), then
times sweeps. The library and httpx processes alternate, run after run.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Final

from .charts import line_chart
from .context import Context
from .processes import mock_fleet, run_job
from .results import BenchResult, Table, Target, fmt, median, spread

__all__ = ["run"]

LATENCY_MS: Final = 50.0
#: Every loopback address a board can have here: 127.0.0.2 to 127.0.0.254.
ALL_BOARDS: Final = 253


def _memory_per_board(out: dict[str, Any]) -> float | None:
    """KiB of resident memory each board's open connection added (beyond the first)."""
    boards = int(out.get("connections", 0))
    if boards < 2 or "after_kib" not in out:
        return None
    return float(out["after_kib"] - out["before_kib"]) / (boards - 1)


def run(ctx: Context) -> BenchResult:
    """Sweep 1 to 253 boards: the library and bare httpx at once, and the slower baselines."""
    boards: list[int] = ctx.pick([1, 2], [1, 32, ALL_BOARDS], [1, 32, ALL_BOARDS])
    sweeps: int = ctx.pick(2, 5, 2)
    runs: int = ctx.pick(1, 1, 5)
    sequential_boards: list[int] = ctx.pick([1, 2], [1, 32], [1, 32])
    has_official = importlib.util.find_spec("azuresphere_device_api") is not None

    result = BenchResult(
        name="fanout",
        title="2. Fan-out: status sweep over many mock boards (50 ms added latency each)",
        mode=ctx.mode,
        description=(
            f"Time for one `GET /status` on every board: {sweeps} timed sweeps per process, "
            f"{runs} process(es) per client alternating, after a warm-up sweep that opens "
            "every connection. Client in its own process, mock fleet in another. 'bare httpx' "
            "is one `httpx.AsyncClient` per board, all at once with `asyncio.gather`. Memory "
            "per board: resident memory added by opening every board's connection, per board."
        ),
    )
    rows: list[dict[str, Any]] = []
    raw: dict[str, Any] = {}
    samples: dict[tuple[str, int], list[dict[str, Any]]] = {}
    memory: dict[tuple[str, int], list[float]] = {}
    with mock_fleet(ctx, max(boards), latency_ms=LATENCY_MS) as (addresses, ca_path):
        ca = str(ca_path)

        def sweep(job: str, n: int, count: int, key: str, **extra: Any) -> None:
            params = {"addresses": addresses[:n], "ca": ca, "sweeps": count, **extra}
            try:
                out = run_job(ctx, job, params, timeout=120 + count * n * 0.5)
            except Exception as exc:
                result.notes.append(f"{key} over {n} boards failed: {exc}")
                return
            raw.setdefault(f"{key}@{n}", []).append(out)
            samples.setdefault((key, n), []).extend(out["samples"])
            per_board = _memory_per_board(out)
            if per_board is not None:
                memory.setdefault((key, n), []).append(per_board)

        for n in boards:
            ctx.log(f"fanout: {n} boards")
            for index in range(runs):
                pair = [("sweep_library", "library"), ("sweep_httpx", "bare httpx")]
                for job, key in pair if index % 2 == 0 else pair[::-1]:
                    sweep(job, n, sweeps, key)
            if n in sequential_boards:
                sweep("sweep_library", n, 1, "library, one after another", sequential=True)
                if has_official:
                    sweep("sweep_official", n, 1, "Microsoft's client")

    for n in boards:
        row: dict[str, Any] = {"boards": n}
        for key, column in (
            ("library", "library_ms"),
            ("bare httpx", "httpx_ms"),
            ("library, one after another", "sequential_ms"),
            ("Microsoft's client", "official_ms"),
        ):
            found = samples.get((key, n))
            if found:
                row[column] = median([s["wall"] for s in found]) * 1000
                row[column.replace("_ms", "_cpu_us_per_board")] = (
                    median([s["cpu"] / s["boards"] for s in found]) * 1e6
                )
        for key, column in (("library", "library_kib"), ("bare httpx", "httpx_kib")):
            if memory.get((key, n)):
                row[column] = median(memory[(key, n)])
        rows.append(row)
    one = next((r.get("library_ms") for r in rows if r["boards"] == 1), None)
    for row in rows:
        if one and "library_ms" in row:
            row["x_one_board"] = row["library_ms"] / one
        if "library_ms" in row and "httpx_ms" in row:
            row["x_httpx"] = row["library_ms"] / row["httpx_ms"]
    result.tables.append(
        Table(
            "Sweep time (ms) and client CPU per board (us) by number of boards",
            [
                ("boards", "boards"),
                ("library_ms", "library, all at once"),
                ("x_one_board", "vs one board"),
                ("httpx_ms", "bare httpx, all at once"),
                ("x_httpx", "library vs httpx"),
                ("library_cpu_us_per_board", "library CPU us/board"),
                ("httpx_cpu_us_per_board", "httpx CPU us/board"),
                ("library_kib", "library KiB/board open"),
                ("httpx_kib", "httpx KiB/board open"),
                ("sequential_ms", "library, one after another"),
                ("official_ms", "Microsoft's client"),
            ],
            rows,
        )
    )

    largest = max(boards)
    ours, theirs = samples.get(("library", largest), []), samples.get(("bare httpx", largest), [])
    measured = largest == ALL_BOARDS and bool(ours) and bool(theirs)
    note = "" if largest == ALL_BOARDS else f"{largest} boards in {ctx.mode} mode"

    def ratio_target(name: str, requirement: str, limit: float, figure: str) -> Target:
        def value(sample: dict[str, Any]) -> float:
            return float(sample["wall"] if figure == "wall" else sample["cpu"] / sample["boards"])

        mine, base = [value(s) for s in ours], [value(s) for s in theirs]
        pairs = [a / b for a, b in zip(mine, base, strict=False) if b]
        unit = "ms per sweep" if figure == "wall" else "us of CPU per board"
        scale = 1000 if figure == "wall" else 1e6
        return Target(
            name,
            requirement,
            median(mine) / median(base) if mine and base else None,
            limit,
            higher_is_better=False,
            note=note,
            baseline=f"bare httpx {fmt(median(base) * scale)} {unit}" if base else "",
            spread=spread(pairs) if pairs else None,
        )

    result.targets.append(
        ratio_target(f"sweep of {largest} boards, wall", "<= 0.6x bare httpx's", 0.6, "wall")
    )
    result.targets.append(
        ratio_target(
            f"sweep of {largest} boards, client CPU per board", "<= 0.5x bare httpx's", 0.5, "cpu"
        )
    )
    mine_kib = memory.get(("library", largest), [])
    base_kib = memory.get(("bare httpx", largest), [])
    result.targets.append(
        Target(
            f"client memory per open board, {largest} boards",
            "<= 100 KiB",
            median(mine_kib) if mine_kib else None,
            100.0,
            higher_is_better=False,
            unit="KiB",
            note=note,
            baseline=f"bare httpx {fmt(median(base_kib))} KiB per board" if base_kib else "",
            spread=spread(mine_kib) if mine_kib else None,
        )
    )
    row32 = next((r for r in rows if r["boards"] == 32), None)
    result.targets.append(
        Target(
            "32 boards vs one",
            "<= 1.5x the time of one board",
            row32.get("x_one_board") if row32 else None,
            1.5,
            higher_is_better=False,
            note="" if row32 else f"not measured in {ctx.mode} mode",
            baseline=f"one board {fmt(one)} ms per sweep" if one else "",
        )
    )
    if not measured:
        result.notes.append(f"{ctx.mode} mode sweeps at most {largest} boards.")
    if not has_official:
        result.notes.append("azuresphere-device-api is not installed: its baseline was skipped.")
    series: dict[str, tuple[list[float], list[float | None]]] = {}
    for key, label in (
        ("library_ms", "library, all at once"),
        ("httpx_ms", "bare httpx, all at once"),
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
