"""Benchmark 1: staging throughput to one board over HTTPS on loopback.

Each client uploads the same image file (random payload + the demo package's metadata tail, so
it is a valid package) as ``PUT /update/stage``, from a process of its own, into:

- a bare TLS sink (``benchmarks._sink``, its own process): what the client itself costs;
- the mock device as users run it (``python -m azsphere_async.mock``, its own process).

Clients: the library (``stage_image`` through ``DeviceClient``'s session, its default
chunk size), a raw asyncio TLS socket writing 256 KiB chunks (the limit of one Python TLS
connection), ``curl -T``, and Microsoft's ``azuresphere-device-api`` (reads the whole file).
A chunk-size sweep runs the library (and the raw pump) from 64 KiB to 4 MiB into the sink.
"""

from __future__ import annotations

import importlib.util
import shutil
from typing import Any, Final

from .charts import bar_chart, line_chart
from .context import Context, KiB, MiB
from .images import make_image
from .processes import ServerProcess, mock_fleet, run_job
from .results import BenchResult, Table, Target, fmt, median, spread

__all__ = ["run"]

GiB: Final = 1024 * MiB
MB: Final = 1_000_000
SWEEP_CHUNKS: Final = (64 * KiB, 128 * KiB, 256 * KiB, 512 * KiB, 1 * MiB, 2 * MiB, 4 * MiB)


def _label(size: int) -> str:
    return f"{size // MiB} MiB" if size >= MiB else f"{size // KiB} KiB"


def _figures(result: dict[str, Any]) -> dict[str, Any]:
    """MB/s and CPU s/GiB (medians over repetitions), RSS growth, from one job's result."""
    samples = result["samples"]
    rates = [s["bytes"] / s["wall"] / MB for s in samples]
    cpu = [s["cpu"] / (s["bytes"] / GiB) for s in samples if s["cpu"] is not None]
    return {
        "mb_s": median(rates),
        "cpu_s_per_gib": median(cpu) if cpu else None,
        "rss_growth_mib": result["rss_growth_kib"] / 1024,
        "samples_mb_s": rates,
        "samples_cpu_s_per_gib": cpu,
    }


