"""The HTTP layer: one keep-alive HTTPS connection to one device, and how requests go over it.

:class:`DeviceSession` owns one ``httpx.AsyncClient`` limited to a single HTTP/1.1 connection.
It applies the per-phase timeouts, retries idempotent reads that lost their connection, caps
how much of an answer is read into memory, learns the device's REST API version from the first
answer, and turns every failure into an exception from :mod:`azsphere_async.errors`.
"""

from __future__ import annotations

import json as jsonlib
import logging
import ssl
import time
from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any, Final, TypeVar

import anyio
import attrs
import cattrs
import httpx

from ._version import __version__
from .errors import (
    DeviceError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    InvalidArgumentError,
    MalformedResponseError,
    ResponseTooLargeError,
    TLSVerificationError,
    UnsupportedVersionError,
    error_for_status,
)
from .models import converter
from .tls import CAInput, make_ssl_context
from .validation import check_address
from .versions import RestApiVersion

__all__ = [
    "DEFAULT_ADDRESS",
    "DeviceResponse",
    "DeviceSession",
    "RetryPolicy",
    "Timeouts",
    "check_max_response_bytes",
]

logger = logging.getLogger("azsphere_async")

T = TypeVar("T")

#: Where the first attached device answers.
DEFAULT_ADDRESS: Final = "192.168.35.2"

#: Answers larger than this are refused instead of being read into memory.
DEFAULT_MAX_RESPONSE_BYTES: Final = 16 * 1024 * 1024

_IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_VERSION_HEADER: Final = "REST-API-Version"


@attrs.frozen
class Timeouts:
    """Time limits in seconds, per phase of a request; ``None`` means no limit.

    ``connect``: TCP and TLS set-up. ``write``: each write of the request (so a stalled upload
    fails). ``read``: each wait for answer bytes (so a board that never answers fails).
    ``pool``: waiting for the board's one connection while other calls use it.
    ``operation``: the whole call, retries included.
    """

    connect: float | None = 5.0
    read: float | None = 30.0
    write: float | None = 30.0
    pool: float | None = None
    operation: float | None = None

    @classmethod
    def of(cls, value: float | Timeouts | None) -> Timeouts:
        """Accept a ``Timeouts``, or one number for connect, read and write alike."""
        if isinstance(value, Timeouts):
            return value
        if value is None:
            return cls(connect=None, read=None, write=None)
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise InvalidArgumentError(
                "timeout", repr(value), "a positive number of seconds, None, or a Timeouts"
            )
        return cls(connect=float(value), read=float(value), write=float(value))

    def as_httpx(self) -> httpx.Timeout:
        """The same limits in httpx's form."""
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@attrs.frozen
class RetryPolicy:
    """How idempotent reads are retried after a refused or lost connection.

    Only requests that change nothing (GET) are ever retried; a stage, install, restart or any
    other change is sent at most once.
    """

    attempts: int = 3
    backoff: float = 0.2
    max_backoff: float = 2.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before try number ``attempt + 1`` (``attempt`` counts from 1)."""
        return float(min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))


@attrs.frozen
class DeviceResponse:
    """A device's answer, read in full (within the size cap)."""

    status: int
    headers: httpx.Headers
    content: bytes


def check_max_response_bytes(value: object) -> int:
    """A session's answer-size cap: a positive whole number of bytes, or ``None`` for the
    default (:data:`DEFAULT_MAX_RESPONSE_BYTES`)."""
    if value is None:
        return DEFAULT_MAX_RESPONSE_BYTES
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgumentError("max_response_bytes", repr(value), "a positive number of bytes")
    return value


# What the ssl module raises for flow control and for a connection closed or reset under it:
# these say the connection was lost, never that the device failed TLS.
_LOST_CONNECTION_SSL_ERRORS: Final = (
    ssl.SSLWantReadError,
    ssl.SSLWantWriteError,
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
    ssl.SSLSyscallError,
)


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """The TLS failure behind ``exc``, if the handshake failed (an untrusted certificate, a peer
    that does not speak TLS); ``None`` for anything else.

    Only the handshake (an ``httpx.ConnectError``) can fail TLS. A connection lost later still
    carries ssl exceptions in its chain of causes and contexts (a reset under a TLS read shows
    ``SSLWantReadError`` as its context), and those are lost connections, not TLS failures.
    """
    if not isinstance(exc, httpx.ConnectError):
        return None
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLError) and not isinstance(
            current, _LOST_CONNECTION_SSL_ERRORS
        ):
            return current
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None


