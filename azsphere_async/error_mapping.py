"""The one place where lower-level failures become this library's errors.

httpx (and the ssl module under it) raise their own exceptions; :func:`device_error_for`
turns each into a :class:`~azsphere_async.errors.DeviceError` that names the board, the call
and what to do. :func:`http_error_for` turns an error status and its body into the matching
:class:`~azsphere_async.errors.DeviceHTTPError`. :func:`is_retryable` says which failures a
read may be retried after.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator, Mapping
from typing import Final

import httpx

from ._json import parse_json
from .errors import (
    DeviceError,
    DeviceHTTPError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    TLSVerificationError,
    error_for_status,
)
from .options import Timeouts

__all__ = [
    "device_error_for",
    "http_error_for",
    "is_retryable",
    "operation_timeout",
    "tls_failure",
]

# What the ssl module raises for flow control and for a connection closed or reset under it:
# these say the connection was lost, never that the device failed TLS.
_LOST_CONNECTION_SSL_ERRORS: Final = (
    ssl.SSLWantReadError,
    ssl.SSLWantWriteError,
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
    ssl.SSLSyscallError,
)

# Failures after which an idempotent read may be sent again: nothing was answered.
_RETRYABLE: Final = (
    httpx.ConnectError,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)

_PHASES: Final[tuple[tuple[type[httpx.TimeoutException], str], ...]] = (
    (httpx.ConnectTimeout, "connect"),
    (httpx.ReadTimeout, "read"),
    (httpx.WriteTimeout, "write"),
    (httpx.PoolTimeout, "pool"),
)


def tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """The TLS failure behind ``exc``, if the handshake failed (an untrusted certificate, a peer
    that does not speak TLS); ``None`` for anything else.

    Only the handshake (an ``httpx.ConnectError``) can fail TLS. A connection lost later still
    carries ssl exceptions in its chain of causes and contexts (a reset under a TLS read shows
    ``SSLWantReadError`` as its context), and those are lost connections, not TLS failures.
    """
    if not isinstance(exc, httpx.ConnectError):
        return None
    for current in _chained(exc):
        if isinstance(current, ssl.SSLError) and not isinstance(
            current, _LOST_CONNECTION_SSL_ERRORS
        ):
            return current
    return None


def _chained(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every failure under it (causes and contexts), each once."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def is_retryable(exc: BaseException) -> bool:
    """Whether a read that failed with ``exc`` may be sent again (never after a TLS failure)."""
    return isinstance(exc, _RETRYABLE) and tls_failure(exc) is None


def device_error_for(
    exc: httpx.HTTPError,
    address: str,
    operation: str,
    timeouts: Timeouts,
    bytes_sent: int | None,
) -> DeviceError:
    """The library's error for an httpx failure of ``operation`` on the board at ``address``.

    Bytes of the answer that ``exc`` (or a failure under it) quotes are cut out of them.
    """
    _scrub_answer_bytes(exc)
    for kind, phase in _PHASES:
        if isinstance(exc, kind):
            limit = getattr(timeouts, phase)
            return DeviceTimeoutError(
                address,
                f"{operation}: no progress in the {phase} phase within {limit} s",
                phase=phase,
                bytes_sent=bytes_sent,
            )
    tls_error = tls_failure(exc)
    if tls_error is not None:
        if isinstance(tls_error, ssl.SSLCertVerificationError):
            return TLSVerificationError(
                address,
                f"{operation}: its TLS certificate did not verify "
                f"({tls_error.verify_message}); it is not a device this client trusts",
                untrusted_certificate=True,
                hint="if the board's certificate comes from another CA, trust that CA with ca=",
            )
        return TLSVerificationError(
            address,
            f"{operation}: the TLS handshake failed ({tls_error.reason or tls_error})",
            untrusted_certificate=False,
            hint="is something other than an Azure Sphere device listening there?",
        )
    if isinstance(exc, httpx.ConnectError):
        return DeviceUnreachableError(
            address, f"{operation}: could not connect ({exc})", bytes_sent=bytes_sent
        )
    if isinstance(exc, httpx.TransportError):
        return DeviceUnreachableError(
            address,
            f"{operation}: the connection was lost before the device answered "
            f"({type(exc).__name__}: {_without_answer(exc)})",
            bytes_sent=bytes_sent,
        )
    return DeviceUnreachableError(
        address,
        f"{operation}: {type(exc).__name__}: {_without_answer(exc)}",
        bytes_sent=bytes_sent,
    )


# Where h11 starts quoting the answer's bytes: "illegal status line: bytearray(b'...')",
# "Illegal header name b'...'".
_QUOTED_BYTES: Final = re.compile(r"""[\s:]*(?:bytearray\()?b['"]""")


def _without_answer(exc: BaseException) -> str:
    """The failure's message, without any bytes of the answer that it quotes: a board that
    echoes a request could put the request's secret there."""
    return _QUOTED_BYTES.split(str(exc), 1)[0]


def _scrub_answer_bytes(exc: BaseException) -> None:
    """Cut the answer's bytes out of ``exc`` and the failures chained below it, in place.

    The library's error is raised from the httpx failure, so a traceback shows that chain
    (httpx's error, and the h11 error under it, quote the status or header line they could
    not read); it must not show a secret a board echoed there.
    """
    for current in _chained(exc):
        if current.args and _QUOTED_BYTES.search(str(current)):
            current.args = (_without_answer(current), *current.args[1:])


def operation_timeout(
    address: str, operation: str, timeouts: Timeouts, bytes_sent: int | None
) -> DeviceTimeoutError:
    """The error for a call that ran past ``timeouts.operation``."""
    return DeviceTimeoutError(
        address,
        f"{operation} did not finish within {timeouts.operation} s",
        phase="operation",
        bytes_sent=bytes_sent,
    )


def http_error_for(
    address: str, method: str, path: str, status: int, content: bytes
) -> DeviceHTTPError:
    """The error for an answer with an error status; ``content`` may hold ``{"error": CODE}``."""
    return error_for_status(
        address, method=method, path=path, status=status, error_code=_error_code(content)
    )


# A device's error body is {"error": CODE}; a far larger one is not read for a code (parsing
# it would hold the event loop for nothing).
_MAX_ERROR_BODY: Final = 64 * 1024


def _error_code(content: bytes) -> int | None:
    if not content.strip() or len(content) > _MAX_ERROR_BODY:
        return None
    try:
        body = parse_json(content)
    except ValueError:
        return None  # not JSON (or nested past the parser's depth): the status alone tells
    code = body.get("error") if isinstance(body, Mapping) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None
