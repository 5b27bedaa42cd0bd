"""Serve a mock fleet from the command line: ``python -m azsphere_async.mock``.

::

    python -m azsphere_async.mock --devices 4 --ca-file ca.pem --addresses-file fleet.json \\
        [--dcs-port 48938 | --no-dcs] [--rest-api-version 4.6.0] [--latency-ms 50] \\
        [--link-speed 64KB/s] [--restart-downtime 2.5] [--storage-capacity 64M] [--plain-http]
    python -m azsphere_async.mock package big.imagepackage --size 6MB [--name Big]

:func:`build_parser` is the one definition of these options; ``azsphere-async mock`` hands
its arguments to :func:`cli_main` unchanged, so both commands take the same names, help and
sizes and rates (:mod:`.units`).  Once every device listens, the CA PEM and a JSON list of
``"host:port"`` addresses are written and the addresses printed; SIGINT or SIGTERM stops the
fleet and prints each device's accounting.  Programs call the same coroutine,
:func:`~.fleet_serving.serve_fleet`.  ``package`` writes a test image package of a chosen
size instead (:func:`write_test_package`).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from .config import MockDeviceConfig
from .dcs import DEFAULT_DCS_PORT
from .fleet_serving import serve_fleet
from .images import image_package_chunks
from .plug_control import PLUG_COMMANDS
from .spec import LATEST_REST_API_VERSION, parse_version
from .units import format_size, parse_rate, parse_size

__all__ = ["MAX_DEVICES", "build_parser", "cli_main", "write_test_package"]

MAX_DEVICES: Final = 253
"""Most boards one fleet serves: one loopback address each, 127.0.0.2 to 127.0.0.254."""


def _argument(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse ``type`` whose ``ValueError`` message reaches the user unchanged."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def _whole_number(low: int, high: int, what: str) -> Callable[[str], int]:
    def number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise ValueError(f"{value} is out of range: {what}")
        return value

    return number


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be zero or more, got {text!r}")
    return value


def _version(text: str) -> str:
    parse_version(text)
    return text.strip()


def build_parser(prog: str = "python -m azsphere_async.mock") -> argparse.ArgumentParser:
    """The command line that serves a mock fleet: the one definition of its options.

    ``python -m azsphere_async.mock`` and ``azsphere-async mock`` both parse with it (only
    ``prog``, the name shown in usage lines, differs).
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Serve a fleet of mock Azure Sphere boards on loopback (127.0.0.2, 127.0.0.3, ...) "
            "until Ctrl-C. Once every board listens, the CA certificate and the boards' "
            "addresses are written and printed; on the way out each board's accounting is "
            "printed."
        ),
        epilog=(
            "Sizes: 1000, 64k, 64MB, 2MiB (k, M, G are powers of 1000; Ki, Mi, Gi of 1024). "
            "Rates: bytes per second, as 500k, 64KB/s or 1.5MB/s. "
            "In another terminal: azsphere-async --devices-file ADDRESSES --ca CA status. "
            "A test image package of any size: the same command with package PATH --size 6MB"
        ),
    )
    add = parser.add_argument
    add(
        "--devices",
        type=_argument(_whole_number(1, MAX_DEVICES, f"1 to {MAX_DEVICES} boards")),
        default=1,
        metavar="N",
        help=f"how many boards, one loopback address each (1 to {MAX_DEVICES}; default 1)",
    )
    add("--ca-file", metavar="PATH", help="write the fleet's CA certificate (PEM) here")
    add(
        "--addresses-file",
        metavar="PATH",
        help='write the boards\' addresses here, a JSON list of "host:port"',
    )
    add(
        "--dcs-port",
        type=_argument(_whole_number(0, 65535, "a TCP port, 0 to 65535")),
        default=DEFAULT_DCS_PORT,
        metavar="PORT",
        help=(
            "port of the mock Device Communication Service on 127.0.0.1 "
            f"(default {DEFAULT_DCS_PORT}; 0: any free port)"
        ),
    )
    add("--no-dcs", action="store_true", help="do not start a Device Communication Service")
    add(
        "--rest-api-version",
        type=_argument(_version),
        default=LATEST_REST_API_VERSION,
        metavar="V",
        help=f"REST API version the boards speak (default {LATEST_REST_API_VERSION})",
    )
    add(
        "--latency-ms",
        type=_argument(_non_negative),
        default=0.0,
        metavar="MS",
        help="milliseconds added to every request (default 0)",
    )
    add(
        "--link-speed",
        type=_argument(parse_rate),
        default=None,
        metavar="RATE",
        help="cap each board's link, each way, e.g. 64KB/s or 1MB/s (default: no cap)",
    )
    add(
        "--restart-downtime",
        type=_argument(_non_negative),
        default=None,
        metavar="S",
        help=(
            "seconds a restarting board stays off the link "
            f"(default {MockDeviceConfig.restart_downtime})"
        ),
    )
    add(
        "--storage-capacity",
        type=_argument(parse_size),
        default=None,
        metavar="SIZE",
        help=(
            "flash for application images on each board, e.g. 64M "
            f"(default {MockDeviceConfig.storage_capacity // 2**20}MiB)"
        ),
    )
    add("--plain-http", action="store_true", help="serve plain HTTP instead of HTTPS")
    add("--unplugged", action="store_true", help="every board starts unplugged")
    add(
        "--plug-control",
        action="store_true",
        help=f"plug boards in and out with commands on standard input: {PLUG_COMMANDS}",
    )
    return parser


