"""``logs``: save each board's diagnostic log and error report to files."""

from __future__ import annotations

from pathlib import Path

import anyio
import attrs
import click

from ...client import DeviceClient
from ..context import AppContext, pass_app
from ..formatting import format_bytes, safe_filename
from ..output import Column
from ..reporting import BoardRows
from ..running import run_and_report
from ..shared_options import board_options

__all__ = ["logs"]


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
    run_and_report(app, "logs", operation, shape)
