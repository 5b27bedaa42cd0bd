"""Benchmark 4: client CPU per small request on a keep-alive connection.

The server is the bare TLS sink in its own process (it answers ``{}`` at once), so the client
process's CPU is the client's alone. Each client sends ``GET /status`` in a loop on one
keep-alive connection after a warm-up:

- the library: ``DeviceSession.request("GET", "/status")`` (a ``DeviceClient``'s session), and
  the typed call ``device.get_status()`` (request plus decoding into a model);
- bare ``httpx.AsyncClient`` with the library's ``ssl.SSLContext`` and one connection;
- ``aiohttp`` (when installed), the well-known async peer;
- a hand-written request on an asyncio TLS stream (the floor);
- Microsoft's client (``requests``), when installed.

Every client runs in one process per run, the clients taking turns run after run (the order
flipping each run), so that drift hits all alike. A run's figure is the median of its timed
rounds; targets are ratios of the library's median over runs to the baseline's, with the
spread of the per-run ratios (run i of the library against run i of the baseline).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from .charts import bar_chart
from .context import Context
from .processes import ServerProcess, run_job
from .results import BenchResult, Table, Target, fmt, median, spread

__all__ = ["run"]


def run(ctx: Context) -> BenchResult:
    """Measure CPU microseconds per GET for each client against the sink."""
    n: int = ctx.pick(200, 1000, 2000)
    rounds: int = ctx.pick(1, 2, 3)
    runs: int = ctx.pick(1, 3, 5)
    warmup: int = ctx.pick(50, 200, 300)
    clients = [
        ("library", "get_library"),
        ("library, typed", "get_library_typed"),
        ("bare httpx", "get_httpx"),
        ("raw asyncio TLS", "get_raw"),
    ]
    optional = (
        ("aiohttp", "aiohttp", "get_aiohttp"),
        ("azuresphere_device_api", "Microsoft's client", "get_official"),
    )
    for module, name, job in optional:
        if importlib.util.find_spec(module) is not None:
            clients.append((name, job))
    result = BenchResult(
        name="requests",
        title="4. Per-request cost: client CPU per small GET on a keep-alive connection",
        mode=ctx.mode,
        description=(
            f"`GET /status` x {n} per timed round, {rounds} round(s) per process, one process "
            f"per client per run, {runs} run(s), clients alternating; after {warmup} warm-up "
            "requests. CPU = user+system of the client process; the server (bare TLS sink) "
            "runs in its own process. 'library' is `DeviceSession.request`, 'library, typed' "
            "`DeviceClient.device.get_status()`."
        ),
    )
    # Per client, one figure per run: the median CPU microseconds per request of its rounds.
    per_run: dict[str, list[float]] = {name: [] for name, _ in clients}
    wall_per_run: dict[str, list[float]] = {name: [] for name, _ in clients}
    raw: dict[str, list[Any]] = {name: [] for name, _ in clients}
    certs = ctx.sink_certs()
    sink_args = ["--cert", str(certs["cert"]), "--key", str(certs["key"])]
    with ServerProcess(ctx, "benchmarks._sink", sink_args, name="requests-sink") as sink:
        address = f"{sink.info['host']}:{sink.info['port']}"
        for index in range(runs):
            for name, job in clients if index % 2 == 0 else list(reversed(clients)):
                ctx.log(f"requests: {name}, run {index + 1}")
                params = {
                    "address": address,
                    "ca": str(certs["ca"]),
                    "n": n,
                    "warmup": warmup,
                    "rounds": rounds,
                }
                try:
                    out = run_job(ctx, job, params, timeout=60 + n * rounds * 0.01)
                except Exception as exc:
                    result.notes.append(f"{name} failed: {exc}")
                    continue
                raw[name].append(out)
                samples = out["samples"]
                per_run[name].append(median([s["cpu"] / s["requests"] * 1e6 for s in samples]))
                wall_per_run[name].append(
                    median([s["wall"] / s["requests"] * 1e6 for s in samples])
                )
        result.data["sink_server_stats"] = sink.stats

    rows: list[dict[str, Any]] = []
    for name, _ in clients:
        if per_run[name]:
            figures = spread(per_run[name])
            rows.append(
                {
                    "client": name,
                    "cpu_us": figures.mid,
                    "cpu_us_min": figures.low,
                    "cpu_us_max": figures.high,
                    "runs": figures.runs,
                    "wall_us": median(wall_per_run[name]),
                }
            )
    by_name = {row["client"]: row for row in rows}
    for row in rows:
        for baseline, key in (("bare httpx", "x_httpx"), ("aiohttp", "x_aiohttp")):
            if baseline in by_name:
                row[key] = row["cpu_us"] / by_name[baseline]["cpu_us"]
    result.tables.append(
        Table(
            "Client CPU per request (microseconds) against the sink",
            [
                ("client", "client"),
                ("cpu_us", "CPU us/request (median of runs)"),
                ("cpu_us_min", "min"),
                ("cpu_us_max", "max"),
                ("runs", "runs"),
                ("wall_us", "wall us/request"),
                ("x_httpx", "vs bare httpx"),
                ("x_aiohttp", "vs aiohttp"),
            ],
            rows,
        )
    )

    def target(
        client: str, baseline: str, limit: float, label: str, note: str = "", name: str = ""
    ) -> Target:
        ours, theirs = per_run.get(client) or [], per_run.get(baseline) or []
        pairs = [a / b for a, b in zip(ours, theirs, strict=False) if b]
        value = median(ours) / median(theirs) if ours and theirs else None
        shown = f"{baseline} {fmt(median(theirs))} us/request" if theirs else f"{baseline}: n/a"
        return Target(
            name or f"{client} CPU per GET",
            f"<= {limit}x {label}",
            value,
            limit,
            higher_is_better=False,
            note=note or ("" if theirs else f"{baseline} not measured"),
            baseline=shown,
            spread=spread(pairs) if pairs else None,
        )

    result.targets.append(target("library", "bare httpx", 0.5, "bare httpx"))
    result.targets.append(target("library, typed", "bare httpx", 0.5, "bare httpx"))
    result.targets.append(
        target(
            "library",
            "aiohttp",
            1.5,
            "aiohttp",
            note="stretch target",
            name="library CPU per GET, against aiohttp",
        )
    )
    chart = bar_chart(
        ctx.out_dir / "requests.png",
        "Client CPU per small GET (keep-alive)",
        "CPU microseconds per request",
        [r["client"] for r in rows],
        {"median": [r["cpu_us"] for r in rows]},
    )
    if chart:
        result.charts.append(chart)
    for module, name, _ in optional:
        if name not in per_run:
            result.notes.append(f"{module} is not installed: its baseline was skipped.")
    result.data["rows"] = rows
    result.data["per_run_cpu_us"] = per_run
    result.data["jobs"] = raw
    return result
