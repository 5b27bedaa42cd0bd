"""How each injected fault acts on one request: drops, stalls, giant and broken answers.

:mod:`.faults` says which request gets which fault; :func:`play` makes it happen, given an
:class:`Exchange` that can run the device's routes and abort the request's connection.
Transport faults act on the TCP connection when the device is served over sockets; served
in-process (no socket to abort) they raise ``ConnectionResetError`` instead.
"""

from __future__ import annotations

from typing import Final, Protocol

import anyio

from ._asgi import Message, Receive, Scope, Send
from .faults import Fault, FaultKind
from .routes import error_response

__all__ = ["Exchange", "play", "wait_disconnect"]

_JSON: Final = b"application/json"
_GIANT_CHUNK: Final = 64 * 1024


class Exchange(Protocol):
    """What a fault needs from the application it interrupts."""

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request through the device's routes."""

    def drop_now(self, scope: Scope) -> bool:
        """Abort the request's connection; ``False`` when there is no socket to abort."""


async def wait_disconnect(receive: Receive) -> None:
    """Wait until the client has gone."""
    while (await receive())["type"] != "http.disconnect":
        pass


class _Captured:
    """A response caught on its way out, so a fault can rewrite it."""

    def __init__(self) -> None:
        self.status = 200
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def headers_with(self, content_type: bytes | None, length: int) -> list[tuple[bytes, bytes]]:
        headers = [
            (k, v) for k, v in self.headers if k.lower() not in (b"content-length", b"content-type")
        ]
        headers.append((b"content-length", str(length).encode()))
        if content_type is not None:
            headers.append((b"content-type", content_type))
        return headers


async def _drop(exchange: Exchange, scope: Scope, receive: Receive) -> None:
    if not exchange.drop_now(scope):
        raise ConnectionResetError("mock device dropped the connection (fault injection)")
    await wait_disconnect(receive)


async def play(
    fault: Fault,
    exchange: Exchange,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    error_code: int,
) -> None:
    """Serve one request as ``fault`` says (``error_code`` for ``ERROR`` without a code)."""
    kind = fault.kind
    if kind is FaultKind.DROP:
        await _drop(exchange, scope, receive)
    elif kind is FaultKind.ERROR:
        code = fault.code if fault.code is not None else error_code
        await error_response(fault.status, code)(scope, receive, send)
    elif kind is FaultKind.DROP_UPLOAD:
        await exchange.run(scope, _dropping_receive(fault, exchange, scope, receive), send)
    elif kind is FaultKind.STALL:
        replay = await _stall(fault, receive)
        if replay is None:
            return
        if fault.then_drop:
            await _drop(exchange, scope, replay)
            return
        await exchange.run(scope, replay, send)
    elif kind is FaultKind.GIANT_BODY:
        await _giant(fault, send)
    else:
        await _rewrite(fault, exchange, scope, receive, send)


def _dropping_receive(fault: Fault, exchange: Exchange, scope: Scope, receive: Receive) -> Receive:
    received = 0

    async def dropping() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if message["type"] == "http.request" and received >= fault.after_bytes:
            if not exchange.drop_now(scope):
                raise ConnectionResetError("mock device dropped the upload (fault injection)")
            await wait_disconnect(receive)
            return {"type": "http.disconnect"}
        return message

    return dropping


async def _stall(fault: Fault, receive: Receive) -> Receive | None:
    """Say nothing for a while.  ``None`` if the client left; else a replaying receive."""
    buffered: list[Message] = []
    body_done = False
    with anyio.move_on_after(fault.seconds):
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            if not body_done:
                buffered.append(message)
                body_done = not message.get("more_body", False)

    async def replay() -> Message:
        if buffered:
            return buffered.pop(0)
        return await receive()

    return replay


async def _giant(fault: Fault, send: Send) -> None:
    prefix, suffix = b'{"padding":"', b'"}'
    size = max(fault.size, len(prefix) + len(suffix))
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", _JSON), (b"content-length", str(size).encode())],
        }
    )
    filler = b"x" * _GIANT_CHUNK
    remaining = size - len(prefix) - len(suffix)
    await send({"type": "http.response.body", "body": prefix, "more_body": True})
    while remaining > 0:
        piece = filler[: min(remaining, _GIANT_CHUNK)]
        remaining -= len(piece)
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": suffix, "more_body": False})


async def _rewrite(
    fault: Fault, exchange: Exchange, scope: Scope, receive: Receive, send: Send
) -> None:
    captured = _Captured()
    await exchange.run(scope, receive, captured.send)
    body = bytes(captured.body)
    content_type: bytes | None = None
    kind = fault.kind
    if kind is FaultKind.MALFORMED_JSON:
        stripped = body.rstrip()
        body = stripped[:-1] + b",,}" if stripped.endswith(b"}") else b'{"' + stripped
        content_type = _JSON
    elif kind is FaultKind.TRUNCATED_JSON:
        body = body[: max(1, len(body) // 2)]
    elif kind is FaultKind.WRONG_CONTENT_TYPE:
        content_type = fault.content_type.encode()
    elif kind is FaultKind.EMPTY_BODY:
        body = b""
    if kind is FaultKind.TRUNCATED_BODY:
        full = len(body)
        await send(
            {
                "type": "http.response.start",
                "status": captured.status,
                "headers": captured.headers_with(None, full),
            }
        )
        await send({"type": "http.response.body", "body": body[: full // 2], "more_body": True})
        await _drop(exchange, scope, receive)
        return
    await send(
        {
            "type": "http.response.start",
            "status": captured.status,
            "headers": captured.headers_with(content_type, len(body)),
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
