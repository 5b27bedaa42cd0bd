"""HTTP/1.1 framing (azsphere_async.wire): answers however they are cut into reads, and every
malformed head, length or chunk refused (no sockets: the transport's tests use real ones)."""

from __future__ import annotations

import pytest

from azsphere_async.wire import (
    MAX_HEAD_BYTES,
    Answer,
    LocalWireError,
    WireError,
    request_head,
    take_head,
)

CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nREST-API-Version: 4.6.0\r\n\r\n"
    b'4;ext=1\r\n{"up\r\n6\r\ntime":\r\n3\r\n 1}\r\n0\r\nX-Trailer: yes\r\n\r\n'
)


def read_all(data: bytes, step: int, method: str = "GET") -> tuple[Answer, bytes, bytearray]:
    """Feed ``data`` ``step`` bytes at a time, as reads would deliver it."""
    buffer = bytearray()
    answer = None
    body = b""
    for start in range(0, len(data), step):
        buffer += data[start : start + step]
        if answer is None:
            answer = take_head(buffer, method)
        if answer is not None:
            body += answer.body.take(buffer)
    assert answer is not None
    return answer, body, buffer


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, 10_000])
def test_a_chunked_answer_decodes_whatever_the_reads(step: int) -> None:
    answer, body, rest = read_all(CHUNKED, step)
    assert answer.status == 200
    assert (b"REST-API-Version", b"4.6.0") in answer.headers
    assert body == b'{"uptime": 1}'
    assert answer.body.done
    assert answer.keep_alive
    assert rest == b""


@pytest.mark.parametrize("step", [1, 5, 10_000])
def test_a_sized_answer_leaves_what_follows_it(step: int) -> None:
    data = b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}EXTRA"
    answer, body, rest = read_all(data, step)
    assert (answer.status, answer.reason, body) == (404, b"Not Found", b"{}")
    assert rest == b"EXTRA"  # the transport then drops the connection


def test_an_answer_without_a_length_ends_with_the_connection() -> None:
    buffer = bytearray(b"HTTP/1.1 200 OK\r\n\r\n{}")
    answer = take_head(buffer, "GET")
    assert answer is not None
    assert not answer.keep_alive
    assert answer.body.take(buffer) == b"{}"
    assert not answer.body.done
    answer.body.closed(buffer)
    assert answer.body.done


@pytest.mark.parametrize(
    ("head", "keep_alive"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", False),
        (b"HTTP/1.1 204 No Content\r\n\r\n", True),
        (b"HTTP/1.1 100 Continue\r\n\r\n", True),
    ],
)
def test_keep_alive_and_empty_bodies(head: bytes, keep_alive: bool) -> None:
    answer = take_head(bytearray(head), "GET")
    assert answer is not None
    assert answer.keep_alive is keep_alive
    assert answer.body.done


def test_a_head_answer_has_no_body_whatever_its_length() -> None:
    answer = take_head(bytearray(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"), "HEAD")
    assert answer is not None
    assert answer.body.done


@pytest.mark.parametrize(
    "head",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        b"HTTP/9.9 200 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
    ],
)
def test_heads_that_are_not_http_are_refused(head: bytes) -> None:
    with pytest.raises(WireError):
        take_head(bytearray(head), "GET")


def test_a_head_that_never_ends_is_refused_at_its_limit() -> None:
    buffer = bytearray(b"HTTP/1.1 200 OK\r\nX: " + b"a" * MAX_HEAD_BYTES)
    with pytest.raises(WireError, match="longer than"):
        take_head(buffer, "GET")
    assert take_head(bytearray(b"HTTP/1.1 200 OK\r\nX: a"), "GET") is None


@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\n", b"4\r\nabcdef\r\n", b"1" * 2000, b"-1\r\n", b"\r\n"],
    ids=["not-hex", "too-long", "endless-size", "negative", "empty-size"],
)
def test_bad_chunks_are_refused(chunks: bytes) -> None:
    buffer = bytearray(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)
    answer = take_head(buffer, "GET")
    assert answer is not None
    with pytest.raises(WireError):
        answer.body.take(buffer)


def test_a_body_cut_short_is_an_error_when_the_connection_closes() -> None:
    buffer = bytearray(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}")
    answer = take_head(buffer, "GET")
    assert answer is not None
    assert answer.body.take(buffer) == b"{}"
    with pytest.raises(WireError, match="before the answer's body ended"):
        answer.body.closed(buffer)


def test_a_request_head_is_written_and_checked() -> None:
    head = request_head("GET", b"/status", [(b"Host", b"192.168.35.2"), (b"Accept", b"*/*")])
    assert head == b"GET /status HTTP/1.1\r\nHost: 192.168.35.2\r\nAccept: */*\r\n\r\n"
    for method, target, headers in (
        ("GET", b"/a b", []),
        ("GE T", b"/", []),
        ("GET", b"/", [(b"X", b"a\r\nInjected: yes")]),
        ("GET", b"/", [(b"X:", b"a")]),
    ):
        with pytest.raises(LocalWireError):
            request_head(method, target, headers)
