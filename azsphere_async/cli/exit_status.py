"""The command's exit statuses, as the README and ``--help`` state them."""

from __future__ import annotations

from typing import Final

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE"]

#: Every board succeeded.
EXIT_OK: Final = 0
#: Some board failed (or was not ready).
EXIT_FAILED: Final = 1
#: Bad options or no boards to act on.
EXIT_USAGE: Final = 2
#: Stopped with Ctrl-C.
EXIT_INTERRUPTED: Final = 130
