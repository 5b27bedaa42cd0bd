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
Which boards:
  --device ADDR (repeatable, or comma-separated) and --devices-file FILE add up:
  the boards of both, each once, in the order given.
  --all takes every board the Device Communication Service lists instead
  (not with --device or --devices-file).
  With none of these, AZSPHERE_DEVICES (comma-separated addresses) is used, and
  without that the first attached board, 192.168.35.2.
Every address is checked before any board is contacted. These options and
--json, --debug, --timeout, --concurrency, --ca and --retry-file may also follow
the command name.

\b
Keys and passwords are never taken as arguments: they come from
AZSPHERE_WIFI_PSK / AZSPHERE_CERT_PASSWORD or a hidden prompt, asked twice.

\b
Exit status: 0 when every board succeeded, 1 when any board failed (or was not
ready), 2 for bad options or arguments (no board was contacted) or no boards
to act on, 130 after Ctrl-C.

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
    retry_file: Path | None,
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
    app.retry_file = retry_file
    app.json = json_output
    app.debug = debug
    ctx.obj = app


for _command in COMMANDS:
    cli.add_command(_command)
