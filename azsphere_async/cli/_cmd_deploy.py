"""``deploy IMAGE``: stage and install one image package on every chosen board at once."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import attrs
import click

from ..client import DeviceClient
from ..errors import ImagePackageError
from ..fleet import BoardResult
from ..resources.sideload import Deployment
from ..staging import ImagePackageInfo, StageProgress, inspect_image
from ._context import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    AppContext,
    BoardRows,
    Collected,
    board_options,
    pass_app,
)
from ._errors import describe
from ._format import format_bytes, format_duration, format_rate, to_jsonable
from .output import Column, styled
from .progress import DeployDisplay

__all__ = [
    "DEPLOY_TIMEOUT",
    "DeployOutcome",
    "deploy_operation",
    "deploy_rows",
    "describe_package",
    "finish_callback",
    "register",
]

#: The default limit on one board's whole deploy, in seconds.
DEPLOY_TIMEOUT = 600.0


@attrs.frozen
class DeployOutcome:
    """One board's deploy as the command reports it, from the library's Deployment."""

    deployment: Deployment
    elapsed: float

    @property
    def state(self) -> str:
        """The application's state afterwards (``-`` for a system image)."""
        state = self.deployment.app_state
        return "-" if state is None else str(state.value)


def deploy_rows(package: ImagePackageInfo) -> BoardRows[DeployOutcome]:
    """How deploy results are shown (the demo uses it too)."""
    return BoardRows[DeployOutcome](
        columns=[
            Column("Result", "result", no_wrap=True),
            Column("Sent", "sent", justify="right", no_wrap=True),
            Column("Time", "time", justify="right", no_wrap=True),
            Column("Upload", "rate", justify="right", no_wrap=True),
            Column("App", "app", no_wrap=True),
        ],
        rows=lambda o: [
            {
                "result": styled(
                    "installed, restarted" if o.deployment.restarted else "installed",
                    "bold green",
                ),
                "sent": format_bytes(o.deployment.staged.bytes_sent),
                "time": format_duration(o.elapsed),
                "rate": format_rate(o.deployment.staged.rate),
                "app": o.state,
            }
        ],
        data=lambda o: {
            "component_id": o.deployment.package.component_id,
            "name": o.deployment.package.name,
            "bytes_sent": o.deployment.staged.bytes_sent,
            "stage_seconds": round(o.deployment.staged.elapsed, 3),
            "stage_rate": round(o.deployment.staged.rate, 1),
            "seconds": round(o.elapsed, 3),
            "app_state": None if o.deployment.app_state is None else o.state,
            "restarted": o.deployment.restarted,
            "component": to_jsonable(o.deployment.component),
        },
    )


def describe_package(package: ImagePackageInfo) -> str:
    """``AzureSphereBlinkTest (16.6 kB, application 2f074b0f…)``; ``--json`` has the full ID."""
    kind = "application" if package.is_application else package.image_type_name
    return (
        f"{package.name or '?'} ({format_bytes(package.size)}, {kind} {package.component_id[:8]}…)"
    )


def deploy_operation(
    image: str | os.PathLike[str],
    package: ImagePackageInfo,
    display: DeployDisplay,
    *,
    start: bool,
) -> Callable[[DeviceClient], Awaitable[DeployOutcome]]:
    """The per-board deploy, reporting to ``display``."""

    async def operation(device: DeviceClient) -> DeployOutcome:
        address = device.address

        def progress(update: StageProgress) -> None:
            display.update(address, update)

        started = time.monotonic()
        deployment = await device.sideload.deploy(image, start=start, progress=progress)
        return DeployOutcome(deployment, time.monotonic() - started)

    return operation


def finish_callback(display: DeployDisplay) -> Callable[[BoardResult[DeployOutcome]], None]:
    """Tell the display each board's outcome as it arrives."""

    def on_result(result: BoardResult[DeployOutcome]) -> None:
        detail = describe(result.error) if result.error is not None else ""
        display.finished(result.address, result.ok, detail)

    return on_result


def register(cli: click.Group) -> None:
    """Add ``deploy`` to the group."""
    cli.add_command(deploy)


@click.command()
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--manual",
    is_flag=True,
    help="Install without starting the application (app control mode Manual).",
)
@board_options
@pass_app
def deploy(app: AppContext, image: Path, manual: bool) -> None:
    """Stage and install IMAGE (an image package) on every chosen board at once.

    Shows a progress bar per board and a total, then a result table. Exit status 0 only
    when every board succeeded.
    """
    out = app.output
    try:
        package = inspect_image(image)
    except ImagePackageError as exc:
        out.error(f"{exc}; nothing was sent")
        sys.exit(EXIT_USAGE)
    collected: Collected[DeployOutcome] = Collected()

    async def main() -> int:
        selection = await app.select()
        count = len(selection.addresses)
        out.message(
            f"Deploying [bold]{describe_package(package)}[/] to {count} "
            f"{'board' if count == 1 else 'boards'}"
        )
        with DeployDisplay(out, selection.addresses, package.size) as display:
            await app.gather(
                deploy_operation(image, package, display, start=not manual),
                collected,
                timeout=DEPLOY_TIMEOUT,
                on_result=finish_callback(display),
                selection=selection,
            )
        return EXIT_OK

    status = app.run(main)
    if status == EXIT_INTERRUPTED:
        collected.interrupted = True
    elif status != EXIT_OK:
        sys.exit(status)
    sys.exit(
        app.report(
            "deploy",
            collected,
            deploy_rows(package),
            extra={
                "image": str(image),
                "component_id": package.component_id,
                "name": package.name,
                "size": package.size,
                "start": not manual,
            },
        )
    )
