"""Serving a mock fleet until it is stopped: :func:`serve_fleet`, as the command line runs it.

It starts the boards (and the Device Communication Service), writes the CA certificate and
the boards' addresses, prints a banner, waits for a signal, a ``stop`` event or
cancellation (reading plug commands meanwhile, if asked), then prints each board's
accounting.  :mod:`.cli` parses the command line and calls it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import anyio

from .config import MockDeviceConfig
from .dcs import DEFAULT_DCS_PORT
from .plug_control import PLUG_COMMANDS, read_plug_commands
from .server import MockFleet
from .spec import LATEST_REST_API_VERSION, parse_version
from .units import format_size

__all__ = ["serve_fleet"]


async def serve_fleet(
    devices: int = 1,
    ca_file: str | os.PathLike[str] | None = None,
    addresses_file: str | os.PathLike[str] | None = None,
    dcs_port: int | None = DEFAULT_DCS_PORT,
    rest_api_version: str = LATEST_REST_API_VERSION,
    *,
    latency_ms: float = 0.0,
    link_speed: float | None = None,
    restart_downtime: float | None = None,
    storage_capacity: int | None = None,
    plain_http: bool = False,
    config: MockDeviceConfig | None = None,
    stop: anyio.Event | None = None,
    on_ready: Callable[[MockFleet], object] | None = None,
    out: TextIO | None = None,
    handle_signals: bool = True,
    unplugged: bool = False,
    plug_control: TextIO | None = None,
) -> dict[str, dict[str, Any]]:
    """Serve ``devices`` mock devices until ``stop`` is set, a signal comes, or cancellation.

    Writes the CA PEM to ``ca_file`` and the JSON list of ``"host:port"`` addresses to
    ``addresses_file`` once every device listens, prints them, calls ``on_ready``; on the way
    out prints each device's accounting and returns it (by address, as
    :meth:`DeviceStats.as_dict`).

    ``dcs_port``: ``None`` serves no DCS, ``0`` a port the OS chooses.  ``link_speed``: bytes/s
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
    fleet = MockFleet(devices, base, tls=not plain_http, dcs_port=dcs_port, plugged=not unplugged)
    removers: list[Callable[[], object]] = []
    started = False
    try:
        try:
            await fleet.start()
        except OSError as exc:
            # The boards take ports the OS chooses; a fixed port that is taken is the service's.
            if exc.errno == errno.EADDRINUSE and dcs_port:
                raise OSError(
                    exc.errno,
                    f"port {dcs_port} on 127.0.0.1, for the mock Device Communication Service, "
                    "is already in use (another mock fleet, or Microsoft's service?); "
                    "choose another with --dcs-port PORT, any free port with --dcs-port 0, "
                    "or no service with --no-dcs",
                ) from exc
            raise
        started = True
        for device in fleet:
            device.link.set(latency_ms=latency_ms, bandwidth=link_speed)
        await anyio.to_thread.run_sync(_write_files, fleet, ca_file, addresses_file)
        scheme = "http" if plain_http else "https"
        print(f"mock fleet: {len(fleet)} device(s), REST API {rest_api_version}", file=out)
        print(f"  each: {_board_limits(base, latency_ms, link_speed)}", file=out)
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
        if plug_control is not None:
            print(f"plug control on standard input: {PLUG_COMMANDS}", file=out, flush=True)
            async with anyio.create_task_group() as group:
                group.start_soon(read_plug_commands, fleet, plug_control, out)
                await stop.wait()
                group.cancel_scope.cancel()
        else:
            await stop.wait()
    finally:
        for remove in removers:
            remove()
        with anyio.CancelScope(shield=True):
            await fleet.stop()
        accounting = {device.address: device.stats.as_dict() for device in fleet}
        if started:
            print("accounting:", file=out)
            for device in fleet:
                print(f"  {device.address}: {device.stats.summary()}", file=out)
            out.flush()
    return accounting


def _board_limits(config: MockDeviceConfig, latency_ms: float, link_speed: float | None) -> str:
    """What one board holds and how fast it talks, for the banner."""
    link = "no cap" if link_speed is None else f"{format_size(link_speed)}/s each way"
    return (
        f"{format_size(config.storage_capacity)} of flash for applications "
        f"(--storage-capacity), link {link}, {latency_ms:g} ms latency"
    )


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
