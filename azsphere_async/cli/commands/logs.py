"""``logs``: save each board's diagnostic log and error report, and decode the log.

Files are named after the board's device ID (stable when a board moves to another port) and
never overwritten: a second save of the same board gets ``<device-id>-2.*``, and so on.
``--decode`` adds the log decoded (text, or JSON under ``--json``) with the manifest of the
board's OS release; see :mod:`azsphere_async.devicelog` for where manifests come from.
"""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import attrs
import click

from ...client import DeviceClient
from ...devicelog import DecodedLog, ManifestStore, Priority, board_os_version
from ..context import AppContext, pass_app
from ..formatting import format_bytes, safe_filename, to_jsonable
from ..output import Cell, Column, Output, styled
from ..reporting import BoardRows
from ..running import run_and_report
from ..shared_options import board_options

__all__ = ["logs", "show_records"]

_LOG, _REPORT = ".diagnostic.bin", ".error-report.bin"
_PRIORITIES = [p.label.lower() for p in Priority if p is not Priority.NONE]


@attrs.frozen
class _Decoded:
    path: str
    release: str | None
    notes: tuple[str, ...]
    records: int
    errors: int
    warnings: int
    problems: tuple[str, ...]
    latest_error: str | None


@attrs.frozen
class _Saved:
    device_id: str | None
    log_path: str
    log_bytes: int
    report_path: str
    report_bytes: int
    decoded: _Decoded | None = None


def _claim(folder: Path, stem: str, suffixes: list[str], contents: list[bytes]) -> list[Path]:
    """Write each file under the first free ``stem``, ``stem-2``, ...; never overwrite one."""
    folder.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 10_000):
        name = stem if attempt == 1 else f"{stem}-{attempt}"
        paths = [folder / f"{name}{suffix}" for suffix in suffixes]
        if any(p.exists() for p in paths):
            continue
        written: list[Path] = []
        try:
            for path, content in zip(paths, contents, strict=True):
                with path.open("xb") as file:  # fails if another run took the name meanwhile
                    file.write(content)
                written.append(path)
        except FileExistsError:
            for path in written:
                path.unlink()
            continue
        return paths
    raise click.ClickException(f"no free file name for {stem} in {folder}")


def _decoded_text(log: DecodedLog, as_json: bool) -> bytes:
    if as_json:
        return (json.dumps(log.to_json(), indent=1) + "\n").encode()
    return "".join(f"{line}\n" for line in log.lines()).encode()


def _summary(path: Path, log: DecodedLog) -> _Decoded:
    severe = [r for r in log.records if r.priority <= Priority.ERROR]
    problems = [str(p) for p in log.problems]
    problems += [f"record at 0x{r.offset:05x}: {r.problem}" for r in log.records if r.problem]
    return _Decoded(
        path=str(path),
        release=log.release,
        notes=log.notes,
        records=len(log.records),
        errors=len(severe),
        warnings=sum(1 for r in log.records if r.priority == Priority.WARNING),
        problems=tuple(problems),
        latest_error=severe[-1].line().strip() if severe else None,
    )


_STYLES = {Priority.FATAL: "bold red", Priority.ERROR: "red", Priority.WARNING: "yellow"}


def show_records(out: Output, log: DecodedLog, *, last: int) -> None:
    """The notes and the last ``last`` records of a decoded log, for people (errors in red)."""
    for note in log.notes:
        out.message((note, "dim"))
    for record in log.records[-last:]:
        style = _STYLES.get(Priority(record.priority)) if record.priority <= 3 else None
        out.message(record.line(), style=style)


