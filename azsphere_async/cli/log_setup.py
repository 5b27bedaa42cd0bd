"""Where the library's log goes: one ``warning:`` line per warning, or a full request log with
``--debug`` (on stderr, so stdout stays the command's output)."""

from __future__ import annotations

import logging
import sys

from .output import Output

__all__ = ["configure_logging"]


class _WarningHandler(logging.Handler):
    """Library warnings as one ``warning:`` line each on stderr."""

    def __init__(self, output: Output) -> None:
        super().__init__(logging.WARNING)
        self._output = output

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._output.warning(record.getMessage())
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


_HANDLER_MARK = "_azsphere_cli_handler"


def configure_logging(output: Output, debug: bool) -> None:
    """Route the library's log: warnings as ``warning:`` lines, or everything with ``--debug``."""
    logger = logging.getLogger("azsphere_async")
    for old in list(logger.handlers):
        if getattr(old, _HANDLER_MARK, False):
            logger.removeHandler(old)
    handler: logging.Handler
    if debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.setLevel(logging.DEBUG)
    else:
        handler = _WarningHandler(output)
        logger.setLevel(logging.WARNING)
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)
