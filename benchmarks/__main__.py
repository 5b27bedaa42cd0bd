"""``python -m benchmarks [--quick | --tiny] [--only NAME ...] [--out DIR]``.

Runs the benchmarks (all, or those named with ``--only``), each writing ``<name>.json``,
``<name>.md`` and its charts into the results folder (``benchmarks/results`` by default), then
rewrites ``summary.md`` from every result found there. ``--quick`` takes about a minute;
``--tiny`` is the smoke test's mode (seconds; the figures are not meaningful). Generated image
files live in a temporary folder that is deleted at the end. Exit status: 0 when every
benchmark ran (a MISS against a target is a result, not a failure), 1 when one crashed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import bench_deploy, bench_devicelog, bench_fanout, bench_requests, bench_staging
from ._loopback import install_guard
from .context import RESULTS_DIR, RUN_ID_VARIABLE, Context, Mode
from .machine import machine_info
from .results import BenchResult, write_result, write_summary

__all__ = ["BENCHMARKS", "Runner", "main"]

#: A benchmark: it measures in the run's context and returns what it found.
Runner = Callable[[Context], BenchResult]

#: Every benchmark, by the name ``--only`` takes, in the order they run.
BENCHMARKS: dict[str, Runner] = {
    "staging": bench_staging.run,
    "fanout": bench_fanout.run,
    "deploy": bench_deploy.run,
    "requests": bench_requests.run,
    "devicelog": bench_devicelog.run,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks of azsphere_async against its baselines (loopback only).",
    )
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true", help="smaller sizes, about a minute")
    speed.add_argument(
        "--tiny", action="store_true", help="seconds; for the smoke test (figures not meaningful)"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only these benchmarks (repeat or comma-separate): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS_DIR, help=f"results folder (default {RESULTS_DIR})"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def _collect(out_dir: Path) -> list[tuple[BenchResult, dict[str, Any]]]:
    """Every known benchmark's latest result in ``out_dir``, in the benchmarks' order."""
    found: list[tuple[BenchResult, dict[str, Any]]] = []
    for name in BENCHMARKS:
        path = out_dir / f"{name}.json"
        if path.exists():
            data = json.loads(path.read_text())
            found.append((BenchResult.from_dict(data), data.get("machine", {})))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks; return the exit status."""
    install_guard()
    args = _parser().parse_args(argv)
    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    selected = names or list(BENCHMARKS)
    mode: Mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    failures = 0
    print(
        f"machine: {machine['cpu_model']}, {machine['cores']} cores, "
        f"{machine['memory_gib']} GiB, {machine['python']}, {machine['platform']} "
        f"(commit {machine['commit']}); every ratio is to a baseline measured in this run",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="azsphere-bench-") as work:
        ctx = Context(
            mode=mode,
            out_dir=out_dir,
            work_dir=Path(work),
            run_id=os.environ.get(RUN_ID_VARIABLE) or uuid.uuid4().hex,
            verbose=not args.quiet,
        )
        for name in selected:
            ctx.log(f"{name}: starting ({mode})")
            started = time.monotonic()
            try:
                result = BENCHMARKS[name](ctx)
            except Exception:
                failures += 1
                print(f"benchmark {name} crashed:\n{traceback.format_exc()}", file=sys.stderr)
                continue
            result.elapsed = time.monotonic() - started
            write_result(result, out_dir, machine)
            ctx.log(f"{name}: done in {result.elapsed:.1f} s")
            print(f"{name} ({mode}, {result.elapsed:.0f} s):", flush=True)
            for target in result.targets:
                print(f"  {target.line()}", flush=True)
    summary = write_summary(_collect(out_dir), out_dir)
    print(f"results in {out_dir} (summary: {summary})")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
