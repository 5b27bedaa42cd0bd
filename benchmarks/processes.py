"""The processes a benchmark starts: client jobs, servers and mock fleets, bounded and cleaned up.

Every measurement of a client runs in a process of its own (``python -m
benchmarks._client_job``) so that its CPU time and peak memory are the client's alone; every
server (the bare TLS sink, the mock fleet) runs in yet another process. Each is started in a
session of its own, waited for within a time limit, and stopped with everything it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from ._loopback import require_loopback
from .context import ROOT, Context

__all__ = ["BenchError", "ServerProcess", "mock_fleet", "run_job"]


class BenchError(RuntimeError):
    """A benchmark process failed or did not answer in time."""


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
