"""``app status|start|stop|delete|quota``: applications, by component ID or image package."""

from __future__ import annotations

from pathlib import Path

import anyio
import attrs
import click

from ...client import DeviceClient
from ...errors import AzsphereError, InvalidArgumentError
from ...imagepackage import inspect_image
from ...models import AppQuota, AppTrigger, SystemRestart
from ...validation import check_component_id
from ..context import AppContext, pass_app
from ..output import Cell, Column, styled
from ..reporting import BoardRows
from ..running import run_and_report
from ..shared_options import board_options

__all__ = ["app_group"]

_STATE_STYLES = {"running": "green", "stopped": "yellow", "notPresent": "dim", "debugging": "cyan"}


def _component_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A component ID given as such, or read from an image package file's metadata."""
    if value is None:
        return None
    try:
        return check_component_id(value)
    except InvalidArgumentError:
        pass
    if Path(value).is_file():
        try:
            return inspect_image(value).component_id
        except AzsphereError as exc:
            raise click.BadParameter(str(exc)) from None
    raise click.BadParameter(
        f"{value!r} is neither a component ID (a UUID) nor an image package file; "
        "`azsphere-async images` lists the installed components"
    )


@attrs.frozen
class _AppState:
    component_id: str
    name: str
    state: str
    core: int | None = None


def _state_cell(state: str) -> Cell:
    return styled(state, _STATE_STYLES.get(state, ""))


_STATES = BoardRows[list[_AppState]](
    columns=[
        Column("Application", "name"),
        Column("Component ID", "cid", no_wrap=True, cut=True, min_width=13, priority=1),
        Column("State", "state", no_wrap=True),
    ],
    rows=lambda apps: [
        {"name": a.name or "-", "cid": a.component_id, "state": _state_cell(a.state)} for a in apps
    ],
    data=lambda apps: [attrs.asdict(a) for a in apps],
    empty="no applications",
)


@click.group("app")
def app_group() -> None:
    """Applications: status, start, stop, delete, quota.

    COMPONENT is a component ID, or the path of the application's image package (its
    component ID is read from the package).
    """


@app_group.command("status")
@click.argument("component", required=False, callback=_component_id)
@board_options
@pass_app
def app_status(app: AppContext, component: str | None) -> None:
    """The state of one application, or of every installed application."""
    cid = component

    async def operation(device: DeviceClient) -> list[_AppState]:
        if cid is not None:
            status = await device.app.get_status(cid)
            return [_AppState(cid, "", str(status.state.value))]
        images = await device.image.get_images()
        apps = [c for c in images.components or () if c.is_application and c.uid]
        states: dict[str, str] = {}

        async def one(uid: str) -> None:
            states[uid] = str((await device.app.get_status(uid)).state.value)

        async with anyio.create_task_group() as group:
            for component in apps:
                assert component.uid is not None
                group.start_soon(one, component.uid)
        return [_AppState(str(c.uid), c.name or "", states[str(c.uid)]) for c in apps]

    run_and_report(app, "app status", operation, _STATES)


def _trigger_command(name: str, trigger: AppTrigger, summary: str) -> click.Command:
    @click.command(name, help=summary)
    @click.argument("component", callback=_component_id)
    @board_options
    @pass_app
    def command(app: AppContext, component: str) -> None:
        cid = component

        async def operation(device: DeviceClient) -> list[_AppState]:
            change = await device.app.set_status(cid, trigger)
            return [_AppState(cid, "", str(change.state.value), change.real_time_core)]

        run_and_report(app, f"app {name}", operation, _STATES)

    return command


app_group.add_command(_trigger_command("start", AppTrigger.START, "Start the application."))
app_group.add_command(_trigger_command("stop", AppTrigger.STOP, "Stop the application."))


@app_group.command("delete")
@click.argument("component", callback=_component_id)
@board_options
@pass_app
def app_delete(app: AppContext, component: str) -> None:
    """Delete the application from the boards (a board may restart)."""
    cid = component
    shape = BoardRows[SystemRestart](
        columns=[Column("Result", "result")],
        rows=lambda answer: [
            {
                "result": styled(
                    "deleted; restarting" if answer.restarting_system else "deleted", "green"
                )
            }
        ],
        data=lambda answer: {"component_id": cid, "restarting_system": answer.restarting_system},
    )
    run_and_report(app, "app delete", lambda d: d.sideload.delete_image(cid), shape)


@app_group.command("quota")
@click.argument("component", callback=_component_id)
@board_options
@pass_app
def app_quota(app: AppContext, component: str) -> None:
    """The application's mutable storage: used and allowed (KiB)."""
    cid = component
    shape = BoardRows[AppQuota](
        columns=[
            Column("Used KiB", "used", justify="right"),
            Column("Limit KiB", "limit", justify="right"),
        ],
        rows=lambda q: [
            {
                "used": "-" if q.usage_kb is None else str(q.usage_kb),
                "limit": "-" if q.limit_kb is None else str(q.limit_kb),
            }
        ],
        data=lambda q: {"component_id": cid, "usage_kb": q.usage_kb, "limit_kb": q.limit_kb},
    )
    run_and_report(app, "app quota", lambda d: d.app.get_quota(cid), shape)
