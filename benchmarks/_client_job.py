"""One client measurement, alone in its process: ``python -m benchmarks._client_job JOB PARAMS``.

``PARAMS`` is a JSON object. The job installs the loopback guard, imports what it needs, notes
its memory after the imports (the baseline), warms up (connection, first request, backends),
then times the measured work with ``time.perf_counter`` and ``resource.getrusage(RUSAGE_SELF)``
(user + system CPU of every thread of the process). It prints one line ``RESULT {json}``:

- ``samples``: one entry per timed repetition (``wall``, ``cpu`` seconds, and job details);
- ``rss_after_imports_kib``: the process's peak RSS (``VmHWM``) once its imports were done;
- ``peak_rss_kib`` / ``rss_growth_kib``: the peak at the end, and its growth over the baseline.

Every address is checked to be loopback before use, and every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib
import json
import os
import resource
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ._loopback import install_guard, require_loopback

__all__ = ["JOBS", "main"]

Params = dict[str, Any]
Result = dict[str, Any]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_kib(pid: int | str = "self") -> int:
    """The process's peak resident set (``VmHWM``), in KiB; 0 once the process is gone.

    Not ``ru_maxrss``: Linux carries a parent's peak into a child across ``fork``/``exec``, so
    a small process started by a large one reports the large one's peak.
    """
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class _Probe:
    """Baseline memory after the imports, then timed sections."""

    def __init__(self) -> None:
        self.rss_after_imports = _peak_rss_kib()
        self.samples: list[dict[str, Any]] = []

    def imports_done(self) -> None:
        self.rss_after_imports = _peak_rss_kib()

    def start(self) -> tuple[float, float]:
        return time.perf_counter(), _cpu()

    def stop(self, started: tuple[float, float], **extra: Any) -> dict[str, Any]:
        wall = time.perf_counter() - started[0]
        cpu = _cpu() - started[1]
        sample = {"wall": wall, "cpu": cpu, **extra}
        self.samples.append(sample)
        return sample

    def result(self, **extra: Any) -> Result:
        peak = _peak_rss_kib()
        return {
            "samples": self.samples,
            "rss_after_imports_kib": self.rss_after_imports,
            "peak_rss_kib": peak,
            "rss_growth_kib": peak - self.rss_after_imports,
            **extra,
        }


def _split(address: str) -> tuple[str, int]:
    host, _, port = require_loopback(address).rpartition(":")
    return host, int(port)


def _client_context(ca: str) -> ssl.SSLContext:
    """Like the library's: trust ``ca`` only, no name check (devices share a wildcard name)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["http/1.1"])
    context.load_verify_locations(cafile=ca)
    return context


# -- staging: the library --------------------------------------------------------------------


def stage_library(p: Params) -> Result:
    """``DeviceClient.sideload.stage`` (streams the file), for each chunk size x repeats."""
    require_loopback(p["address"])
    from azsphere_async import DeviceClient
    from azsphere_async.staging import StageProgress

    probe = _Probe()
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


# -- staging: a raw asyncio TLS socket (the physical limit) ----------------------------------


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    if status == 100:
        return await _read_answer(reader)
    return status, body


def stage_raw(p: Params) -> Result:
    """``PUT /update/stage`` by hand over one asyncio TLS connection, writing fixed chunks."""
    host, port = _split(p["address"])
    probe = _Probe()
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
        with open(source, "rb", buffering=0) as handle:  # noqa: ASYNC230 - the raw limit
            while data := handle.read(chunk):
                writer.write(data)
                await writer.drain()
        status, body = await _read_answer(reader)
        if status != 200:
            raise RuntimeError(f"raw PUT answered {status}: {body[:200]!r}")

    async def run() -> None:
        context = _client_context(p["ca"])
        reader, writer = await asyncio.open_connection(host, port, ssl=context)
        try:
            writer.write(f"GET /status HTTP/1.1\r\nHost: {host}\r\n\r\n".encode("ascii"))
            await _read_answer(reader)
            await put(reader, writer, p["warmup_path"])
            for _ in range(p.get("repeats", 1)):
                started = probe.start()
                await put(reader, writer, str(path))
                probe.stop(started, bytes=sizes[str(path)], chunk_size=chunk)
        finally:
            writer.close()
            await writer.wait_closed()

    asyncio.run(run())
    return probe.result()


