"""``mock`` (serve a mock fleet) and ``demo`` (the whole tour on mock boards, no hardware).

Both import the mock package lazily: the rest of the command line never needs it.
"""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from functools import partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import anyio
import click

from ...deploy import Deployment
from ...discovery import list_attached_devices
from ...imagepackage import inspect_image
from ...models import AppStatus
from ...progress import Phase
from ...readiness import ReadinessCriteria, ReadinessReport, check_readiness
from ...staging import StageProgress
from ..context import AppContext, pass_app
from ..exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from ..formatting import format_bytes, format_duration, format_rate, to_jsonable
from ..output import Column, styled
from ..progress import DeployDisplay
from ..reporting import BoardRows, report
from ..running import Collected, gather

if TYPE_CHECKING:
    from ...mock import MockFleet
    from .status import BoardStatus

__all__ = ["DEMO_IMAGE", "demo", "demo_image_path", "mock"]

#: Where the demo's image package lives inside the package.
DEMO_IMAGE: Final = "data/demo/azure_sphere_blink.imagepackage"

_DEFAULT_LINK: Final = "2KB/s"
_WATCH_INTERVAL: Final = 0.05


class _ReceivedDisplay(DeployDisplay):
    """The deploy display, fed with what each mock board has received.

    The library's progress counts what each board acknowledged, and the mock board's own
    buffers (its receive window, its TLS read-ahead) hold more than the demo's 16.6 kB
    package, so it would read 100 % at once. The demo's boards are in this process: their
    side of each link is what is shown (see ``_Demo._watch_uploads``), and the library's
    phases after the upload.
    """

    def update(self, address: str, progress: StageProgress) -> None:
        """The install and confirmation phases; the upload comes from the boards' side."""
        if progress.phase in (Phase.INSTALLING, Phase.CONFIRMING):
            self.set_phase(address, progress.phase)


def demo_image_path(stack: ExitStack) -> Path:
    """A file path of the shipped blink image package (valid while ``stack`` is open)."""
    resource = resources.files("azsphere_async").joinpath(DEMO_IMAGE)
    return stack.enter_context(resources.as_file(resource))


