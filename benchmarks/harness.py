"""The shared benchmark harness: processes, measurements, targets and result files.

Every measurement of a client runs in a process of its own (``python -m
benchmarks._client_job``) so that its CPU time and peak memory are the client's alone; every
server (the bare TLS sink, the mock fleet) runs in yet another process. This module starts and
stops those processes (always bounded in time, always cleaned up), generates the image files,
checks figures against targets, and writes ``<name>.json``, ``<name>.md`` and ``summary.md``.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import queue
import random
import signal
import ssl
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, Literal

__all__ = [
    "DEMO_PACKAGE",
    "RESULTS_DIR",
    "ROOT",
    "RUN_ID_VARIABLE",
    "BenchError",
    "BenchResult",
    "Context",
    "KiB",
    "MiB",
    "Mode",
    "ServerProcess",
    "Table",
    "Target",
    "fmt",
    "machine_info",
    "make_image",
    "median",
    "mock_fleet",
    "run_job",
    "write_result",
    "write_summary",
]

ROOT: Final = Path(__file__).resolve().parent.parent
RESULTS_DIR: Final = Path(__file__).resolve().parent / "results"
DEMO_PACKAGE: Final = ROOT / "azsphere_async" / "data" / "demo" / "azure_sphere_blink.imagepackage"
KiB: Final = 1024
MiB: Final = 1024 * 1024

#: ``tiny`` for the smoke test, ``quick`` for about a minute, ``full`` for the real figures.
Mode = Literal["tiny", "quick", "full"]

#: Every process the harness starts carries this variable, so leftovers can be found.
RUN_ID_VARIABLE: Final = "AZSPHERE_BENCH_RUN_ID"


class BenchError(RuntimeError):
    """A benchmark process failed or did not answer in time."""


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    if not values:
        raise ValueError("median of nothing")
    return float(statistics.median(values))


def fmt(value: Any) -> str:
    """A number for a table: about three significant figures, thousands separated."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        magnitude = abs(value)
        if magnitude >= 100:
            return f"{value:,.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        if magnitude >= 1:
            return f"{value:.2f}"
        if magnitude == 0:
            return "0"
        return f"{value:.3g}"
    return str(value)


# -- the run's context -----------------------------------------------------------------------


@dataclass
class Context:
    """What every benchmark gets: its mode, where results and scratch files go, a logger."""

    mode: Mode
    out_dir: Path
    work_dir: Path
    run_id: str
    verbose: bool = True
    _certs: dict[str, Path] | None = None

    def log(self, message: str) -> None:
        """Print a progress line to standard error."""
        if self.verbose:
            print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def pick(self, tiny: Any, quick: Any, full: Any) -> Any:
        """The value for this run's mode."""
        return {"tiny": tiny, "quick": quick, "full": full}[self.mode]

    def env(self) -> dict[str, str]:
        """The environment for a child process: ours, tagged with the run's id, no proxies."""
        env = dict(os.environ)
        env[RUN_ID_VARIABLE] = self.run_id
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            env.pop(name, None)
        env.pop("all_proxy", None)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        )
        return env

    def sink_certs(self) -> dict[str, Path]:
        """A test CA and a server certificate for the sink (made once per run with trustme).

        The certificate names ``127.0.0.1`` and localhost (for curl) and the devices' wildcard
        name (for Microsoft's client, which checks the Host header's name).
        """
        if self._certs is None:
            import trustme

            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost", "*.devices.sphere.azure.local")
            folder = self.work_dir / "sink-certs"
            folder.mkdir(exist_ok=True)
            paths = {
                "ca": folder / "ca.pem",
                "cert": folder / "cert.pem",
                "key": folder / "key.pem",
            }
            ca.cert_pem.write_to_path(str(paths["ca"]))
            cert.cert_chain_pems[0].write_to_path(str(paths["cert"]))
            for extra in cert.cert_chain_pems[1:]:
                extra.write_to_path(str(paths["cert"]), append=True)
            cert.private_key_pem.write_to_path(str(paths["key"]))
            self._certs = paths
        return self._certs


# -- image files -----------------------------------------------------------------------------


def make_image(folder: Path, size: int, *, name: str | None = None, seed: int = 1) -> Path:
    """Write a valid image package of exactly ``size`` bytes into ``folder``.

    Random payload followed by the whole demo package: the metadata is read from the end, so
    the mock and the library accept it; the payload is incompressible. Sizes smaller than the
    demo package give the demo package itself.
    """
    demo = DEMO_PACKAGE.read_bytes()
    path = folder / (name or f"image-{size}.imagepackage")
    if path.exists() and path.stat().st_size == max(size, len(demo)):
        return path
    rng = random.Random(seed)
    remaining = max(0, size - len(demo))
    with path.open("wb") as handle:
        while remaining > 0:
            step = min(remaining, 8 * MiB)
            handle.write(rng.randbytes(step))
            remaining -= step
        handle.write(demo)
    return path


