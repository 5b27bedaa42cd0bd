"""Staging jobs: one image uploaded by the library, by hand, by curl and by Microsoft's client."""

from __future__ import annotations

import asyncio
import importlib
import os
import resource
import subprocess
import threading
from pathlib import Path
from typing import Any

from .._loopback import require_loopback
from .measure import Params, Probe, Result, peak_rss_kib
from .official import official_client, point_official
from .wire import read_answer, split_address, tls_stream

__all__ = ["stage_curl", "stage_library", "stage_official", "stage_raw"]


def stage_library(p: Params) -> Result:
    """``DeviceClient.sideload.stage`` (streams the file), for each chunk size x repeats."""
    require_loopback(p["address"])
    from azsphere_async import DeviceClient
    from azsphere_async.staging import StageProgress

    probe = Probe()
    path = Path(p["path"])
    size = path.stat().st_size
    from azsphere_async.staging import DEFAULT_CHUNK_SIZE

    # Without a chunk size the library's own default is used (and recorded).
    chunk_sizes: list[int] = p.get("chunk_sizes") or [p.get("chunk_size") or DEFAULT_CHUNK_SIZE]
    calls = 0

    def on_progress(update: StageProgress) -> None:
        nonlocal calls
        calls += 1

    async def run() -> None:
        async with DeviceClient(p["address"], ca=p["ca"], timeout=p.get("timeout", 300)) as dev:
            await dev.session.request("GET", "/status")
            await dev.sideload.stage(p["warmup_path"], chunk_size=chunk_sizes[0])
            for chunk in chunk_sizes:
                for _ in range(p.get("repeats", 1)):
                    started = probe.start()
                    staged = await dev.sideload.stage(
                        path,
                        chunk_size=chunk,
                        progress=on_progress if p.get("progress") else None,
                    )
                    probe.stop(started, bytes=staged.bytes_sent, chunk_size=chunk)
            if any(s["bytes"] != size for s in probe.samples):
                raise RuntimeError("an upload sent a different number of bytes than the file")

    asyncio.run(run())
    return probe.result(progress_calls=calls, default_chunk_size=DEFAULT_CHUNK_SIZE)


def stage_raw(p: Params) -> Result:
    """``PUT /update/stage`` by hand over one asyncio TLS connection, writing fixed chunks."""
    host, port = split_address(p["address"])
    probe = Probe()
    path = Path(p["path"])
    chunk: int = p.get("chunk_size", 256 * 1024)

    sizes = {
        str(path): path.stat().st_size,
        p["warmup_path"]: Path(p["warmup_path"]).stat().st_size,
    }

    async def put(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, source: str) -> None:
        size = sizes[source]
        writer.write(
            (
                f"PUT /update/stage HTTP/1.1\r\nHost: {host}\r\n"
                "Content-Type: application/octet-stream\r\n"
                f"Content-Length: {size}\r\n\r\n"
            ).encode("ascii")
        )
        # One buffer, refilled: a fresh 256 KiB object per read would cost the pump page
        # faults the library does not pay. asyncio's TLS transport encrypts what it is given
        # before write() returns, so the buffer may be refilled at once.
        buffer = bytearray(chunk)
        view = memoryview(buffer)
        with open(source, "rb", buffering=0) as handle:  # noqa: ASYNC230 - the raw limit
            while got := handle.readinto(buffer):
                writer.write(view[:got])
                await writer.drain()
        status, body = await read_answer(reader)
        if status != 200:
            raise RuntimeError(f"raw PUT answered {status}: {body[:200]!r}")

    async def run() -> None:
        async with tls_stream(host, port, p["ca"]) as (reader, writer):
            writer.write(f"GET /status HTTP/1.1\r\nHost: {host}\r\n\r\n".encode("ascii"))
            await read_answer(reader)
            await put(reader, writer, p["warmup_path"])
            for _ in range(p.get("repeats", 1)):
                started = probe.start()
                await put(reader, writer, str(path))
                probe.stop(started, bytes=sizes[str(path)], chunk_size=chunk)

    asyncio.run(run())
    return probe.result()


def stage_curl(p: Params) -> Result:
    """``curl -T`` (HTTP/1.1, the test CA), timed by curl itself; CPU and RSS of the child."""
    for entry in p.get("resolve", []):
        require_loopback(entry.rsplit(":", 1)[1])
    url: str = p["url"]
    if not p.get("resolve"):
        require_loopback(url.split("/")[2])

    def curl(source: str) -> dict[str, Any]:
        command = [
            "curl",
            "-sS",
            "--http1.1",
            "--noproxy",
            "*",
            "--cacert",
            p["ca"],
            "--max-time",
            str(p.get("timeout", 300)),
            "-T",
            source,
            "-H",
            "Content-Type: application/octet-stream",
            "-o",
            os.devnull,
            "-w",
            "%{http_code} %{time_pretransfer} %{time_total} %{size_upload}",
        ]
        for entry in p.get("resolve", []):
            command += ["--resolve", entry]
        command.append(url)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak = 0
        stop = threading.Event()

        def watch() -> None:
            # curl's own peak; ru_maxrss of a child would include this process's (see above).
            nonlocal peak
            while not stop.wait(0.005):
                peak = max(peak, peak_rss_kib(child.pid))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            out, err = child.communicate(timeout=p.get("timeout", 300) + 10)
        finally:
            stop.set()
            watcher.join()
            if child.poll() is None:
                child.kill()
                child.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        fields = out.split()
        if child.returncode != 0 or not fields or fields[0] != "200":
            raise RuntimeError(f"curl failed ({child.returncode}): {out} {err}")
        pretransfer, total, uploaded = float(fields[1]), float(fields[2]), int(float(fields[3]))
        return {
            "wall": total - pretransfer,
            "process_wall": total,
            "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "bytes": uploaded,
            "peak_rss_kib": peak,
        }

    warm = curl(p["warmup_path"])  # also curl's own start-up CPU and memory, to subtract
    samples = []
    for _ in range(p.get("repeats", 1)):
        sample = curl(p["path"])
        sample["cpu_startup"] = warm["cpu"]
        # Start-up subtracted; a child's CPU is counted in scheduler ticks, so a difference
        # of zero or less means "too small to see" and is left out rather than shown as 0.
        upload_cpu = sample["cpu"] - warm["cpu"]
        sample["cpu"] = upload_cpu if upload_cpu > 0 else None
        samples.append(sample)
    peak = max(s["peak_rss_kib"] for s in samples)
    return {
        "samples": samples,
        "rss_after_imports_kib": warm["peak_rss_kib"],
        "peak_rss_kib": peak,
        # Sampled, so the warm-up's peak can come out a few pages above the upload's.
        "rss_growth_kib": max(0, peak - warm["peak_rss_kib"]),
        "rss_note": "curl's VmHWM sampled every 5 ms; growth over a 16 KiB upload's peak",
    }


def stage_official(p: Params) -> Result:
    """Microsoft's ``sideload.stage_image`` (it reads the whole file into memory)."""
    utils = official_client(p["address"], p["ca"])
    device = importlib.import_module("azuresphere_device_api.device")
    sideload = importlib.import_module("azuresphere_device_api.sideload")

    probe = Probe()
    path = Path(p["path"])
    device.get_device_status()
    sideload.stage_image(p["warmup_path"])
    for _ in range(p.get("repeats", 1)):
        point_official(utils, p["address"])
        started = probe.start()
        sideload.stage_image(str(path))
        probe.stop(started, bytes=path.stat().st_size)
    return probe.result()