def run(ctx: Context) -> BenchResult:
    """Measure every client into the sink and into the mock, at every image size."""
    sizes: list[int] = ctx.pick([1 * MiB], [1 * MiB, 64 * MiB], [1 * MiB, 64 * MiB, 512 * MiB])
    repeats: int = ctx.pick(1, 2, 5)
    sweep_repeats: int = ctx.pick(1, 1, 1)
    # Baselines that read a whole file or start a process (curl, Microsoft's client) run up
    # to this size; the library and the raw pump at every size.
    baseline_limit: int = 64 * MiB
    sweep_size: int = ctx.pick(4 * MiB, 64 * MiB, 128 * MiB)
    sweep_chunks: list[int] = ctx.pick([64 * KiB, 1 * MiB], list(SWEEP_CHUNKS), list(SWEEP_CHUNKS))
    has_curl = shutil.which("curl") is not None
    has_official = importlib.util.find_spec("azuresphere_device_api") is not None

    result = BenchResult(
        name="staging",
        title="1. Staging throughput, one board, HTTPS on loopback",
        mode=ctx.mode,
        description=(
            "`PUT /update/stage` of one image file per client, each client in its own process "
            "(CPU = user+system of that process, RSS growth = its peak `VmHWM` over its peak "
            "after imports). MB = 10^6 bytes. Each figure is the median of "
            f"{repeats} process(es), one timed upload each after a warm-up upload on the same "
            "connection; the clients take turns, round after round, so that drift hits all "
            "alike. RSS growth is the largest of the rounds. Targets compare the library "
            "with the raw pump in the same run."
        ),
    )
    # Warm-up upload on the same connection before the timed one: 1 MiB (0 in tiny mode:
    # the 16 KiB demo package itself).
    warm = make_image(ctx.work_dir, ctx.pick(0, MiB, MiB), name="warmup.imagepackage")
    images = {size: make_image(ctx.work_dir, size) for size in sizes}
    sweep_image = images.get(sweep_size) or make_image(ctx.work_dir, sweep_size)
    timeout = 120 + max(sizes) / (20 * MB)
    rows: list[dict[str, Any]] = []
    outputs: dict[tuple[str, str, int], list[dict[str, Any]]] = {}

    def measure(
        server: str, client: str, job: str, key: int, params: dict[str, Any], path: str
    ) -> None:
        """One process, one timed upload; its output is kept under (server, client, key)."""
        ctx.log(f"staging: {client} -> {server}, {_label(key)}")
        base = {"path": path, "warmup_path": str(warm), "repeats": 1}
        try:
            out = run_job(ctx, job, {**base, **params}, timeout=timeout)
        except Exception as exc:
            result.notes.append(f"{client} -> {server} at {_label(key)} failed: {exc}")
            return
        outputs.setdefault((server, client, key), []).append(out)

    def clients_round(server: str, address: str, ca: str) -> None:
        """Every client once at every size, one after another (rounds interleave drift)."""
        for size in sizes:
            path = str(images[size])
            target = {"address": address, "ca": ca}
            measure(server, "raw pump 256 KiB", "stage_raw", size, target, path)
            measure(server, "library", "stage_library", size, target, path)
            if size > baseline_limit:
                continue
            if has_curl:
                curl = {"url": f"https://{address}/update/stage", "ca": ca}
                measure(server, "curl", "stage_curl", size, curl, path)
            if has_official:
                measure(server, "azuresphere-device-api", "stage_official", size, target, path)

    certs = ctx.sink_certs()
    sink_args = ["--cert", str(certs["cert"]), "--key", str(certs["key"])]
    with ServerProcess(ctx, "benchmarks._sink", sink_args, name="staging-sink") as sink:
        address = f"{sink.info['host']}:{sink.info['port']}"
        ca = str(certs["ca"])
        for _ in range(repeats):
            clients_round("sink", address, ca)
        # The chunk-size sweep: the library, and the raw pump for comparison.
        for _ in range(sweep_repeats):
            for chunk in sweep_chunks:
                for job, client in (("stage_library", "library"), ("stage_raw", "raw pump")):
                    params = {"address": address, "ca": ca, "chunk_size": chunk}
                    measure("sweep", client, job, chunk, params, str(sweep_image))
        result.data["sink_server_stats"] = sink.stats

    with mock_fleet(ctx, 1) as (addresses, ca_path):
        for _ in range(min(repeats, 3)):
            clients_round("mock", addresses[0], str(ca_path))

    for (server, client, key), outs in outputs.items():
        merged = {
            "samples": [sample for out in outs for sample in out["samples"]],
            "rss_growth_kib": max(out["rss_growth_kib"] for out in outs),
        }
        figures = _figures(merged)
        if server == "sweep":
            rows.append({"server": "sink", "client": f"{client} (sweep)", "chunk": key, **figures})
        else:
            rows.append({"server": server, "client": client, "size": _label(key), **figures})
    raw = {f"{server} {client} {key}": outs for (server, client, key), outs in outputs.items()}
    defaults = {
        out["default_chunk_size"]
        for (server, client, _), outs in outputs.items()
        if client == "library" and server != "sweep"
        for out in outs
    }
    if defaults:
        shown = ", ".join(_label(d) for d in sorted(defaults))
        result.notes.append(f"'library' rows use the library's default chunk size ({shown}).")

    if not has_curl:
        result.notes.append("curl is not installed: its baseline was skipped.")
    if not has_official:
        result.notes.append(
            "azuresphere-device-api is not installed: Microsoft's client was skipped "
            "(pip install azuresphere-device-api)."
        )

    def find(server: str, client: str, size: int) -> dict[str, Any] | None:
        for row in rows:
            if row["server"] == server and row["client"] == client and row["size"] == _label(size):
                return row
        return None

    # Ratios to the baselines, per server and size.
    for row in rows:
        if "size" not in row:
            continue
        size_rows = [
            r for r in rows if r.get("size") == row["size"] and r["server"] == row["server"]
        ]
        by_client: dict[str, dict[str, Any]] = {r["client"]: r for r in size_rows}
        pump = by_client.get("raw pump 256 KiB")
        ms_row = by_client.get("azuresphere-device-api")
        if pump is not None:
            row["x_pump_mb_s"] = row["mb_s"] / pump["mb_s"]
            if row["cpu_s_per_gib"] is not None and pump["cpu_s_per_gib"]:
                row["x_pump_cpu"] = row["cpu_s_per_gib"] / pump["cpu_s_per_gib"]
        if ms_row is not None:
            row["x_official_mb_s"] = row["mb_s"] / ms_row["mb_s"]

    main_columns = [
        ("client", "client"),
        ("size", "image"),
        ("mb_s", "MB/s"),
        ("cpu_s_per_gib", "CPU s/GiB"),
        ("rss_growth_mib", "RSS growth MiB"),
        ("x_pump_mb_s", "MB/s vs raw pump"),
        ("x_pump_cpu", "CPU vs raw pump"),
        ("x_official_mb_s", "MB/s vs Microsoft's client"),
    ]
    for server, title in (
        ("sink", "Into the bare TLS sink (separate process)"),
        ("mock", "Into the mock device (`python -m azsphere_async.mock`, separate process)"),
    ):
        server_rows = [r for r in rows if r["server"] == server and "size" in r]
        result.tables.append(Table(title, main_columns, server_rows))
    sweep_rows = [r for r in rows if "chunk" in r]
    for row in sweep_rows:
        row["chunk_label"] = _label(row["chunk"])
    result.tables.append(
        Table(
            f"Chunk-size sweep into the sink ({_label(sweep_size)} image)",
            [
                ("client", "client"),
                ("chunk_label", "chunk"),
                ("mb_s", "MB/s"),
                ("cpu_s_per_gib", "CPU s/GiB"),
                ("rss_growth_mib", "RSS growth MiB"),
            ],
            sweep_rows,
        )
    )

    # Targets: ratios of the library's median to the raw pump's, with the spread of the
    # ratios of the runs taken in the same round (run i of each).
    def pump_target(size: int, figure: str, limit: float) -> Target:
        lib, pump = find("sink", "library", size), find("sink", "raw pump 256 KiB", size)
        key = "samples_mb_s" if figure == "mb_s" else "samples_cpu_s_per_gib"
        mine, base = (lib or {}).get(key) or [], (pump or {}).get(key) or []
        pairs = [a / b for a, b in zip(mine, base, strict=False) if b]
        ratio_key = "x_pump_mb_s" if figure == "mb_s" else "x_pump_cpu"
        unit = "MB/s" if figure == "mb_s" else "CPU s/GiB"
        return Target(
            f"sink {'throughput' if figure == 'mb_s' else 'CPU per GiB'}, {_label(size)}",
            f"{'>=' if figure == 'mb_s' else '<='} {limit}x raw pump {unit}",
            lib.get(ratio_key) if lib and pump else None,
            limit,
            higher_is_better=figure == "mb_s",
            baseline=f"raw pump {fmt(pump[figure])} {unit}" if pump and pump[figure] else "",
            spread=spread(pairs) if pairs else None,
        )

    for size in sizes:
        result.targets.append(pump_target(size, "mb_s", 0.9))
        result.targets.append(pump_target(size, "cpu_s_per_gib", 1.3))
    largest = max(sizes)
    lib_sink = find("sink", "library", largest)
    result.targets.append(
        Target(
            f"peak RSS growth, {_label(largest)} image",
            "< 32 MiB (for the 512 MiB image)",
            lib_sink["rss_growth_mib"] if lib_sink else None,
            32.0,
            higher_is_better=False,
            unit="MiB",
            note="" if largest == 512 * MiB else "a smaller image in this mode",
        )
    )
    for size in sizes:
        lib = find("mock", "library", size)
        official_row = find("mock", "azuresphere-device-api", size)
        result.targets.append(
            Target(
                f"mock throughput, {_label(size)}",
                ">= 1.0x Microsoft's client MB/s",
                lib["x_official_mb_s"] if lib and official_row else None,
                1.0,
                higher_is_better=True,
                note="" if has_official else "azuresphere-device-api not installed",
            )
        )

    # Charts (optional).
    groups = [_label(s) for s in sizes]
    for server in ("sink", "mock"):
        clients = sorted({r["client"] for r in rows if r["server"] == server and "size" in r})
        series = {
            client: [(find(server, client, s) or {}).get("mb_s") for s in sizes]
            for client in clients
        }
        chart = bar_chart(
            ctx.out_dir / f"staging-{server}.png",
            f"Staging into the {server}: MB/s by image size",
            "MB/s",
            groups,
            series,
        )
        if chart:
            result.charts.append(chart)
    sweep_series: dict[str, tuple[list[float], list[float | None]]] = {}
    for client in ("library", "raw pump"):
        points = [r for r in sweep_rows if r["client"] == f"{client} (sweep)"]
        sweep_series[f"{client} MB/s"] = (
            [r["chunk"] / KiB for r in points],
            [r["mb_s"] for r in points],
        )
    chart = line_chart(
        ctx.out_dir / "staging-chunk-sweep.png",
        f"Chunk-size sweep into the sink ({_label(sweep_size)})",
        "chunk (KiB)",
        "MB/s",
        sweep_series,
        log_x=True,
    )
    if chart:
        result.charts.append(chart)

    result.data["rows"] = rows
    result.data["jobs"] = raw
    result.data["sizes"] = sizes
    result.data["repeats"] = repeats
    result.notes.append(
        "glibc maps buffers of 128 KiB and more afresh on each allocation (until its dynamic "
        "mmap threshold rises), so chunk sizes at or above 128 KiB can switch between two "
        "speeds within a run; see the sweep."
    )
    return result
