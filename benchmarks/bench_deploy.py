"""Benchmark 3: flashing a fleet over slow links.

A mock fleet (``python -m azsphere_async.mock --link-speed 1M``, its own process) whose every
board's link is capped at 1 MB/s (10^6 bytes/s) each way. The client (its own process) deploys
one image to every board at once (``Fleet.deploy``: stage, then install), timed from the
first byte to the last board's answer, once with a per-board progress callback and once
without, in adjacent pairs within one client process, so that drift affects both alike.

Aggregate throughput = boards x image bytes / wall time; the target compares it with the sum
of the links. Progress's cost is the thread CPU counted inside the library's progress machinery
during each run with callbacks (``_jobs/accounting.py`` says what is counted), as a share of
that run's client CPU; the difference in client CPU between the runs of each adjacent pair is
kept as a cross-check, with its noise.
"""

from __future__ import annotations

from typing import Any, Final

from .charts import bar_chart
from .context import Context, KiB, MiB
from .images import DEMO_PACKAGE, make_image
from .processes import mock_fleet, run_job
from .results import BenchResult, Table, Target, fmt, median, spread

__all__ = ["run"]

LINK_BYTES_PER_SECOND: Final = 1_000_000
#: Fleets larger than this get slower links (250 KB/s), so that the sum of their links stays
#: within what this machine's two cores can encrypt and the mock can serve: the benchmark is
#: about the links (no concurrency waves), and a faster sum would measure the CPU instead.
_FAST_LINKS_UP_TO: Final = 32


def _link(boards: int) -> tuple[int, str]:
    """Each board's link in bytes per second, and the mock's spelling of it."""
    return (LINK_BYTES_PER_SECOND, "1M") if boards <= _FAST_LINKS_UP_TO else (250_000, "250k")


MB: Final = 1_000_000


#: The regions of the progress machinery that the accounting names (``_jobs/accounting.py``).
_REGIONS: Final = {
    "report": "meter reports",
    "phase": "phase updates",
    "report_while": "report_while",
    "ticker": "ticker steps",
    "ticker_setup": "ticker start/stop",
}


def _accounting_seconds(
    sample: dict[str, Any], calibration: dict[str, float], idle: float | None
) -> float:
    """What the accounting counted of itself in a run: each kind of entry into its regions
    times that kind's cost. For the reports and phase updates called from outside a region,
    ``idle``: what the same calls counted in the runs without callbacks, where they return at
    once (the accounting at those very places, cold, with the few lines that run either way);
    for the rest, the cost measured warm (``_jobs/accounting.py``), a lower bound."""
    steps = sample["steps"]
    coroutine_steps = steps.get("ticker", 0) + steps.get("ticker_setup", 0)
    timer_calls = steps.get("timer", 0)  # the ticker's timer callbacks, also entered calls
    warm_call = calibration["call_entry_cpu_seconds"]
    per_report = idle if idle is not None else warm_call
    return float(
        (sample["entered"] - timer_calls) * per_report
        + timer_calls * warm_call
        + sample["nested"] * calibration["nested_call_cpu_seconds"]
        + sample["calls"].get("report_while", 0) * calibration["report_while_cpu_seconds"]
        + coroutine_steps * calibration["entry_cpu_seconds"]
    )


def _idle_call_seconds(samples: list[dict[str, Any]]) -> float | None:
    """What one counted call of a report or phase update counts in the runs without
    callbacks, where it returns at once: the accounting's cost at those places, cold."""
    per_call = [
        (s["by_region"].get("report", 0.0) + s["by_region"].get("phase", 0.0))
        / (s["calls"].get("report", 0) + s["calls"].get("phase", 0))
        for s in samples
        if s["calls"].get("report", 0) + s["calls"].get("phase", 0)
    ]
    return median(per_call) if per_call else None


