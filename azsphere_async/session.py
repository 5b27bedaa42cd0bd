"""The HTTP layer: one keep-alive HTTPS connection to one device, and requests over it.

:class:`DeviceSession` owns one ``httpx.AsyncClient`` over a
:class:`~azsphere_async.transport.DeviceTransport` (a single HTTP/1.1 connection). It applies
the per-phase timeouts, retries idempotent reads that lost their connection, caps how much of
an answer is read into memory (content codings included, see :mod:`azsphere_async.codings`)
and learns the device's REST API version from the answers. It knows HTTP only: what answers
mean is the resources' business (:mod:`azsphere_async.resources`), and every failure is
translated in :mod:`azsphere_async.error_mapping`.
"""

from __future__ import annotations

import json as jsonlib
import logging
import socket
import time
from collections.abc import AsyncIterable, Callable
from typing import Any, Final

import anyio
import attrs
import httpx

from ._version import __version__
from .codings import ACCEPTED_CODINGS, CodingError, DecodedTooLarge, read_decoded
from .error_mapping import device_error_for, http_error_for, is_retryable, operation_timeout
from .errors import (
    InvalidArgumentError,
    MalformedResponseError,
    ResponseTooLargeError,
    UnsupportedVersionError,
)
from .options import DEFAULT_ADDRESS, ClientOptions
from .transport import DeviceTransport
from .validation import DeviceAddress, check_address
from .versions import RestApiVersion

__all__ = ["DeviceResponse", "DeviceSession"]

logger = logging.getLogger("azsphere_async")

_IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_VERSION_HEADER: Final = "REST-API-Version"
# Paths whose URLs are kept parsed (a board's calls use a few dozen).
_URL_CACHE_SIZE: Final = 256


@attrs.frozen
class DeviceResponse:
    """A device's answer, read in full (within the size cap)."""

    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def media_type(self) -> str:
        """The answer's media type, lower-cased and without parameters ("" when unlabelled)."""
        media: str = self.headers.get("Content-Type", "")
        return media.split(";")[0].strip().lower()


