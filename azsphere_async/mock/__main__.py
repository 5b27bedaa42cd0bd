"""``python -m azsphere_async.mock``: serve a mock fleet until interrupted (see :mod:`.cli`)."""

from __future__ import annotations

from .cli import cli_main

if __name__ == "__main__":
    raise SystemExit(cli_main())