def _counted_pct(
    sample: dict[str, Any], calibration: dict[str, float], idle: float | None
) -> dict[str, float]:
    """A run's counted progress CPU as % of its client CPU: in all, and by region (with the
    ticker's wake-ups, their count times the event loop's measured share of one); the
    accounting's own share of the count; and progress's CPU less that share (``net``)."""
    cpu = sample["cpu"]
    steps = sample["steps"]
    wakeups = steps.get("ticker", 0) * calibration["wakeup_cpu_seconds"]
    if "timer" in steps:  # an event loop timer's wake-ups (the ticker under asyncio)
        wakeups += steps["timer"] * calibration["timer_wakeup_cpu_seconds"]
    shares = {name: sample["by_region"].get(name, 0.0) / cpu * 100 for name in _REGIONS}
    shares["wakeups"] = wakeups / cpu * 100
    shares["total"] = (sample["progress_cpu"] + wakeups) / cpu * 100
    shares["accounting"] = _accounting_seconds(sample, calibration, idle) / cpu * 100
    shares["net"] = shares["total"] - shares["accounting"]
    return shares


def _aggregate(rows: list[dict[str, Any]], boards: int, progress: bool) -> float | None:
    for row in rows:
        if row["boards"] == boards and row["progress"] == progress:
            return float(row["aggregate_mb_s"])
    return None


def _requests_per_deploy(ctx: Context, result: BenchResult) -> None:
    """Requests an application deploy takes on a warm session, as the mock counts them."""
    deploys: int = ctx.pick(2, 5, 5)
    try:
        out = run_job(
            ctx, "deploy_requests", {"image": str(DEMO_PACKAGE), "deploys": deploys}, timeout=120
        )
    except Exception as exc:
        result.notes.append(f"requests per deploy: failed: {exc}")
        return
    counts = [float(s["requests"]) for s in out["samples"]]
    result.targets.append(
        Target(
            "requests per application deploy, warm session",
            "3 (stage, install, the app's status)",
            median(counts),
            3.0,
            higher_is_better=False,
            unit="requests",
            baseline="the mock's own request count",
            spread=spread(counts),
        )
    )
    result.data["requests_per_deploy"] = out["samples"]


#: The old default concurrency: a fleet larger than this was cut into waves.
_WAVE: Final = 64


def _waves(ctx: Context, result: BenchResult, n: int, params: dict[str, Any], repeats: int) -> None:
    """The same deploy at the default concurrency and cut into waves of 64, in adjacent pairs:
    how much the waves cost a link-bound deploy (the target is that the default has none)."""
    limits = [limit for i in range(repeats) for limit in ((None, _WAVE)[:: 1 - 2 * (i % 2)])]
    try:
        out = run_job(
            ctx,
            "deploy_library",
            {**params, "runs": [False] * len(limits), "concurrency": limits},
            timeout=params["timeout"] * len(limits) + 60,
        )
    except Exception as exc:
        result.notes.append(f"{n} boards in waves: failed: {exc}")
        return
    default = [s["wall"] for s in out["samples"] if s["concurrency"] is None]
    waves = [s["wall"] for s in out["samples"] if s["concurrency"] == _WAVE]
    pairs = [a / b for a, b in zip(default, waves, strict=False)]
    result.targets.append(
        Target(
            f"deploy to {n} boards, no concurrency waves",
            f"<= 0.75x the time of the same deploy in waves of {_WAVE}",
            median(default) / median(waves),
            0.75,
            higher_is_better=False,
            baseline=f"in waves of {_WAVE}: {fmt(median(waves))} s",
            spread=spread(pairs),
            note="0.5x would be perfectly link-bound",
        )
    )
    result.data[f"waves_{n}"] = out["samples"]


