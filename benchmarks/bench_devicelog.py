"""Benchmark 5: CPU to decode a board's 64 KiB diagnostic log.

Two full 64 KiB rings, each written until it has wrapped (so the oldest bank is in the middle
and every bank is full), by the mock's own encoder (``azsphere_async.mock.devicelog``):

- the **mock log**: the mock's own events (boots, interfaces, Wi-Fi, staging, installs,
  application starts and stops, refused requests) with the mock's manifest (28 messages);
- a **release-sized** log: 1,024 invented messages in 32 categories whose parameter types are
  mixed like a real release's (mostly integers and error codes, then strings, unsigned
  integers, GUIDs, IPv4 addresses), decoded with that invented manifest.

Each figure is the CPU time (``time.thread_time``) of one call in this process, repeated; the
tables give min, median and max. Baselines in the same run: the same log without a manifest
(structure only), and the floor, a bare loop over the record headers that builds nothing.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from azsphere_async.devicelog import DecodedLog, Manifest, ManifestStore, decode_log
from azsphere_async.devicelog.layout import BANK_SIZE, HEADER, LAST_RECORD_START
from azsphere_async.devicelog.manifest import manifest_from_json
from azsphere_async.mock.devicelog import MANIFEST_DIR, MOCK_RELEASE, LogRing, mock_messages

from .context import Context, KiB
from .results import BenchResult, Table, Target, median

__all__ = ["run"]

LOG_SIZE = 64 * KiB
# Shares of each parameter type among a real release's parameters (22.07 to 24.06 all alike).
KIND_WEIGHTS = {"int": 40, "error": 29, "str": 16, "uint": 10, "guid": 4, "ipv4": 3}


def _value(kind: str, rng: random.Random) -> str | int:
    if kind == "str":
        return "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz_/") for _ in range(rng.randint(4, 24))
        )
    if kind == "int":
        return rng.randint(-(2**31), 2**31 - 1)
    if kind in ("uint", "error"):
        return rng.randint(0, 2**32 - 1)
    if kind == "ipv4":
        return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return str(uuid.UUID(int=rng.getrandbits(128)))


def mock_log(seed: int = 5) -> bytes:
    """The mock's events, over and over, until the 64 KiB ring has wrapped."""
    rng = random.Random(seed)
    log = LogRing(LOG_SIZE)
    app = "2f074b0f-d99d-4692-82d9-ef93a7d6463c"
    image = "b2b4d3e6-1c67-4a44-a5a5-0b1c8d3f4e21"
    uptime = 0
    while log.records < 2 * LOG_SIZE // 28:

        def event(category: str, message: str, *values: str | int) -> None:
            nonlocal uptime
            uptime += rng.randint(3, 900)
            log.write(uptime, category, message, *values)

        uptime = rng.randint(900, 1500)
        event("boot", "Booted", MOCK_RELEASE, rng.choice(["power on", "restart requested"]))
        event("boot", "ClockStarted", 2000)
        for interface, address in (("azspheresvc", "192.168.35.2"), ("wlan0", "192.168.1.50")):
            event("network", "InterfaceUp", interface)
            event("network", "AddressAssigned", interface, address)
        event("wifi", "ConnectFailed", 1, "NetworkNotFound")
        event("wifi", "Connected", 0, "factory-line")
        for _ in range(rng.randint(10, 40)):
            event("appman", "AppStarted", app, rng.randint(100, 999))
            event("update", "ImageStaged", app, image, rng.randint(10_000, 900_000))
            event("update", "InstallStarted", 1)
            event("appman", "AppStopped", app, 0)
            event("update", "ImageInstalled", app, image)
            event("rest", "RequestRefused", "PUT", "/update/stage", 409, 7 << 20 | 39)
        event("boot", "RestartRequested")
    return log.contents()


def release_sized(seed: int = 11) -> tuple[Manifest, bytes]:
    """An invented manifest of 1,024 messages, and a wrapped 64 KiB log of them."""
    rng = random.Random(seed)
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    categories: dict[str, Any] = {}
    for category in range(2, 34):
        messages = {}
        for message in range(1, 33):
            params = [
                [f"p{i}", k] for i, k in enumerate(rng.choices(kinds, weights, k=rng.randint(0, 4)))
            ]
            text = f"Invented message {message} of category {category}"
            messages[str(message)] = [f"M{message}", "Info", text, params]
        categories[str(category)] = {"name": f"component{category}", "messages": messages}
    errors = {
        str(c): {
            "name": f"Error{c}",
            "codes": {str(n): [f"E{n}", f"error {n}"] for n in range(1, 30)},
        }
        for c in range(1, 40)
    }
    document = {
        "format": "azsphere-async device log manifest",
        "version": 1,
        "release": "99.01",
        "source": "benchmark",
        "categories": categories,
        "errors": errors,
    }
    encoder = mock_messages(document)
    names = list(encoder)
    log = LogRing(LOG_SIZE, encoder)
    uptime = 0
    while log.records < 2 * LOG_SIZE // 20:
        name = rng.choice(names)
        uptime += rng.randint(1, 500)
        log.write(uptime, *name, *(_value(k, rng) for k in encoder[name].kinds))
    return manifest_from_json(document), log.contents()


