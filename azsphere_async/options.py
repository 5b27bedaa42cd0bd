"""How clients, pools and fleets behave: one frozen options object, checked once.

:class:`ClientOptions` holds everything that shapes a board's connection: the CA to trust,
the :class:`Timeouts`, the :class:`RetryPolicy` for reads, the answer-size cap, and (for
in-process tests) a transport factory. It is checked when it is made, and the TLS context it
needs is built then too, so a fleet of a hundred boards checks and builds it once.
:class:`~azsphere_async.client.DeviceClient`, :class:`~azsphere_async.pool.SessionPool` and
:class:`~azsphere_async.fleet.Fleet` take it as ``options=``, or its fields as keyword
shortcuts (:class:`OptionShortcuts`).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Final, TypedDict

import attrs
import httpx

from .tls import CAInput, make_ssl_context
from .validation import (
    check_attempts,
    check_bool,
    check_instance,
    check_max_response_bytes,
    check_optional_seconds,
    check_seconds,
)

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "ClientOptions",
    "OptionShortcuts",
    "RetryPolicy",
    "Timeouts",
    "TransportFactory",
]

#: Where the first attached device answers.
DEFAULT_ADDRESS: Final = "192.168.35.2"

#: Answers larger than this are refused instead of being read into memory.
DEFAULT_MAX_RESPONSE_BYTES: Final = 16 * 1024 * 1024

#: How many boards a fleet works on at once unless told otherwise: more than one computer
#: attaches, so every board of a fleet runs at once. Each board has its own link and its own
#: connection (kept open by the pool whatever the limit), so working on fewer at a time saves
#: nothing; it only cuts a run into waves that each wait for their slowest board (128 boards
#: deploying over 1 MB/s links took 8.5 s with a limit of 64, 4.9 s with 128). What a board
#: in flight does hold is an open image file and a read buffer of 1 MiB while it uploads a
#: large package: lower the limit to bound those (file descriptors, memory).
DEFAULT_CONCURRENCY: Final = 256

#: Makes the httpx transport for one board's address (in-process tests replace the network).
TransportFactory = Callable[[str], httpx.AsyncBaseTransport]


def _phase(name: str, default: float | None) -> float | None:
    def convert(value: object) -> float | None:
        return check_optional_seconds(value, f"timeouts.{name}")

    return attrs.field(default=default, converter=convert)


@attrs.frozen
class Timeouts:
    """Time limits in seconds, per phase of a request; ``None`` means no limit.

    ``connect``: TCP and TLS set-up. ``write``: each write of the request (so a stalled upload
    fails; a write always has the whole limit, and a stalled one fails within a sixteenth
    more, a second at most, as the deadline is moved on only now and then). ``read``: each
    wait for answer bytes (so a board that never answers fails).
    ``pool``: waiting for the board's one connection while other calls use it.
    ``operation``: the whole call, retries included. Each limit must be a positive, finite
    number of seconds or ``None``.
    """

    connect: float | None = _phase("connect", 5.0)
    read: float | None = _phase("read", 30.0)
    write: float | None = _phase("write", 30.0)
    pool: float | None = _phase("pool", None)
    operation: float | None = _phase("operation", None)

    @classmethod
    def of(cls, value: float | Timeouts | None) -> Timeouts:
        """A ``Timeouts`` as is, ``None`` for the defaults, or one number for connect, read
        and write alike."""
        if isinstance(value, Timeouts):
            return value
        if value is None:
            return cls()
        seconds = check_seconds(value, "timeout", allowed_extra="None, or a Timeouts")
        return cls(connect=seconds, read=seconds, write=seconds)

    def as_httpx(self) -> httpx.Timeout:
        """The same limits in httpx's form."""
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


def _backoff(name: str, default: float) -> float:
    def convert(value: object) -> float:
        return check_seconds(value, f"retry.{name}", allow_zero=True)

    return attrs.field(default=default, converter=convert)


