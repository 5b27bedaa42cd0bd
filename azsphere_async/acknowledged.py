"""How much of an upload the board has received: the peer's TCP acknowledgements.

A client's own count of bytes written is no measure of progress on a slow link: the
operating system takes whole chunks into its send buffer (on a real USB link it can hold a
whole application image), and asyncio keeps up to 64 KiB more above it. What the board has
received is what its TCP stack acknowledged, and Linux (4.1 and later) counts that for every
socket: ``tcpi_bytes_acked`` of ``TCP_INFO``. :class:`AcknowledgedCounter` reads it (about a
microsecond per read) and turns it into bytes of the request body.

Accuracy, with the counter: the count includes the request's head and the tail of the TLS
handshake when they were not yet acknowledged as the body began (a few hundred bytes), and
it converts TLS records to plaintext assuming TLS 1.3's 22 bytes of framing per 16 KiB record
(TLS 1.2 with AES-GCM uses 29): at most 0.05 % of the bytes off, plus that head, so well
under 1 KiB on a 900 KB image. The board's own buffers (its receive window, its TLS layer)
hold bytes it acknowledged but has not yet handled; the mock's hold about 20 KiB.

Elsewhere (no ``TCP_INFO`` byte count, or no socket to ask, as below a custom transport) the
count is of bytes the connection has taken, which lags by at most the piece being sent (a
chunk of the upload). On a socket that can be asked, its send buffer is shrunk to
:data:`FALLBACK_SEND_BUFFER` for the upload, so the count is ahead of the board by at most
that buffer as the system rounds it (``SO_SNDBUF`` read back, twice the request on Linux)
plus asyncio's write buffer (64 KiB): :attr:`AcknowledgedCounter.bound`.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import Final

__all__ = ["FALLBACK_SEND_BUFFER", "TLS_RECORD_OVERHEAD", "AcknowledgedCounter"]

#: TLS 1.3 framing per record: a 5-byte header, the 1-byte inner content type, a 16-byte tag.
TLS_RECORD_OVERHEAD: Final = 22
_TLS_RECORD: Final = 16 * 1024
_TLS_RECORD_ON_THE_WIRE: Final = _TLS_RECORD + TLS_RECORD_OVERHEAD
#: ``SO_SNDBUF`` asked for an upload's socket where acknowledgements cannot be read.
FALLBACK_SEND_BUFFER: Final = 32 * 1024
# asyncio's default high-water mark of a transport's write buffer.
_ASYNCIO_WRITE_BUFFER: Final = 64 * 1024

# struct tcp_info (linux/tcp.h): __u64 tcpi_bytes_acked follows 8 bytes of flags, 24 __u32
# fields and two __u64 pacing rates. Appended in Linux 4.1; the layout only grows.
_TCP_INFO: Final = getattr(socket, "TCP_INFO", None)
_BYTES_ACKED_OFFSET: Final = 120
_UNPACK_BYTES_ACKED: Final = struct.Struct("=Q").unpack_from
# Only as much of the structure as that field needs (the system copies no more than asked).
_TCP_INFO_SIZE: Final = _BYTES_ACKED_OFFSET + 8
_IPPROTO_TCP: Final = socket.IPPROTO_TCP


def _bytes_acked(sock: socket.socket) -> int | None:
    """The socket's ``tcpi_bytes_acked`` (``None`` where the system does not count it)."""
    if _TCP_INFO is None:
        return None
    try:
        info = sock.getsockopt(_IPPROTO_TCP, _TCP_INFO, _TCP_INFO_SIZE)
    except OSError:
        return None
    if len(info) < _TCP_INFO_SIZE:
        return None
    acked: int = _UNPACK_BYTES_ACKED(info, _BYTES_ACKED_OFFSET)[0]
    return acked


class AcknowledgedCounter:
    """Counts the bytes of one request body that the board has acknowledged.

    ``find_socket`` returns the connection's socket (or ``None``). Call :meth:`begin` just
    before the body's first byte goes out, :meth:`sending` before each piece is given to
    the connection and :meth:`sent` once it took it, :meth:`acknowledged` whenever a figure
    is wanted, and :meth:`close` at the end. The counter keeps its own duplicate of the
    socket's descriptor until :meth:`close`, so the figure can still be read after a lost
    connection was closed by the transport.
    """

    def __init__(self, find_socket: Callable[[], socket.socket | None]) -> None:
        self._find_socket = find_socket
        self._socket: socket.socket | None = None
        self._baseline = 0
        self._last = 0
        self.handed = 0
        """Body bytes given to the connection to send (the last piece perhaps not sent yet)."""
        self.written = 0
        """Body bytes the connection has taken."""
        self.exact = False
        """Whether the figures come from the board's acknowledgements."""
        self.bound: int | None = None
        """Where not :attr:`exact`: how far ahead of the board the figures may be, in bytes
        (``None``: unknown, no socket could be asked)."""

    def begin(self) -> None:
        """The body starts now: take the acknowledgement count to measure from."""
        if self._socket is not None:
            return
        found = self._find_socket()
        if found is None or found.fileno() < 0:
            return
        try:
            sock = found.dup()
        except OSError:
            return
        acked = _bytes_acked(sock)
        if acked is not None:
            self._socket, self._baseline, self.exact = sock, acked, True
            return
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, FALLBACK_SEND_BUFFER)
            self.bound = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
            self.bound += _ASYNCIO_WRITE_BUFFER
        except OSError:
            self.bound = None
        sock.close()

    def sending(self, nbytes: int) -> None:
        """``nbytes`` more of the body are being given to the connection."""
        self.handed += nbytes

    def sent(self) -> None:
        """The connection has taken everything it was given."""
        self.written = self.handed

    def acknowledged(self) -> int:
        """Body bytes the board has acknowledged (never more than were given to send).

        Without acknowledgements to read, the bytes the connection has taken. Once the
        connection is gone, the last figure read stays.
        """
        if not self.exact:
            return self.written
        if self._last >= self.handed:  # all that was given is acknowledged: nothing to ask
            return self._last
        sock = self._socket
        acked = _bytes_acked(sock) if sock is not None else None
        if acked is not None:
            body = (acked - self._baseline) * _TLS_RECORD // _TLS_RECORD_ON_THE_WIRE
            if body > self.handed:
                body = self.handed
            if body > self._last:
                self._last = body
        return self._last

    def close(self) -> None:
        """Let go of the socket (its last figure stays readable)."""
        self.acknowledged()
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()
