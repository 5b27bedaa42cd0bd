"""A factory line orchestrator: discover, check, flash, verify, finalize, report.

    python examples/factory_line.py                                  # mock boards, started here
    python examples/factory_line.py --set-mfg-state Module1Complete  # ... and move them on
    python examples/factory_line.py --dcs-url http://localhost:48938 --ca device-ca.pem \\
        --image app.imagepackage --os 24.03 --report-dir reports/

Every board goes through the same stations, all boards at once:

1. discover: the boards the Device Communication Service lists;
2. pre-check: the board is what the line expects before flashing (OS version, Blank);
3. flash: stage and install the image package, confirmed by the board;
4. verify: the readiness check again, now with the image installed and no other app;
5. finalize: move the manufacturing state forward, ONLY with --set-mfg-state (it can never be
   undone), and only on boards that passed every station;
6. report: one JSON file per board, named after its device ID.

A board that fails a station skips the later ones; the others carry on. Exit status 0 when
every board passed every station. With no --dcs-url and no --device, mock boards and a mock
Device Communication Service are started on loopback (the ``mock`` extra).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import AsyncExitStack, ExitStack
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import anyio

from azsphere_async import (
    DeviceClient,
    Fleet,
    ReadinessCriteria,
    ReadinessReport,
    check_readiness,
    inspect_image,
    list_attached_devices,
)
from azsphere_async.tls import CAInput


def parse_args() -> argparse.Namespace:
    """The line's settings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dcs-url", help="the Device Communication Service to discover boards")
    parser.add_argument("--device", action="append", default=[], help="a board, instead")
    parser.add_argument("--ca", help="PEM file of the CA the boards' certificates chain to")
    parser.add_argument("--image", type=Path, help="image package (default: the blink demo)")
    parser.add_argument("--os", action="append", default=[], help="an allowed OS version")
    parser.add_argument(
        "--set-mfg-state",
        choices=["Module1Complete", "DeviceComplete"],
        help="finally move passing boards to this state; THIS CAN NEVER BE UNDONE",
    )
    parser.add_argument("--report-dir", type=Path, default=Path("factory-reports"))
    parser.add_argument("--boards", type=int, default=4, help="mock boards when none are given")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per board and step")
    return parser.parse_args()


class Board:
    """One board's trip down the line, written out as its report."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.device_id: str | None = None
        self.stations: dict[str, dict[str, Any]] = {}
        self.failed_at: str | None = None

    def record(self, station: str, ok: bool, **details: Any) -> None:
        """Note a station's outcome; the first failure stops the board."""
        self.stations[station] = {"ok": ok, "at": datetime.now(UTC).isoformat(), **details}
        if not ok and self.failed_at is None:
            self.failed_at = station

    @property
    def ok(self) -> bool:
        """Whether the board passed every station so far."""
        return self.failed_at is None

    def report(self) -> dict[str, Any]:
        """The board's JSON report."""
        return {
            "address": self.address,
            "device_id": self.device_id,
            "passed": self.ok,
            "failed_at": self.failed_at,
            "stations": self.stations,
        }


def readiness_details(report: ReadinessReport) -> dict[str, Any]:
    """A readiness report, as the board's report keeps it."""
    return {"checks": report.to_json()["checks"]}


