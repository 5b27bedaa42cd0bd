"""Benchmark 4: client CPU per small request on a keep-alive connection.

The server is the bare TLS sink in its own process (it answers ``{}`` at once), so the client
process's CPU is the client's alone. Each client sends ``GET /status`` in a loop on one
keep-alive connection after a warm-up:

- the library: ``DeviceSession.request("GET", "/status")`` (a ``DeviceClient``'s session);
- bare ``httpx.AsyncClient`` with the library's ``ssl.SSLContext`` and one connection;
- a hand-written request on an asyncio TLS stream (the floor);
- Microsoft's client (``requests``), when installed.

Client processes alternate (library, httpx, ...) and repeat, and the figure is the median of
every timed round. In full mode the typed call ``device.get_status()`` (request plus decoding
into a model) is also measured against the mock device.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from .charts import bar_chart
from .context import Context
from .processes import ServerProcess, mock_fleet, run_job
from .results import BenchResult, Table, Target, median

__all__ = ["run"]


def run(ctx: Context) -> BenchResult:
    """Measure CPU microseconds per GET for each client against the sink."""
    n: int = ctx.pick(200, 2000, 5000)
    rounds: int = ctx.pick(1, 3, 3)
    processes: int = ctx.pick(1, 1, 3)
    warmup: int = ctx.pick(50, 200, 300)
    has_official = importlib.util.find_spec("azuresphere_device_api") is not None
    clients = [
        ("library", "get_library"),
        ("bare httpx", "get_httpx"),
        ("raw asyncio TLS", "get_raw"),
    ]
    if has_official:
        clients.append(("azuresphere-device-api", "get_official"))
    result = BenchResult(
        name="requests",
        title="4. Per-request cost: client CPU per small GET on a keep-alive connection",
        mode=ctx.mode,
        description=(
            f"`GET /status` x {n} per timed round, {rounds} round(s) per process, "
            f"{processes} process(es) per client, alternating; after {warmup} warm-up "
            "requests. CPU = user+system of the client process; the server (bare TLS sink) "
            "runs in its own process."
        ),
    )
    per_request: dict[str, list[float]] = {name: [] for name, _ in clients}
    wall_per_request: dict[str, list[float]] = {name: [] for name, _ in clients}
    raw: dict[str, list[Any]] = {name: [] for name, _ in clients}
    certs = ctx.sink_certs()
    sink_args = ["--cert", str(certs["cert"]), "--key", str(certs["key"])]
    with ServerProcess(ctx, "benchmarks._sink", sink_args, name="requests-sink") as sink:
        address = f"{sink.info['host']}:{sink.info['port']}"
        for index in range(processes):
            for name, job in clients if index % 2 == 0 else list(reversed(clients)):
                ctx.log(f"requests: {name}, process {index + 1}")
                params = {
                    "address": address,
                    "ca": str(certs["ca"]),
                    "n": n,
                    "warmup": warmup,
                    "rounds": rounds,
                }
                try:
                    out = run_job(ctx, job, params, timeout=60 + n * rounds * 0.005)
                except Exception as exc:
                    result.notes.append(f"{name} failed: {exc}")
                    continue
                raw[name].append(out)
                for sample in out["samples"]:
                    per_request[name].append(sample["cpu"] / sample["requests"] * 1e6)
                    wall_per_request[name].append(sample["wall"] / sample["requests"] * 1e6)
        result.data["sink_server_stats"] = sink.stats

    rows: list[dict[str, Any]] = []
    for name, _ in clients:
        if per_request[name]:
            rows.append(
                {
                    "client": name,
                    "cpu_us": median(per_request[name]),
                    "cpu_us_min": min(per_request[name]),
                    "cpu_us_max": max(per_request[name]),
                    "wall_us": median(wall_per_request[name]),
                }
            )
    bare = next((r for r in rows if r["client"] == "bare httpx"), None)
    library = next((r for r in rows if r["client"] == "library"), None)
    for row in rows:
        if bare is not None:
            row["x_httpx"] = row["cpu_us"] / bare["cpu_us"]
    result.tables.append(
        Table(
            "Client CPU per request (microseconds) against the sink",
            [
                ("client", "client"),
                ("cpu_us", "CPU us/request (median)"),
                ("cpu_us_min", "min"),
                ("cpu_us_max", "max"),
                ("wall_us", "wall us/request"),
                ("x_httpx", "vs bare httpx"),
            ],
            rows,
        )
    )
    result.targets.append(
        Target(
            "library CPU per GET",
            "<= 1.2x bare httpx",
            library["x_httpx"] if library and bare else None,
            1.2,
            higher_is_better=False,
        )
    )

    if ctx.mode == "full":
        # The typed call against the mock: what decoding the answer into a model adds.
        typed_rows: list[dict[str, Any]] = []
        with mock_fleet(ctx, 1) as (addresses, ca_path):
            for name, job in (("session.request", "get_library"), ("typed", "get_library_typed")):
                ctx.log(f"requests: {name} against the mock")
                params = {
                    "address": addresses[0],
                    "ca": str(ca_path),
                    "n": 200,
                    "warmup": 20,
                    "rounds": 1,
                }
                try:
                    out = run_job(ctx, job, params, timeout=120)
                except Exception as exc:
                    result.notes.append(f"{name} against the mock failed: {exc}")
                    continue
                raw.setdefault(f"mock {name}", []).append(out)
                sample = out["samples"][0]
                typed_rows.append(
                    {
                        "call": "DeviceSession.request('GET', '/status')"
                        if job == "get_library"
                        else "DeviceClient.device.get_status()",
                        "cpu_us": sample["cpu"] / sample["requests"] * 1e6,
                        "wall_us": sample["wall"] / sample["requests"] * 1e6,
                    }
                )
        result.tables.append(
            Table(
                "Against the mock device (200 requests): raw request vs typed call",
                [("call", "call"), ("cpu_us", "CPU us/request"), ("wall_us", "wall us/request")],
                typed_rows,
            )
        )
    if not has_official:
        result.notes.append("azuresphere-device-api is not installed: its baseline was skipped.")
    chart = bar_chart(
        ctx.out_dir / "requests.png",
        "Client CPU per small GET (keep-alive)",
        "CPU microseconds per request",
        [r["client"] for r in rows],
        {"median": [r["cpu_us"] for r in rows]},
    )
    if chart:
        result.charts.append(chart)
    result.data["rows"] = rows
    result.data["per_request_cpu_us"] = per_request
    result.data["jobs"] = raw
    return result
