"""Board-wide commands: ``devices``, ``status``, ``images``, ``restart``, ``logs`` and
``manufacturing-state``."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio
import attrs
import click

from ..client import DeviceClient
from ..discovery import AttachedDevice, list_attached_devices, rescan_attached_devices
from ..errors import UnsupportedVersionError
from ..fleet import BoardResult
from ..models import ImageList, ManufacturingState
from ._context import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    AppContext,
    BoardRows,
    Collected,
    board_options,
    pass_app,
    state_choice,
)
from ._format import format_bytes, format_uptime, safe_filename, short_id, to_jsonable
from .output import Cell, Column, Output, styled

__all__ = ["STATUS_ROWS", "BoardStatus", "read_status", "register", "show_attached"]

T = TypeVar("T")


async def _optional(call: Callable[[], Awaitable[T]]) -> T | None:
    """The answer, or ``None`` when the board's REST API is too old for the call."""
    try:
        return await call()
    except UnsupportedVersionError:
        return None


@attrs.frozen
class BoardStatus:
    """One board at a glance: identity, versions, security and manufacturing state, uptime."""

    device_id: str | None
    os_version: str | None
    rest_api_version: str | None
    security_state: str | None
    manufacturing_state: str | None
    uptime: int | None
    """Seconds since the board started."""


async def read_status(device: DeviceClient) -> BoardStatus:
    """Ask one board for its :class:`BoardStatus` (``None`` where its REST API is too old)."""
    status = await device.device.get_status()  # first: it also tells the REST API version
    found: dict[str, Any] = {}

    async def security() -> None:
        found["security"] = await device.device.get_security_state()

    async def os_version() -> None:
        found["os"] = await _optional(device.device.get_os_version)

    async def manufacturing() -> None:
        found["mfg"] = await _optional(device.manufacturing.get_state)

    async with anyio.create_task_group() as group:
        for reader in (security, os_version, manufacturing):
            group.start_soon(reader)
    security_state = found["security"]
    version = device.rest_api_version
    return BoardStatus(
        device_id=security_state.device_identifier,
        os_version=found["os"].os_version if found["os"] is not None else None,
        rest_api_version=str(version) if version is not None else None,
        security_state=_value(security_state.security_state),
        manufacturing_state=_value(found["mfg"]),
        uptime=status.uptime,
    )


def _value(enum_value: Any) -> str | None:
    return None if enum_value is None else str(getattr(enum_value, "value", enum_value))


#: How ``status`` shows its boards (the demo reuses it).
STATUS_ROWS = BoardRows[BoardStatus](
    columns=[
        Column("Device ID", "device_id", no_wrap=True),
        Column("OS", "os", no_wrap=True),
        Column("REST", "rest", no_wrap=True),
        Column("Security", "security", no_wrap=True),
        Column("Mfg state", "mfg", no_wrap=True),
        Column("Uptime", "uptime", justify="right", no_wrap=True),
    ],
    rows=lambda s: [
        {
            "device_id": short_id(s.device_id, 8),
            "os": s.os_version or "-",
            "rest": s.rest_api_version or "-",
            "security": s.security_state or "-",
            "mfg": s.manufacturing_state or "-",
            "uptime": format_uptime(s.uptime),
        }
    ],
    data=lambda s: attrs.asdict(s),
)


def _image_rows(images: ImageList) -> list[dict[str, Cell | None]]:
    rows: list[dict[str, Cell | None]] = []
    for component in images.components or ():
        is_app = component.is_application
        size = sum(i.length_in_bytes or 0 for i in component.images or ())
        kind = "app" if is_app else f"system ({component.image_type})"
        rows.append(
            {
                "name": styled(component.name or "?", "bold") if is_app else component.name or "?",
                "cid": component.uid or "?",
                "kind": kind,
                "size": format_bytes(size) if size else "-",
            }
        )
    return rows


_IMAGES = BoardRows[ImageList](
    columns=[
        Column("Name", "name"),
        Column("Component ID", "cid", no_wrap=True),
        Column("Type", "kind", no_wrap=True),
        Column("Size", "size", justify="right", no_wrap=True),
    ],
    rows=_image_rows,
    data=to_jsonable,
    empty="no components",
)