# -- processes -------------------------------------------------------------------------------


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    """Stop a process started in its own session, and anything it started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=3)
    # A group can outlive its leader (a grandchild); make sure it is gone too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=3)


def run_job(ctx: Context, job: str, params: Mapping[str, Any], *, timeout: float) -> dict[str, Any]:
    """Run one client measurement in its own process; return the figures it printed.

    The job prints its figures as a last line ``RESULT {json}``. A job that fails, or does not
    finish within ``timeout`` seconds (it is killed then), raises :class:`BenchError`.
    """
    command = [sys.executable, "-m", "benchmarks._client_job", job, json.dumps(dict(params))]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=ctx.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise BenchError(f"job {job} did not finish within {timeout} s") from None
    finally:
        _kill_group(proc)
    for line in reversed(out.splitlines()):
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    tail = "\n".join(err.strip().splitlines()[-15:])
    raise BenchError(f"job {job} failed (exit {proc.returncode}):\n{tail}")


class ServerProcess:
    """A server in its own process: started, waited for, and always stopped.

    Two ways to tell readiness: the server prints a JSON line with ``"ready": true`` (its
    other keys are kept in :attr:`info`) and exits when its standard input closes, printing
    ``{"stats": ...}`` first (kept in :attr:`stats`); or, with ``ready_file``, the server
    writes that file (JSON, kept in :attr:`info` as ``"ready_file"``) and stops on SIGTERM.
    Whatever it prints is kept in :attr:`output`.
    """

    def __init__(
        self,
        ctx: Context,
        module: str,
        args: Sequence[str],
        *,
        name: str,
        start_timeout: float = 60.0,
        ready_file: Path | None = None,
    ) -> None:
        self.ctx = ctx
        self.module = module
        self.args = list(args)
        self.name = name
        self.start_timeout = start_timeout
        self.ready_file = ready_file
        self.info: dict[str, Any] = {}
        self.stats: dict[str, Any] = {}
        self.output: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._proc: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None
        self._log_path = ctx.work_dir / f"{name}.log"

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)

    def _take(self, line: str) -> None:
        self.output.append(line.rstrip("\n"))
        with contextlib.suppress(ValueError):
            message = json.loads(line)
            if isinstance(message, dict) and message.get("ready"):
                self.info = message
            if isinstance(message, dict) and "stats" in message:
                self.stats = message["stats"]

    def _failure(self, why: str) -> BenchError:
        if self._log is not None:
            self._log.flush()
        tail = self._log_path.read_text(errors="replace").strip().splitlines()[-15:]
        return BenchError(f"{self.name} {why}:\n" + "\n".join(tail))

    def _ready(self) -> bool:
        if self.ready_file is None:
            return bool(self.info)
        if not self.ready_file.exists():
            return False
        self.info = {"ready": True, "ready_file": json.loads(self.ready_file.read_text())}
        return True

    def __enter__(self) -> ServerProcess:
        self._log = self._log_path.open("w")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", self.module, *self.args],
            cwd=ROOT,
            env=self.ctx.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            start_new_session=True,
        )
        assert self._proc.stdout is not None
        threading.Thread(target=self._pump, args=(self._proc.stdout,), daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        try:
            while not self._ready():
                if time.monotonic() > deadline:
                    raise self._failure(f"did not start within {self.start_timeout} s")
                try:
                    line = self._lines.get(timeout=0.02)
                except queue.Empty:
                    continue
                if line is None:
                    self._proc.wait(timeout=5)
                    if not self._ready():
                        raise self._failure("exited before it was ready")
                    break
                self._take(line)
            return self
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc_info: object) -> None:
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        try:
            if self.ready_file is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                try:
                    line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if line is None:
                    break
                self._take(line)
        finally:
            _kill_group(proc)
            if self._log is not None:
                self._log.close()


@contextlib.contextmanager
def mock_fleet(
    ctx: Context,
    devices: int,
    *,
    latency_ms: float = 0.0,
    bandwidth: str | None = None,
    storage_capacity: str = "2G",
    output: list[str] | None = None,
) -> Iterator[tuple[list[str], Path]]:
    """Serve mock boards as users run them (``python -m azsphere_async.mock``), in a process.

    Yields the boards' ``host:port`` addresses (127.0.0.2 onwards, each checked to be
    loopback) and the path of the fleet's CA. No Device Communication Service is started.
    ``storage_capacity`` is raised from the 1 MiB default so that large images fit.
    ``output``, when given, receives what the mock printed (its accounting comes on exit).
    """
    from ._loopback import require_loopback

    tag = f"mock-{devices}-{time.monotonic_ns()}"
    ca_file = ctx.work_dir / f"{tag}-ca.pem"
    addresses_file = ctx.work_dir / f"{tag}.json"
    args = [
        "--devices",
        str(devices),
        "--ca-file",
        str(ca_file),
        "--addresses-file",
        str(addresses_file),
        "--no-dcs",
        "--latency-ms",
        str(latency_ms),
        "--storage-capacity",
        storage_capacity,
    ]
    if bandwidth is not None:
        args += ["--link-speed", bandwidth]
    server = ServerProcess(ctx, "azsphere_async.mock", args, name=tag, ready_file=addresses_file)
    try:
        with server:
            addresses = [require_loopback(str(a)) for a in server.info["ready_file"]]
            if len(addresses) != devices:
                raise BenchError(f"the mock serves {len(addresses)} boards, not {devices}")
            yield addresses, ca_file
    finally:
        if output is not None:
            output.extend(server.output)


# -- targets and results ---------------------------------------------------------------------


@dataclass
class Target:
    """One requirement of the issue, with the figure measured against it."""

    name: str
    requirement: str
    value: float | None
    limit: float
    higher_is_better: bool
    unit: str = "x"
    note: str = ""

    @property
    def status(self) -> str:
        """``PASS``, ``MISS``, or ``N/A`` when the figure could not be measured."""
        if self.value is None:
            return "N/A"
        ok = self.value >= self.limit if self.higher_is_better else self.value <= self.limit
        return "PASS" if ok else "MISS"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {
            "name": self.name,
            "requirement": self.requirement,
            "value": self.value,
            "limit": self.limit,
            "higher_is_better": self.higher_is_better,
            "unit": self.unit,
            "status": self.status,
            "note": self.note,
        }


@dataclass
class Table:
    """A table of figures: ``columns`` are ``(key, header)`` pairs picked from each row."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]

    def markdown(self) -> str:
        """The table in Markdown."""
        head = "| " + " | ".join(h for _, h in self.columns) + " |"
        rule = "| " + " | ".join("---" for _ in self.columns) + " |"
        body = [
            "| " + " | ".join(fmt(row.get(key)) for key, _ in self.columns) + " |"
            for row in self.rows
        ]
        return "\n".join([f"**{self.title}**", "", head, rule, *body])


