"""The station's events to an HTTP endpoint (a webhook), at least once, in order.

:class:`WebhookPublisher` POSTs every event of the outbox
(:mod:`azsphere_async.station.delivery`) to the URL of its :class:`WebhookSettings`, oldest
first, one event per request, and moves its own delivery position (target
``webhook <scheme://host:port/path>``) past an event only when the endpoint answered it with a
2xx. A broker and any number of webhooks go at their own pace.

The request: ``POST`` with the event as its JSON body (``Content-Type: application/json``;
the object a broker gets, ``event_id`` included) and the event ID again in
``Idempotency-Key``, quoted, as draft-ietf-httpapi-idempotency-key-header says
(``Idempotency-Key: "6f1c..."``). One event a request: a key for each event, and an answer
that is about one event.

Answers: any 2xx, delivered. 408, 409, 425, 429 and 5xx, a connection that fails, or no whole
answer within ``timeout`` seconds: the same event again after a backoff that doubles from
``retry_min`` to ``retry_max`` seconds (with jitter; a ``Retry-After`` up to five minutes is
honoured). Any other answer (a 4xx; a 3xx, since redirects are not followed) says the endpoint
refuses the event as it is: the webhook is *held* (:attr:`WebhookPublisher.problem` says why,
logged as an error), the event and every later one wait in the outbox, and it is offered again
every ``retry_max`` seconds, so an endpoint put right gets everything, in order, without a
restart of the station. No event is skipped unless a person names it for this webhook
(``azsphere-async outbox --skip``, :meth:`RecordStore.skip_event
<azsphere_async.records.RecordStore.skip_event>`): at its next offer the webhook sees that and
goes on with the next event.

TLS: the system's CAs (``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` are honoured), or with
``ca_file`` that file's CAs only.

Secrets: the URL may carry credentials (``https://user:password@host/...``, sent as HTTP
basic authentication) or a token in its query; ``token`` is sent as ``Authorization: Bearer``.
None of them appears in a repr, a log line, an exception's text or the records: the endpoint
is shown as scheme, host, port and path (:attr:`WebhookSettings.shown`), and httpx's own log
line of each request is rewritten the same way while a publisher runs. A token in the *path*
is shown like any path: put it in the query, the credentials or ``token``.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import ssl
import time
import urllib.parse
from collections.abc import Callable
from functools import partial
from typing import Final

import anyio
import attrs
import httpx

from .._redaction import hidden, redact
from .._version import __version__
from ..errors import InvalidArgumentError
from ..records.store import OutboxEvent, RecordStore
from ..validation import check_http_url, check_seconds, shown_url
from .delivery import OutboxSender

__all__ = ["WebhookPublisher", "WebhookSettings"]

logger = logging.getLogger("azsphere_async")

_TRANSIENT_STATUSES: Final = frozenset({408, 409, 425, 429})
_RETRY_AFTER_LIMIT: Final = 300.0
_BODY_SHOWN: Final = 200
"""How much of a refusal's body is quoted in the problem (characters)."""
_BODY_READ: Final = 64 * 1024
"""How much of an answer's body is read (the rest is not waited for)."""