async def run_line(
    fleet: Fleet, boards: dict[str, Board], image: Path, args: argparse.Namespace
) -> None:
    """Take every board through the stations, all boards at once at each station."""
    package = inspect_image(image)

    def passing() -> list[str]:
        return [address for address, board in boards.items() if board.ok]

    # 2. Pre-check: the OS the line expects, and a board nobody finalized yet.
    before = ReadinessCriteria(
        os_versions=args.os,
        manufacturing_state="Blank",
        check_wifi=False,
        check_capabilities=False,
    )

    async def pre_check(device: DeviceClient) -> ReadinessReport:
        identity = await device.device.get_security_state()
        boards[device.address].device_id = identity.device_identifier
        return await check_readiness(device, before)

    for result in await fleet.run(pre_check, timeout=args.timeout):
        board = boards[result.address]
        if result.ok:
            report = result.unwrap()
            board.record("pre-check", report.ready, **readiness_details(report))
        else:
            board.record("pre-check", False, error=str(result.error))

    # 3. Flash the boards that passed.
    if passing():
        flashed = await fleet.deploy(image, only=passing(), timeout=args.timeout)
        for flash in flashed:
            if flash.ok:
                deployment = flash.unwrap()
                boards[flash.address].record(
                    "flash",
                    True,
                    component_id=deployment.package.component_id,
                    bytes_sent=deployment.staged.bytes_sent,
                    seconds=round(flash.elapsed, 3),
                    app_state=deployment.app_state.value if deployment.app_state else None,
                )
            else:
                boards[flash.address].record("flash", False, error=str(flash.error))

    # 4. Verify: the image is there, no other application is, and no Wi-Fi networks are left.
    after = ReadinessCriteria(
        os_versions=args.os, images=[package.component_id], check_capabilities=False
    )
    if passing():
        checked = await fleet.run(
            lambda device: check_readiness(device, after), only=passing(), timeout=args.timeout
        )
        for check in checked:
            if check.ok:
                verified = check.unwrap()
                boards[check.address].record(
                    "verify", verified.ready, **readiness_details(verified)
                )
            else:
                boards[check.address].record("verify", False, error=str(check.error))

    # 5. Finalize, only when told to. There is no way back from here.
    if args.set_mfg_state and passing():
        state = args.set_mfg_state
        moved = await fleet.run(
            lambda device: device.manufacturing.set_state(state, irreversible_ok=True),
            only=passing(),
            timeout=args.timeout,
        )
        for move in moved:
            error = None if move.ok else str(move.error)
            boards[move.address].record("finalize", move.ok, state=state, error=error)


def write_reports(boards: dict[str, Board], folder: Path) -> None:
    """One JSON report per board, named after its device ID (or its address)."""
    folder.mkdir(parents=True, exist_ok=True)
    for board in boards.values():
        name = (board.device_id or board.address.replace(":", "_"))[:32]
        (folder / f"{name}.json").write_text(json.dumps(board.report(), indent=2) + "\n")


async def main(args: argparse.Namespace, image: Path) -> int:
    """Discover the boards (or start mock ones), run the line, print and write the results."""
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        ca: CAInput | None = args.ca
        dcs_url: str | None = args.dcs_url
        addresses: list[str] = args.device
        if not addresses and dcs_url is None:
            from azsphere_async.mock import MockFleet  # only for the no-hardware run

            mock = await stack.enter_async_context(MockFleet(args.boards, dcs_port=0))
            assert mock.dcs is not None
            ca, dcs_url = mock.ca_pem, mock.dcs.url
            print(f"started {len(mock)} mock boards and a mock DCS at {dcs_url}")
        # 1. Discover.
        if not addresses:
            assert dcs_url is not None
            addresses = [device.address for device in await list_attached_devices(dcs_url=dcs_url)]
        print(f"{len(addresses)} boards on the line")
        boards = {address: Board(address) for address in addresses}
        async with Fleet(addresses, ca=ca) as fleet:
            await run_line(fleet, boards, image, args)
    write_reports(boards, args.report_dir)
    for board in boards.values():
        outcome = "PASS" if board.ok else f"FAIL at {board.failed_at}"
        print(f"{board.address:<22} {outcome:<20} {', '.join(board.stations)}")
    passed = sum(board.ok for board in boards.values())
    print(
        f"{passed} of {len(boards)} boards passed in {time.monotonic() - started:.1f} s; "
        f"reports in {args.report_dir}"
    )
    return 0 if passed == len(boards) else 1


if __name__ == "__main__":
    arguments = parse_args()
    with ExitStack() as files:
        blink = resources.files("azsphere_async") / "data/demo/azure_sphere_blink.imagepackage"
        package = arguments.image or files.enter_context(resources.as_file(blink))
        sys.exit(anyio.run(main, arguments, package))
