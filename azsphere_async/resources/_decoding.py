"""Answers into values: JSON, raw bytes and models, with every misfit a typed error.

Whatever a board answers, decoding raises :class:`~azsphere_async.errors.MalformedResponseError`
(never a parser's exception), and the message never quotes the answer: it names the request,
what was wrong and where (``$.components[3].uid: expected a string``). An answer to a call
that sent a secret does not even have its media type shown, since a board that echoes the
request could put the secret anywhere.

Small answers (up to :data:`ON_LOOP_BYTES` and :data:`ON_LOOP_OBJECTS`) are decoded on the
event loop, in a few milliseconds at most. Larger ones are parsed and structured in a worker
thread, so one board's big answer does not stop the other boards' calls: structuring is
Python code, which hands the interpreter back to the loop every few milliseconds, and the
parse is made to do the same at every object and number (strings still go by in C). At most
:data:`DECODE_THREADS` such decodes run at once per event loop, and a decode whose call is
cancelled (a fleet's time limit) stops at its next object or model instead of running on
in its thread. An answer is refused unparsed if it holds more than :data:`MAX_JSON_OBJECTS`
objects or :data:`MAX_JSON_VALUES` values, which bounds the CPU and memory one answer costs.
"""

from __future__ import annotations

import enum
import threading
import types
from typing import TYPE_CHECKING, Any, Final, TypeVar, Union, get_args, get_origin, overload

import anyio
import anyio.to_thread
import attrs
import cattrs
from anyio.lowlevel import RunVar

from .._json import parse_json
from ..errors import MalformedResponseError
from ..models import converter
from ..models._converter import checkpoint, stoppable

if TYPE_CHECKING:
    from ..session import DeviceResponse

__all__ = [
    "DECODE_THREADS",
    "ON_LOOP_BYTES",
    "carries_secret",
    "decode_answer",
    "decode_bytes",
    "decode_json",
    "structure",
]

T = TypeVar("T")

#: Answers this large or smaller, with this many JSON objects or fewer, are decoded on the
#: event loop (a few milliseconds at most); the others in a worker thread.
ON_LOOP_BYTES: Final = 64 * 1024
ON_LOOP_OBJECTS: Final = 1000
#: How many large answers are decoded at once (per event loop): each may cost many times its
#: size in memory while it is turned into models.
DECODE_THREADS: Final = 2
#: The most JSON objects, and values, one answer may hold. The largest answer of a real board
#: holds a few hundred; 16 MiB of ``{},`` would hold five million, and cost a minute of CPU
#: to turn into models. Counted from the raw bytes (braces, commas and colons, also those
#: inside strings, so the count can only be high), before parsing.
MAX_JSON_OBJECTS: Final = 250_000
MAX_JSON_VALUES: Final = 2_000_000
# How many misfits a message lists.
_SHOWN_MISFITS: Final = 3

_decoders: RunVar[anyio.CapacityLimiter] = RunVar("azsphere_async.decoders")


def carries_secret(body: object) -> bool:
    """Whether a request model holds a secret: a field kept out of reprs (PSKs, private keys,
    passwords) that is set, here or in a model inside it."""
    cls: Any = type(body)
    if not attrs.has(cls):
        return False
    for field in attrs.fields(cls):
        value = getattr(body, field.name)
        if value is not None and (not field.repr or carries_secret(value)):
            return True
    return False


def decode_json(
    response: DeviceResponse,
    address: str,
    request: str,
    *,
    allow_empty: bool = False,
    sent_secret: bool = False,
    in_worker: bool = False,
) -> Any:
    """The JSON of an answer; with ``allow_empty`` an empty body is ``{}``.

    An empty body (unless allowed), an answer labelled with a media type other than JSON, or
    JSON that cannot be parsed is a :class:`MalformedResponseError`; ``sent_secret`` keeps
    even the media type out of its message. ``in_worker`` parses so that the event loop's
    thread gets the interpreter now and then, and a stopped decode ends (see the module).
    """
    if not response.content.strip():
        if allow_empty:
            return {}
        raise MalformedResponseError(address, f"{request} answered an empty body")
    media = response.media_type
    if media and media != "application/json" and not media.endswith("+json"):
        shown = "another media type" if sent_secret else repr(media[:60])
        raise MalformedResponseError(address, f"{request} answered {shown} where JSON was expected")
    if len(response.content) > ON_LOOP_BYTES:  # a smaller answer cannot exceed the limits
        _check_counts(response.content, address, request)
    try:
        hook = _checked_object if in_worker else None
        return parse_json(response.content, object_hook=hook, yielding=in_worker)
    except ValueError as exc:
        raise MalformedResponseError(
            address, f"{request} answered JSON that cannot be parsed ({exc})"
        ) from None


