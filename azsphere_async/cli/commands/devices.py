"""``devices``: the boards attached to this computer, from the Device Communication Service
(or the Linux ``sl0`` interface)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ...discovery import AttachedDevice, list_attached_devices, rescan_attached_devices
from ..context import AppContext, pass_app
from ..exit_status import EXIT_OK
from ..formatting import to_jsonable
from ..output import Column, Output
from ..running import run
from ..shared_options import board_options

__all__ = ["devices", "show_attached"]


@click.command()
@click.option("--rescan", is_flag=True, help="Ask the service to look for boards again first.")
@board_options
@pass_app
def devices(app: AppContext, rescan: bool) -> None:
    """List the attached boards: address and connection path (from the Device Communication
    Service, or the Linux sl0 interface)."""
    found: list[AttachedDevice] = []

    async def main() -> int:
        if rescan:
            await rescan_attached_devices(dcs_url=app.dcs_url)
        found.extend(await list_attached_devices(dcs_url=app.dcs_url))
        return EXIT_OK

    code = run(app, main)
    if code != EXIT_OK:
        sys.exit(code)
    out = app.output
    if out.json_mode:
        out.json(
            {
                "command": "devices",
                "dcs_url": app.dcs_url,
                "devices": [to_jsonable(d) for d in found],
            }
        )
        return
    show_attached(out, found)


def show_attached(out: Output, found: Sequence[AttachedDevice]) -> None:
    """The attached boards as a table, and how many there are (``devices`` and the demo)."""
    out.table(
        [Column("Address", "address", no_wrap=True), Column("Connection path", "path")],
        [{"address": d.address, "path": d.connection_path or "-"} for d in found],
    )
    out.message(f"{len(found)} attached {'board' if len(found) == 1 else 'boards'}")
