"""What every resource group shares: the session, and typed helpers that send and decode.

A resource method checks its arguments, then makes one call with :meth:`Resource._get`,
:meth:`Resource._get_bytes` or :meth:`Resource._send`: the helper names the operation after
the method (``wifi.add_network``, for version and time-limit errors), sends the request model
as JSON, checks the answer's media type and turns it into the answer model; decoding errors
name the request (``GET /images``). A misfit answer is a
:class:`~azsphere_async.errors.MalformedResponseError`, never a parser's exception.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, overload

import cattrs

from ..errors import MalformedResponseError
from ..models import converter
from ..versions import RestApiVersion

if TYPE_CHECKING:
    from ..session import DeviceResponse, DeviceSession

__all__ = ["Resource", "decode_bytes", "decode_json", "structure"]

T = TypeVar("T")


def decode_json(
    response: DeviceResponse, address: str, request: str, *, allow_empty: bool = False
) -> Any:
    """The JSON of an answer; with ``allow_empty`` an empty body is ``{}``.

    An empty body (unless allowed), an answer labelled with a media type other than JSON, or
    JSON that cannot be parsed is a :class:`MalformedResponseError`.
    """
    if not response.content.strip():
        if allow_empty:
            return {}
        raise MalformedResponseError(address, f"{request} answered an empty body")
    media = response.media_type
    if media and media != "application/json" and not media.endswith("+json"):
        raise MalformedResponseError(
            address, f"{request} answered {media!r} where JSON was expected"
        )
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedResponseError(
            address, f"{request} answered JSON that cannot be parsed ({exc})"
        ) from None


def decode_bytes(response: DeviceResponse, address: str, request: str) -> bytes:
    """The raw body of an ``application/octet-stream`` answer.

    An answer labelled with another media type (an HTML error page, JSON) is a
    :class:`MalformedResponseError`; an unlabelled one is taken as bytes.
    """
    media = response.media_type
    if media and media != "application/octet-stream":
        raise MalformedResponseError(
            address, f"{request} answered {media!r} where application/octet-stream was expected"
        )
    return response.content


def structure(data: Any, cls: type[T], address: str, request: str) -> T:
    """Decoded JSON as a model; a misfit is a :class:`MalformedResponseError`."""
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
        detail = (
            "; ".join(cattrs.transform_error(exc))
            if isinstance(exc, cattrs.BaseValidationError)
            else str(exc)
        )
        raise MalformedResponseError(
            address, f"{request} answered JSON that does not have the documented shape ({detail})"
        ) from None


class Resource:
    """A group of related device calls, reached as an attribute of a ``DeviceClient``.

    ``group`` is the attribute's name; operations are named ``group.method`` in errors.
    """

    group: ClassVar[str] = ""

    def __init__(self, session: DeviceSession) -> None:
        self._session = session

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._session.address}>"

    def _operation(self) -> str:
        # Two frames up is the resource method that called the helper: its name names the
        # operation, so no method repeats it by hand.
        return f"{self.group}.{sys._getframe(2).f_code.co_name}"

    async def _get(self, path: str, answer: type[T], *, since: RestApiVersion | None = None) -> T:
        """``GET path``, its JSON answer as ``answer``; refused before traffic if the device
        is older than ``since``."""
        operation = self._operation()
        session = self._session
        response = await session.request("GET", path, min_version=since, operation=operation)
        request = f"GET {path}"
        data = decode_json(response, session.address, request)
        return structure(data, answer, session.address, request)

    async def _get_bytes(self, path: str, *, since: RestApiVersion | None = None) -> bytes:
        """``GET path``, its raw ``application/octet-stream`` answer."""
        operation = self._operation()
        session = self._session
        response = await session.request("GET", path, min_version=since, operation=operation)
        return decode_bytes(response, session.address, f"GET {path}")

    @overload
    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: object | None = ...,
        answer: type[T],
        since: RestApiVersion | None = ...,
        allow_empty: bool = ...,
    ) -> T: ...

    @overload
    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: object | None = ...,
        answer: None = ...,
        since: RestApiVersion | None = ...,
        allow_empty: bool = ...,
    ) -> None: ...

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: object | None = None,
        answer: type[T] | None = None,
        since: RestApiVersion | None = None,
        allow_empty: bool = True,
    ) -> T | None:
        """Send a change: ``body`` (a request model) as JSON, or no body at all.

        The answer must be JSON, or empty when ``allow_empty`` (changes often answer 200 with
        no body, read as ``{}``); it becomes ``answer``, or is checked and dropped when
        ``answer`` is ``None``.
        """
        operation = self._operation()
        session = self._session
        payload = None if body is None else converter.unstructure(body)
        response = await session.request(
            method, path, json=payload, min_version=since, operation=operation
        )
        request = f"{method} {path}"
        data = decode_json(response, session.address, request, allow_empty=allow_empty)
        if answer is None:
            return None
        return structure(data, answer, session.address, request)