# -- staging: curl ---------------------------------------------------------------------------


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
                peak = max(peak, _peak_rss_kib(child.pid))

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


# -- Microsoft's azuresphere-device-api ------------------------------------------------------


def _official(address: str, ca: str) -> Any:
    """Import Microsoft's client and point it at ``address`` (loopback) and the test CA.

    Its ``set_device_ip_address`` only accepts addresses other than 192.168.35.2 when the SDK
    it finds through ``AzureSphereDefaultSDKDir`` is 23.04 or later, so a stand-in SDK folder
    with a VERSION file is made for this process. The address is set, then read back through
    the client's own URL builder, before any request.
    """
    require_loopback(address)
    sdk = tempfile.mkdtemp(prefix="azsphere-sdk-")
    atexit.register(shutil.rmtree, sdk, ignore_errors=True)
    Path(sdk, "VERSION").write_text("24.03.0.0\n")
    os.environ["AzureSphereDefaultSDKDir"] = sdk  # noqa: SIM112 - the SDK's own spelling
    utils = importlib.import_module("azuresphere_device_api.utils")

    utils.set_device_ip_address(address)
    url = utils._create_url("status")
    if url != f"https://{address}/status":
        raise RuntimeError(f"the official client would call {url!r}, not {address!r}")
    # It verifies against Microsoft's device CA; the mock and the sink use a test CA.
    setattr(utils, "_CERT_PATH", Path(ca))  # noqa: B010 - a module global the client reads
    return utils


def _point_official(utils: Any, address: str) -> None:
    require_loopback(address)
    utils.set_device_ip_address(address)
    if utils._create_url("status") != f"https://{address}/status":
        raise RuntimeError(f"the official client is not pointed at {address!r}")


def stage_official(p: Params) -> Result:
    """Microsoft's ``sideload.stage_image`` (it reads the whole file into memory)."""
    utils = _official(p["address"], p["ca"])
    device = importlib.import_module("azuresphere_device_api.device")
    sideload = importlib.import_module("azuresphere_device_api.sideload")

    probe = _Probe()
    path = Path(p["path"])
    device.get_device_status()
    sideload.stage_image(p["warmup_path"])
    for _ in range(p.get("repeats", 1)):
        _point_official(utils, p["address"])
        started = probe.start()
        sideload.stage_image(str(path))
        probe.stop(started, bytes=path.stat().st_size)
    return probe.result()


# -- small requests --------------------------------------------------------------------------


def _timed_loop(
    probe: _Probe, call: Callable[[], Awaitable[object]], n: int, warmup: int, rounds: int
) -> Callable[[], Awaitable[None]]:
    async def loop() -> None:
        for _ in range(warmup):
            await call()
        for _ in range(rounds):
            started = probe.start()
            for _ in range(n):
                await call()
            probe.stop(started, requests=n)

    return loop


def get_library(p: Params) -> Result:
    """``DeviceSession.request("GET", "/status")`` on one keep-alive connection."""
    require_loopback(p["address"])
    from azsphere_async import DeviceClient
    from azsphere_async.tls import make_ssl_context

    probe = _Probe()
    context = make_ssl_context(p["ca"])

    async def run() -> None:
        async with DeviceClient(p["address"], ca=context) as dev:
            session = dev.session

            async def call() -> object:
                return await session.request("GET", "/status")

            await _timed_loop(probe, call, p["n"], p["warmup"], p.get("rounds", 1))()

    asyncio.run(run())
    return probe.result()