def _check_counts(content: bytes, address: str, request: str) -> None:
    objects = content.count(b"{")
    values = content.count(b",") + content.count(b":") + 1
    for count, limit, what in (
        (objects, MAX_JSON_OBJECTS, "objects"),
        (values, MAX_JSON_VALUES, "values"),
    ):
        if count > limit:
            raise MalformedResponseError(
                address,
                f"{request} answered up to {count:,} JSON {what}, more than the {limit:,} "
                "any answer of a board holds",
                hint="is this an Azure Sphere device?",
            )


def decode_bytes(response: DeviceResponse, address: str, request: str) -> bytes:
    """The raw body of an ``application/octet-stream`` answer.

    An answer labelled with another media type (an HTML error page, JSON) is a
    :class:`MalformedResponseError`; an unlabelled one is taken as bytes.
    """
    media = response.media_type
    if media and media != "application/octet-stream":
        raise MalformedResponseError(
            address,
            f"{request} answered {media[:60]!r} where application/octet-stream was expected",
        )
    return response.content


_JSON_KINDS: Final[dict[object, str]] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
}


def _expected(cls: Any) -> str:
    """What JSON a type takes, in the device's terms (never the value that was given)."""
    if cls is None:
        return "a value of the documented type"
    union = get_origin(cls) in (Union, types.UnionType)
    options = [a for a in get_args(cls) if a is not type(None)] if union else [cls]
    kinds = []
    for option in options:
        if option in _JSON_KINDS:
            kinds.append(_JSON_KINDS[option])
        elif get_origin(option) is tuple:
            kinds.append("a JSON array")
        elif isinstance(option, type) and issubclass(option, enum.Enum):
            kinds.append("a string")
        elif attrs.has(option):
            kinds.append(f"a JSON object ({option.__name__})")
        else:
            kinds.append(f"a {getattr(option, '__name__', 'documented value')}")
    return " or ".join(dict.fromkeys(kinds))


def _misfit(exc: BaseException, cls: Any) -> str:
    if isinstance(exc, KeyError):
        return "required but missing"
    return f"expected {_expected(cls)}"


def _misfits(exc: Exception, cls: type) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        found = cattrs.transform_error(exc, format_exception=_misfit)
    else:
        found = [f"{_misfit(exc, cls)} @ $"]
    shown = [f"{path}: {what}" for what, _, path in (m.rpartition(" @ ") for m in found)]
    more = len(shown) - _SHOWN_MISFITS
    return "; ".join(shown[:_SHOWN_MISFITS]) + (f"; and {more} more" if more > 0 else "")


def structure(data: Any, cls: type[T], address: str, request: str) -> T:
    """Decoded JSON as a model; a misfit is a :class:`MalformedResponseError`.

    The message names each misfit's place and what the model expects there, never the value.
    """
    try:
        return converter.structure(data, cls)
    except Exception as exc:  # whatever turning untrusted data into models raised
        raise MalformedResponseError(
            address,
            f"{request} answered JSON that does not have the documented shape "
            f"({_misfits(exc, cls)})",
        ) from None


def _decode(
    response: DeviceResponse,
    answer: type[T] | None,
    address: str,
    request: str,
    allow_empty: bool,
    sent_secret: bool,
    in_worker: bool,
) -> T | None:
    data = decode_json(
        response,
        address,
        request,
        allow_empty=allow_empty,
        sent_secret=sent_secret,
        in_worker=in_worker,
    )
    return None if answer is None else structure(data, answer, address, request)


def _checked_object(value: dict[str, Any]) -> dict[str, Any]:
    checkpoint()
    return value


def _decode_limiter() -> anyio.CapacityLimiter:
    try:
        return _decoders.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(DECODE_THREADS)
        _decoders.set(limiter)
        return limiter


@overload
async def decode_answer(
    response: DeviceResponse,
    answer: type[T],
    address: str,
    request: str,
    *,
    allow_empty: bool = ...,
    sent_secret: bool = ...,
) -> T: ...


@overload
async def decode_answer(
    response: DeviceResponse,
    answer: None,
    address: str,
    request: str,
    *,
    allow_empty: bool = ...,
    sent_secret: bool = ...,
) -> None: ...


async def decode_answer(
    response: DeviceResponse,
    answer: type[T] | None,
    address: str,
    request: str,
    *,
    allow_empty: bool = False,
    sent_secret: bool = False,
) -> T | None:
    """A JSON answer as ``answer`` (or only checked, for ``None``), off the loop if it is large.

    See the module's description for where the time goes.
    """
    content = response.content
    if len(content) <= ON_LOOP_BYTES and content.count(b"{") <= ON_LOOP_OBJECTS:
        return _decode(response, answer, address, request, allow_empty, sent_secret, False)
    stop = threading.Event()

    def decode_in_thread() -> T | None:
        with stoppable(stop):
            return _decode(response, answer, address, request, allow_empty, sent_secret, True)

    try:
        return await anyio.to_thread.run_sync(
            decode_in_thread, abandon_on_cancel=True, limiter=_decode_limiter()
        )
    finally:
        # Tells a thread left behind by a cancelled call to stop at its next checkpoint.
        stop.set()