def register(cli: click.Group) -> None:
    """Add this module's commands to the group."""
    cli.add_command(devices)
    cli.add_command(status)
    cli.add_command(images)
    cli.add_command(restart)
    cli.add_command(logs)
    cli.add_command(manufacturing_state)


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

    code = app.run(main)
    if code != EXIT_OK:
        sys.exit(code)
    out = app.output
    if out.json_mode:
        out.json(
            {
                "command": "devices",
                "dcs_url": app.dcs_url,
                "devices": [
                    {"address": d.address, "connection_path": d.connection_path} for d in found
                ],
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


@click.command()
@board_options
@pass_app
def status(app: AppContext) -> None:
    """One row per board: device ID, OS and REST API versions, security and manufacturing
    state, uptime."""
    app.run_and_report("status", read_status, STATUS_ROWS)


@click.command()
@board_options
@pass_app
def images(app: AppContext) -> None:
    """The components installed on each board (applications in bold)."""
    app.run_and_report("images", lambda d: d.image.get_images(), _IMAGES)


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
    app.run_and_report("restart", operation, shape, timeout=None if limit is None else limit + 5)


@attrs.frozen
class _Logs:
    log_path: str
    log_bytes: int
    report_path: str
    report_bytes: int


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("azsphere-logs"),
    show_default=True,
    help="Where the files go (created if missing).",
)
@board_options
@pass_app
def logs(app: AppContext, directory: Path) -> None:
    """Save each board's diagnostic log and error report to files, one pair per board.

    The files are the board's raw bytes, named after the board's address.
    """

    async def operation(device: DeviceClient) -> _Logs:
        log = await device.device.get_diagnostic_log()
        report = await device.device.get_error_report_data()
        folder = anyio.Path(directory)
        await folder.mkdir(parents=True, exist_ok=True)
        stem = safe_filename(device.address)
        log_path = folder / f"{stem}.diagnostic.log"
        report_path = folder / f"{stem}.error-report.bin"
        await log_path.write_bytes(log)
        await report_path.write_bytes(report)
        return _Logs(str(log_path), len(log), str(report_path), len(report))

    shape = BoardRows[_Logs](
        columns=[
            Column("Diagnostic log", "log"),
            Column("Size", "log_size", justify="right", no_wrap=True),
            Column("Error report", "report"),
            Column("Size", "report_size", justify="right", no_wrap=True),
        ],
        rows=lambda r: [
            {
                "log": r.log_path,
                "log_size": format_bytes(r.log_bytes),
                "report": r.report_path,
                "report_size": format_bytes(r.report_bytes),
            }
        ],
        data=lambda r: attrs.asdict(r),
    )
    app.run_and_report("logs", operation, shape)


# -- manufacturing state ----------------------------------------------------------------------


@click.group("manufacturing-state")
def manufacturing_state() -> None:
    """Show or move forward the manufacturing state (Blank -> Module1Complete ->
    DeviceComplete). Moving it can never be undone."""


_MFG_SHOW = BoardRows[ManufacturingState](
    columns=[Column("Manufacturing state", "state")],
    rows=lambda s: [{"state": str(s.value)}],
    data=lambda s: {"manufacturing_state": str(s.value)},
)


@manufacturing_state.command("show")
@board_options
@pass_app
def mfg_show(app: AppContext) -> None:
    """Each board's manufacturing state."""
    app.run_and_report("manufacturing-state show", lambda d: d.manufacturing.get_state(), _MFG_SHOW)


@attrs.frozen
class _Plan:
    current: str
    action: str  # "change", "already", "refused"
    reason: str


def _plan(current: ManufacturingState, target: ManufacturingState) -> _Plan:
    if current == target:
        return _Plan(str(current.value), "already", f"already {target.value}")
    if current.rank is None:
        return _Plan(str(current.value), "refused", "state unknown; left alone")
    if target.rank is not None and target.rank < current.rank:
        return _Plan(str(current.value), "refused", "already past it; the state never goes back")
    return _Plan(str(current.value), "change", f"{current.value} -> {target.value}")


@manufacturing_state.command("set")
@click.argument(
    "state",
    metavar="STATE",
    callback=state_choice(["Module1Complete", "DeviceComplete"]),
)
@click.option(
    "--yes-irreversible",
    is_flag=True,
    help="Confirm that the boards listed may be moved to STATE, which can never be undone.",
)
@board_options
@pass_app
def mfg_set(app: AppContext, state: str, yes_irreversible: bool) -> None:
    """Move every chosen board to STATE (Module1Complete or DeviceComplete).

    THIS CAN NEVER BE UNDONE.

    First reads every board and shows which ones would change. Nothing is sent unless
    --yes-irreversible is given; there is no prompt to answer by accident.
    """
    target = ManufacturingState(state)
    out = app.output
    collected, code = app.run_boards(lambda d: d.manufacturing.get_state())
    if code is not None:
        sys.exit(code)
    plans = {r.address: _plan(r.value, target) for r in collected.finished() if r.value is not None}
    to_change = [a for a, p in plans.items() if p.action == "change"]
    unreadable = collected.failed

    if not yes_irreversible or not to_change or collected.interrupted:
        _show_plan(app, collected, plans, target, applied=None)
        if collected.interrupted:
            sys.exit(EXIT_INTERRUPTED)
        if not to_change:
            out.message("No board needs changing; nothing was sent.")
            sys.exit(EXIT_FAILED if unreadable else EXIT_OK)
        out.message(
            f"[bold red]Moving the manufacturing state to {target.value} can never be undone.[/] "
            f"{len(to_change)} {'board' if len(to_change) == 1 else 'boards'} would change."
        )
        out.message(
            "Nothing was sent. To go ahead, run the same command again with --yes-irreversible."
        )
        sys.exit(EXIT_FAILED)

    out.message(
        f"[bold red]Moving {len(to_change)} "
        f"{'board' if len(to_change) == 1 else 'boards'} to {target.value}; "
        "this can never be undone.[/]"
    )
    app.devices, app.devices_file, app.all_boards = list(to_change), None, False
    applied, code = app.run_boards(
        lambda d: d.manufacturing.set_state(target, irreversible_ok=True)
    )
    if code is not None:
        sys.exit(code)
    sys.exit(_show_plan(app, collected, plans, target, applied=applied.results))


def _show_plan(
    app: AppContext,
    collected: Collected[ManufacturingState],
    plans: dict[str, _Plan],
    target: ManufacturingState,
    *,
    applied: dict[str, BoardResult[None]] | None,
) -> int:
    """The plan (and, once applied, the outcome) per board; returns the exit status."""
    from ._errors import describe, error_json

    out = app.output
    rows: list[dict[str, Cell | None]] = []
    boards: list[dict[str, Any]] = []
    failed = False
    for address in collected.addresses:
        result = collected.results.get(address)
        plan = plans.get(address)
        entry: dict[str, Any] = {"address": address}
        if result is None or plan is None:
            error = result.error if result is not None else None
            text = describe(error) if error is not None else "interrupted before it finished"
            rows.append({"address": address, "outcome": styled(text, "red")})
            entry.update(ok=False, error=error_json(error) if error else {"message": text})
            failed = True
            boards.append(entry)
            continue
        entry.update(current=plan.current, action=plan.action, reason=plan.reason)
        outcome: Cell
        if applied is None:
            outcome = {
                "change": styled(f"would change to {target.value}", "bold yellow"),
                "already": styled(plan.reason, "green"),
                "refused": styled(plan.reason, "red"),
            }[plan.action]
            entry["ok"] = plan.action != "refused"
        elif address in applied:
            done = applied[address]
            if done.ok:
                outcome = styled(f"changed to {target.value}", "bold green")
                entry.update(ok=True, changed=True)
            else:
                assert done.error is not None
                outcome = styled(describe(done.error), "red")
                entry.update(ok=False, changed=False, error=error_json(done.error))
        else:
            outcome = styled(plan.reason, "green" if plan.action == "already" else "red")
            entry.update(ok=plan.action == "already", changed=False)
        failed = failed or not entry["ok"]
        rows.append({"address": address, "current": plan.current, "outcome": outcome})
        boards.append(entry)
    if out.json_mode:
        out.json(
            {
                "command": "manufacturing-state set",
                "target": target.value,
                "applied": applied is not None,
                "boards": boards,
            }
        )
    else:
        out.table(
            [
                Column("Board", "address", no_wrap=True),
                Column("Now", "current", no_wrap=True),
                Column("Outcome" if applied is not None else "Plan", "outcome"),
            ],
            rows,
        )
    return EXIT_FAILED if failed else EXIT_OK