def get_library_typed(p: Params) -> Result:
    """``DeviceClient.device.get_status()``: the request plus JSON decoding into a model."""
    require_loopback(p["address"])
    from azsphere_async import DeviceClient
    from azsphere_async.tls import make_ssl_context

    probe = _Probe()
    context = make_ssl_context(p["ca"])

    async def run() -> None:
        async with DeviceClient(p["address"], ca=context) as dev:
            await _timed_loop(
                probe, dev.device.get_status, p["n"], p["warmup"], p.get("rounds", 1)
            )()

    asyncio.run(run())
    return probe.result()


def get_httpx(p: Params) -> Result:
    """Bare ``httpx.AsyncClient`` (the library's SSL context, one connection) doing the same GET."""
    host, port = _split(p["address"])
    import httpx

    from azsphere_async.tls import make_ssl_context

    probe = _Probe()
    context = make_ssl_context(p["ca"])

    async def run() -> None:
        async with httpx.AsyncClient(
            base_url=f"https://{host}:{port}",
            verify=context,
            http1=True,
            http2=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        ) as client:

            async def call() -> object:
                response = await client.get("/status")
                response.raise_for_status()
                return response.content

            await _timed_loop(probe, call, p["n"], p["warmup"], p.get("rounds", 1))()

    asyncio.run(run())
    return probe.result()


def get_raw(p: Params) -> Result:
    """The same GET written and parsed by hand on an asyncio TLS stream (the floor)."""
    host, port = _split(p["address"])
    probe = _Probe()
    request = f"GET /status HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode()

    async def run() -> None:
        reader, writer = await asyncio.open_connection(host, port, ssl=_client_context(p["ca"]))

        async def call() -> object:
            writer.write(request)
            status, body = await _read_answer(reader)
            if status != 200:
                raise RuntimeError(f"GET /status answered {status}")
            return body

        try:
            await _timed_loop(probe, call, p["n"], p["warmup"], p.get("rounds", 1))()
        finally:
            writer.close()
            await writer.wait_closed()

    asyncio.run(run())
    return probe.result()


def get_official(p: Params) -> Result:
    """Microsoft's ``device.get_device_status()`` in a loop (requests, keep-alive)."""
    utils = _official(p["address"], p["ca"])
    device = importlib.import_module("azuresphere_device_api.device")

    probe = _Probe()
    for _ in range(p["warmup"]):
        device.get_device_status()
    for _ in range(p.get("rounds", 1)):
        _point_official(utils, p["address"])
        started = probe.start()
        for _ in range(p["n"]):
            device.get_device_status()
        probe.stop(started, requests=p["n"])
    return probe.result()


# -- fan-out ---------------------------------------------------------------------------------


def sweep_library(p: Params) -> Result:
    """Status sweeps over a fleet: ``Fleet.run`` (all at once) or one board after another."""
    addresses: list[str] = [require_loopback(a) for a in p["addresses"]]
    from azsphere_async import DeviceClient, Fleet

    probe = _Probe()
    sequential: bool = p.get("sequential", False)

    async def status(device: DeviceClient) -> object:
        return await device.device.get_status()

    async def run() -> None:
        async with Fleet(addresses, ca=p["ca"], timeout=30) as fleet:

            async def concurrent() -> int:
                results = await fleet.run(status, timeout=30)
                failed = [r for r in results if not r.ok]
                if failed:
                    raise RuntimeError(f"{len(failed)} boards failed: {failed[0].error!r}")
                return len(results)

            async def one_by_one() -> int:
                for address in addresses:
                    await status(fleet.client(address))
                return len(addresses)

            # Warm-up: every connection opened (concurrently, whatever is measured next).
            for _ in range(p.get("warmup", 1)):
                await concurrent()
            for _ in range(p["sweeps"]):
                started = probe.start()
                answered = await (one_by_one() if sequential else concurrent())
                probe.stop(started, boards=answered)

    asyncio.run(run())
    return probe.result()


