"""``deploy IMAGE``: stage and install one image package on every chosen board at once."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ...deploy import Deployment
from ...errors import ImagePackageError
from ...fleet import BoardResult
from ...imagepackage import ImagePackageInfo, inspect_image
from ...staging import StageProgress
from ..context import AppContext, pass_app
from ..exit_status import EXIT_INTERRUPTED, EXIT_OK
from ..formatting import format_bytes, format_duration, format_rate, to_jsonable
from ..output import Column, styled
from ..progress import DeployDisplay
from ..reporting import BoardRows, report
from ..running import Collected, collect, run
from ..selection import BoardSelection
from ..shared_options import board_options

__all__ = ["DEPLOY_TIMEOUT", "deploy", "deploy_boards", "deploy_rows", "describe_package"]

#: The default limit on one board's whole deploy, in seconds.
DEPLOY_TIMEOUT = 600.0


def _state(deployment: Deployment) -> str:
    """The application's state afterwards (``-`` for a system image)."""
    return "-" if deployment.app_state is None else str(deployment.app_state.value)


def deploy_rows(package: ImagePackageInfo) -> BoardRows[Deployment]:
    """How deploy results are shown (the demo uses it too)."""
    return BoardRows[Deployment](
        # At narrow widths Upload goes first, then Sent, then Time.
        columns=[
            Column("Result", "result", no_wrap=True),
            Column("Sent", "sent", justify="right", no_wrap=True, priority=3),
            Column("Time", "time", justify="right", no_wrap=True, priority=2),
            Column("Upload", "rate", justify="right", no_wrap=True, priority=4),
            Column("App", "app", no_wrap=True),
        ],
        rows=lambda d: [
            {
                "result": styled(
                    "installed, restarted" if d.restarted else "installed", "bold green"
                ),
                "sent": format_bytes(d.staged.bytes_sent),
                "time": format_duration(d.elapsed),
                "rate": format_rate(d.staged.rate),
                "app": _state(d),
            }
        ],
        data=lambda d: {
            "component_id": d.package.component_id,
            "name": d.package.name,
            "bytes_sent": d.staged.bytes_sent,
            "stage_seconds": round(d.staged.elapsed, 3),
            "stage_rate": round(d.staged.rate, 1),
            "seconds": round(d.elapsed, 3),
            "app_state": None if d.app_state is None else _state(d),
            "restarted": d.restarted,
            "component": to_jsonable(d.component),
        },
    )


def describe_package(package: ImagePackageInfo) -> str:
    """``AzureSphereBlinkTest (16.6 kB, application 2f074b0f…)``; ``--json`` has the full ID."""
    kind = "application" if package.is_application else package.image_type_name
    return (
        f"{package.name or '?'} ({format_bytes(package.size)}, {kind} {package.component_id[:8]}…)"
    )


async def deploy_boards(
    app: AppContext,
    image: Path,
    package: ImagePackageInfo,
    selection: BoardSelection,
    collected: Collected[Deployment],
    *,
    start: bool,
    display: DeployDisplay | None = None,
) -> None:
    """Deploy ``image`` to the chosen boards with a live display, filling ``collected``.

    ``display`` is one the caller already made (and feeds too); by default one is made here.
    The library's fleet deploy checks the package once and reads a small one once for every
    board; each board's device ID is read alongside.
    """
    shown_by = display or DeployDisplay(
        app.output, selection.addresses, package.size, package=package
    )
    with shown_by as shown:

        def progress(address: str, update: StageProgress) -> None:
            shown.update(address, update)

        def finished(result: BoardResult[Deployment]) -> None:
            shown.finished(result.address, result.ok)

        limit = app.time_limit(DEPLOY_TIMEOUT)
        await collect(
            app,
            lambda fleet: fleet.deploy_as_completed(
                image, start=start, progress=progress, timeout=limit
            ),
            collected,
            selection,
            on_result=finished,
        )


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
        raise click.BadParameter(
            f"got {exc.given}; expected {exc.allowed}; nothing was sent", param_hint="'IMAGE'"
        ) from None
    collected: Collected[Deployment] = Collected()

    async def main() -> int:
        selection = await app.select()
        count = len(selection.addresses)
        out.note(
            "Deploying ",
            (describe_package(package), "bold"),
            f" to {count} {'board' if count == 1 else 'boards'}",
        )
        await deploy_boards(app, image, package, selection, collected, start=not manual)
        return EXIT_OK

    status = run(app, main)
    if status == EXIT_INTERRUPTED:
        collected.interrupted = True
    elif status != EXIT_OK:
        sys.exit(status)
    sys.exit(
        report(
            app,
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
