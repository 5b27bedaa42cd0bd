"""``python -m azsphere_async.devicelog``: import manifests, list them, decode a saved log.

- ``import SOURCE [--to DIR] [--release R ...]``: convert Microsoft's ParseDeviceLog folder (a
  checkout of Azure/azure-sphere-tools) into our manifest files, one per release.
- ``releases [--manifests DIR]``: the releases the decoder can use, and where it looks.
- ``decode FILE [--os-version V] [--manifests DIR] [--json] [--since-boot] [--priority P]``: a
  log saved from a board (``GET /log``, or ``AzureSphere_DeviceLog_nnn.bin`` from
  ``azsphere get-support-data``) as text or JSON.

Exit status: 0 on success, 1 when a manifest cannot be imported or a file read, 2 for bad
options.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .convert import import_manifests
from .layout import Priority
from .manifest import ManifestError
from .store import MANIFESTS_VARIABLE, ManifestStore

__all__ = ["main"]


def _priority(text: str) -> Priority:
    try:
        return Priority.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m azsphere_async.devicelog",
        description="Azure Sphere diagnostic logs: import manifests, decode saved logs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser(
        "import",
        help="convert Microsoft's ParseDeviceLog manifests into ours",
        description=(
            "Convert every release in a checkout of Azure/azure-sphere-tools (or its "
            "ParseDeviceLog folder) into one manifest file per release."
        ),
    )
    imp.add_argument("source", type=Path, help="the checkout or its ParseDeviceLog folder")
    imp.add_argument(
        "--to", type=Path, default=None, help="where to write (default: the user data directory)"
    )
    imp.add_argument(
        "--release", action="append", default=[], help="only this release (repeatable)"
    )
    imp.add_argument("--plain", action="store_true", help="write .json instead of .json.gz")
    rel = commands.add_parser("releases", help="list the manifests the decoder would use")
    dec = commands.add_parser("decode", help="decode a saved log file")
    dec.add_argument("file", type=Path, help="the log's bytes, as the board sent them")
    dec.add_argument("--os-version", default=None, help="the board's OS release, e.g. 24.03")
    dec.add_argument("--json", action="store_true", help="JSON instead of text")
    dec.add_argument("--since-boot", action="store_true", help="only the last boot's records")
    dec.add_argument(
        "--priority",
        type=_priority,
        default=None,
        help="only this priority or more severe (Fatal, Error, Warning, Info, Debug, Trace)",
    )
    for sub in (rel, dec):
        sub.add_argument(
            "--manifests",
            type=Path,
            default=None,
            help=f"manifest directory (default: ${MANIFESTS_VARIABLE}, else the user data one)",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "import":
            return _import(args)
        if args.command == "releases":
            return _releases(ManifestStore(args.manifests))
        return _decode(args)
    except ManifestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (``decode ... | head``): what it wanted was printed. Point
        # stdout at /dev/null so that the flush at exit does not complain again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        return 0


def _import(args: argparse.Namespace) -> int:
    written = import_manifests(args.source, args.to, releases=args.release, gz=not args.plain)
    for item in written:
        print(
            f"{item.release}: {item.categories} categories, {item.messages} messages, "
            f"{item.error_codes} error codes, {item.size} bytes -> {item.path}"
        )
    if written:
        print(f"{len(written)} release(s) in {written[0].path.parent}")
    return 0


def _releases(store: ManifestStore) -> int:
    print(f"manifest directory: {store.directory} ({store.origin})")
    found = store.releases()
    if not found:
        print("no manifests; import them with: python -m azsphere_async.devicelog import PATH")
    for release, path in found.items():
        print(f"{release}\t{path.name}")
    return 0


def _decode(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    log = ManifestStore(args.manifests).decode(data, args.os_version)
    log = log.filtered(since_boot=args.since_boot, priority=args.priority)
    if args.json:
        json.dump(log.to_json(), sys.stdout, indent=2)
        print()
    else:
        for line in log.lines():
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
