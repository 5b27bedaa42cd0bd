"""What every resource group shares: the session, and typed helpers that send and decode.

A resource method checks its arguments, then makes one call with :meth:`Resource._get`,
:meth:`Resource._get_bytes` or :meth:`Resource._send`: the helper names the operation after
the method (``wifi.add_network``, for version and time-limit errors), sends the request model
as JSON, checks the answer's media type and turns it into the answer model; decoding errors
name the request (``GET /images``). A misfit answer is a
:class:`~azsphere_async.errors.MalformedResponseError`, never a parser's exception.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, ClassVar, TypeVar, overload

from ..models import converter
from ..versions import RestApiVersion
from ._decoding import carries_secret, decode_answer, decode_bytes

if TYPE_CHECKING:
    from ..session import DeviceSession

__all__ = ["Resource"]

T = TypeVar("T")


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
        return await decode_answer(response, answer, session.address, f"GET {path}")

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
        ``answer`` is ``None``. If ``body`` holds a secret, decoding errors show nothing of the
        answer (see :mod:`azsphere_async.resources._decoding`).
        """
        operation = self._operation()
        session = self._session
        payload = None if body is None else converter.unstructure(body)
        response = await session.request(
            method, path, json=payload, min_version=since, operation=operation
        )
        return await decode_answer(
            response,
            answer,
            session.address,
            f"{method} {path}",
            allow_empty=allow_empty,
            sent_secret=carries_secret(body),
        )