def header_walk(data: bytes) -> int:
    """The floor: every record's header read, nothing built."""
    count = 0
    unpack = HEADER.unpack_from
    for start in range(0, len(data), BANK_SIZE):
        pos, last = start, start + LAST_RECORD_START
        while pos < last:
            length = unpack(data, pos)[0]
            if length == 0xFFFF or length < 12:
                break
            count += 1
            pos += length
    return count


def _cpu_ms(call: Callable[[], object], runs: int) -> list[float]:
    call()
    samples = []
    for _ in range(runs):
        started = time.thread_time()
        call()
        samples.append((time.thread_time() - started) * 1000)
    return samples


def run(ctx: Context) -> BenchResult:
    """Measure decode CPU of both logs, with and without rendering, against the baselines."""
    runs: int = ctx.pick(5, 15, 40)
    store_manifest = ManifestStore(MANIFEST_DIR).load(MOCK_RELEASE)
    mock = mock_log()
    big_manifest, big = release_sized()
    result = BenchResult(
        name="devicelog",
        title="5. Diagnostic log: CPU to decode a 64 KiB log",
        mode=ctx.mode,
        description=(
            f"`decode_log` of two wrapped 64 KiB rings, {runs} timed calls each after one "
            "warm-up, CPU time of the calling thread (`time.thread_time`). Baselines: the same "
            "log without a manifest, and a bare loop over the record headers."
        ),
    )
    cases: list[tuple[str, str, Callable[[], object]]] = [
        ("mock log", "decode", lambda: decode_log(mock, store_manifest)),
        ("mock log", "decode + text lines", lambda: list(decode_log(mock, store_manifest).lines())),
        ("mock log", "decode + JSON", lambda: decode_log(mock, store_manifest).to_json()),
        ("mock log", "decode, no manifest", lambda: decode_log(mock)),
        ("mock log", "header walk (floor)", lambda: header_walk(mock)),
        ("release-sized", "decode", lambda: decode_log(big, big_manifest)),
        (
            "release-sized",
            "decode + text lines",
            lambda: list(decode_log(big, big_manifest).lines()),
        ),
        ("release-sized", "decode, no manifest", lambda: decode_log(big)),
        ("release-sized", "header walk (floor)", lambda: header_walk(big)),
    ]
    decoded: dict[str, DecodedLog] = {
        "mock log": decode_log(mock, store_manifest),
        "release-sized": decode_log(big, big_manifest),
    }
    rows: list[dict[str, Any]] = []
    samples: dict[str, list[float]] = {}
    for log_name, what, call in cases:
        ctx.log(f"devicelog: {log_name}, {what}")
        times = _cpu_ms(call, runs)
        samples[f"{log_name}: {what}"] = times
        records = len(decoded[log_name].records)
        rows.append(
            {
                "log": log_name,
                "what": what,
                "records": records,
                "min_ms": min(times),
                "median_ms": median(times),
                "max_ms": max(times),
                "us_per_record": median(times) * 1000 / records,
            }
        )
    result.tables.append(
        Table(
            f"CPU per call (ms) over {runs} calls; 64 KiB logs",
            [
                ("log", "log"),
                ("what", "call"),
                ("records", "records"),
                ("min_ms", "min ms"),
                ("median_ms", "median ms"),
                ("max_ms", "max ms"),
                ("us_per_record", "us/record (median)"),
            ],
            rows,
        )
    )
    for log_name in decoded:
        row = next(r for r in rows if r["log"] == log_name and r["what"] == "decode")
        result.targets.append(
            Target(
                f"decode 64 KiB, {log_name}",
                "median CPU well under 50 ms",
                row["median_ms"],
                50.0,
                higher_is_better=False,
                unit="ms",
            )
        )
    for name, log in decoded.items():
        if not log.complete or log.records[0].category is None:
            result.notes.append(f"the {name} did not decode cleanly: {log.problems[:3]}")
    result.data["samples_ms"] = samples
    result.data["log_bytes"] = {"mock log": len(mock), "release-sized": len(big)}
    return result