_PHASES: Final[tuple[tuple[type[httpx.TimeoutException], str], ...]] = (
    (httpx.ConnectTimeout, "connect"),
    (httpx.ReadTimeout, "read"),
    (httpx.WriteTimeout, "write"),
    (httpx.PoolTimeout, "pool"),
)


class DeviceSession:
    """One device's HTTPS session: a single keep-alive HTTP/1.1 connection, used in turn.

    Calls made at the same time queue for the connection. A connection that the device
    closed (for example across a restart) is replaced on the next call.
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        ca: CAInput | None = None,
        timeout: float | Timeouts | None = None,
        retry: RetryPolicy | None = None,
        max_response_bytes: int | None = None,
        insecure_skip_verify: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        host, port = check_address(address)
        self.address = address
        self.timeouts = Timeouts() if timeout is None else Timeouts.of(timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        self.max_response_bytes = check_max_response_bytes(max_response_bytes)
        self._version: RestApiVersion | None = None
        self._version_lock = anyio.Lock()
        url_host = f"[{host}]" if ":" in host else host
        base_url = f"https://{url_host}" + (f":{port}" if port is not None else "")
        ssl_context = make_ssl_context(ca, insecure_skip_verify=insecure_skip_verify)
        self._client = httpx.AsyncClient(
            base_url=base_url,
            verify=ssl_context,
            http1=True,
            http2=False,
            follow_redirects=False,
            trust_env=False,
            timeout=self.timeouts.as_httpx(),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            headers={"Accept": "application/json", "User-Agent": f"azsphere-async/{__version__}"},
            transport=transport,
        )
        self._closed = False

    def __repr__(self) -> str:
        return f"<DeviceSession {self.address} version={self._version}>"

    @property
    def base_url(self) -> str:
        """The ``https://host[:port]`` that requests go to."""
        return str(self._client.base_url).rstrip("/")

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    @property
    def rest_api_version(self) -> RestApiVersion | None:
        """The device's REST API version, once any answer has told it (else ``None``)."""
        return self._version

    async def __aenter__(self) -> DeviceSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection; the session cannot be used afterwards."""
        self._closed = True
        await self._client.aclose()

    # -- versions -------------------------------------------------------------------------

    async def get_rest_api_version(self) -> RestApiVersion:
        """The device's REST API version, asking ``GET /status`` only if no answer told it yet."""
        if self._version is None:
            async with self._version_lock:
                if self._version is None:
                    await self.request("GET", "/status")
        if self._version is None:
            raise MalformedResponseError(
                self.address, f"the device's answers carry no {_VERSION_HEADER} header"
            )
        return self._version

    async def require_version(self, minimum: RestApiVersion, operation: str) -> None:
        """Raise :class:`UnsupportedVersionError` if the device is older than ``minimum``."""
        actual = await self.get_rest_api_version()
        if actual < minimum:
            raise UnsupportedVersionError(self.address, operation, str(minimum), str(actual))

    def _learn_version(self, headers: httpx.Headers) -> None:
        text = headers.get(_VERSION_HEADER)
        if text is None:
            return
        try:
            version = RestApiVersion.parse(text)
        except ValueError:
            logger.warning(
                "%s: ignoring unreadable %s header %r", self.address, _VERSION_HEADER, text
            )
            return
        if version != self._version:
            if self._version is not None:
                logger.info(
                    "%s: REST API version changed from %s to %s",
                    self.address,
                    self._version,
                    version,
                )
            self._version = version

    # -- requests -------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | AsyncIterable[bytes] | None = None,
        content_length: int | None = None,
        content_type: str | None = None,
        min_version: RestApiVersion | None = None,
        operation: str | None = None,
        max_bytes: int | None = None,
        bytes_sent: Callable[[], int] | None = None,
    ) -> DeviceResponse:
        """Send one request and return the answer; raise the matching error for failures.

        ``json`` is sent as an ``application/json`` body. ``content`` is a raw body; with an
        async iterable, ``content_length`` must give its exact size so that it goes out with
        a ``Content-Length`` (never chunked). ``bytes_sent`` reports how much of the body went
        out, for error messages. ``min_version`` refuses the call on an older device before
        it is sent; ``operation`` names the call in errors (default ``"METHOD path"``);
        ``max_bytes`` overrides the session's answer-size cap. Answers with an error status
        raise a :class:`~azsphere_async.errors.DeviceHTTPError`.
        """
        if self._closed:
            raise RuntimeError(f"the session for {self.address} is closed")
        name = operation or f"{method} {path}"
        if min_version is not None:
            await self.require_version(min_version, name)
        headers: dict[str, str] = {}
        body: bytes | AsyncIterable[bytes] | None = content
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if content_type is not None:
            headers["Content-Type"] = content_type
        streamed = isinstance(body, AsyncIterable)
        if content_length is not None:
            headers["Content-Length"] = str(content_length)
        elif streamed:
            raise InvalidArgumentError(
                "content_length",
                "None",
                "the exact size of a streamed body (chunked uploads are refused)",
            )
        idempotent = method in _IDEMPOTENT_METHODS and not streamed
        limit = self.max_response_bytes if max_bytes is None else max_bytes
        attempts = self.retry.attempts if idempotent else 1
        try:
            with anyio.fail_after(self.timeouts.operation):
                attempt = 1
                while True:
                    try:
                        return await self._send_once(method, path, headers, body, limit)
                    except (
                        httpx.ConnectError,
                        httpx.RemoteProtocolError,
                        httpx.ReadError,
                        httpx.WriteError,
                    ) as exc:
                        if attempt >= attempts or _tls_failure(exc) is not None:
                            raise
                        delay = self.retry.delay(attempt)
                        logger.debug(
                            "%s: %s %s lost its connection (%s); retry %d in %.2f s",
                            self.address,
                            method,
                            path,
                            type(exc).__name__,
                            attempt,
                            delay,
                        )
                        attempt += 1
                        await anyio.sleep(delay)
        except TimeoutError:
            raise DeviceTimeoutError(
                self.address,
                f"{name} did not finish within {self.timeouts.operation} s",
                phase="operation",
                bytes_sent=bytes_sent() if bytes_sent else None,
            ) from None
        except httpx.HTTPError as exc:
            raise self._translate(exc, name, bytes_sent() if bytes_sent else None) from exc

    async def _send_once(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | AsyncIterable[bytes] | None,
        limit: int,
    ) -> DeviceResponse:
        debug = logger.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if debug else 0.0
        if debug:
            logger.debug("%s: -> %s %s", self.address, method, path)
        request = self._client.build_request(method, path, content=body, headers=headers)
        response = await self._client.send(request, stream=True)
        try:
            self._learn_version(response.headers)
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise ResponseTooLargeError(
                    self.address,
                    f"{method} {path} answered {declared} bytes, more than the {limit}-byte cap "
                    "(raise max_response_bytes if this is expected)",
                    limit=limit,
                )
            parts: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLargeError(
                        self.address,
                        f"{method} {path} answered more than the {limit}-byte cap "
                        "(raise max_response_bytes if this is expected)",
                        limit=limit,
                    )
                parts.append(chunk)
        finally:
            await response.aclose()
        content = b"".join(parts)
        if debug:
            logger.debug(
                "%s: <- %s %s: HTTP %d, %d bytes, %.1f ms",
                self.address,
                method,
                path,
                response.status_code,
                len(content),
                (time.perf_counter() - started) * 1000,
            )
        if response.status_code >= 300 or response.status_code < 200:
            raise error_for_status(
                self.address,
                method=method,
                path=path,
                status=response.status_code,
                error_code=_error_code(content),
            )
        return DeviceResponse(response.status_code, response.headers, content)

    def _translate(self, exc: httpx.HTTPError, name: str, sent: int | None) -> DeviceError:
        for kind, phase in _PHASES:
            if isinstance(exc, kind):
                limit = getattr(self.timeouts, phase)
                return DeviceTimeoutError(
                    self.address,
                    f"{name}: no progress in the {phase} phase within {limit} s; "
                    "check the board is powered and attached, or raise the timeout",
                    phase=phase,
                    bytes_sent=sent,
                )
        tls_error = _tls_failure(exc)
        if tls_error is not None:
            if isinstance(tls_error, ssl.SSLCertVerificationError):
                reason = (
                    f"its TLS certificate did not verify ({tls_error.verify_message}); "
                    "it is not a device this client trusts (pass ca= to trust another CA)"
                )
            else:
                reason = (
                    f"the TLS handshake failed ({tls_error.reason or tls_error}); "
                    "is something other than an Azure Sphere device listening there?"
                )
            return TLSVerificationError(self.address, f"{name}: {reason}")
        if isinstance(exc, httpx.ConnectError):
            return DeviceUnreachableError(
                self.address,
                f"{name}: could not connect ({exc}); check the board is attached and powered",
                bytes_sent=sent,
            )
        if isinstance(exc, httpx.TransportError):
            return DeviceUnreachableError(
                self.address,
                f"{name}: the connection was lost before the device answered "
                f"({type(exc).__name__}: {exc})",
                bytes_sent=sent,
            )
        return DeviceUnreachableError(
            self.address, f"{name}: {type(exc).__name__}: {exc}", bytes_sent=sent
        )

    # -- answer decoding ------------------------------------------------------------------

    async def call_json(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        min_version: RestApiVersion | None = None,
        operation: str | None = None,
        allow_empty: bool = False,
    ) -> Any:
        """Send a request and decode its JSON answer.

        With ``allow_empty`` an empty body decodes to ``{}`` (some calls answer 200 with no
        body); otherwise an empty or non-JSON answer raises :class:`MalformedResponseError`.
        """
        response = await self.request(
            method, path, json=json, min_version=min_version, operation=operation
        )
        return self.decode_json(response, method, path, allow_empty=allow_empty)

    def decode_json(
        self, response: DeviceResponse, method: str, path: str, *, allow_empty: bool = False
    ) -> Any:
        """Decode a JSON answer (see :meth:`call_json`)."""
        if not response.content.strip():
            if allow_empty:
                return {}
            raise MalformedResponseError(self.address, f"{method} {path} answered an empty body")
        media = _media_type(response.headers)
        if media and media != "application/json" and not media.endswith("+json"):
            raise MalformedResponseError(
                self.address, f"{method} {path} answered {media!r} where JSON was expected"
            )
        try:
            return jsonlib.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedResponseError(
                self.address, f"{method} {path} answered JSON that cannot be parsed ({exc})"
            ) from None

    async def call_bytes(
        self,
        method: str,
        path: str,
        *,
        min_version: RestApiVersion | None = None,
        operation: str | None = None,
        max_bytes: int | None = None,
    ) -> bytes:
        """Send a request and return its raw answer (``application/octet-stream`` calls).

        An answer labelled with another media type (an HTML error page, JSON) is a
        :class:`MalformedResponseError`, not a log; an unlabelled one is taken as bytes.
        """
        response = await self.request(
            method, path, min_version=min_version, operation=operation, max_bytes=max_bytes
        )
        media = _media_type(response.headers)
        if media and media != "application/octet-stream":
            raise MalformedResponseError(
                self.address,
                f"{method} {path} answered {media!r} where application/octet-stream was expected",
            )
        return response.content

    def structure(self, data: Any, cls: type[T], *, what: str) -> T:
        """Turn decoded JSON into a model; a misfit is a :class:`MalformedResponseError`."""
        try:
            return converter.structure(data, cls)
        except (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
            detail = (
                "; ".join(cattrs.transform_error(exc))
                if isinstance(exc, cattrs.BaseValidationError)
                else str(exc)
            )
            raise MalformedResponseError(
                self.address, f"{what}: the answer does not have the documented shape ({detail})"
            ) from None


def _media_type(headers: httpx.Headers) -> str:
    """The answer's media type, lower-cased and without parameters ("" when unlabelled)."""
    media: str = headers.get("Content-Type", "")
    return media.split(";")[0].strip().lower()


def _error_code(content: bytes) -> int | None:
    if not content.strip():
        return None
    try:
        body = jsonlib.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    code = body.get("error") if isinstance(body, Mapping) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None
