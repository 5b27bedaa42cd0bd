"""HTTP/1.1 on the wire, for the one kind of exchange a board has: a request, then its answer.

:func:`request_head` writes a request's head, :func:`take_head` takes an answer's head off
the front of a receive buffer, and :class:`BodyReader` takes its body off, framed by
``Content-Length``, ``Transfer-Encoding: chunked`` or the connection's close. Everything a
board sends is checked as strictly as h11 checks it (status line, header names and values, one
consistent length, only the ``chunked`` transfer coding, bounded head and chunk lines); what
does not fit is a :class:`WireError`. This replaces h11's general state machine, which cost a
fifth of a small request's CPU (``benchmarks/``), with the one path :mod:`.transport` needs.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

__all__ = ["MAX_HEAD_BYTES", "Answer", "BodyReader", "LocalWireError", "WireError"]

#: The largest answer head (status line and headers) accepted; a device's are a few hundred bytes.
MAX_HEAD_BYTES: Final = 64 * 1024
# A chunk's size line (hex digits and any extensions) is never longer than this.
_MAX_CHUNK_LINE: Final = 1024

_TOKEN: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A header value: visible characters, spaces and tabs, and obs-text; no CR, LF or NUL.
_VALUE: Final = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")
_STATUS_LINE: Final = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?")
_TARGET: Final = re.compile(rb"[\x21-\x7e]+")
_HEX: Final = re.compile(rb"[0-9A-Fa-f]{1,16}")


class WireError(Exception):
    """What the board sent is not a valid HTTP/1.1 answer."""


class LocalWireError(Exception):
    """The request cannot be written as valid HTTP/1.1 (a header with a line break, say)."""


def request_head(method: str, target: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The bytes of a request's head; every part is checked so that none can break a line."""
    name = method.encode("ascii", "replace")
    if not _TOKEN.fullmatch(name) or not _TARGET.fullmatch(target):
        raise LocalWireError(f"a request line that is not HTTP: {method} {target!r}")
    lines = [b"%s %s HTTP/1.1" % (name, target)]
    for key, value in headers:
        if not _TOKEN.fullmatch(key) or not _VALUE.fullmatch(value):
            raise LocalWireError(f"a request header that is not HTTP: {key!r}")
        lines.append(key + b": " + value)
    lines.append(b"\r\n")
    return b"\r\n".join(lines)


class Answer(NamedTuple):
    """An answer's head: status, reason phrase, headers as sent, and how its body is framed."""

    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: BodyReader
    keep_alive: bool


def take_head(buffer: bytearray, method: str) -> Answer | None:
    """Take one answer head off the front of ``buffer``; ``None`` while it is incomplete.

    Interim (1xx) heads are returned like any other: the caller skips them.
    """
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEAD_BYTES:
            raise WireError(f"an answer head longer than {MAX_HEAD_BYTES} bytes")
        return None
    if end > MAX_HEAD_BYTES:
        raise WireError(f"an answer head longer than {MAX_HEAD_BYTES} bytes")
    lines = bytes(buffer[:end]).split(b"\r\n")
    del buffer[: end + 4]
    status_line = _STATUS_LINE.fullmatch(lines[0])
    if status_line is None:
        raise WireError(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
    minor, code, reason = status_line.groups()
    status = int(code)
    headers: list[tuple[bytes, bytes]] = []
    lengths: set[bytes] = set()
    codings: list[bytes] = []
    close = minor == b"0"
    for line in lines[1:]:
        key, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(key):
            raise WireError(f"a header line that is not HTTP: {line[:80]!r}")
        value = value.strip(b" \t")
        if not _VALUE.fullmatch(value):
            raise WireError(f"header {key[:40]!r} holds control characters")
        headers.append((key, value))
        lowered = key.lower()
        if lowered == b"content-length":
            lengths.update(part.strip() for part in value.split(b","))
        elif lowered == b"transfer-encoding":
            codings.extend(part.strip().lower() for part in value.split(b","))
        elif lowered == b"connection":
            close = close or b"close" in (part.strip().lower() for part in value.split(b","))
    if status == 101:
        raise WireError("a protocol switch nobody asked for (101)")
    if status < 200 or status in (204, 304) or method == "HEAD":
        body = BodyReader(0)
    elif codings:
        if codings != [b"chunked"]:
            raise WireError(
                f"transfer coding {b', '.join(codings)!r}, of which only chunked is HTTP/1.1's own"
            )
        body = BodyReader(None, chunked=True)
    elif lengths:
        if len(lengths) != 1 or not all(length.isdigit() for length in lengths):
            raise WireError(f"Content-Length {b', '.join(sorted(lengths))!r}")
        body = BodyReader(int(lengths.pop()))
    else:
        body = BodyReader(None)  # up to the connection's close
        close = True
    return Answer(status, reason or b"", headers, body, not close)


class BodyReader:
    """Takes an answer's body off the receive buffer: ``length`` bytes, chunks (``chunked``),
    or everything until the connection closes (``length`` ``None``)."""

    def __init__(self, length: int | None, *, chunked: bool = False) -> None:
        self.remaining = length
        self.chunked = chunked
        self.done = length == 0 and not chunked
        # Chunked: bytes left in the current chunk, or None when a size line comes next.
        self._chunk: int | None = None
        self._trailers = False

    def take(self, buffer: bytearray) -> bytes:
        """The body bytes ``buffer`` holds now (``b""``: more must be received)."""
        if self.done:
            return b""
        if self.chunked:
            return self._take_chunks(buffer)
        if self.remaining is None:
            data = bytes(buffer)
            buffer.clear()
            return data
        data = bytes(buffer[: self.remaining])
        del buffer[: len(data)]
        self.remaining -= len(data)
        self.done = self.remaining == 0
        return data

    def closed(self, buffer: bytearray) -> None:
        """The board closed the connection: the end of a close-framed body, else an error."""
        if self.remaining is None and not self.chunked:
            self.done = True
            return
        if not self.done:
            raise WireError("the board closed the connection before the answer's body ended")

    def _take_chunks(self, buffer: bytearray) -> bytes:
        parts: list[bytes] = []
        while not self.done:
            if self._trailers:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD_BYTES:
                        raise WireError("trailers longer than an answer head may be")
                    break
                del buffer[: end + 2]
                self.done = end == 0  # the empty line after the trailers
                continue
            if self._chunk is None:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > _MAX_CHUNK_LINE:
                        raise WireError("a chunk size line that does not end")
                    break
                size_text = bytes(buffer[:end]).split(b";", 1)[0].strip(b" \t")
                if not _HEX.fullmatch(size_text):
                    raise WireError(f"a chunk size that is not hexadecimal: {size_text[:20]!r}")
                del buffer[: end + 2]
                size = int(size_text, 16)
                if size == 0:
                    self._trailers = True
                    continue
                self._chunk = size
            if self._chunk > 0:
                data = bytes(buffer[: self._chunk])
                if not data:
                    break
                del buffer[: len(data)]
                self._chunk -= len(data)
                parts.append(data)
                continue
            if len(buffer) < 2:
                break
            if buffer[:2] != b"\r\n":
                raise WireError("a chunk that is longer than its size says")
            del buffer[:2]
            self._chunk = None
        return b"".join(parts)
