"""``records``: what the station recorded, queried and exported (table, JSON lines, CSV, JUnit)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ...records import OUTCOMES, RunQuery, RunRecord, query_records
from ...records.export import EXPORT_FORMATS, export_runs
from ..context import AppContext, pass_app
from ..exit_status import EXIT_OK, EXIT_USAGE
from ..output import Column, Output
from ..running import run
from ..shared_options import records_db_option

__all__ = ["records", "show_runs"]


@click.command()
@records_db_option("The station's records database.")
@click.option("--device-id", help="Only this board's runs.")
@click.option("--serial", help="Only runs bound to this serial number.")
@click.option("--outcome", type=click.Choice(OUTCOMES), help="Only runs that ended so.")
@click.option("--since", metavar="ISO-TIME", help="Only runs started at or after (UTC, ISO 8601).")
@click.option("--last", type=click.IntRange(min=1), metavar="N", help="Only the newest N runs.")
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["table", *EXPORT_FORMATS]),
    default="table",
    show_default=True,
    help="table for people; jsonl, csv or junit (JUnit XML) for MES and CI tools.",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the export to this file instead of standard output.",
)
@pass_app
def records(
    app: AppContext,
    db_path: Path,
    device_id: str | None,
    serial: str | None,
    outcome: str | None,
    since: str | None,
    last: int | None,
    export_format: str,
    output_path: Path | None,
) -> None:
    """Show or export the station's records: every run, its steps, the board's identity."""
    found: list[RunRecord] = []

    async def main() -> int:
        try:
            found.extend(
                await query_records(
                    db_path,
                    RunQuery(
                        device_id=device_id, serial=serial, outcome=outcome, since=since, limit=last
                    ),
                )
            )
        except FileNotFoundError as exc:
            app.output.error(f"{exc}; a station writes it (azsphere-async station --db PATH)")
            return EXIT_USAGE
        return EXIT_OK

    code = run(app, main)
    if code != EXIT_OK:
        sys.exit(code)
    out = app.output
    if export_format == "table" and out.json_mode:
        export_format = "jsonl"
    if export_format == "table":
        show_runs(out, found)
        return
    text = export_runs(found, export_format)
    if output_path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        output_path.write_text(text, encoding="utf-8")
        out.message(f"{len(found)} run(s) written to {output_path} ({export_format})")


def show_runs(out: Output, runs: list[RunRecord]) -> None:
    """The runs as a table, one row per run (``records`` and the station demo)."""
    # At 80 columns the detail keeps room to be read; Steps, then Seconds, then Serial give way.
    out.table(
        [
            Column("Started (UTC)", "started", no_wrap=True),
            Column("Slot", "slot", no_wrap=True),
            Column("Device", "device", no_wrap=True, cut=True, min_width=9),
            Column("Serial", "serial", no_wrap=True, cut=True, min_width=6, priority=1),
            Column("Outcome", "outcome", no_wrap=True),
            Column("Steps", "steps", justify="right", no_wrap=True, priority=3),
            Column("Seconds", "elapsed", justify="right", no_wrap=True, priority=2),
            Column("Detail", "detail", min_width=16),
        ],
        [
            {
                "started": run.started_at[:19].replace("T", " "),
                "slot": run.slot,
                "device": run.device_id,
                "serial": run.serial or "-",
                "outcome": run.outcome.upper(),
                "steps": str(len(run.steps)),
                "elapsed": f"{run.elapsed:.1f}" if run.elapsed is not None else "-",
                "detail": run.detail,
            }
            for run in runs
        ],
    )
    passed = sum(run.outcome == "passed" for run in runs)
    out.message(f"{len(runs)} run(s): {passed} passed, {len(runs) - passed} not passed")