@attrs.frozen
class WebhookSettings:
    """Where the webhook is, how it is trusted and how patiently it is retried.

    ``url``: ``http://`` or ``https://`` (shown without its credentials or query);
    ``ca_file``: a PEM file of the CAs that verify the endpoint (else the system's);
    ``token``: sent as ``Authorization: Bearer`` (never shown); ``timeout``: seconds for a
    whole request and its answer; ``retry_min``, ``retry_max``: the backoff's bounds.
    """

    url: str = attrs.field(repr=lambda url: repr(shown_url(url)))
    ca_file: str | None = None
    token: str | None = attrs.field(default=None, repr=hidden)
    timeout: float = 10.0
    retry_min: float = 0.5
    retry_max: float = 30.0

    def __attrs_post_init__(self) -> None:
        check_http_url(self.url, "webhook url")
        check_seconds(self.timeout, "webhook timeout")
        check_seconds(self.retry_min, "webhook retry_min")
        check_seconds(self.retry_max, "webhook retry_max")
        if self.retry_max < self.retry_min:
            raise InvalidArgumentError(
                "webhook retry_max", repr(self.retry_max), f"at least retry_min ({self.retry_min})"
            )
        parts = urllib.parse.urlsplit(self.url)
        if self.token is not None and (parts.username or parts.password):
            raise InvalidArgumentError(
                "webhook token",
                "a token and credentials in the URL (not shown)",
                "one way to log in: credentials in the URL, or a token",
            )

    @property
    def shown(self) -> str:
        """The endpoint as it may be shown: scheme, host, port and path."""
        return shown_url(self.url)

    @property
    def target(self) -> str:
        """Its name as a target of the outbox (where its delivery position is kept)."""
        return f"webhook {self.shown}"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every text that must not be shown: the URL's credentials and query, the token
        (as given, and as httpx writes them)."""
        parts = urllib.parse.urlsplit(self.url)
        normalised = httpx.URL(self.url)
        found = {
            parts.netloc.rpartition("@")[0] if "@" in parts.netloc else "",
            normalised.userinfo.decode("ascii", "replace"),
            parts.query,
            normalised.query.decode("ascii", "replace"),
            urllib.parse.unquote(parts.password or ""),
            parts.password or "",
            self.token or "",
        }
        return tuple(sorted((s for s in found if s), key=len, reverse=True))


def _ssl_context(ca_file: str | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise InvalidArgumentError(
            "webhook ca_file", repr(ca_file), f"a readable PEM file of CA certificates ({exc})"
        ) from exc


class _Redact(logging.Filter):
    """Rewrites httpx's log records of one webhook's requests without its secrets."""

    def __init__(self, clean: Callable[[str], str]) -> None:
        super().__init__()
        self._clean = clean

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._clean(str(arg)) if isinstance(arg, str | httpx.URL) else arg
                for arg in record.args
            )
        record.msg = self._clean(str(record.msg))
        return True


@attrs.frozen
class _Answer:
    delivered: bool
    problem: str = ""
    kind: str = ""
    """The problem without its details (a status, a failure's type): it is logged when this
    changes, not at every retry."""
    refused: bool = False
    retry_after: float | None = None


class WebhookPublisher(OutboxSender):
    """POST the outbox of ``store`` to a webhook until cancelled (:meth:`run`; see the module).

    ``sent`` counts events the endpoint took; ``problem`` says why it does not take them now
    (``""`` while it does); ``held`` is true while it refuses an event (a 4xx).
    """

    def __init__(self, store: RecordStore, settings: WebhookSettings) -> None:
        super().__init__(store, settings.target)
        self.settings = settings
        self.held = False
        self._ssl = _ssl_context(settings.ca_file)
        self._secrets = settings.secrets
        self._failures = 0
        self._said = ""  # the kind of problem last logged

    def __repr__(self) -> str:
        return f"<WebhookPublisher {self.settings.shown} sent={self.sent}>"

    def _clean(self, text: str) -> str:
        return redact(text, self._secrets)

    async def run(self, *, poll: float = 0.5) -> None:
        """POST every event of the outbox, in order, each until the endpoint takes it."""
        settings = self.settings
        headers = {"User-Agent": f"azsphere-async/{__version__}"}
        if settings.token is not None:
            headers["Authorization"] = f"Bearer {settings.token}"
        redact = _Redact(self._clean)
        httpx_logger = logging.getLogger("httpx")
        httpx_logger.addFilter(redact)
        try:
            async with httpx.AsyncClient(
                verify=self._ssl,
                timeout=httpx.Timeout(settings.timeout),
                follow_redirects=False,
                headers=headers,
            ) as client:
                await self._send_outbox(partial(self._deliver, client, poll), poll)
        finally:
            httpx_logger.removeFilter(redact)

    async def _deliver(self, client: httpx.AsyncClient, poll: float, event: OutboxEvent) -> bool:
        while True:
            answer = await self._post(client, event)
            if answer.delivered:
                if self.problem:
                    logger.warning("webhook %s takes events again", self.settings.shown)
                self._clear()
                return True
            self._failures += 1
            self._report(event, answer)
            await anyio.sleep(self._delay(answer))
            if not await self._still_waiting(event, poll):
                logger.warning(
                    "webhook %s: event %s was skipped for it; going on with the next",
                    self.settings.shown,
                    event.event_id,
                )
                self._clear()
                return False

    def _clear(self) -> None:
        self.problem, self.held, self._failures, self._said = "", False, 0, ""

    async def _post(self, client: httpx.AsyncClient, event: OutboxEvent) -> _Answer:
        headers = {"Content-Type": "application/json", "Idempotency-Key": f'"{event.event_id}"'}
        body = event.payload.encode()
        try:
            with anyio.fail_after(self.settings.timeout):
                async with client.stream(
                    "POST", self.settings.url, content=body, headers=headers
                ) as response:
                    if response.is_success:
                        await _read_some(response)  # so the connection is kept for the next
                        return _Answer(delivered=True)
                    text = await _read_some(response)
        except (TimeoutError, httpx.TimeoutException):
            return _Answer(False, f"no answer within {self.settings.timeout:g} s", "timeout")
        except httpx.HTTPError as exc:
            problem = f"cannot reach it: {self._clean(_describe(exc))}"
            return _Answer(False, problem, type(exc).__name__)
        status = response.status_code
        said = f"{status} {response.reason_phrase}".strip()
        snippet = self._clean(_one_line(text))
        if snippet:
            said += f": {snippet}"
        if status >= 500 or status in _TRANSIENT_STATUSES:
            retry_after = _retry_after(response)
            return _Answer(False, f"it answered {said}", str(status), retry_after=retry_after)
        if response.is_redirect:
            moved = shown_url(response.headers.get("location", ""))
            said += f" (redirects are not followed; it points to {moved})"
        return _Answer(False, f"it refuses the event: {said}", str(status), refused=True)

    def _report(self, event: OutboxEvent, answer: _Answer) -> None:
        self.held = answer.refused
        self.problem = answer.problem
        if answer.kind == self._said:
            return  # said already; the same again at every retry would drown the log
        self._said = answer.kind
        shown = self.settings.shown
        if answer.refused:
            logger.error(
                "webhook %s: %s (event %s); holding its events in the outbox, nothing skipped:"
                " offered again every %g s until it takes them (or it is skipped for this"
                " webhook: azsphere-async outbox --skip)",
                shown,
                answer.problem,
                event.event_id,
                self.settings.retry_max,
            )
        else:
            logger.warning(
                "webhook %s: %s; its events wait in the outbox and go in order when it is back",
                shown,
                answer.problem,
            )

    def _delay(self, answer: _Answer) -> float:
        settings = self.settings
        if answer.refused:
            return settings.retry_max
        doubled = settings.retry_min * 2.0 ** min(self._failures - 1, 60)
        delay = min(settings.retry_max, doubled) * random.uniform(0.5, 1.0)
        if answer.retry_after is not None:
            delay = max(delay, answer.retry_after)
        return delay


async def _read_some(response: httpx.Response) -> bytes:
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= _BODY_READ:
            break
    return body


def _one_line(body: bytes) -> str:
    text = " ".join(body[:_BODY_READ].decode("utf-8", "replace").split())
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= _BODY_SHOWN else text[: _BODY_SHOWN - 3] + "..."


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return _one_line(text.encode())


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), _RETRY_AFTER_LIMIT)