def _progress_cost(
    result: BenchResult, n: int, raw: dict[str, Any], row: dict[str, Any], repeats: int
) -> None:
    """The target on progress's CPU (counted in the runs with callbacks), and the cross-check:
    the client CPU of adjacent runs with and without callbacks, with its noise."""
    calibration = raw["calibration"]
    idle = _idle_call_seconds(raw["without_progress"])
    counted = [_counted_pct(s, calibration, idle) for s in raw["with_progress"]]
    totals = [c["total"] for c in counted]
    nets = [c["net"] for c in counted]
    row["progress_cpu_pct"] = median(totals)
    row["progress_cpu_net_pct"] = median(nets)
    result.targets.append(
        Target(
            f"progress's CPU, {n} boards",
            "< 2% of client CPU",
            median(nets),
            2.0,
            higher_is_better=False,
            unit="%",
            baseline=f"the same runs' client CPU: {fmt(row['cpu_s'])} s",
            spread=spread(nets),
            note=(
                "thread CPU counted inside the progress machinery, per run with callbacks, "
                "less the accounting's own (at reports and phase updates as the runs without "
                f"callbacks count it, elsewhere measured warm); counted with it: "
                f"{median(totals):.2f}%"
            ),
        )
    )
    parts = ", ".join(
        f"{label} {median([c[name] for c in counted]):.3f}%"
        for name, label in (*_REGIONS.items(), ("wakeups", "ticker wake-ups (calibrated)"))
    )
    reads = median([s["clock_reads"] for s in raw["with_progress"]])
    reads_pct = reads * calibration["clock_read_seconds"] / row["cpu_s"] * 100
    own = [c["accounting"] for c in counted]
    entered = median([s["entered"] for s in raw["with_progress"]])
    nested = median([s["nested"] for s in raw["with_progress"]])
    note = (
        f"{n} boards: progress's CPU counted per run with callbacks: "
        + ", ".join(f"{x:.2f}" for x in totals)
        + f"% (median {median(totals):.2f}%: {parts}); less the accounting's own share: "
        + ", ".join(f"{x:.2f}" for x in nets)
        + f"% (median {median(nets):.2f}%); per board "
        f"{median(nets) / 100 * row['cpu_s'] / n * 1e6:.0f} us of "
        f"{row['cpu_s'] / n * 1e3:.2f} ms. The accounting's own share, {median(own):.2f}% "
        f"of the client CPU, is each entry into its regions at its cost: "
        f"{entered:.0f} calls counted from outside a region per run "
        + (
            f"(reports and phase updates: {idle * 1e9:.0f} ns each, what the same wrapped "
            "calls counted in the runs without callbacks, where they return at once; the "
            f"ticker's timer callbacks: {calibration['call_entry_cpu_seconds'] * 1e9:.0f} ns, "
            "measured warm)"
            if idle is not None
            else f"({calibration['call_entry_cpu_seconds'] * 1e9:.0f} ns each, measured warm)"
        )
        + f", {nested:.0f} inside one at "
        f"{calibration['nested_call_cpu_seconds'] * 1e9:.0f} ns, each watched upload at "
        f"{calibration['report_while_cpu_seconds'] * 1e9:.0f} ns, each coroutine step at "
        f"{calibration['entry_cpu_seconds'] * 1e9:.0f} ns (the last three measured warm: in a "
        "deploy the code is colder, so they are lower bounds and the figure still errs high). "
        f"Its clock reads in all ({reads:.0f} per run, "
        f"{calibration['clock_read_seconds'] * 1e9:.0f} ns each) are "
        f"{reads_pct:.2f}% of the client CPU, about half of each inside the count."
    )
    pairs = list(zip(raw["with_progress"], raw["without_progress"], strict=False))
    if pairs:
        # Adjacent pairs (with, without): each difference is free of the drift between pairs.
        differences = [(w["cpu"] - wo["cpu"]) / w["cpu"] * 100 for w, wo in pairs]
        row["pair_difference_pct"] = median(differences)
        result.data.setdefault("cpu_difference_pct_by_pair", {})[str(n)] = differences
        cpus = [s["cpu"] for s in raw["without_progress"]]
        ranged = (max(cpus) - min(cpus)) / median(cpus) * 100
        note += (
            " Cross-check, client CPU with - without callbacks by adjacent pair (% of with): "
            + ", ".join(f"{x:+.1f}" for x in differences)
            + f" (median {median(differences):+.2f}%, which includes the accounting's clock "
            f"reads); its noise: between runs without callbacks the client CPU ranged over "
            f"{ranged:.1f}% of its median, so {len(pairs)} pair(s) cannot resolve a few per cent."
        )
    result.notes.append(note)


