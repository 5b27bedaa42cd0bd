"""The hostile kit: boards on loopback that answer what a test tells them, and bad answers.

:class:`HostileBoard` is a TLS server on loopback (a :class:`ScriptedServer` underneath) that
keeps its connection alive and answers every request with the bytes a function of the
request returns: anything at all, valid HTTP or not. :data:`NOT_JSON` are answer
bodies no JSON call may turn into anything but a ``MalformedResponseError``, and
:data:`NOT_A_MODEL` bodies that no call with an answer model may.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from types import TracebackType
from typing import Final

import attrs
import trustme

from azsphere_async import DeviceClient
from tests.reliability.reliability_helpers import LIMITS, ScriptedServer, http_answer


@attrs.frozen
class Request:
    """One request as the board read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


#: Turns a request into the exact bytes the board sends back.
Answerer = Callable[[Request], bytes]


def status_probe_or(answer: Answerer) -> Answerer:
    """Answer ``GET /status`` (the version probe) like a device, and the rest with ``answer``."""

    def respond(request: Request) -> bytes:
        if request.method == "GET" and request.path == "/status":
            return http_answer(200, b'{"uptime": 1}')
        return answer(request)

    return respond


class HostileBoard:
    """A board on loopback over TLS whose every answer is ``answer(request)``.

    ``requests`` lists what it was sent; ``answered`` is set each time an answer has been
    handed to the connection (so a test can wait for it without a clock). Boards given one
    ``ca`` can be trusted together.
    """

    def __init__(self, answer: Answerer, *, ca: trustme.CA | None = None) -> None:
        self.answer = answer
        self.requests: list[Request] = []
        self.answered = asyncio.Event()
        self.server = ScriptedServer(self._script, ca=ca)

    @property
    def address(self) -> str:
        """``host:port`` for a client."""
        return self.server.address

    def client(self, **options: object) -> DeviceClient:
        """A client that trusts this board, with short time limits unless told otherwise."""
        options.setdefault("timeout", LIMITS)
        return DeviceClient(self.address, ca=self.server.client_context(), **options)  # type: ignore[arg-type]

    async def _script(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.CancelledError):
                return  # the client left, or the board is shutting down between requests
            lines = head.decode("latin-1").split("\r\n")
            method, path, _version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
            request = Request(method, path, headers, body)
            self.requests.append(request)
            writer.write(self.answer(request))
            await writer.drain()
            self.answered.set()

    async def __aenter__(self) -> HostileBoard:
        await self.server.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.server.__aexit__(exc_type, exc, tb)


def json_answer(body: bytes, status: int = 200, **headers: str) -> Answerer:
    """Answer every request with ``body`` labelled as JSON."""
    return lambda _: http_answer(status, body, headers=headers)


#: Bodies labelled as JSON that are not JSON at all (or not JSON this library reads).
NOT_JSON: Final[dict[str, bytes]] = {
    "arrays nested 100,000 deep": b"[" * 100_000,
    "objects nested 100,000 deep": b'{"a":' * 100_000,
    "nesting inside a field nobody reads": b'{"unknown": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "a number of 5,000 digits": b'{"uptime": ' + b"9" * 5000 + b"}",
    "NaN": b'{"uptime": NaN}',
    "Infinity": b"Infinity",
    "invalid UTF-8": b'{"uptime": "\xff\xfe"}',
    "a lone surrogate escape": b'{"x": "\\ud800"}',
    "a lone surrogate escape in a key": b'{"\\udfff": 1}',
    "UTF-16 with a byte-order mark": '{"x": "\ud83d"}'.encode("utf-16", "surrogatepass"),
    "truncated": b'{"components": [{"uid": "a',
    "trailing garbage": b"{} {}",
    "a NUL byte": b"{\x00}",
    "a control character in a string": b'{"x": "a\x01b"}',
}

#: JSON that no answer model can be made of (calls that drop their answer may take it).
NOT_A_MODEL: Final[dict[str, bytes]] = {
    "a bare string": b'"just text"',
    "a bare number": b"42",
    "null": b"null",
    "an array of 10,000 numbers": b"[" + b"0," * 10_000 + b"0]",
    "an array of objects": b"[{}, {}]",
}


def echo_variants(body: bytes) -> dict[str, bytes]:
    """Ways a board could give a request's body back in its answer (status 200, JSON)."""
    text = json.dumps(body.decode()).encode()
    decoded = json.loads(body)
    fields = list(decoded) if isinstance(decoded, dict) else ["x"]
    variants = {
        "as it came": http_answer(200, body),
        "in an array": http_answer(200, b"[" + body + b"]"),
        "as a string": http_answer(200, text),
        "cut short": http_answer(200, body[:-1]),
        "as text/plain": http_answer(200, body, content_type="text/plain"),
        "as the content type": http_answer(200, body, content_type=body.decode()),
        "as a 400 error": http_answer(400, body),
        "as the version header": http_answer(
            200, b"{}", headers={"REST-API-Version": body.decode()}
        ),
        "as the status line": b"HTTP/1.1 200 " + body + b"\r\nContent-Length: 0\r\n\r\n",
        "as a header line": b"HTTP/1.1 200 OK\r\n" + body + b"\r\nContent-Length: 0\r\n\r\n",
        "as the whole answer": body + b"\r\n\r\n",
    }
    for name in fields:
        for kind, wrong in (("in an array", b"[" + body + b"]"), ("", body), ("a string", text)):
            inner = b'{"' + name.encode() + b'": ' + wrong + b"}"
            variants[f"inside {name} {kind}"] = http_answer(200, inner)
    return variants
