"""Serve a mock fleet from the command line: ``python -m azsphere_async.mock``.

::

    python -m azsphere_async.mock --devices 4 --ca-file ca.pem --addresses-file fleet.json \\
        [--dcs-port 48938] [--rest-api-version 4.6.0] [--latency-ms 50] [--bandwidth 1M] \\
        [--restart-downtime 2.5] [--storage-capacity 64M] [--plain-http]

Once every device listens, the CA PEM and a JSON list of ``"host:port"`` addresses are written
and the addresses printed; SIGINT or SIGTERM stops the fleet and prints each device's
accounting.  Other command lines call the same coroutine, :func:`serve_fleet`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import anyio

from .config import MockDeviceConfig
from .dcs import DEFAULT_DCS_PORT
from .server import MockFleet
from .spec import parse_version

__all__ = ["cli_main", "parse_rate", "parse_size", "serve_fleet"]

_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "ki": 2**10, "mi": 2**20, "gi": 2**30}


def parse_size(text: str) -> int:
    """Parse ``1000``, ``64k``, ``1M``, ``2MiB``, ``1.5G`` into bytes."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmg]i?)?b?\s*", text, re.IGNORECASE)
    if match is None:
        raise ValueError(f"not a size: {text!r}")
    return int(float(match[1]) * _UNITS[(match[2] or "").lower()])


def parse_rate(text: str) -> float:
    """Parse a rate in bytes per second, like ``500k``, ``1M/s`` or ``2MiB/s``."""
    return float(parse_size(re.sub(r"(?i)/s$", "", text.strip())))


async def serve_fleet(
    devices: int = 1,
    ca_file: str | os.PathLike[str] | None = None,
    addresses_file: str | os.PathLike[str] | None = None,
    dcs_port: int | None = DEFAULT_DCS_PORT,
    rest_api_version: str = "4.6.0",
    *,
    latency_ms: float = 0.0,
    bandwidth: float | None = None,
    restart_downtime: float | None = None,
    storage_capacity: int | None = None,
    plain_http: bool = False,
    config: MockDeviceConfig | None = None,
    stop: anyio.Event | None = None,
    on_ready: Callable[[MockFleet], object] | None = None,
    out: TextIO | None = None,
    handle_signals: bool = True,
) -> dict[str, dict[str, Any]]:
    """Serve ``devices`` mock devices until ``stop`` is set, a signal comes, or cancellation.

    Writes the CA PEM to ``ca_file`` and the JSON list of ``"host:port"`` addresses to
    ``addresses_file`` once every device listens, prints them, calls ``on_ready``; on the way
    out prints each device's accounting and returns it (by address, as
    :meth:`DeviceStats.as_dict`).

    ``dcs_port``: ``None`` serves no DCS, ``0`` a port the OS chooses.  ``bandwidth``: bytes/s
    each way (``None``: unlimited).  ``restart_downtime`` and ``storage_capacity``: ``None``
    keeps the config's default (2.5 s, 1 MiB).  ``config`` is the base configuration that the
    arguments above override.  ``stop``: set it to stop (else it runs until cancelled).
    ``out``: where to print (default stdout).  ``handle_signals``: SIGINT/SIGTERM stop it.
    """
    out = out if out is not None else sys.stdout
    parse_version(rest_api_version)
    changes: dict[str, Any] = {"rest_api_version": rest_api_version}
    if restart_downtime is not None:
        changes["restart_downtime"] = restart_downtime
    if storage_capacity is not None:
        changes["storage_capacity"] = storage_capacity
    base = dataclasses.replace(config or MockDeviceConfig(), **changes)
    stop = stop if stop is not None else anyio.Event()
    fleet = MockFleet(devices, base, tls=not plain_http, dcs_port=dcs_port)
    removers: list[Callable[[], object]] = []
    try:
        await fleet.start()
        for device in fleet:
            device.link.set(latency_ms=latency_ms, bandwidth=bandwidth)
        await anyio.to_thread.run_sync(_write_files, fleet, ca_file, addresses_file)
        scheme = "http" if plain_http else "https"
        print(f"mock fleet: {len(fleet)} device(s), REST API {rest_api_version}", file=out)
        for device in fleet:
            print(f"  {scheme}://{device.address}  {device.state.device_id[:16]}...", file=out)
        if ca_file is not None:
            print(f"CA certificate: {ca_file}", file=out)
        if fleet.dcs is not None:
            print(f"Device Communication Service: {fleet.dcs.url}", file=out)
        out.flush()
        if handle_signals:
            removers = _install_signal_handlers(stop)
        if on_ready is not None:
            on_ready(fleet)
        await stop.wait()
    finally:
        for remove in removers:
            remove()
        with anyio.CancelScope(shield=True):
            await fleet.stop()
        accounting = {device.address: device.stats.as_dict() for device in fleet}
        print("accounting:", file=out)
        for device in fleet:
            print(f"  {device.address}: {device.stats.summary()}", file=out)
        out.flush()
    return accounting


def _write_files(
    fleet: MockFleet,
    ca_file: str | os.PathLike[str] | None,
    addresses_file: str | os.PathLike[str] | None,
) -> None:
    if ca_file is not None:
        fleet.write_ca(ca_file)
    if addresses_file is not None:
        # Written whole then renamed, so a reader never sees half a list.
        target = Path(addresses_file)
        partial = target.with_name(target.name + ".partial")
        partial.write_text(json.dumps(fleet.addresses) + "\n", encoding="utf-8")
        partial.replace(target)


def _install_signal_handlers(stop: anyio.Event) -> list[Callable[[], object]]:
    if threading.current_thread() is not threading.main_thread():
        return []
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return []
    removers: list[Callable[[], object]] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        removers.append(functools.partial(loop.remove_signal_handler, signum))
    return removers


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m azsphere_async.mock",
        description="Serve a fleet of mock Azure Sphere devices on loopback until interrupted.",
    )
    parser.add_argument("--devices", type=int, default=1, help="number of devices (default 1)")
    parser.add_argument("--ca-file", help="write the CA certificate (PEM) here")
    parser.add_argument("--addresses-file", help='write a JSON list of "host:port" here')
    parser.add_argument(
        "--dcs-port",
        type=int,
        default=DEFAULT_DCS_PORT,
        help="Device Communication Service port (default 48938, 0: any free port)",
    )
    parser.add_argument("--no-dcs", action="store_true", help="do not start the DCS")
    parser.add_argument("--rest-api-version", default="4.6.0", help="default 4.6.0")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added per request")
    parser.add_argument(
        "--bandwidth", type=parse_rate, default=None, help="bytes/s each way, e.g. 500k or 1M"
    )
    parser.add_argument("--restart-downtime", type=float, default=None, help="seconds")
    parser.add_argument("--storage-capacity", type=parse_size, default=None, help="e.g. 64M")
    parser.add_argument("--plain-http", action="store_true", help="serve HTTP without TLS")
    return parser


def cli_main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (``argv`` without the program name); returns the exit status."""
    args = _parser().parse_args(argv)
    if args.devices < 1:
        print("--devices must be at least 1", file=sys.stderr)
        return 2
    try:
        parse_version(args.rest_api_version)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        asyncio.run(
            serve_fleet(
                args.devices,
                args.ca_file,
                args.addresses_file,
                None if args.no_dcs else args.dcs_port,
                args.rest_api_version,
                latency_ms=args.latency_ms,
                bandwidth=args.bandwidth,
                restart_downtime=args.restart_downtime,
                storage_capacity=args.storage_capacity,
                plain_http=args.plain_http,
            )
        )
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"cannot serve: {exc}", file=sys.stderr)
        return 1
    return 0
