"""A factory line on a recipe: every board brought to the line's recipe at once, a report each.

    python examples/factory_line.py                                  # mock boards, started here
    python examples/factory_line.py --finalize Module1Complete       # ... and move them on
    LINE_WIFI_KEY=... python examples/factory_line.py --recipe line.toml \\
        --dcs-url http://localhost:48938 --ca device-ca.pem --report-dir reports/

The recipe (``examples/line.toml`` by default) says what a board leaves with. All boards are
planned at once; a board with something no action can fix (the wrong OS, say) is set aside
untouched; the others get ``apply``: what they lack is installed and configured, and what was
there already is never sent again. ``--finalize STATE`` adds the final manufacturing state,
moved last on boards otherwise as the recipe says. THIS CAN NEVER BE UNDONE. Each board's
report is a JSON file named after its device ID. Exit status 0 when every board passed.
With no --dcs-url and no --device, mock boards and a mock Device Communication Service are
started on loopback (the ``mock`` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import attrs

from azsphere_async import (
    DeviceClient,
    Fleet,
    PreparedRecipe,
    RecipeError,
    apply,
    list_attached_devices,
    load_recipe,
    prepare_recipe,
)
from azsphere_async.tls import CAInput

HERE = Path(__file__).resolve().parent


def parse_args() -> argparse.Namespace:
    """The line's settings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", type=Path, default=HERE / "line.toml")
    parser.add_argument("--dcs-url", help="the Device Communication Service to discover boards")
    parser.add_argument("--device", action="append", default=[], help="a board, instead")
    parser.add_argument("--ca", help="PEM file of the CA the boards' certificates chain to")
    parser.add_argument(
        "--os", action="append", help="allowed OS versions, instead of the recipe's"
    )
    parser.add_argument(
        "--finalize",
        choices=["Module1Complete", "DeviceComplete"],
        help="finally move passing boards to this state; THIS CAN NEVER BE UNDONE",
    )
    parser.add_argument("--report-dir", type=Path, default=Path("factory-reports"))
    parser.add_argument("--boards", type=int, default=4, help="mock boards when none are given")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per board")
    return parser.parse_args()


def line_recipe(args: argparse.Namespace) -> PreparedRecipe:
    """The recipe with the command line's changes, its files and secrets read once."""
    recipe = load_recipe(args.recipe)
    if args.os:
        recipe = attrs.evolve(recipe, os_versions=args.os)
    if args.finalize:
        recipe = attrs.evolve(recipe, manufacturing_state=args.finalize)
    return prepare_recipe(recipe)


async def station(client: DeviceClient, recipe: PreparedRecipe, finalize: bool) -> dict[str, Any]:
    """One board's trip through the station, as its report."""
    identity = await client.device.get_security_state()
    result = await apply(client, recipe, irreversible_ok=finalize)
    return {"device_id": identity.device_identifier, "passed": result.ok, **result.to_json()}


async def run_line(args: argparse.Namespace, recipe: PreparedRecipe, stack: AsyncExitStack) -> int:
    """Find the boards, set aside those no action can fix, apply the recipe to the others."""
    ca: CAInput | None = args.ca
    addresses: list[str] = args.device
    if not addresses and args.dcs_url is None:
        from azsphere_async.mock import MockFleet  # only for the no-hardware run

        mock = await stack.enter_async_context(MockFleet(args.boards, dcs_port=0))
        assert mock.dcs is not None
        ca, args.dcs_url = mock.ca_pem, mock.dcs.url
        print(f"started {len(mock)} mock boards and a mock DCS at {args.dcs_url}")
    if not addresses:
        addresses = [d.address for d in await list_attached_devices(dcs_url=args.dcs_url)]
    print(f"{len(addresses)} boards on the line")
    reports: dict[str, dict[str, Any]] = {}
    fleet = await stack.enter_async_context(Fleet(addresses, ca=ca))
    for planned in await fleet.plan(recipe, timeout=args.timeout):
        if not planned.ok or planned.unwrap().problems:
            why = str(planned.error) if planned.error else planned.unwrap().to_json()["problems"]
            reports[planned.address] = {
                "address": planned.address,
                "passed": False,
                "set_aside": why,
            }
    good = [a for a in addresses if a not in reports]

    async def one(client: DeviceClient) -> dict[str, Any]:
        return await station(client, recipe, finalize=args.finalize is not None)

    if good:
        async with fleet.as_completed(one, only=good, timeout=args.timeout) as finished:
            async for result in finished:
                report = result.value or {"passed": False, "error": str(result.error)}
                reports[result.address] = {"address": result.address, **report}
                print(f"{result.address:<22} {'PASS' if report['passed'] else 'FAIL'}")
    args.report_dir.mkdir(parents=True, exist_ok=True)
    for address, report in reports.items():
        name = (report.get("device_id") or address.replace(":", "_"))[:32]
        (args.report_dir / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    passed = sum(report["passed"] for report in reports.values())
    print(f"{passed} of {len(addresses)} boards passed; reports in {args.report_dir}")
    return 0 if passed == len(addresses) else 1


async def main(args: argparse.Namespace) -> int:
    """Read the recipe before any board is contacted, then run the line."""
    if args.device == [] and args.dcs_url is None:
        os.environ.setdefault("LINE_WIFI_KEY", "a-key-for-mock-boards-only")
    try:
        recipe = line_recipe(args)
    except RecipeError as exc:
        print(exc, file=sys.stderr)
        return 2
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        status = await run_line(args, recipe, stack)
    print(f"the line took {time.monotonic() - started:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(anyio.run(main, parse_args()))
