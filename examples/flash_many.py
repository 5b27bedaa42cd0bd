"""Flash many boards at once, with progress: the shortest path.

    python examples/flash_many.py                          # 4 mock boards, started here
    python examples/flash_many.py --boards 8 --image app.imagepackage
    python examples/flash_many.py --device 192.168.35.2 --device 192.168.36.2 \\
        --image app.imagepackage

With no ``--device`` it starts mock boards on loopback (the ``mock`` extra) and flashes the
blink application shipped with the package. Exit status 0 when every board took the image.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import AsyncExitStack, ExitStack
from importlib import resources
from pathlib import Path

import anyio

from azsphere_async import Fleet, StageProgress
from azsphere_async.tls import CAInput


def parse_args() -> argparse.Namespace:
    """The command line: boards (or how many mock boards), CA and image package."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", action="append", default=[], help="a board's address")
    parser.add_argument("--ca", help="PEM file of the CA the boards' certificates chain to")
    parser.add_argument("--image", type=Path, help="image package (default: the blink demo)")
    parser.add_argument("--boards", type=int, default=4, help="mock boards when no --device")
    parser.add_argument("--concurrency", type=int, default=16)
    return parser.parse_args()


def show_progress(address: str, progress: StageProgress) -> None:
    """Called by the library as each board's upload advances (a few times a second)."""
    percent = int(progress.fraction * 100)
    print(
        f"{address:<22} {percent:3d}%  {progress.bytes_sent:>9,} bytes  "
        f"{progress.rate / 1000:8.1f} kB/s",
        flush=True,
    )


async def flash(addresses: list[str], ca: CAInput | None, image: Path, concurrency: int) -> int:
    """Deploy ``image`` to every board at once; print one line per board; 0 if all took it."""
    async with Fleet(addresses, ca=ca, concurrency=concurrency) as fleet:
        results = await fleet.deploy(image, progress=show_progress, timeout=600)
    for result in results:
        if result.ok:
            deployment = result.unwrap()
            print(
                f"{result.address:<22} OK    {deployment.package.name} "
                f"({deployment.app_state.value if deployment.app_state else 'installed'}) "
                f"in {result.elapsed:.1f} s"
            )
        else:
            print(f"{result.address:<22} FAIL  {result.error}")
    flashed = sum(result.ok for result in results)
    print(f"{flashed} of {len(results)} boards flashed")
    return 0 if flashed == len(results) else 1


async def main(args: argparse.Namespace, image: Path) -> int:
    """Flash the boards given, or mock boards started (and stopped) here."""
    async with AsyncExitStack() as stack:
        addresses: list[str] = args.device
        ca: CAInput | None = args.ca
        if not addresses:
            from azsphere_async.mock import MockFleet  # only for the no-hardware run

            mock = await stack.enter_async_context(MockFleet(args.boards))
            addresses, ca = mock.addresses, mock.ca_pem
            print(f"started {len(addresses)} mock boards: {', '.join(addresses)}")
        return await flash(addresses, ca, image, args.concurrency)


if __name__ == "__main__":
    arguments = parse_args()
    with ExitStack() as files:
        blink = resources.files("azsphere_async") / "data/demo/azure_sphere_blink.imagepackage"
        package = arguments.image or files.enter_context(resources.as_file(blink))
        sys.exit(anyio.run(main, arguments, package))