def sweep_official(p: Params) -> Result:
    """The same sweep with Microsoft's client: set the global address, ask, next board."""
    addresses: list[str] = [require_loopback(a) for a in p["addresses"]]
    utils = _official(addresses[0], p["ca"])
    device = importlib.import_module("azuresphere_device_api.device")

    probe = _Probe()

    def sweep() -> int:
        for address in addresses:
            _point_official(utils, address)
            device.get_device_status()
        return len(addresses)

    for _ in range(p.get("warmup", 1)):
        sweep()
    for _ in range(p["sweeps"]):
        started = probe.start()
        answered = sweep()
        probe.stop(started, boards=answered)
    return probe.result()


# -- deploying to a fleet --------------------------------------------------------------------


def deploy_library(p: Params) -> Result:
    """``Fleet.deploy`` of one image to every board at once, several times in one process.

    ``runs`` lists, per deploy, whether a progress callback is given (e.g. ``[true, false,
    false, true]``: adjacent pairs, so that drift affects both halves of a pair alike). A
    warm-up deploy of ``warmup_image`` (with a callback) comes first. Each timed deploy is
    one sample, with the number of callbacks, the time spent inside them, and when each
    board's last progress report came.
    """
    addresses: list[str] = [require_loopback(a) for a in p["addresses"]]
    from azsphere_async import DeviceClient, Fleet
    from azsphere_async.staging import StageProgress

    probe = _Probe()
    image = p["image"]
    size = Path(image).stat().st_size
    calls = 0
    inside = 0.0
    last: dict[str, StageProgress] = {}

    def on_progress(address: str, update: StageProgress) -> None:
        nonlocal calls, inside
        entered = time.perf_counter()
        calls += 1
        last[address] = update
        inside += time.perf_counter() - entered

    async def run() -> None:
        async with Fleet(addresses, ca=p["ca"], timeout=p.get("timeout", 120)) as fleet:

            async def warm(device: DeviceClient) -> object:
                return await device.device.get_status()

            await fleet.run(warm)
            warmed = await fleet.deploy(p["warmup_image"], progress=on_progress)
            if not all(r.ok for r in warmed):
                raise RuntimeError(f"warm-up deploy failed: {warmed[0].error!r}")
            for with_progress in p["runs"]:
                nonlocal calls, inside
                calls, inside = 0, 0.0
                last.clear()
                started = probe.start()
                results = await fleet.deploy(
                    image, progress=on_progress if with_progress else None, timeout=p["timeout"]
                )
                failed = [r for r in results if not r.ok]
                probe.stop(
                    started,
                    progress=with_progress,
                    boards=len(results),
                    failed=len(failed),
                    bytes=size * (len(results) - len(failed)),
                    board_seconds=[r.elapsed for r in results],
                    progress_calls=calls,
                    progress_callback_seconds=inside,
                    stage_seconds=[u.elapsed for u in last.values()],
                )
                if failed:
                    raise RuntimeError(f"{len(failed)} boards failed: {failed[0].error!r}")

    asyncio.run(run())
    return probe.result()


JOBS: dict[str, Callable[[Params], Result]] = {
    "stage_library": stage_library,
    "stage_raw": stage_raw,
    "stage_curl": stage_curl,
    "stage_official": stage_official,
    "get_library": get_library,
    "get_library_typed": get_library_typed,
    "get_httpx": get_httpx,
    "get_raw": get_raw,
    "get_official": get_official,
    "sweep_library": sweep_library,
    "sweep_official": sweep_official,
    "deploy_library": deploy_library,
}


def main(argv: list[str] | None = None) -> None:
    """Run the job named in ``argv[0]`` with the JSON parameters in ``argv[1]``."""
    install_guard()
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in JOBS:
        raise SystemExit(f"usage: python -m benchmarks._client_job {{{','.join(JOBS)}}} PARAMS")
    result = JOBS[args[0]](json.loads(args[1]))
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
