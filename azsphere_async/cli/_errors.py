"""How failures are told to a person: which board, what failed, and what to do next.

Every failure becomes one line. ``--debug`` adds the traceback; without it, an exception
this library did not expect is still one line, with a pointer to ``--debug``.
"""

from __future__ import annotations

import traceback
from typing import Any

from ..errors import (
    AzsphereError,
    DeviceError,
    DeviceHTTPError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    MalformedResponseError,
    NotFoundError,
    TLSVerificationError,
    UnsupportedVersionError,
)

__all__ = ["describe", "error_json", "hint_for", "one_line", "traceback_text"]


def hint_for(exc: BaseException) -> str:
    """What an operator can do next about this failure, or ``""`` when the message says it."""
    if isinstance(exc, DeviceError) and exc.address.startswith(("http://", "https://")):
        return "otherwise point --dcs-url at the service, or name the boards with --device"
    if isinstance(exc, DeviceTimeoutError):
        return (
            "the board did not answer in time: check that it is powered and attached, "
            "or allow longer with --timeout"
        )
    if isinstance(exc, DeviceUnreachableError):
        return (
            "check that the board is attached and its address is right "
            "(`azsphere-async devices` lists attached boards)"
        )
    if isinstance(exc, TLSVerificationError):
        return "the board's certificate did not verify; for a board with another CA pass --ca FILE"
    if isinstance(exc, UnsupportedVersionError):
        return ""  # its message already says what to do
    if isinstance(exc, NotFoundError):
        return "check the name or ID given; the board does not have it"
    if isinstance(exc, DeviceHTTPError):
        return "" if exc.hint() else "run with --debug to see the requests"
    if isinstance(exc, MalformedResponseError):
        return "the board answered something unexpected; run with --debug to see the requests"
    if isinstance(exc, AzsphereError):
        return ""
    if isinstance(exc, OSError):
        return ""
    return "this is unexpected; run with --debug for the traceback and report it"


_ADVICE = ("check ", "enable ", "retry", "update ", "raise ", "pass ", "run ", "give ", "use ")


def _advises(text: str) -> bool:
    """Whether a message already says what to do (the library's messages often do)."""
    lowered = text.lower()
    return any(f"; {word}" in lowered or f"({word}" in lowered for word in _ADVICE)


def describe(exc: BaseException) -> str:
    """The failure without the board's address (for an error column), with the next step."""
    if isinstance(exc, DeviceError):
        text = exc.detail
    elif isinstance(exc, AzsphereError):
        text = str(exc)
    elif isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    hint = "" if _advises(text) else hint_for(exc)
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
        "message": exc.detail if isinstance(exc, DeviceError) else str(exc),
        "hint": hint_for(exc) or (exc.hint() if isinstance(exc, DeviceHTTPError) else ""),
    }
    if isinstance(exc, DeviceHTTPError):
        data.update(status=exc.status, error_code=exc.error_code, meaning=exc.meaning)
    return data


def traceback_text(exc: BaseException) -> str:
    """The full traceback, for ``--debug``."""
    return "".join(traceback.format_exception(exc)).rstrip()
