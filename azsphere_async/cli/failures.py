"""How failures are told to a person: which board, what failed, and what to do next.

Every failure becomes one line: what failed (the error's ``detail``) and what to do next (the
error's own ``hint``, set where the library raised it). Where the command has an option for
the remedy, the hint names that option instead. ``--debug`` adds the traceback; without it,
an exception this library did not expect is still one line, with a pointer to ``--debug``.
"""

from __future__ import annotations

import traceback
from typing import Any, Final

from ..errors import (
    AzsphereError,
    DeviceError,
    DeviceHTTPError,
    DeviceTimeoutError,
    DiscoveryError,
    MalformedResponseError,
    ResponseTooLargeError,
    TLSVerificationError,
)

__all__ = ["BoardStateError", "describe", "error_json", "hint_for", "one_line", "traceback_text"]


class BoardStateError(DeviceError):
    """A board is not in a state the command can act on (a network to remove is not there,
    one to add is there with other settings); nothing was changed on it."""


#: The remedies the command line offers as options, by the kind of failure.
_COMMAND_HINTS: Final[tuple[tuple[type[AzsphereError], str], ...]] = (
    (DiscoveryError, "point --dcs-url at the service, or name the boards with --device"),
    (
        DeviceTimeoutError,
        "check that the board is powered and attached, or allow longer with --timeout",
    ),
    (ResponseTooLargeError, "the command does not read answers this large"),
)

_SEE_REQUESTS: Final = "run with --debug to see the requests"


def hint_for(exc: BaseException) -> str:
    """What an operator can do next about this failure, or ``""``."""
    if isinstance(exc, TLSVerificationError) and exc.untrusted_certificate:
        return "for a board whose certificate comes from another CA, pass --ca FILE"
    for kind, hint in _COMMAND_HINTS:
        if isinstance(exc, kind):
            return hint
    if isinstance(exc, AzsphereError):
        if exc.hint:
            return exc.hint
        if isinstance(exc, DeviceHTTPError | MalformedResponseError):
            return _SEE_REQUESTS
        return ""
    if isinstance(exc, OSError):
        return ""
    return "this is unexpected; run with --debug for the traceback and report it"


def _what_failed(exc: BaseException) -> str:
    if isinstance(exc, DeviceError | DiscoveryError):
        return exc.detail
    if isinstance(exc, AzsphereError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def describe(exc: BaseException) -> str:
    """The failure without the board's address (for an error column), with the next step."""
    text, hint = _what_failed(exc), hint_for(exc)
    if not hint:
        return text
    if text.rstrip().endswith(("?", ".")):
        return f"{text} {hint[0].upper()}{hint[1:]}."
    return f"{text}; {hint}"


def one_line(exc: BaseException, address: str | None = None) -> str:
    """``"ADDRESS: what failed; what to do next"`` on one line."""
    text = " ".join(describe(exc).split())
    if address is None and isinstance(exc, DeviceError):
        address = exc.address
    return f"{address}: {text}" if address else text


def error_json(exc: BaseException) -> dict[str, Any]:
    """The failure as JSON data: its type, its message, the next step and HTTP details."""
    data: dict[str, Any] = {
        "type": type(exc).__name__,
        "message": _what_failed(exc),
        "hint": hint_for(exc),
    }
    if isinstance(exc, DeviceHTTPError):
        data.update(status=exc.status, error_code=exc.error_code, meaning=exc.meaning)
    return data


def traceback_text(exc: BaseException) -> str:
    """The full traceback, for ``--debug``."""
    return "".join(traceback.format_exception(exc)).rstrip()
