"""Benchmark 3: flashing a fleet over slow links.

A mock fleet (``python -m azsphere_async.mock --link-speed 1M``, its own process) whose every
board's link is capped at 1 MB/s (10^6 bytes/s) each way. The client (its own process) deploys
one image to every board at once (``Fleet.deploy``: stage, then install), timed from the
first byte to the last board's answer, once with a per-board progress callback and once
without, in adjacent pairs within one client process, so that drift affects both alike.

Aggregate throughput = boards x image bytes / wall time; the target compares it with the sum
of the links. The progress callbacks' cost is the difference in client CPU between the runs,
as a share of the CPU with callbacks; the time spent inside the callback is also counted.
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
                    "progress_calls": median([s["progress_calls"] for s in runs]),
                    "callback_us": median([s["progress_callback_seconds"] for s in runs]) * 1e6,
                    # When the last progress report came (bytes handed to the socket).
                    "progress_done_s": median([max(s["stage_seconds"] or [0.0]) for s in runs])
                    if progress
                    else None,
                }
            )
    for n in fleets:
        with_cb = next((r for r in rows if r["boards"] == n and r["progress"]), None)
        without = next((r for r in rows if r["boards"] == n and not r["progress"]), None)
        if str(n) not in raw:
            continue
        pairs = list(
            zip(raw[str(n)]["with_progress"], raw[str(n)]["without_progress"], strict=False)
        )
        if with_cb and without and pairs:
            # Runs come in adjacent pairs (with, without), so each pair's difference is free
            # of the drift between pairs; the figure is the median of the pairs' differences.
            shares = [(w["cpu"] - wo["cpu"]) / w["cpu"] * 100 for w, wo in pairs]
            with_cb["cpu_overhead_pct"] = median(shares)
            result.data.setdefault("callback_cpu_share_pct_by_pair", {})[str(n)] = shares
            cpus = [s["cpu"] for s in raw[str(n)]["without_progress"]]
            ranged = (max(cpus) - min(cpus)) / with_cb["cpu_s"] * 100
            noise = (
                f"; between runs the client CPU without callbacks ranged over {ranged:.1f}% (noise)"
                if len(cpus) > 1
                else ""
            )
            inside = with_cb["callback_us"] / 1e6 / with_cb["cpu_s"] * 100
            result.notes.append(
                f"{n} boards: callbacks' CPU share by pair (with - without, % of with): "
                + ", ".join(f"{x:+.1f}" for x in shares)
                + f"{noise}; time spent inside the callbacks: {inside:.3f}% of client CPU."
            )
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
                ("progress_calls", "callbacks"),
                ("callback_us", "us inside callbacks"),
                ("progress_done_s", "progress at 100% after s"),
                ("cpu_overhead_pct", "CPU cost of callbacks %"),
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
        result.targets.append(
            Target(
                f"progress callbacks' CPU, {n} boards",
                "< 2% of client CPU",
                with_cb.get("cpu_overhead_pct") if with_cb else None,
                2.0,
                higher_is_better=False,
                unit="%",
                note=f"median over {repeats} adjacent with/without pair(s); see notes for noise",
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
        "Progress counts bytes handed to the socket: on loopback the kernel's socket buffers "
        "take megabytes at once, so progress reaches 100% long before the capped link has "
        "carried the image (see 'progress at 100% after s' against 'wall s')."
    )
    result.data["rows"] = rows
    result.data["jobs"] = raw
    result.data["mock_accounting"] = accounting
    result.data["image_bytes"] = sizes
    return result