def run(ctx: Context) -> BenchResult:
    """Deploy to 8, 32 and 128 capped boards, with and without progress callbacks."""
    fleets: list[int] = ctx.pick([2], [8, 32], [8, 32, 128])
    size: int = ctx.pick(256 * KiB, 1 * MiB, 2 * MiB)
    repeats: int = ctx.pick(1, 2, 5)
    # Each fleet's image takes its links about as long: a quarter of the size on slow links.
    sizes = {n: size * _link(n)[0] // LINK_BYTES_PER_SECOND for n in fleets}
    images = {
        n: make_image(ctx.work_dir, sizes[n], name=f"deploy-{sizes[n]}.imagepackage")
        for n in fleets
    }
    warm = make_image(ctx.work_dir, 0, name="deploy-warmup.imagepackage")  # 16 KiB
    result = BenchResult(
        name="deploy",
        title="3. Flashing a fleet over slow links (1 MB/s per board)",
        mode=ctx.mode,
        description=(
            f"`Fleet.deploy` of a {size / MiB:g} MiB image ({size:,} bytes) to every board at "
            "once, each board's link capped at 1 MB/s (10^6 B/s) by the mock (fleets of more "
            f"than {_FAST_LINKS_UP_TO} boards: 250 KB/s links and a quarter of the image). "
            f"Medians of {repeats} deploy(s) with and {repeats} without a progress callback, "
            "in adjacent pairs within one client process (after a warm-up deploy of the 16 KiB "
            "demo package)."
        ),
    )
    _requests_per_deploy(ctx, result)
    rows: list[dict[str, Any]] = []
    raw: dict[str, Any] = {}
    accounting: dict[str, list[str]] = {}
    for n in fleets:
        server_output: list[str] = []
        # Adjacent pairs, the order flipping from pair to pair: T F, F T, T F, ...
        order = [flag for i in range(repeats) for flag in ((True, False)[:: 1 - 2 * (i % 2)])]
        samples: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
        rate, speed = _link(n)
        with mock_fleet(ctx, n, bandwidth=speed, output=server_output) as (addresses, ca_path):
            ctx.log(f"deploy: {n} boards, {len(order)} deploys in one process")
            deadline = 60 + 4 * sizes[n] / rate
            params: dict[str, Any] = {
                "addresses": addresses,
                "ca": str(ca_path),
                "image": str(images[n]),
                "warmup_image": str(warm),
                "runs": order,
                "timeout": deadline,
            }
            if n > _WAVE:
                _waves(ctx, result, n, params, repeats)
            try:
                out = run_job(ctx, "deploy_library", params, timeout=deadline * len(order) + 60)
            except Exception as exc:
                result.notes.append(f"{n} boards: failed: {exc}")
            else:
                for sample in out["samples"]:
                    samples[sample["progress"]].append(sample)
                raw[str(n)] = {
                    "with_progress": samples[True],
                    "without_progress": samples[False],
                    "rss_growth_kib": out["rss_growth_kib"],
                    "calibration": {
                        key: out[key]
                        for key in (
                            "clock_read_seconds",
                            "wakeup_cpu_seconds",
                            "timer_wakeup_cpu_seconds",
                            "entry_cpu_seconds",
                            "call_entry_cpu_seconds",
                            "nested_call_cpu_seconds",
                            "report_while_cpu_seconds",
                        )
                    },
                }
        # The mock's own accounting (requests by path for each board), printed as it stopped.
        accounting[str(n)] = [line.strip() for line in server_output if "requests" in line][:3]
        for progress in (True, False):
            runs = samples[progress]
            if not runs:
                continue
            wall = median([s["wall"] for s in runs])
            cpu = median([s["cpu"] for s in runs])
            aggregate = n * sizes[n] / wall / MB
            rows.append(
                {
                    "boards": n,
                    "progress": progress,
                    "image_bytes": sizes[n],
                    "wall_s": wall,
                    "aggregate_mb_s": aggregate,
                    "links_mb_s": n * rate / MB,
                    "x_links": aggregate / (n * rate / MB),
                    "cpu_s": cpu,
                    "cpu_ms_per_board": cpu / n * 1e3,
                    "progress_calls": median([s["progress_calls"] for s in runs]),
                    "callback_us": median([s["progress_callback_seconds"] for s in runs]) * 1e6,
                    # When the last board's progress first said it had the whole image.
                    "whole_image_s": median([max(s["whole_image_seconds"] or [0.0]) for s in runs])
                    if progress
                    else None,
                    "ack_cpu_pct": median(
                        [s["acknowledgement_cpu"] / s["cpu"] * 100 for s in runs]
                    ),
                }
            )
    for n in fleets:
        with_cb = next((r for r in rows if r["boards"] == n and r["progress"]), None)
        if str(n) in raw and with_cb is not None:
            _progress_cost(result, n, raw[str(n)], with_cb, repeats)
    result.tables.append(
        Table(
            "Deploy to N boards at once",
            [
                ("boards", "boards"),
                ("image_bytes", "image bytes"),
                ("progress", "progress callback"),
                ("wall_s", "wall s"),
                ("aggregate_mb_s", "aggregate MB/s"),
                ("links_mb_s", "sum of links MB/s"),
                ("x_links", "vs sum of links"),
                ("cpu_s", "client CPU s"),
                ("cpu_ms_per_board", "client CPU ms per board"),
                ("progress_calls", "callbacks"),
                ("callback_us", "us inside callbacks"),
                ("whole_image_s", "progress at 100% after s"),
                ("progress_cpu_pct", "progress CPU % (counted)"),
                ("progress_cpu_net_pct", "less the accounting's own %"),
                ("pair_difference_pct", "CPU with - without % (pairs)"),
                ("ack_cpu_pct", "acknowledgement counting CPU %"),
            ],
            rows,
        )
    )
    for n in fleets:
        without = next((r for r in rows if r["boards"] == n and not r["progress"]), None)
        with_cb = next((r for r in rows if r["boards"] == n and r["progress"]), None)
        runs_without = (raw.get(str(n)) or {}).get("without_progress") or []
        rate = _link(n)[0]
        shares = [n * sizes[n] / s["wall"] / (n * rate) for s in runs_without]
        result.targets.append(
            Target(
                f"aggregate throughput, {n} boards",
                ">= 0.95x the sum of the links",
                without["x_links"] if without else None,
                0.95,
                higher_is_better=True,
                note="run without progress callbacks, at the default concurrency",
                baseline=f"{n} links of {fmt(rate / MB)} MB/s: {fmt(n * rate / MB)} MB/s",
                spread=spread(shares) if shares else None,
            )
        )
    chart = bar_chart(
        ctx.out_dir / "deploy.png",
        "Aggregate deploy throughput vs the sum of the links",
        "MB/s",
        [f"{n} boards" for n in fleets],
        {
            "sum of links": [float(n) for n in fleets],
            "library, no callback": [
                next(
                    (r["aggregate_mb_s"] for r in rows if r["boards"] == n and not r["progress"]),
                    None,
                )
                for n in fleets
            ],
            "library, with callback": [
                next(
                    (r["aggregate_mb_s"] for r in rows if r["boards"] == n and r["progress"]), None
                )
                for n in fleets
            ],
        },
    )
    if chart:
        result.charts.append(chart)
    result.notes.append(
        "Progress counts the bytes the board acknowledged (TCP_INFO): 'progress at 100% after s' "
        "(when the last board's progress first said it had the whole image) comes close to "
        "the link's time, not at once as a count of bytes handed to the socket would."
    )
    result.data["rows"] = rows
    result.data["jobs"] = raw
    result.data["mock_accounting"] = accounting
    result.data["image_bytes"] = sizes
    return result
