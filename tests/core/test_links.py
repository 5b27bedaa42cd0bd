"""The link under the transport (``azsphere_async.links``), under asyncio and under trio.

The board here is a blocking TLS server in a thread (so the same board serves both event
loops), on loopback, reading slowly through a small receive buffer so that the client's
buffers fill and its writes must wait.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
import trustme

from azsphere_async.acknowledged import AcknowledgedCounter
from azsphere_async.links import Link, LinkFailure, open_link

CHUNK = 64 * 1024
ROUNDS = 48


class SlowBoard:
    """Accepts one TLS connection, reads ``expected`` bytes a little at a time, then answers
    with their SHA-256 and closes."""

    def __init__(self, expected: int) -> None:
        self.ca = trustme.CA()
        self.expected = expected
        self.digest: bytes | None = None
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def client_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        self.ca.configure_trust(context)
        return context

    def _serve(self) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert("127.0.0.1").configure_cert(context)
        self._listener.settimeout(30)
        raw, _ = self._listener.accept()
        raw.settimeout(30)
        with context.wrap_socket(raw, server_side=True) as tls:
            digest, received = hashlib.sha256(), 0
            while received < self.expected:
                data = tls.recv(min(4096, self.expected - received))
                if not data:
                    break
                digest.update(data)
                received += len(data)
                if received % (64 * 1024) < 4096:
                    time.sleep(0.001)  # a board busy writing flash now and then
            self.digest = digest.digest()
            tls.sendall(self.digest)

    def __enter__(self) -> SlowBoard:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._thread.join(timeout=30)
        self._listener.close()


@pytest.fixture
def board() -> Iterator[SlowBoard]:
    with SlowBoard(CHUNK * ROUNDS) as served:
        yield served


async def _send_refilled_views(board: SlowBoard) -> tuple[bytes, bytes, bool]:
    """Views of one buffer, refilled after each send: what went out, what the board read,
    and whether the link's socket gave exact acknowledgements."""
    link: Link = await open_link("127.0.0.1", board.port, board.client_context())
    # A small send buffer, so that the link's own buffers fill and its writes wait.
    link.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
    counter = AcknowledgedCounter(lambda: link.socket)
    counter.begin()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    sent = hashlib.sha256()
    try:
        for round_number in range(ROUNDS):
            buffer[:] = bytes([round_number]) * CHUNK
            sent.update(buffer)
            await link.send(view)
        with anyio.fail_after(30):
            while len(link.buffer) < 32:
                assert await link.receive()
    finally:
        counter.close()
        await link.aclose()
    return sent.digest(), bytes(link.buffer[:32]), counter.exact


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_refilled_buffer_never_corrupts_what_the_board_receives(
    board: SlowBoard, backend: str
) -> None:
    sent, answered, exact = anyio.run(_send_refilled_views, board, backend=backend)
    assert board.digest == sent
    assert answered == sent
    assert exact  # the link's socket is one the acknowledgement counter can read


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_refused_connection_is_a_link_failure_with_its_cause(backend: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]  # bound, not listening: refused

        async def connect() -> None:
            await open_link("127.0.0.1", port, ssl.create_default_context())

        with pytest.raises(LinkFailure) as caught:
            anyio.run(connect, backend=backend)
    assert isinstance(caught.value.__cause__, OSError)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_board_given_by_name_is_reached(backend: str) -> None:
    # A name goes through the resolver (and, under asyncio, the race of its addresses).
    async def greet(board: SlowBoard) -> bytes:
        link = await open_link("localhost", board.port, board.client_context())
        try:
            await link.send(b"hello")
            with anyio.fail_after(30):
                while len(link.buffer) < 32:
                    assert await link.receive()
            return bytes(link.buffer)
        finally:
            await link.aclose()

    with SlowBoard(5) as board:
        answer = anyio.run(greet, board, backend=backend)
    assert answer == hashlib.sha256(b"hello").digest() == board.digest