def _rate(ctx: click.Context, param: click.Parameter, value: str) -> float:
    from ...mock.units import parse_rate

    try:
        return parse_rate(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


# -- mock ---------------------------------------------------------------------------------


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    add_help_option=False,
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def mock(arguments: tuple[str, ...]) -> None:
    """Serve a fleet of mock boards on loopback until Ctrl-C (--help for its options).

    The options are those of ``python -m azsphere_async.mock``, parsed by the mock's own
    command line, so both take the same names, help, sizes and rates.
    """
    from ...mock import cli_main

    sys.exit(cli_main(arguments, prog="azsphere-async mock"))


# -- demo ---------------------------------------------------------------------------------


@click.command()
@click.option(
    "--devices",
    "count",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="How many mock boards.",
)
@click.option(
    "--link-speed",
    default=_DEFAULT_LINK,
    show_default=True,
    callback=_rate,
    metavar="RATE",
    help="Each board's simulated link, e.g. 2KB/s, 64KB/s or 1MB/s (as for mock).",
)
@click.option(
    "--station",
    "station_tour",
    is_flag=True,
    help="Instead: a station for about 20 s, mock boards plugged in and out, then the records.",
)
@click.option(
    "--pace",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    metavar="FACTOR",
    help="--station: the operator's pauses, scaled (0: none, as fast as the boards go).",
)
@pass_app
def demo(app: AppContext, count: int, link_speed: float, station_tour: bool, pace: float) -> None:
    """The tour, with no hardware: start mock boards, find them, show their status, deploy
    the blink application to all of them at once over slow links, check readiness.

    Everything runs in this process on loopback addresses (127.0.0.x).
    """
    with ExitStack() as stack:
        image = demo_image_path(stack)
        if station_tour:
            from ..station_demo import run_station_demo

            try:
                sys.exit(anyio.run(partial(run_station_demo, app, image, None, pace=pace)))
            except KeyboardInterrupt:
                sys.exit(EXIT_INTERRUPTED)
        tour = _Demo(app, count, link_speed, image)
        try:
            code = anyio.run(tour.run)
        except KeyboardInterrupt:
            tour.interrupted()
            code = EXIT_INTERRUPTED
    sys.exit(code)


class _Demo:
    """The demo's steps, in one event loop with the mock fleet."""

    def __init__(self, app: AppContext, count: int, rate: float, image: Path) -> None:
        self.app = app
        self.out = app.output
        self.count = count
        self.rate = rate
        self.image = image
        self.package = inspect_image(image)
        self.pause = 1.5 if self.out.mode == "rich" else 0.0
        self.documents: list[dict[str, Any]] = []
        self.step = 0
        self.started = time.monotonic()

    def heading(self, text: str) -> None:
        self.step += 1
        self.out.heading(f"{self.step}. {text}")

    async def breathe(self) -> None:
        if self.pause:
            await anyio.sleep(self.pause)

    def interrupted(self) -> None:
        self.out.message(
            (f"Demo interrupted at step {self.step}; the mock boards are gone.", "yellow")
        )

    async def run(self) -> int:
        from ...mock import MockFleet

        self.heading(f"Start {self.count} mock Azure Sphere boards")
        async with MockFleet(self.count, dcs_port=0) as fleet:
            assert fleet.dcs is not None
            for device in fleet:
                device.link.set(bandwidth=self.rate)
            self.out.message(
                f"{self.count} boards on {fleet[0].host} to {fleet[-1].host} (HTTPS, own CA), "
                f"each behind a {format_rate(self.rate)} link; "
                f"Device Communication Service at {fleet.dcs.url}"
            )
            return await self._tour(fleet)

    async def _watch_uploads(self, fleet: MockFleet, display: DeployDisplay) -> None:
        """Show each board's upload as far as the board has received it, until cancelled."""
        before = {device.address: device.stats.body_bytes_received for device in fleet}
        while True:
            for device in fleet:
                received = device.stats.body_bytes_received - before[device.address]
                if received > 0:
                    display.sent(device.address, min(received, self.package.size))
            await anyio.sleep(_WATCH_INTERVAL)

    async def _show_log(self, fleet: MockFleet) -> None:
        """Read the first board's log and show its newest records, decoded."""
        from ...devicelog import DecodedLog, ManifestStore, read_board_log
        from ...mock.devicelog import MANIFEST_DIR
        from ..selection import BoardSelection
        from .logs import show_records

        first = fleet.addresses[0]
        self.heading(f"The diagnostic log of {first}, decoded")
        # A board's USB link is far faster than the demo's; 64 KiB at its rate takes too long.
        fleet[0].link.set(bandwidth=None)
        store = ManifestStore(MANIFEST_DIR)
        read: Collected[DecodedLog] = Collected()
        selection = BoardSelection((first,), "the first board")
        await gather(self.app, lambda d: read_board_log(d, store), read, selection=selection)
        for result in read.finished():
            if result.value is None:
                self.out.failure(result.error or RuntimeError("no log"), first)
            elif self.out.json_mode:
                tail = [r.to_json() for r in result.value.records[-12:]]
                self.documents.append({"command": "logs", "address": first, "records": tail})
            else:
                show_records(self.out, result.value, last=12)
        await self.breathe()

    async def _tour(self, fleet: MockFleet) -> int:
        from .deploy import deploy_boards, deploy_rows
        from .devices import show_attached
        from .ready import READINESS_ROWS, not_ready
        from .status import STATUS_ROWS, read_status

        assert fleet.dcs is not None
        app, out = self.app, self.out
        app.all_boards, app.devices, app.devices_file = True, [], None
        app.dcs_url = fleet.dcs.url
        app.ca = fleet.ca_pem
        await self.breathe()

        # 2. Discovery
        self.heading("Find them through the Device Communication Service")
        attached = await list_attached_devices(dcs_url=fleet.dcs.url)
        if not out.json_mode:
            show_attached(out, attached)
        await self.breathe()

        # 3. Status
        self.heading("Status of every board")
        status: Collected[BoardStatus] = Collected()
        await gather(app, read_status, status)
        report(app, "status", status, STATUS_ROWS, json_sink=self.documents)
        await self.breathe()

        # 4. Deploy
        self.heading(
            f"Deploy {self.package.name} to all {self.count} boards at once "
            f"over {format_rate(self.rate)} links"
        )
        out.message(
            f"Image package: {self.package.name}, {format_bytes(self.package.size)} "
            f"(component {self.package.component_id[:8]}…)"
        )
        deployed: Collected[Deployment] = Collected()
        deploy_started = time.monotonic()
        selection = await app.select()
        display = _ReceivedDisplay(
            out, selection.addresses, self.package.size, package=self.package
        )
        async with anyio.create_task_group() as group:
            group.start_soon(self._watch_uploads, fleet, display)
            await deploy_boards(
                app, self.image, self.package, selection, deployed, start=True, display=display
            )
            group.cancel_scope.cancel()
        deploy_seconds = time.monotonic() - deploy_started
        deploy_code = report(
            app, "deploy", deployed, deploy_rows(self.package), json_sink=self.documents
        )
        await self.breathe()

        # 5. Applications
        self.heading("The application on every board")
        cid = self.package.component_id
        apps: Collected[AppStatus] = Collected()
        await gather(app, lambda d: d.app.get_status(cid), apps)
        report(
            app,
            "app status",
            apps,
            BoardRows[AppStatus](
                columns=[Column("Application", "name"), Column("State", "state")],
                rows=lambda s: [
                    {"name": self.package.name, "state": styled(str(s.state.value), "green")}
                ],
                data=lambda s: {"component_id": cid, "state": str(s.state.value)},
            ),
            json_sink=self.documents,
        )
        await self.breathe()

        # 6. Readiness
        config = fleet[0].config
        criteria = ReadinessCriteria(
            os_versions=(config.os_version,),
            images=(self.package.image_id,),
            manufacturing_state="Blank",
            allowed_capabilities=(11,),
        )
        self.heading("Readiness check on every board")
        out.message(
            f"Criteria: OS {config.os_version}; {self.package.name} installed and no other app; "
            "manufacturing state Blank; no capability but 11 (appDevelopment, a development "
            "board) and the 12 every Blank board holds; no Wi-Fi networks."
        )
        readiness: Collected[ReadinessReport] = Collected()
        await gather(app, lambda d: check_readiness(d, criteria), readiness)
        ready_code = report(
            app,
            "ready",
            readiness,
            READINESS_ROWS,
            failed=not_ready,
            json_sink=self.documents,
        )

        # 7. The diagnostic log
        await self._show_log(fleet)

        # 8. Summary
        ready = sum(1 for r in readiness.finished() if r.ok and r.value and r.value.ready)
        installed = sum(1 for r in deployed.finished() if r.ok)
        total_bytes = installed * self.package.size
        self.heading("Summary")
        lines = [
            f"Boards found:    {len(attached)} of {self.count}",
            f"Deployed:        {installed} of {self.count} in {format_duration(deploy_seconds)} "
            f"({format_bytes(total_bytes)} at {format_rate(total_bytes / deploy_seconds)} "
            "in all)",
            f"Ready:           {ready} of {self.count}",
            f"Demo took:       {format_duration(time.monotonic() - self.started)}",
        ]
        for line in lines:
            out.message(line)
        ok = len(attached) == self.count and installed == self.count and ready == self.count
        out.message(
            ("Every board deployed and ready.", "bold green")
            if ok
            else ("Some boards failed; see the tables above.", "bold red")
        )
        out.message("Next, with mock boards served from another terminal:")
        out.message(
            "  azsphere-async mock --devices 4 --no-dcs "
            "--ca-file ca.pem --addresses-file boards.json"
        )
        out.message("  azsphere-async --devices-file boards.json --ca ca.pem status")
        if out.json_mode:
            out.json(
                {
                    "command": "demo",
                    "devices": [to_jsonable(d) for d in attached],
                    "steps": self.documents,
                    "summary": {
                        "boards": self.count,
                        "found": len(attached),
                        "deployed": installed,
                        "ready": ready,
                        "deploy_seconds": round(deploy_seconds, 3),
                        "ok": ok,
                    },
                }
            )
        if not ok or deploy_code or ready_code:
            return EXIT_FAILED
        return EXIT_OK
