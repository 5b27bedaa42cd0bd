"""The ``azsphere-async`` command: fleet operations for line engineers, in a terminal.

Install it with the ``cli`` extra (``pip install '.[cli]'`` in a checkout; the package is not
on PyPI) and run ``azsphere-async --help``. The command is built with click and rich;
importing this package imports neither.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run the command line (the ``azsphere-async`` console script)."""
    from .app import cli

    cli.main(args=argv, prog_name="azsphere-async")