@attrs.frozen
class RetryPolicy:
    """How idempotent reads are retried after a refused or lost connection.

    Only requests that change nothing (GET) are ever retried; a stage, install, restart or any
    other change is sent at most once. ``attempts`` counts the first try (1 means no retry);
    the wait doubles from ``backoff`` seconds up to ``max_backoff``.
    """

    attempts: int = attrs.field(default=3, converter=check_attempts)
    backoff: float = _backoff("backoff", 0.2)
    max_backoff: float = _backoff("max_backoff", 2.0)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before try number ``attempt + 1`` (``attempt`` counts from 1)."""
        return float(min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))


def _timeouts(value: object) -> Timeouts:
    return Timeouts.of(value)  # type: ignore[arg-type]


def _retry(value: object) -> RetryPolicy:
    return RetryPolicy() if value is None else check_instance(value, RetryPolicy, "retry")


def _max_bytes(value: object) -> int:
    return DEFAULT_MAX_RESPONSE_BYTES if value is None else check_max_response_bytes(value)


def _insecure(value: object) -> bool:
    return check_bool(
        value,
        "insecure_skip_verify",
        allowed="True or False (only the boolean True turns certificate verification off)",
    )


def _short_ca(ca: CAInput | None) -> str:
    if ca is None or isinstance(ca, ssl.SSLContext):
        return repr(ca)
    if isinstance(ca, bytes) or "-----BEGIN" in str(ca):
        return "<PEM data>"
    return repr(str(ca))


@attrs.frozen(kw_only=True)
class ClientOptions:
    """Everything that shapes how a client talks to a board, checked when it is made.

    ``ca``: the CA to trust instead of the shipped Azure Sphere device CA (a PEM path, PEM
    text or bytes, or an ``ssl.SSLContext``). ``timeouts``: a :class:`Timeouts` (or one
    number of seconds for connect, read and write; ``None`` for the defaults). ``retry``: the
    :class:`RetryPolicy` for reads that lost their connection. ``max_response_bytes``: how
    much of an answer is read into memory (16 MiB by default). ``insecure_skip_verify``:
    turn certificate checks off; a warning is logged each time options with it are made.
    ``transport_factory``: address -> httpx transport, replacing the network (in-process
    tests). The TLS context is built once, here (:attr:`ssl_context`).
    """

    ca: CAInput | None = attrs.field(default=None, repr=_short_ca)
    timeouts: Timeouts = attrs.field(factory=Timeouts, converter=_timeouts)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy, converter=_retry)
    max_response_bytes: int = attrs.field(default=DEFAULT_MAX_RESPONSE_BYTES, converter=_max_bytes)
    insecure_skip_verify: bool = attrs.field(default=False, converter=_insecure)
    transport_factory: TransportFactory | None = attrs.field(default=None, repr=False)
    ssl_context: ssl.SSLContext = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        context = make_ssl_context(self.ca, insecure_skip_verify=self.insecure_skip_verify)
        object.__setattr__(self, "ssl_context", context)

    @classmethod
    def build(cls, options: ClientOptions | None = None, **shortcuts: object) -> ClientOptions:
        """``options`` (or the defaults) with the given keyword shortcuts applied.

        A shortcut's name is a field's name, except ``timeout`` for :attr:`timeouts`.
        """
        if "timeout" in shortcuts:
            shortcuts["timeouts"] = shortcuts.pop("timeout")
        unknown = sorted(set(shortcuts) - _FIELDS)
        if unknown:
            raise TypeError(f"unexpected keyword arguments: {', '.join(unknown)}")
        if options is None:
            return cls(**shortcuts)  # type: ignore[arg-type]
        check_instance(options, ClientOptions, "options")
        if not shortcuts:
            return options
        return attrs.evolve(options, **shortcuts)  # type: ignore[arg-type]


_FIELDS: Final = frozenset(f.name for f in attrs.fields(ClientOptions) if f.init)


class OptionShortcuts(TypedDict, total=False):
    """The keyword shortcuts for :class:`ClientOptions` fields (``timeout`` for ``timeouts``)."""

    ca: CAInput | None
    timeout: float | Timeouts | None
    retry: RetryPolicy | None
    max_response_bytes: int | None
    insecure_skip_verify: bool
    transport_factory: TransportFactory | None
