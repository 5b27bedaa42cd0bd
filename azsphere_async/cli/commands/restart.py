"""``restart``: restart the boards, and with ``--wait`` return once each is back."""

from __future__ import annotations

import attrs
import click

from ...client import DeviceClient
from ..context import AppContext, pass_app
from ..formatting import format_uptime
from ..output import Column, styled
from ..reporting import BoardRows
from ..running import run_and_report
from ..shared_options import board_options

__all__ = ["restart"]


@attrs.frozen
class _Restarted:
    waited: bool
    uptime: int | None
    restarting: bool | None


@click.command()
@click.option("--wait", is_flag=True, help="Wait until each board is back (uptime restarts).")
@board_options
@pass_app
def restart(app: AppContext, wait: bool) -> None:
    """Restart the boards; with --wait, return once every board answers again."""
    limit = app.time_limit(180.0 if wait else 30.0)

    async def operation(device: DeviceClient) -> _Restarted:
        if wait:
            back = await device.device.restart(wait=True, timeout=limit or 180.0)
            return _Restarted(True, back.uptime, None)
        answer = await device.device.restart()
        return _Restarted(False, None, answer.restarting_system)

    shape = BoardRows[_Restarted](
        columns=[Column("Result", "result"), Column("Uptime", "uptime", justify="right")],
        rows=lambda r: [
            {
                "result": styled("back up", "green") if r.waited else "restarting",
                "uptime": format_uptime(r.uptime) if r.waited else "-",
            }
        ],
        data=lambda r: {"waited": r.waited, "uptime": r.uptime},
    )
    run_and_report(app, "restart", operation, shape, timeout=None if limit is None else limit + 5)