def _rows(saved: _Saved) -> list[dict[str, Cell | None]]:
    row: dict[str, Cell | None] = {
        "log": saved.log_path,
        "log_size": format_bytes(saved.log_bytes),
        "report": saved.report_path,
    }
    decoded = saved.decoded
    if decoded is not None:
        row["release"] = decoded.release or styled("none (raw IDs)", "yellow")
        row["records"] = str(decoded.records)
        row["errors"] = styled(str(decoded.errors), "red") if decoded.errors else "0"
        row["warnings"] = str(decoded.warnings)
        unreadable = len(decoded.problems)
        row["unreadable"] = styled(str(unreadable), "yellow") if unreadable else "0"
        row["latest"] = decoded.latest_error or "-"
        row["decoded"] = decoded.path
    return [row]


def _shape(decode: bool) -> BoardRows[_Saved]:
    columns: list[Column] = []
    if decode:
        columns += [
            Column("Release", "release", no_wrap=True),
            Column("Records", "records", justify="right"),
            Column("Errors", "errors", justify="right"),
            Column("Warnings", "warnings", justify="right"),
            Column("Unreadable", "unreadable", justify="right"),
            Column("Latest error", "latest"),
            Column("Decoded log", "decoded"),
        ]
    else:
        columns += [
            Column("Diagnostic log", "log"),
            Column("Size", "log_size", justify="right", no_wrap=True),
            Column("Error report", "report"),
        ]

    return BoardRows[_Saved](columns=columns, rows=_rows, data=to_jsonable)


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("azsphere-logs"),
    show_default=True,
    help="Where the files go (created if missing).",
)
@click.option(
    "--decode",
    is_flag=True,
    help="Also write the log decoded: text, or JSON with --json.",
)
@click.option(
    "--since-boot",
    is_flag=True,
    help="Decode only the records since the board's last boot (implies --decode).",
)
@click.option(
    "--priority",
    type=click.Choice(_PRIORITIES, case_sensitive=False),
    default=None,
    help="Decode only records of this priority or more severe (implies --decode).",
)
@click.option(
    "--manifests",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=(
        "Manifest directory (default: $AZSPHERE_LOG_MANIFESTS, else the user data directory; "
        "fill it with: python -m azsphere_async.devicelog import PATH)."
    ),
)
@board_options
@pass_app
def logs(
    app: AppContext,
    directory: Path,
    decode: bool,
    since_boot: bool,
    priority: str | None,
    manifests: Path | None,
) -> None:
    """Save each board's diagnostic log and error report, named by device ID; with --decode,
    the log decoded too.

    \b
    Files never overwrite earlier ones: <device-id>.diagnostic.bin, <device-id>.error-report.bin
    and, decoded, <device-id>.diagnostic.txt (.json with --json); a board saved again gets
    <device-id>-2.*. The release that decodes a board's log is the one named like its OS
    version, else the nearest older one; without manifests records show raw IDs.
    """
    decode = decode or since_boot or priority is not None
    store = ManifestStore(manifests) if decode else None
    as_json = app.json

    async def operation(device: DeviceClient) -> _Saved:
        device_id = (await device.device.get_security_state()).device_identifier
        os_version = await board_os_version(device) if store is not None else None
        raw = await device.device.get_diagnostic_log()
        decoded_log: DecodedLog | None = None
        if store is not None:
            decoded_log = store.decode(raw, os_version)
            decoded_log = decoded_log.filtered(since_boot=since_boot, priority=priority)
        report = await device.device.get_error_report_data()
        suffixes, contents = [_LOG, _REPORT], [raw, report]
        if decoded_log is not None:
            suffixes.append(".diagnostic.json" if as_json else ".diagnostic.txt")
            contents.append(_decoded_text(decoded_log, as_json))
        stem = safe_filename(device_id) if device_id else safe_filename(device.address)
        paths = await anyio.to_thread.run_sync(_claim, directory, stem, suffixes, contents)
        return _Saved(
            device_id=device_id,
            log_path=str(paths[0]),
            log_bytes=len(raw),
            report_path=str(paths[1]),
            report_bytes=len(report),
            decoded=_summary(paths[2], decoded_log) if decoded_log is not None else None,
        )

    run_and_report(app, "logs", operation, _shape(decode))