class DeviceSession:
    """One device's HTTPS session: a single keep-alive HTTP/1.1 connection, used in turn.

    ``address`` is ``"host"`` or ``"host:port"`` (or an already checked
    :class:`~azsphere_async.validation.DeviceAddress`); ``options`` are the
    :class:`~azsphere_async.options.ClientOptions` (the defaults when omitted); ``transport``
    replaces the network for this one session (otherwise ``options.transport_factory`` is
    asked). Calls made at the same time queue for the connection. A connection that the
    device closed (for example across a restart) is replaced on the next call.
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        options: ClientOptions | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        checked: DeviceAddress | None = None,
    ) -> None:
        target = checked if checked is not None else check_address(address)
        self.address = address
        self.options = options if options is not None else ClientOptions()
        self._version: RestApiVersion | None = None
        self._version_text: str | None = None
        self._version_lock = anyio.Lock()
        self._urls: dict[str, httpx.URL] = {}
        if transport is None and self.options.transport_factory is not None:
            transport = self.options.transport_factory(address)
        if transport is None:
            transport = DeviceTransport(self.options.ssl_context)
        self._transport = transport
        self._base_url = httpx.URL(target.base_url)
        self._headers = {
            "Accept": "application/json",
            "Accept-Encoding": ACCEPTED_CODINGS,
            "User-Agent": f"azsphere-async/{__version__}",
        }
        self._timeout = self.options.timeouts.as_httpx().as_dict()
        self._closed = False

    def __repr__(self) -> str:
        return f"<DeviceSession {self.address} version={self._version}>"

    @property
    def base_url(self) -> str:
        """The ``https://host[:port]`` that requests go to."""
        return str(self._base_url).rstrip("/")

    def connection_socket(self) -> socket.socket | None:
        """The socket of the board's open connection, where the transport is the library's
        own (``None`` otherwise, or between connections); for reading its state only."""
        transport = self._transport
        return transport.socket if isinstance(transport, DeviceTransport) else None

    @property
    def borrows_chunks(self) -> bool:
        """Whether the transport is done with each chunk of a streamed body before it asks
        for the next (see :attr:`~azsphere_async.transport.DeviceTransport.borrows_chunks`):
        a body may then hand out views of a buffer it refills instead of copies."""
        transport = self._transport
        return isinstance(transport, DeviceTransport) and transport.borrows_chunks

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
        await self._transport.aclose()

    # -- versions -------------------------------------------------------------------------

    async def get_rest_api_version(self) -> RestApiVersion:
        """The device's REST API version, asking ``GET /status`` only if no answer told it yet.

        The probe is bounded by ``Timeouts.operation`` like any call.
        """
        if self._version is not None:
            return self._version
        name = "device.get_rest_api_version"
        limit = self.options.timeouts.operation
        if limit is None:
            return await self._probe_version(name)
        with anyio.CancelScope(deadline=anyio.current_time() + limit):
            return await self._probe_version(name)
        raise operation_timeout(self.address, name, self.options.timeouts, None)

    async def require_version(self, minimum: RestApiVersion, operation: str) -> None:
        """Raise :class:`UnsupportedVersionError` if the device is older than ``minimum``."""
        actual = await self.get_rest_api_version()
        if actual < minimum:
            raise UnsupportedVersionError(self.address, operation, str(minimum), str(actual))

    async def _probe_version(self, operation: str) -> RestApiVersion:
        """The version, asking ``GET /status`` if needed (inside the caller's deadline)."""
        if self._version is None:
            async with self._version_lock:
                if self._version is None:
                    await self._attempts(_Call("GET", "/status", {}, None, operation))
        if self._version is None:
            raise MalformedResponseError(
                self.address, f"the device's answers carry no {_VERSION_HEADER} header"
            )
        return self._version

    def _learn_version(self, text: str) -> None:
        try:
            version = RestApiVersion.parse(text)
        except ValueError:
            # Not quoted: a board that echoes a request could have put its secret there.
            logger.warning(
                "%s: ignoring an unreadable %s header (%d characters)",
                self.address,
                _VERSION_HEADER,
                len(text),
            )
            return
        self._version_text = text
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
        raise a :class:`~azsphere_async.errors.DeviceHTTPError`. ``Timeouts.operation`` bounds
        everything the call does, the version probe and retries included.
        """
        if self._closed:
            raise RuntimeError(f"the session for {self.address} is closed")
        name = operation or f"{method} {path}"
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
        call = _Call(method, path, headers, body, name, max_bytes, bytes_sent)
        call.idempotent = method in _IDEMPOTENT_METHODS and not streamed
        timeouts = self.options.timeouts
        if timeouts.operation is None:
            return await self._checked_call(call, min_version)
        with anyio.CancelScope(deadline=anyio.current_time() + timeouts.operation):
            return await self._checked_call(call, min_version)
        # Only a call that ran past its deadline gets here: the scope swallowed its cancellation.
        sent = bytes_sent() if bytes_sent else None
        raise operation_timeout(self.address, name, timeouts, sent)

    async def _checked_call(
        self, call: _Call, min_version: RestApiVersion | None
    ) -> DeviceResponse:
        if min_version is not None:
            actual = self._version or await self._probe_version(call.operation)
            if actual < min_version:
                raise UnsupportedVersionError(
                    self.address, call.operation, str(min_version), str(actual)
                )
        return await self._attempts(call)

    async def _attempts(self, call: _Call) -> DeviceResponse:
        """Send ``call``, retrying a read that lost its connection; map httpx's failures."""
        retry = self.options.retry
        attempts = retry.attempts if call.idempotent else 1
        attempt = 1
        try:
            while True:
                try:
                    return await self._send_once(call)
                except httpx.HTTPError as exc:
                    if attempt >= attempts or not is_retryable(exc):
                        raise
                    delay = retry.delay(attempt)
                    logger.debug(
                        "%s: %s %s lost its connection (%s); retry %d in %.2f s",
                        self.address,
                        call.method,
                        call.path,
                        type(exc).__name__,
                        attempt,
                        delay,
                    )
                    attempt += 1
                    await anyio.sleep(delay)
        except httpx.HTTPError as exc:
            sent = call.bytes_sent() if call.bytes_sent else None
            raise device_error_for(
                exc, self.address, call.operation, self.options.timeouts, sent
            ) from exc

    def _too_large(self, call: _Call, limit: int, declared: str | None = None) -> Exception:
        size = f"{declared} bytes, more than" if declared else "more than"
        return ResponseTooLargeError(
            self.address,
            f"{call.method} {call.path} answered {size} the {limit}-byte cap",
            limit=limit,
        )

    async def _send_once(self, call: _Call) -> DeviceResponse:
        method, path = call.method, call.path
        limit = self.options.max_response_bytes if call.max_bytes is None else call.max_bytes
        debug = logger.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if debug else 0.0
        if debug:
            logger.debug("%s: -> %s %s", self.address, method, path)
        # Straight to the transport: httpx's client would add cookie handling, auth and
        # redirect machinery that a board never needs (about 40% of a small call's CPU).
        request = httpx.Request(
            method,
            self.url(path),
            headers={**self._headers, **call.headers} if call.headers else self._headers,
            content=call.body,
            extensions={"timeout": self._timeout},
        )
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            headers = response.headers
            version, declared, coding = _wanted_headers(headers)
            if version is not None and version != self._version_text:
                self._learn_version(version)
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise self._too_large(call, limit, declared)
            content = await self._read_body(call, response, limit, coding)
        finally:
            await response.aclose()
        status = response.status_code
        if debug:
            logger.debug(
                "%s: <- %s %s: HTTP %d, %d bytes, %.1f ms",
                self.address,
                method,
                path,
                status,
                len(content),
                (time.perf_counter() - started) * 1000,
            )
        if status >= 300 or status < 200:
            raise http_error_for(self.address, method, path, status, content)
        return DeviceResponse(status, headers, content)

    async def _read_body(
        self, call: _Call, response: httpx.Response, limit: int, coding: str | None
    ) -> bytes:
        """The answer's body, decoded, never holding much more than ``limit`` bytes."""
        try:
            return await read_decoded(response, limit, coding)
        except DecodedTooLarge:
            raise self._too_large(call, limit) from None
        except CodingError as exc:
            raise self._undecodable(call, exc) from None

    def _undecodable(self, call: _Call, exc: CodingError) -> MalformedResponseError:
        return MalformedResponseError(self.address, f"{call.method} {call.path} answered {exc}")

    def url(self, path: str) -> httpx.URL:
        """The URL a request for ``path`` goes to (merged onto the board's as httpx merges a
        base URL), parsed once per path."""
        url = self._urls.get(path)
        if url is None:
            base = self._base_url
            url = base.copy_with(raw_path=base.raw_path + httpx.URL(path).raw_path.lstrip(b"/"))
            if len(self._urls) < _URL_CACHE_SIZE:
                self._urls[path] = url
        return url


def _wanted_headers(headers: httpx.Headers) -> tuple[str | None, str | None, str | None]:
    """The answer's version, ``Content-Length`` and ``Content-Encoding``, in one pass (httpx
    decodes every header for each lookup)."""
    version = length = coding = None
    for key, value in headers.raw:
        name = key.lower()
        if name == b"rest-api-version":
            version = value.decode("latin-1")
        elif name == b"content-length":
            length = value.decode("latin-1")
        elif name == b"content-encoding":
            coding = (
                value.decode("latin-1")
                if coding is None
                else f"{coding}, {value.decode('latin-1')}"
            )
    return version, length, coding


@attrs.define(slots=True)
class _Call:
    """One call as the session sends it (every attempt the same)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | AsyncIterable[bytes] | None
    operation: str
    max_bytes: int | None = None
    bytes_sent: Callable[[], int] | None = None
    idempotent: bool = True