@dataclass
class BenchResult:
    """Everything one benchmark measured: tables, targets, notes, raw samples, charts."""

    name: str
    title: str
    mode: Mode
    description: str
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    charts: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form, raw samples included."""
        return {
            "name": self.name,
            "title": self.title,
            "mode": self.mode,
            "description": self.description,
            "elapsed_seconds": self.elapsed,
            "targets": [t.as_dict() for t in self.targets],
            "tables": [
                {"title": t.title, "columns": [list(c) for c in t.columns], "rows": t.rows}
                for t in self.tables
            ],
            "notes": self.notes,
            "charts": self.charts,
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BenchResult:
        """Rebuild a result from its JSON form (as :meth:`as_dict` wrote it)."""
        tables = [
            Table(t["title"], [(k, h) for k, h in t["columns"]], list(t["rows"]))
            for t in data.get("tables", [])
        ]
        targets = [
            Target(
                t["name"],
                t["requirement"],
                t["value"],
                t["limit"],
                t["higher_is_better"],
                t.get("unit", "x"),
                t.get("note", ""),
            )
            for t in data.get("targets", [])
        ]
        return cls(
            name=data["name"],
            title=data["title"],
            mode=data["mode"],
            description=data["description"],
            tables=tables,
            targets=targets,
            notes=list(data.get("notes", [])),
            data=dict(data.get("data", {})),
            charts=list(data.get("charts", [])),
            elapsed=float(data.get("elapsed_seconds", 0.0)),
        )

    def targets_markdown(self) -> str:
        """The targets as a Markdown table."""
        if not self.targets:
            return ""
        lines = [
            "| target | requirement | measured | status | note |",
            "| --- | --- | --- | --- | --- |",
        ]
        for t in self.targets:
            measured = "n/a" if t.value is None else f"{fmt(t.value)} {t.unit}".strip()
            lines.append(f"| {t.name} | {t.requirement} | {measured} | {t.status} | {t.note} |")
        return "\n".join(lines)

    def markdown(self, *, level: int = 1) -> str:
        """The whole result as Markdown."""
        hashes = "#" * level
        parts = [f"{hashes} {self.title}", "", self.description, ""]
        if self.targets:
            parts += [self.targets_markdown(), ""]
        for table in self.tables:
            parts += [table.markdown(), ""]
        for chart in self.charts:
            parts += [f"![{Path(chart).stem}]({Path(chart).name})", ""]
        parts += [f"_Mode {self.mode}; took {self.elapsed:.0f} s._", ""]
        if self.notes:
            parts += ["Notes:", ""] + [f"- {note}" for note in self.notes] + [""]
        return "\n".join(parts)


def write_result(result: BenchResult, out_dir: Path, machine: Mapping[str, Any]) -> None:
    """Write ``<name>.json`` (with the machine) and ``<name>.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = result.as_dict()
    payload["machine"] = dict(machine)
    (out_dir / f"{result.name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (out_dir / f"{result.name}.md").write_text(result.markdown() + "\n")


def write_summary(results: Sequence[tuple[BenchResult, Mapping[str, Any]]], out_dir: Path) -> Path:
    """Write ``summary.md``: the machine, every target with PASS/MISS, every table.

    ``results`` pairs each result with the machine record of the run that produced it (the
    summary may gather results of several runs, e.g. after ``--only``).
    """
    lines = ["# Benchmark summary", ""]
    lines += [
        "Produced by `python -m benchmarks` (`nox -s bench`). Every ratio compares figures "
        "measured in the same run; targets are from the issue. Per-benchmark details, raw "
        "samples and charts are in the `<name>.json` / `<name>.md` files beside this one.",
        "",
    ]
    machines: dict[str, Mapping[str, Any]] = {}
    for _, machine in results:
        machines.setdefault(json.dumps(machine, sort_keys=True, default=str), machine)
    for machine in machines.values():
        lines += ["| machine | |", "| --- | --- |"]
        for key in (
            "date",
            "cpu_model",
            "cores",
            "memory_gib",
            "python",
            "platform",
            "openssl",
            "curl",
            "commit",
        ):
            lines.append(f"| {key} | {fmt(machine.get(key))} |")
        changed = machine.get("uncommitted") or []
        lines.append(f"| uncommitted changes | {', '.join(changed) if changed else 'none'} |")
        packages = ", ".join(f"{k} {v}" for k, v in machine.get("packages", {}).items())
        lines += [f"| packages | {packages} |", ""]
    lines += ["## Targets", "", "| benchmark | mode | target | requirement | measured | status |"]
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for result, _ in results:
        for t in result.targets:
            measured = "n/a" if t.value is None else f"{fmt(t.value)} {t.unit}".strip()
            lines.append(
                f"| {result.name} | {result.mode} | {t.name} | {t.requirement} | {measured} "
                f"| {t.status} |"
            )
    lines.append("")
    for result, _ in results:
        lines += [result.markdown(level=2), ""]
    path = out_dir / "summary.md"
    path.write_text("\n".join(lines))
    return path


# -- the machine -----------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1024 * 1024)
    return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _uncommitted() -> list[str]:
    """Tracked files changed but not committed (outside benchmarks/), as the run saw them."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    paths = [line[3:] for line in out.stdout.splitlines() if len(line) > 3]
    return [p for p in paths if not p.startswith("benchmarks/")]


def _curl_version() -> str | None:
    try:
        out = subprocess.run(
            ["curl", "--version"], capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.splitlines()[0] if out.stdout else None


_PACKAGES: Final = (
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "sniffio",
    "uvicorn",
    "starlette",
    "requests",
    "azuresphere-device-api",
    "matplotlib",
)


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, memory, Python, OpenSSL, package versions and the tree's commit."""
    packages: dict[str, str] = {}
    for name in _PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            packages[name] = importlib.metadata.version(name)
    memory = _memory_gib()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cores": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(memory, 1) if memory is not None else None,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "openssl": ssl.OPENSSL_VERSION,
        "curl": _curl_version(),
        "commit": _git_commit(),
        "uncommitted": _uncommitted(),
        "packages": packages,
    }


# -- charts ----------------------------------------------------------------------------------


def bar_chart(
    path: Path,
    title: str,
    ylabel: str,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    log_y: bool = False,
) -> str | None:
    """A grouped bar chart as PNG; ``None`` when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    count = max(1, len(series))
    width = 0.8 / count
    for index, (label, values) in enumerate(series.items()):
        xs = [g + (index - (count - 1) / 2) * width for g in range(len(groups))]
        ys = [v if v is not None else 0.0 for v in values]
        ax.bar(xs, ys, width=width, label=label)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(list(groups))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log_y:
        ax.set_yscale("log")
    ax.legend(fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name


def line_chart(
    path: Path,
    title: str,
    xlabel: str,
    ylabel: str,
    series: Mapping[str, tuple[Sequence[float], Sequence[float | None]]],
    *,
    log_x: bool = False,
    log_y: bool = False,
) -> str | None:
    """A line chart as PNG; ``None`` when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, (xs, ys) in series.items():
        points = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log_x:
        ax.set_xscale("log", base=2)
    if log_y:
        ax.set_yscale("log")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name


Runner = Callable[[Context], BenchResult]