def cli_main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Run the command line (``argv`` without the program name); returns the exit status.

    2 for bad arguments (the message goes to stderr), 0 for ``--help`` and after a clean
    stop, 1 when the fleet cannot be served, 130 when interrupted.  ``prog`` names the
    command in usage lines (default ``python -m azsphere_async.mock``).
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["package"]:
        return _package_main(arguments[1:], prog or "python -m azsphere_async.mock")
    parser = build_parser() if prog is None else build_parser(prog)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        asyncio.run(
            serve_fleet(
                args.devices,
                args.ca_file,
                args.addresses_file,
                None if args.no_dcs else args.dcs_port,
                args.rest_api_version,
                latency_ms=args.latency_ms,
                link_speed=args.link_speed,
                restart_downtime=args.restart_downtime,
                storage_capacity=args.storage_capacity,
                plain_http=args.plain_http,
                unplugged=args.unplugged,
                plug_control=sys.stdin if args.plug_control else None,
            )
        )
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"cannot serve the mock fleet: {_os_error_text(exc)}", file=sys.stderr)
        return 1
    return 0


def _os_error_text(exc: OSError) -> str:
    if not exc.strerror:
        return str(exc)
    return exc.strerror + (f": {exc.filename}" if exc.filename else "")


def write_test_package(
    path: str | os.PathLike[str],
    size: int,
    *,
    name: str = "MockApp",
    component_id: str | None = None,
) -> str:
    """Write an application image package of exactly ``size`` bytes that mock boards accept.

    The payload is filler, streamed to the file (any size, flat memory); returns the
    package's component ID (a new random one unless ``component_id`` is given).
    """
    component = component_id or str(uuid.uuid4())
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    with partial.open("wb") as stream:
        for chunk in image_package_chunks(component, name=name, size=size):
            stream.write(chunk)
    partial.replace(target)
    return component


def _package_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{prog} package",
        description=(
            "Write a test application image package of a chosen size, for deploys to mock "
            "boards (a mock board holds "
            f"{format_size(MockDeviceConfig.storage_capacity)} of applications unless served "
            "with --storage-capacity)."
        ),
    )
    parser.add_argument("path", metavar="PATH", help="where to write the package")
    parser.add_argument(
        "--size",
        type=_argument(parse_size),
        default=16 * 1024,
        metavar="SIZE",
        help="the package's size in bytes, e.g. 64k, 6MB or 2MiB (default 16 KiB)",
    )
    parser.add_argument("--name", default="MockApp", help="the application's name")
    parser.add_argument(
        "--component-id",
        type=_argument(_uuid),
        metavar="UUID",
        help="the component ID (default: a new random one)",
    )
    return parser


def _uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ValueError(f"not a UUID: {text!r}") from None


def _package_main(argv: Sequence[str], prog: str) -> int:
    parser = _package_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        component = write_test_package(
            args.path, args.size, name=args.name, component_id=args.component_id
        )
    except (OSError, ValueError) as exc:
        text = _os_error_text(exc) if isinstance(exc, OSError) else str(exc)
        print(f"cannot write the package: {text}", file=sys.stderr)
        return 1
    size = Path(args.path).stat().st_size
    print(f"{args.path}: application {args.name}, {size} bytes, component {component}")
    return 0
