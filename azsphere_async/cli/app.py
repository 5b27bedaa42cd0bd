"""The ``azsphere-async`` command group: global options, and every command registered."""

from __future__ import annotations

from pathlib import Path

import click

from .._version import __version__
from .commands import COMMANDS
from .context import AppContext
from .shared_options import selection_and_output_options

__all__ = ["cli"]

_HELP = """Drive a rack of Azure Sphere boards at once from a terminal.

\b
Choose boards with --device (repeatable), --devices-file, --all (every board the
Device Communication Service lists) or the AZSPHERE_DEVICES variable (comma-
separated); without any, the first attached board at 192.168.35.2 is used.
These options and --json, --debug, --timeout, --concurrency and --ca may also
follow the command name.

\b
Exit status: 0 when every board succeeded, 1 when any board failed (or was not
ready), 2 for bad options, 130 after Ctrl-C.

\b
Try it without hardware:  azsphere-async demo
"""


def _group(function: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(selection_and_output_options(hidden=False)):
        function = option(function)
    return function


@click.group(
    help=_HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@_group
@click.version_option(__version__, "--version", prog_name="azsphere-async")
@click.pass_context
def cli(
    ctx: click.Context,
    devices: tuple[str, ...],
    devices_file: Path | None,
    all_boards: bool,
    dcs_url: str,
    concurrency: int,
    timeout: float | None,
    ca: Path | None,
    json_output: bool,
    debug: bool,
) -> None:
    """The command group (its help is ``_HELP``)."""
    app = AppContext()
    app.devices = list(devices)
    app.devices_file = devices_file
    app.all_boards = all_boards
    app.dcs_url = dcs_url
    app.concurrency = concurrency
    app.timeout = timeout
    app.ca = ca
    app.json = json_output
    app.debug = debug
    ctx.obj = app


for _command in COMMANDS:
    cli.add_command(_command)
